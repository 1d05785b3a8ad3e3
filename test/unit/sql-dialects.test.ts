import { describe, expect, it } from 'vitest';
import { rowsPerStatement, type SqlDialect } from '../../connectors/sql/dialect.js';
import { SqlDriverError } from '../../connectors/sql/driver.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { mysqlDialect } from '../../connectors/mysql/mysql-dialect.js';
import { inWaves } from '../../connectors/sql/writes.js';
import { decodeCursor, encodeCursor } from '../../connectors/sql/cursor.js';

const W = new Date('2026-01-02T03:04:05.678Z');
const read = { table: 'customers', columns: ['id', 'customer_no', 'name'], watermark: 'modified_at', tieBreaker: 'id', limit: 100 } as const;
const upsert = {
  table: 'prices',
  key: ['sku', 'currency'],
  columns: ['sku', 'currency', 'amount'],
  rows: [
    ['A', 'EUR', '1.10'],
    ['B', 'EUR', '2.20'],
    ['A', 'USD', '3.30'],
  ],
} as const;

interface Expected {
  readonly dialect: SqlDialect;
  readonly readFirst: string;
  readonly readAfter: string;
  readonly readFrom: string;
  readonly upsert: string;
  readonly deleteOne: string;
  readonly deleteTwo: string;
  readonly softDelete: string;
  readonly maxRowsFor3Columns: number;
}

const DIALECTS: readonly Expected[] = [
  {
    dialect: mysqlDialect,
    readFirst: 'SELECT `id`, `customer_no`, `name` FROM `customers` ORDER BY `modified_at`, `id` LIMIT ?',
    readAfter:
      'SELECT `id`, `customer_no`, `name` FROM `customers` WHERE `modified_at` >= ? AND (`modified_at` > ? OR (`modified_at` = ? AND `id` > ?)) ORDER BY `modified_at`, `id` LIMIT ?',
    readFrom: 'SELECT `id`, `customer_no`, `name` FROM `customers` WHERE `modified_at` >= ? ORDER BY `modified_at`, `id` LIMIT ?',
    upsert:
      'INSERT INTO `prices` (`sku`, `currency`, `amount`) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY UPDATE `amount` = VALUES(`amount`)',
    deleteOne: 'DELETE FROM `customers` WHERE `customer_no` IN (?, ?)',
    deleteTwo: 'DELETE FROM `prices` WHERE (`sku` = ? AND `currency` = ?) OR (`sku` = ? AND `currency` = ?)',
    softDelete: 'UPDATE `customers` SET `is_deleted` = ? WHERE `customer_no` IN (?)',
    maxRowsFor3Columns: 500,
  },
  {
    dialect: mssqlDialect,
    readFirst: 'SELECT [id], [customer_no], [name] FROM [customers] ORDER BY [modified_at], [id] OFFSET 0 ROWS FETCH NEXT @p1 ROWS ONLY',
    readAfter:
      'SELECT [id], [customer_no], [name] FROM [customers] WHERE [modified_at] >= @p1 AND ([modified_at] > @p2 OR ([modified_at] = @p3 AND [id] > @p4)) ORDER BY [modified_at], [id] OFFSET 0 ROWS FETCH NEXT @p5 ROWS ONLY',
    readFrom: 'SELECT [id], [customer_no], [name] FROM [customers] WHERE [modified_at] >= @p1 ORDER BY [modified_at], [id] OFFSET 0 ROWS FETCH NEXT @p2 ROWS ONLY',
    upsert:
      'MERGE INTO [prices] WITH (HOLDLOCK) AS tgt USING (VALUES (@p1, @p2, @p3), (@p4, @p5, @p6), (@p7, @p8, @p9)) AS src ([sku], [currency], [amount]) ' +
      'ON tgt.[sku] = src.[sku] AND tgt.[currency] = src.[currency] WHEN MATCHED THEN UPDATE SET tgt.[amount] = src.[amount] ' +
      'WHEN NOT MATCHED THEN INSERT ([sku], [currency], [amount]) VALUES (src.[sku], src.[currency], src.[amount]);',
    deleteOne: 'DELETE FROM [customers] WHERE [customer_no] IN (@p1, @p2)',
    deleteTwo: 'DELETE FROM [prices] WHERE ([sku] = @p1 AND [currency] = @p2) OR ([sku] = @p3 AND [currency] = @p4)',
    softDelete: 'UPDATE [customers] SET [is_deleted] = @p1 WHERE [customer_no] IN (@p2)',
    // 2,000 / 3 parameters per row: under SQL Server's 2,100-parameter limit.
    maxRowsFor3Columns: 500,
  },
];

describe.each(DIALECTS)('$dialect.name dialect', (x) => {
  const d = x.dialect;

  it('reads the first page ordered by (watermark, tie-breaker) with a bound limit', () => {
    expect(d.read({ ...read, start: null })).toEqual({ sql: x.readFirst, params: [100] });
  });

  it('reads strictly after a (watermark, tie-breaker) cursor', () => {
    expect(d.read({ ...read, start: { kind: 'after', watermark: W, tieBreaker: 42 } })).toEqual({ sql: x.readAfter, params: [W, W, W, 42, 100] });
  });

  it('re-reads from a watermark for the overlap window', () => {
    const from = new Date(W.getTime() - 5000);
    expect(d.read({ ...read, start: { kind: 'from', watermark: from } })).toEqual({ sql: x.readFrom, params: [from, 100] });
  });

  it('upserts 3 rows keyed by 2 columns in one statement, values only as parameters', () => {
    const q = d.upsert(upsert);
    expect(q.sql).toBe(x.upsert);
    expect(q.params).toEqual(['A', 'EUR', '1.10', 'B', 'EUR', '2.20', 'A', 'USD', '3.30']);
  });

  it('deletes by a single key and by a 2-column key, and soft-deletes', () => {
    expect(d.delete({ table: 'customers', key: ['customer_no'], keys: [['C1'], ['C2']] })).toEqual({ sql: x.deleteOne, params: ['C1', 'C2'] });
    expect(d.delete({ table: 'prices', key: ['sku', 'currency'], keys: [['A', 'EUR'], ['B', 'USD']] })).toEqual({ sql: x.deleteTwo, params: ['A', 'EUR', 'B', 'USD'] });
    expect(d.delete({ table: 'customers', key: ['customer_no'], keys: [['C1']], softDelete: { column: 'is_deleted', value: true } })).toEqual({
      sql: x.softDelete,
      params: [true, 'C1'],
    });
  });

  it.each(['customers; DROP TABLE x', 'a`b', 'a]b', '1abc', '', 'a'.repeat(129), 'na me', 'schema.table'])('MySQL refuses the identifier %j', (bad) => {
    if (d.name !== 'mysql') return;
    expect(() => d.quote(bad)).toThrow(/Invalid SQL identifier/);
    expect(() => d.read({ ...read, table: bad, start: null })).toThrow(/Invalid SQL identifier/);
    expect(() => d.upsert({ ...upsert, columns: ['sku', 'currency', bad] })).toThrow(/Invalid SQL identifier/);
  });

  it('accepts a 128-character identifier', () => {
    expect(d.quote('a'.repeat(128))).toContain('a'.repeat(128));
  });

  it('sizes chunks so a statement stays under the parameter and row limits', () => {
    expect(rowsPerStatement(d, 3)).toBe(x.maxRowsFor3Columns);
    const perRow = 7;
    const rows = rowsPerStatement(d, perRow);
    expect(rows * perRow).toBeLessThanOrEqual(d.maxParams);
    const q = d.upsert({ table: 't', key: ['k'], columns: ['k', 'a', 'b', 'c', 'd', 'e', 'f'], rows: Array.from({ length: rows }, (_, i) => [i, 1, 2, 3, 4, 5, 6]) });
    expect(q.params).toHaveLength(rows * perRow);
    if (d.name === 'mssql') {
      expect(q.params.length).toBeLessThan(2100);
      expect(q.sql).toContain(`@p${rows * perRow}`);
      expect(q.sql).not.toContain(`@p${rows * perRow + 1}`);
    }
  });
});

describe('SQL Server parameter limit', () => {
  it('keeps 40-column rows to 50 per statement (2,000 parameters)', () => {
    expect(rowsPerStatement(mssqlDialect, 40)).toBe(50);
    expect(rowsPerStatement(mysqlDialect, 40)).toBe(500);
    expect(rowsPerStatement(mssqlDialect, 3000)).toBe(1);
  });

  it('puts records in waves: no key twice in a wave, each key’s occurrences in request order', () => {
    const items = Array.from({ length: 1201 }, (_, i) => ({ id: `K${i}` }));
    expect(inWaves(items, (i) => i.id).map((w) => w.length)).toEqual([1201]);
    const dup = [{ id: 'A' }, { id: 'B' }, { id: 'A' }, { id: 'C' }, { id: 'A' }];
    expect(inWaves(dup, (i) => i.id).map((w) => w.map((i) => i.id))).toEqual([['A', 'B', 'C'], ['A'], ['A']]);
  });
});

describe('error classification', () => {
  const err = (errno: number | undefined, code: string | undefined, message = 'x') => new SqlDriverError(errno, code, new Error(message));
  it.each([
    [mysqlDialect, 1213, undefined, 'retryable'],
    [mysqlDialect, 1205, undefined, 'retryable'],
    [mysqlDialect, undefined, 'ECONNRESET', 'retryable'],
    [mysqlDialect, undefined, 'ETIMEDOUT', 'retryable'],
    [mysqlDialect, 1048, undefined, 'permanent'],
    [mysqlDialect, 1406, undefined, 'permanent'],
    [mysqlDialect, 1366, undefined, 'permanent'],
    [mysqlDialect, 1452, undefined, 'permanent'],
    [mssqlDialect, 1205, undefined, 'retryable'],
    [mssqlDialect, undefined, 'ETIMEOUT', 'retryable'],
    [mssqlDialect, undefined, 'ESOCKET', 'retryable'],
    [mssqlDialect, 515, undefined, 'permanent'],
    [mssqlDialect, 2628, undefined, 'permanent'],
    [mssqlDialect, 8152, undefined, 'permanent'],
    [mssqlDialect, 547, undefined, 'permanent'],
    [mssqlDialect, 245, undefined, 'permanent'],
  ] as const)('%#: %s errno %s code %s is %s', (d, errno, code, kind) => {
    expect(d.classify(err(errno, code)).kind).toBe(kind);
  });

  it('a mysql2 error that closed the connection (fatal, no code: "closed state") is retryable: the source restarts', () => {
    const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true });
    expect(mysqlDialect.classify(new SqlDriverError(undefined, undefined, closed)).kind).toBe('retryable');
    expect(mysqlDialect.classify(new SqlDriverError(1053, 'ER_SERVER_SHUTDOWN', new Error('x'))).kind).toBe('retryable');
    expect(mysqlDialect.classify(new SqlDriverError(1927, 'ER_CONNECTION_KILLED', new Error('x'))).kind).toBe('retryable');
  });

  it('names the column but never the value from a driver message', () => {
    const m = mssqlDialect.classify(err(2628, 'EREQUEST', "String or binary data would be truncated in table 'db.dbo.customers', column 'name'. Truncated value: 'secret-ish'."));
    expect(m.message).toBe('SQL Server error 2628: string or binary data would be truncated (name)');
    const y = mysqlDialect.classify(err(1406, 'ER_DATA_TOO_LONG', "Data too long for column 'name' at row 2"));
    expect(y).toEqual({ kind: 'permanent', code: 'mysql_1406', message: 'MySQL error 1406: data too long for column (name)' });
  });
});

describe('cursor', () => {
  it('round-trips dates, numbers, bigints and the rescan position through opaque base64url', () => {
    const c = { watermark: W, tieBreaker: 12n, rescan: { watermark: new Date(0), tieBreaker: 3 } };
    const s = encodeCursor(c);
    expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(s)).toEqual(c);
  });
  it('refuses a cursor it did not issue', () => {
    expect(() => decodeCursor('not-a-cursor')).toThrow(/not one this connector issued/);
  });
});

describe('exact decimals on SQL Server', () => {
  const exact = new Map([
    ['balance', 'decimal'],
    ['credit_limit', 'money'],
  ] as const);
  const spec = { table: 'ledger', columns: ['id', 'account_no', 'balance', 'credit_limit', 'modified_at'], watermark: 'modified_at', tieBreaker: 'id', limit: 50, start: null, exact };

  it('T-SQL: selects DECIMAL / NUMERIC as CONVERT text and MONEY with style 2 (4 decimals), under the column names', () => {
    expect(mssqlDialect.read(spec)).toEqual({
      sql:
        'SELECT [id], [account_no], CONVERT(varchar(64), [balance]) AS [balance], CONVERT(varchar(64), [credit_limit], 2) AS [credit_limit], [modified_at] ' +
        'FROM [ledger] ORDER BY [modified_at], [id] OFFSET 0 ROWS FETCH NEXT @p1 ROWS ONLY',
      params: [50],
    });
  });

  it('T-SQL: describes the table in INFORMATION_SCHEMA by OBJECT_ID of its quoted name (any schema), bound as a parameter', () => {
    const describe =
      'SELECT c.COLUMN_NAME AS [column_name], c.DATA_TYPE AS [data_type], c.CHARACTER_MAXIMUM_LENGTH AS [max_length], ' +
      'c.DATETIME_PRECISION AS [datetime_precision], c.COLLATION_NAME AS [collation], CASE WHEN k.COLUMN_NAME IS NULL THEN 0 ELSE 1 END AS [primary_key] ' +
      'FROM INFORMATION_SCHEMA.COLUMNS AS c LEFT JOIN (INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS tc JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ' +
      'ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME) ' +
      "ON tc.CONSTRAINT_TYPE = 'PRIMARY KEY' AND tc.TABLE_SCHEMA = c.TABLE_SCHEMA AND tc.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME " +
      'WHERE c.TABLE_SCHEMA = OBJECT_SCHEMA_NAME(OBJECT_ID(@p1)) AND c.TABLE_NAME = OBJECT_NAME(OBJECT_ID(@p1)) ORDER BY c.ORDINAL_POSITION';
    expect(mssqlDialect.describeTable!('ledger')).toEqual({ sql: describe, params: ['[ledger]'] });
    // No longer SCHEMA_NAME(): a table in another schema is found, and its DECIMAL / MONEY columns read exactly.
    expect(mssqlDialect.describeTable!('sales.Order Lines')).toEqual({ sql: describe, params: ['[sales].[Order Lines]'] });
    expect(mssqlDialect.describeTable!('[sales].[Odd]]Name]')).toEqual({ sql: describe, params: ['[sales].[Odd]]Name]'] });
    expect(() => mssqlDialect.describeTable!('db.sales.ledger')).toThrow(/a table of another database is not supported/);
  });

  it('MySQL needs none (mysql2 answers DECIMAL as strings) and ignores the map', () => {
    expect(mysqlDialect.exactColumns).toBeUndefined();
    expect(mysqlDialect.read(spec).sql).toBe('SELECT `id`, `account_no`, `balance`, `credit_limit`, `modified_at` FROM `ledger` ORDER BY `modified_at`, `id` LIMIT ?');
  });
});
