import { describe, expect, it } from 'vitest';
import { TypedParam, type ColumnInfo } from '../../connectors/sql/dialect.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { mssqlChangeFeed } from '../../connectors/mssql/mssql-change-tracking.js';

/**
 * The T-SQL the SQL Server dialect generates, exactly. Documented behaviour it follows:
 * - CAST and CONVERT: style 121 is "ODBC canonical (with milliseconds), default for time, date,
 *   datetime2 and datetimeoffset", `yyyy-mm-dd hh:mi:ss.mmm` with the type's fractional digits, and an
 *   input style when converting text to datetime — so the text round-trips in the column's own type;
 * - MIN_ACTIVE_ROWVERSION(): "the lowest active rowversion value in the current database … active if it
 *   is used in a transaction that has not yet been committed"; "if an application uses @@DBTS rather
 *   than MIN_ACTIVE_ROWVERSION, it is possible to miss changes that are active when synchronization occurs";
 * - Work with change tracking: CHANGETABLE(CHANGES t, @last_sync_version) joined to the table,
 *   CHANGE_TRACKING_CURRENT_VERSION(), CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID('t')).
 */

const info = (name: string, dataType: string, more: Partial<ColumnInfo> = {}): ColumnInfo => ({ name, dataType, ...more });
const text = (v: string) => new TypedParam(v, { dataType: 'varchar', length: 34 });
const T = '2026-01-02 03:04:05.1234567';

describe('T-SQL reads of date/time watermarks at full precision', () => {
  const base = { table: 'sales.Orders', columns: ['Id', 'OrderNo', 'Total', 'ModifiedAt'], watermark: 'ModifiedAt', tieBreaker: 'Id', limit: 100, watermarkKind: 'text' as const };

  it('DATETIME2(7): selects the exact text beside the column and compares CONVERT(datetime2(7), @p, 121)', () => {
    const columnInfo = new Map([['ModifiedAt', info('ModifiedAt', 'datetime2', { datetimePrecision: 7 })], ['Id', info('Id', 'int')]]);
    expect(mssqlDialect.read({ ...base, columnInfo, exact: new Map([['Total', 'money' as const]]), start: { kind: 'after', watermark: T, tieBreaker: 42 } })).toEqual({
      sql:
        'SELECT [Id], [OrderNo], CONVERT(varchar(64), [Total], 2) AS [Total], [ModifiedAt], CONVERT(varchar(34), [ModifiedAt], 121) AS [__hub_watermark] FROM [sales].[Orders] ' +
        'WHERE [ModifiedAt] >= CONVERT(datetime2(7), @p1, 121) AND ([ModifiedAt] > CONVERT(datetime2(7), @p2, 121) OR ([ModifiedAt] = CONVERT(datetime2(7), @p3, 121) AND [Id] > @p4)) ' +
        'ORDER BY [ModifiedAt], [Id] OFFSET 0 ROWS FETCH NEXT @p5 ROWS ONLY',
      params: [text(T), text(T), text(T), 42, 100],
    });
  });

  it('legacy DATETIME compares in its own type (its 1/300 s ticks: .000, .003, .007), overlap start included', () => {
    const columnInfo = new Map([['ModifiedAt', info('ModifiedAt', 'datetime', { datetimePrecision: 3 })]]);
    const w = '2026-01-02 03:04:05.677';
    expect(mssqlDialect.read({ ...base, columnInfo, start: { kind: 'from', watermark: w } })).toEqual({
      sql:
        'SELECT [Id], [OrderNo], [Total], [ModifiedAt], CONVERT(varchar(34), [ModifiedAt], 121) AS [__hub_watermark] FROM [sales].[Orders] ' +
        'WHERE [ModifiedAt] >= CONVERT(datetime, @p1, 121) ORDER BY [ModifiedAt], [Id] OFFSET 0 ROWS FETCH NEXT @p2 ROWS ONLY',
      params: [text(w), 100],
    });
  });

  it('DATETIMEOFFSET is read at +00:00 so its texts compare, and converted back with its precision', () => {
    const columnInfo = new Map([['ModifiedAt', info('ModifiedAt', 'datetimeoffset', { datetimePrecision: 3 })]]);
    const w = '2026-01-02 03:04:05.123 +00:00';
    expect(mssqlDialect.read({ ...base, columnInfo, start: { kind: 'from', watermark: w } }).sql).toBe(
      "SELECT [Id], [OrderNo], [Total], [ModifiedAt], CONVERT(varchar(34), SWITCHOFFSET([ModifiedAt], '+00:00'), 121) AS [__hub_watermark] FROM [sales].[Orders] " +
        'WHERE [ModifiedAt] >= CONVERT(datetimeoffset(3), @p1, 121) ORDER BY [ModifiedAt], [Id] OFFSET 0 ROWS FETCH NEXT @p2 ROWS ONLY',
    );
  });

  it('counts with the same predicate', () => {
    const columnInfo = new Map([['ModifiedAt', info('ModifiedAt', 'datetime2', { datetimePrecision: 7 })]]);
    expect(mssqlDialect.count({ table: 'sales.Orders', watermark: 'ModifiedAt', tieBreaker: 'Id', watermarkKind: 'text', columnInfo, start: { kind: 'after', watermark: T, tieBreaker: 7 } })).toEqual({
      sql:
        'SELECT COUNT(*) AS [n] FROM [sales].[Orders] WHERE [ModifiedAt] >= CONVERT(datetime2(7), @p1, 121) AND ([ModifiedAt] > CONVERT(datetime2(7), @p2, 121) OR ([ModifiedAt] = CONVERT(datetime2(7), @p3, 121) AND [Id] > @p4))',
      params: [text(T), text(T), text(T), 7],
    });
  });
});

describe('T-SQL reads of rowversion watermarks', () => {
  const rv = Buffer.from('00000000000007e3', 'hex');
  const columnInfo = new Map([['RowVer', info('RowVer', 'timestamp')], ['Id', info('Id', 'int')]]);
  const spec = { table: 'Customers', columns: ['Id', 'Name', 'RowVer'], watermark: 'RowVer', tieBreaker: 'Id', limit: 50, watermarkKind: 'rowversion' as const, columnInfo };
  const bin = new TypedParam(rv, { dataType: 'binary', length: 8 });

  it('reads only below MIN_ACTIVE_ROWVERSION(), from the beginning and after a binary(8) position', () => {
    expect(mssqlDialect.read({ ...spec, start: null })).toEqual({
      sql: 'SELECT [Id], [Name], [RowVer] FROM [Customers] WHERE [RowVer] < MIN_ACTIVE_ROWVERSION() ORDER BY [RowVer], [Id] OFFSET 0 ROWS FETCH NEXT @p1 ROWS ONLY',
      params: [50],
    });
    expect(mssqlDialect.read({ ...spec, start: { kind: 'after', watermark: rv, tieBreaker: 9 } })).toEqual({
      sql:
        'SELECT [Id], [Name], [RowVer] FROM [Customers] WHERE [RowVer] < MIN_ACTIVE_ROWVERSION() AND [RowVer] >= @p1 AND ([RowVer] > @p2 OR ([RowVer] = @p3 AND [Id] > @p4)) ' +
        'ORDER BY [RowVer], [Id] OFFSET 0 ROWS FETCH NEXT @p5 ROWS ONLY',
      params: [bin, bin, bin, 9, 50],
    });
  });

  it('counts below the same bound', () => {
    expect(mssqlDialect.count({ table: 'Customers', watermark: 'RowVer', tieBreaker: 'Id', watermarkKind: 'rowversion', columnInfo, start: null })).toEqual({
      sql: 'SELECT COUNT(*) AS [n] FROM [Customers] WHERE [RowVer] < MIN_ACTIVE_ROWVERSION()',
      params: [],
    });
  });

  it('treats INFORMATION_SCHEMA types: timestamp → rowversion, date/time → text, the rest → value', () => {
    expect(['timestamp', 'datetime2', 'datetime', 'smalldatetime', 'datetimeoffset', 'date', 'bigint', 'nvarchar'].map((t) => mssqlDialect.watermarkKindOf!(info('x', t)))).toEqual([
      'rowversion',
      'text',
      'text',
      'text',
      'text',
      'value',
      'value',
      'value',
    ]);
  });
});

describe('T-SQL names: schemas, spaces, non-ASCII letters, brackets', () => {
  it.each([
    ['Customers', '[Customers]'],
    ['sales.Customers', '[sales].[Customers]'],
    ['[sales].[Order Lines]', '[sales].[Order Lines]'],
    ['sales.Order Lines', '[sales].[Order Lines]'],
    ['Verkauf.Bestellpositionen Größe', '[Verkauf].[Bestellpositionen Größe]'],
    ['[客户]', '[客户]'],
    ['[odd.name]', '[odd.name]'],
    ['[a]]b]', '[a]]b]'],
  ])('table %j → %s', (name, quoted) => {
    expect(mssqlDialect.quoteTable!(name)).toBe(quoted);
  });

  it.each([
    ['Order Id', '[Order Id]'],
    ['[Order Id]', '[Order Id]'],
    ['a]b', '[a]]b]'],
    ['schema.table', '[schema.table]'],
    ['Straße', '[Straße]'],
    ['customers; DROP TABLE x', '[customers; DROP TABLE x]'],
  ])('column %j → %s (a bracketed identifier: nothing in it can end it)', (name, quoted) => {
    expect(mssqlDialect.quote(name)).toBe(quoted);
  });

  it.each([
    ['', /a name part is empty/],
    ['a'.repeat(129), /longer than 128/],
    ['tab\tle', /control characters/],
    [' lead', /leading or trailing spaces/],
    ['[open', /a \[ is not closed/],
  ])('refuses the column %j', (bad, why) => {
    expect(() => mssqlDialect.quote(bad)).toThrow(why);
  });

  it.each([
    ['db.sales.Customers', /a table of another database is not supported/],
    ['sales.', /a name part is empty/],
    ['sa]les.x', /write a name part holding \[ or \] in brackets/],
    ['[sales]x', /expected a dot/],
  ])('refuses the table %j', (bad, why) => {
    expect(() => mssqlDialect.quoteTable!(bad)).toThrow(why);
  });

  it('accepts a 128-character part', () => {
    expect(mssqlDialect.quote('ä'.repeat(128))).toBe(`[${'ä'.repeat(128)}]`);
  });
});

describe('T-SQL parameters typed by the column (VARCHAR keys stay VARCHAR)', () => {
  const columnInfo = new Map([
    ['code', info('code', 'varchar', { maxLength: 20, collation: 'SQL_Latin1_General_CP1_CI_AS' })],
    ['region', info('region', 'char', { maxLength: 3 })],
    ['name', info('name', 'nvarchar', { maxLength: 40 })],
    ['notes', info('notes', 'nvarchar', { maxLength: -1 })],
    ['qty', info('qty', 'int')],
  ]);

  it('MERGE binds each value with its column type and length, or the value length when longer', () => {
    const q = mssqlDialect.upsert({ table: 'sales.Items', key: ['code', 'region'], columns: ['code', 'region', 'name', 'notes', 'qty'], rows: [['A-1', 'EU', 'Müller', 'n', 3], ['B-22222222222222222222', 'EUR', null, 'x'.repeat(5000), 4]], columnInfo });
    expect(q.sql).toBe(
      'MERGE INTO [sales].[Items] WITH (HOLDLOCK) AS tgt USING (VALUES (@p1, @p2, @p3, @p4, @p5), (@p6, @p7, @p8, @p9, @p10)) AS src ([code], [region], [name], [notes], [qty]) ' +
        'ON tgt.[code] = src.[code] AND tgt.[region] = src.[region] WHEN MATCHED THEN UPDATE SET tgt.[name] = src.[name], tgt.[notes] = src.[notes], tgt.[qty] = src.[qty] ' +
        'WHEN NOT MATCHED THEN INSERT ([code], [region], [name], [notes], [qty]) VALUES (src.[code], src.[region], src.[name], src.[notes], src.[qty]);',
    );
    expect(q.params).toEqual([
      new TypedParam('A-1', { dataType: 'varchar', length: 20 }),
      new TypedParam('EU', { dataType: 'char', length: 3 }),
      new TypedParam('Müller', { dataType: 'nvarchar', length: 40 }),
      new TypedParam('n', { dataType: 'nvarchar', length: -1 }),
      3,
      // 22 characters against VARCHAR(20): declared 22, so the server reports the truncation (2628), not the driver.
      new TypedParam('B-22222222222222222222', { dataType: 'varchar', length: 22 }),
      new TypedParam('EUR', { dataType: 'char', length: 3 }),
      null,
      new TypedParam('x'.repeat(5000), { dataType: 'nvarchar', length: -1 }),
      4,
    ]);
  });

  it('VARCHAR lengths count bytes: a UTF-8 collation stores é in two', () => {
    const q = mssqlDialect.delete({ table: 'Items', key: ['code'], keys: [['é'.repeat(15)]], columnInfo });
    expect(q).toEqual({ sql: 'DELETE FROM [Items] WHERE [code] IN (@p1)', params: [new TypedParam('é'.repeat(15), { dataType: 'varchar', length: 30 })] });
  });

  it('soft delete by a two-column key, typed', () => {
    expect(mssqlDialect.delete({ table: 'Items', key: ['code', 'region'], keys: [['A', 'EU']], softDelete: { column: 'is deleted', value: true }, columnInfo })).toEqual({
      sql: 'UPDATE [Items] SET [is deleted] = @p1 WHERE ([code] = @p2 AND [region] = @p3)',
      params: [true, new TypedParam('A', { dataType: 'varchar', length: 20 }), new TypedParam('EU', { dataType: 'char', length: 3 })],
    });
  });

  it('a VARCHAR tie-breaker is bound as VARCHAR in the keyset predicate', () => {
    const q = mssqlDialect.read({ table: 'Items', columns: ['code', 'qty'], watermark: 'qty', tieBreaker: 'code', limit: 5, columnInfo, start: { kind: 'after', watermark: 3, tieBreaker: 'A-1' } });
    expect(q.params).toEqual([3, 3, 3, new TypedParam('A-1', { dataType: 'varchar', length: 20 }), 5]);
  });
});

describe('T-SQL of Change Tracking', () => {
  const columnInfo = new Map([['Code', info('Code', 'varchar', { maxLength: 10 })], ['Line', info('Line', 'int')]]);
  const spec = { table: 'sales.Order Lines', primaryKey: ['Code', 'Line'], columns: ['Qty', 'Price'], columnInfo, exact: new Map([['Price', 'decimal' as const]]) };
  const v = (n: bigint) => new TypedParam(n, { dataType: 'bigint' });
  const code = (s: string) => new TypedParam(s, { dataType: 'varchar', length: 10 });

  it('versions: the current version and the table’s oldest valid one', () => {
    expect(mssqlChangeFeed.versions('sales.Order Lines')).toEqual({
      sql: 'SELECT CHANGE_TRACKING_CURRENT_VERSION() AS [current_version], CHANGE_TRACKING_MIN_VALID_VERSION(OBJECT_ID(@p1)) AS [min_valid_version]',
      params: ['[sales].[Order Lines]'],
    });
  });

  it('the initial load pages the table by primary key', () => {
    expect(mssqlChangeFeed.load({ ...spec, after: null, limit: 100 })).toEqual({
      sql: 'SELECT T.[Code] AS [Code], T.[Line] AS [Line], T.[Qty] AS [Qty], CONVERT(varchar(64), T.[Price]) AS [Price] FROM [sales].[Order Lines] AS T ORDER BY T.[Code], T.[Line] OFFSET 0 ROWS FETCH NEXT @p1 ROWS ONLY',
      params: [100],
    });
    expect(mssqlChangeFeed.load({ ...spec, after: ['A', 2], limit: 100 })).toEqual({
      sql:
        'SELECT T.[Code] AS [Code], T.[Line] AS [Line], T.[Qty] AS [Qty], CONVERT(varchar(64), T.[Price]) AS [Price] FROM [sales].[Order Lines] AS T ' +
        'WHERE (T.[Code] > @p1 OR (T.[Code] = @p2 AND T.[Line] > @p3)) ORDER BY T.[Code], T.[Line] OFFSET 0 ROWS FETCH NEXT @p4 ROWS ONLY',
      params: [code('A'), code('A'), 2, 100],
    });
  });

  it('changes: CHANGETABLE joined to the table, bounded by the pass’s version, a vanished row reported D', () => {
    const head =
      "SELECT CT.[SYS_CHANGE_VERSION] AS [__hub_change_version], CASE WHEN T.[Code] IS NULL THEN N'D' ELSE CT.[SYS_CHANGE_OPERATION] END AS [SYS_CHANGE_OPERATION], " +
      'CT.[Code] AS [Code], CT.[Line] AS [Line], T.[Qty] AS [Qty], CONVERT(varchar(64), T.[Price]) AS [Price] ' +
      'FROM CHANGETABLE(CHANGES [sales].[Order Lines], @p1) AS CT LEFT OUTER JOIN [sales].[Order Lines] AS T ON T.[Code] = CT.[Code] AND T.[Line] = CT.[Line] ';
    expect(mssqlChangeFeed.changes({ ...spec, since: 10n, upto: 25n, after: null, limit: 50 })).toEqual({
      sql: `${head}WHERE CT.[SYS_CHANGE_VERSION] <= @p2 ORDER BY CT.[SYS_CHANGE_VERSION], CT.[Code], CT.[Line] OFFSET 0 ROWS FETCH NEXT @p3 ROWS ONLY`,
      params: [v(10n), v(25n), 50],
    });
    expect(mssqlChangeFeed.changes({ ...spec, since: 10n, upto: 25n, after: { version: 12n, key: ['B', 1] }, limit: 50 })).toEqual({
      sql:
        `${head}WHERE CT.[SYS_CHANGE_VERSION] <= @p2 AND (CT.[SYS_CHANGE_VERSION] > @p3 OR (CT.[SYS_CHANGE_VERSION] = @p4 AND CT.[Code] > @p5) OR (CT.[SYS_CHANGE_VERSION] = @p6 AND CT.[Code] = @p7 AND CT.[Line] > @p8)) ` +
        'ORDER BY CT.[SYS_CHANGE_VERSION], CT.[Code], CT.[Line] OFFSET 0 ROWS FETCH NEXT @p9 ROWS ONLY',
      params: [v(10n), v(25n), v(12n), v(12n), code('B'), v(12n), code('B'), 1, 50],
    });
  });

  it('counts the load and the changes', () => {
    expect(mssqlChangeFeed.countLoad({ table: 'sales.Order Lines', primaryKey: ['Code', 'Line'], columns: [], columnInfo, after: null })).toEqual({ sql: 'SELECT COUNT(*) AS [n] FROM [sales].[Order Lines] AS T', params: [] });
    expect(mssqlChangeFeed.countChanges({ table: 'sales.Order Lines', primaryKey: ['Code', 'Line'], columnInfo, since: 10n, after: null })).toEqual({
      sql: 'SELECT COUNT(*) AS [n] FROM CHANGETABLE(CHANGES [sales].[Order Lines], @p1) AS CT',
      params: [v(10n)],
    });
  });
});
