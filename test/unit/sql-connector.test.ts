import { describe, expect, it } from 'vitest';
import { TypedParam, type SqlDialect } from '../../connectors/sql/dialect.js';
import { SqlDriverError, type SqlDriver } from '../../connectors/sql/driver.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { mysqlDialect } from '../../connectors/mysql/mysql-dialect.js';
import { createSqlConnector, KEY_SEPARATOR } from '../../connectors/sql/sql-connector.js';
import { encodeCursor } from '../../connectors/sql/cursor.js';
import { mapped } from '../fixtures/mapped.js';
import { fakeDriver, type FakeColumn } from './sql-fakes.js';

// SQL Server describes the table once (INFORMATION_SCHEMA); these are the columns it answers.
const columns: Record<string, FakeColumn> = {
  id: { type: 'bigint', pk: true },
  customer_no: { type: 'nvarchar', length: 32, collation: 'SQL_Latin1_General_CP1_CI_AS' },
  name: { type: 'nvarchar', length: 20, collation: 'SQL_Latin1_General_CP1_CI_AS' },
  modified_at: { type: 'datetime2', precision: 3 },
};
const wide = Object.fromEntries([['k', { type: 'int' }], ['m', { type: 'datetime2', precision: 3 }], ['id', { type: 'int' }], ...Array.from({ length: 39 }, (_, i) => [`c${i}`, { type: 'int' }])]);

// The errno-numbered dialects; PostgreSQL (SQLSTATE codes) has its own suite (test/unit/sql-postgres-dialect.test.ts).
const DIALECTS: readonly (SqlDialect & { readonly name: 'mysql' | 'mssql' })[] = [mysqlDialect as SqlDialect & { name: 'mysql' }, mssqlDialect as SqlDialect & { name: 'mssql' }];
const deadlock = { mysql: 1213, mssql: 1205 } as const;
const notNull = { mysql: 1048, mssql: 515 } as const;
/** A string as the dialect binds it against an NVARCHAR(n) column (SQL Server: typed). */
const str = (d: SqlDialect, v: string, n: number) => (d.name === 'mssql' ? new TypedParam(v, { dataType: 'nvarchar', length: Math.max(n, v.length) }) : v);

describe.each(DIALECTS)('SQL connector over the $name dialect', (dialect) => {
  const tables = { Customer: { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] } };
  const batch = ['A', 'B', 'C'].map((no) => ({ hubId: no, payload: mapped({ customer_no: no, name: no === 'B' ? null : `n${no}` }) }));

  it('sends one statement per batch inside a transaction (SQL Server: after describing the table once)', async () => {
    const f = fakeDriver({ columns });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    expect(await c.upsert('Customer', batch)).toEqual(['A', 'B', 'C'].map((id) => ({ ok: true, externalId: id })));
    await c.upsert('Customer', batch);
    expect(f.log).toEqual(['begin', 'query', 'commit', 'release', 'begin', 'query', 'commit', 'release']);
    expect(f.describes).toHaveLength(dialect.name === 'mssql' ? 1 : 0);
    expect(f.statements[0]?.params).toEqual([str(dialect, 'A', 32), str(dialect, 'nA', 20), str(dialect, 'B', 32), null, str(dialect, 'C', 32), str(dialect, 'nC', 20)]);
  });

  it('reports a deadlock as retryable for the whole batch, without retrying row by row', async () => {
    const f = fakeDriver({ columns, answer: () => new SqlDriverError(deadlock[dialect.name], undefined, new Error('deadlock')) });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    const out = await c.upsert('Customer', batch);
    expect(out.every((o) => !o.ok && o.kind === 'retryable')).toBe(true);
    expect(f.log).toEqual(['begin', 'query', 'rollback', 'release']);
  });

  it('retries a permanently failed batch row by row so only the bad row fails', async () => {
    const f = fakeDriver({ columns, answer: (_, params) => (params.includes(null) ? new SqlDriverError(notNull[dialect.name], undefined, new Error("Column 'name' cannot be null")) : null) });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    const out = await c.upsert('Customer', batch);
    expect(out.map((o) => (o.ok ? o.externalId : `${o.kind}:${o.code}`))).toEqual(['A', `permanent:${dialect.name}_${notNull[dialect.name]}`, 'C']);
    expect(f.log).toEqual(['begin', 'query', 'rollback', 'query', 'query', 'query', 'release']);
  });

  it('chunks a wide batch so no statement passes the parameter limit', async () => {
    const cols = Array.from({ length: 39 }, (_, i) => `c${i}`);
    const f = fakeDriver({ columns: wide });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables: { W: { table: 'w', key: ['k'], watermark: 'm', tieBreaker: 'id', columns: cols } } });
    const records = Array.from({ length: 1100 }, (_, i) => ({ hubId: `${i}`, payload: Object.fromEntries([['k', i], ...cols.map((col) => [col, i])]) }));
    const out = await c.upsert('W', records);
    expect(out).toHaveLength(1100);
    expect(out.every((o) => o.ok)).toBe(true);
    const sizes = f.statements.map((s) => s.params.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1100 * 40);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(dialect.maxParams);
    expect(f.statements).toHaveLength(dialect.name === 'mssql' ? 22 : 3);
  });

  it('runs records naming the same key in request order, the later in a later statement', async () => {
    const f = fakeDriver({ columns });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    const out = await c.upsert('Customer', [
      { hubId: '1', payload: mapped({ customer_no: 'K1', name: 'first' }) },
      { hubId: '2', payload: mapped({ customer_no: 'K2' }) },
      { hubId: '3', payload: mapped({ customer_no: 'K1' }) },
      { hubId: '4', payload: mapped({ customer_no: 'K1', name: 'last' }) },
    ]);
    expect(out.map((o) => o.ok && o.externalId)).toEqual(['K1', 'K2', 'K1', 'K1']);
    const plain = (ps: readonly unknown[]) => ps.map((p) => (p instanceof TypedParam ? p.value : p));
    // Wave 1: K1 (name) and K2 (key only: another column set); wave 2: K1 (key only); wave 3: K1 (name).
    expect(f.statements.map((s) => plain(s.params))).toEqual([['K1', 'first'], ['K2'], ['K1'], ['K1', 'last']]);
  });

  it('keyOf joins the key columns as upsert reports them, and names a missing key column but no value', async () => {
    const f = fakeDriver({ columns: { ...columns, sku: { type: 'varchar', length: 20 }, currency: { type: 'char', length: 3 }, amount: { type: 'decimal' } } });
    const c = createSqlConnector({
      name: 't',
      driver: f.driver,
      dialect,
      tables: { ...tables, Price: { table: 'prices', key: ['sku', 'currency'], watermark: 'modified_at', tieBreaker: 'id', columns: ['amount'] } },
    });
    const payload = { sku: 'A-1', currency: 'EUR', amount: '1.10' };
    const [outcome] = await c.upsert('Price', [{ hubId: 'h', payload: mapped(payload) }]);
    expect(outcome).toEqual({ ok: true, externalId: c.keyOf('Price', { id: 7, ...payload, modified_at: new Date() }) });
    expect(c.keyOf('Price', payload)).toBe(`A-1${KEY_SEPARATOR}EUR`);
    expect(c.keyOf('Customer', { id: 1, customer_no: 42, name: 'x' })).toBe('42');
    expect(() => c.keyOf('Price', { sku: 'A-1', currency: null, amount: 'secret-9.99' })).toThrow(
      expect.objectContaining({ kind: 'permanent', code: 'connector_invalid_record', message: 'Price: record lacks key column(s) currency' }),
    );
    expect(() => c.keyOf('Nope', payload)).toThrow(expect.objectContaining({ code: 'connector_unknown_entity' }));
  });

  it('count() sends the dialect COUNT with the cursor position (not the overlap) and returns the number', async () => {
    const f = fakeDriver({ columns, answer: () => [{ n: dialect.name === 'mysql' ? 12 : '12' }] });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables, overlapMs: 60_000 });
    const w = new Date('2026-01-02T03:04:05.678Z');
    expect(await c.count!('Customer', null)).toBe(12);
    expect(await c.count!('Customer', encodeCursor({ watermark: w, tieBreaker: 9, caughtUp: true }))).toBe(12);
    // SQL Server keeps DATETIME2 watermarks as their exact text (the Date from an older cursor is written as UTC text).
    const at = dialect.name === 'mssql' ? new TypedParam('2026-01-02 03:04:05.678', { dataType: 'varchar', length: 34 }) : w;
    expect(f.statements.map((s) => s.params)).toEqual([[], [at, at, at, 9]]);
    expect(f.statements[0]?.sql).toBe(dialect.name === 'mysql' ? 'SELECT COUNT(*) AS `n` FROM `customers`' : 'SELECT COUNT(*) AS [n] FROM [customers]');
    await expect(c.count!('Customer', 'garbage')).rejects.toMatchObject({ code: 'connector_invalid_cursor' });
  });

  it('turns a connection failure into a ConnectorError naming no host or password', async () => {
    const driver: SqlDriver = {
      acquire: async () => {
        throw new SqlDriverError(undefined, dialect.name === 'mssql' ? 'ESOCKET' : 'ECONNREFUSED', new Error('connect to db.internal:1433 as sa/hunter2 failed'));
      },
      close: async () => undefined,
    };
    const c = createSqlConnector({ name: 't', driver, dialect, tables });
    await expect(c.check()).rejects.toMatchObject({ kind: 'retryable', message: expect.not.stringMatching(/hunter2|db\.internal/) });
  });

  it('cursorSince reads every row stamped at or after the instant (watermark >=), whatever the tie-breaker', async () => {
    const f = fakeDriver({ columns });
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    await c.read('Customer', c.cursorSince!('Customer', '2026-03-01T10:00:00.000Z'), 5);
    const since = new Date('2026-03-01T10:00:00.000Z');
    expect(f.statements[0]).toEqual(
      dialect.name === 'mysql'
        ? { sql: 'SELECT `id`, `customer_no`, `name`, `modified_at` FROM `customers` WHERE `modified_at` >= ? ORDER BY `modified_at`, `id` LIMIT ?', params: [since, 5] }
        : {
            sql:
              'SELECT [id], [customer_no], [name], [modified_at], CONVERT(varchar(34), [modified_at], 121) AS [__hub_watermark] FROM [customers] ' +
              'WHERE [modified_at] >= CONVERT(datetime2(3), @p1, 121) ORDER BY [modified_at], [id] OFFSET 0 ROWS FETCH NEXT @p2 ROWS ONLY',
            params: [new TypedParam('2026-03-01 10:00:00.000', { dataType: 'varchar', length: 34 }), 5],
          },
    );
    expect(() => c.cursorSince!('Customer', 'yesterday')).toThrow(/since is not a date-time/);
  });
});

describe('count statements', () => {
  const w = new Date('2026-01-02T03:04:05.678Z');
  const spec = { table: 'customers', watermark: 'modified_at', tieBreaker: 'id' } as const;

  it('MySQL: COUNT(*) with the keyset predicate of a read, no ORDER BY and no LIMIT', () => {
    expect(mysqlDialect.count({ ...spec, start: null })).toEqual({ sql: 'SELECT COUNT(*) AS `n` FROM `customers`', params: [] });
    expect(mysqlDialect.count({ ...spec, start: { kind: 'after', watermark: w, tieBreaker: 5 } })).toEqual({
      sql: 'SELECT COUNT(*) AS `n` FROM `customers` WHERE `modified_at` >= ? AND (`modified_at` > ? OR (`modified_at` = ? AND `id` > ?))',
      params: [w, w, w, 5],
    });
    expect(mysqlDialect.count({ ...spec, start: { kind: 'from', watermark: w } })).toEqual({ sql: 'SELECT COUNT(*) AS `n` FROM `customers` WHERE `modified_at` >= ?', params: [w] });
  });

  it('T-SQL: COUNT(*) with @pN placeholders (a watermark of no known type compares as its value)', () => {
    expect(mssqlDialect.count({ ...spec, start: null })).toEqual({ sql: 'SELECT COUNT(*) AS [n] FROM [customers]', params: [] });
    expect(mssqlDialect.count({ ...spec, start: { kind: 'after', watermark: w, tieBreaker: 5 } })).toEqual({
      sql: 'SELECT COUNT(*) AS [n] FROM [customers] WHERE [modified_at] >= @p1 AND ([modified_at] > @p2 OR ([modified_at] = @p3 AND [id] > @p4))',
      params: [w, w, w, 5],
    });
  });

  it('refuses an unsafe identifier', () => {
    expect(() => mysqlDialect.count({ ...spec, table: 'x; DROP TABLE y', start: null })).toThrow(/Invalid SQL identifier/);
  });
});
