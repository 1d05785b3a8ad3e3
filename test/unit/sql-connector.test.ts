import { describe, expect, it } from 'vitest';
import type { SqlDialect } from '../../connectors/sql/dialect.js';
import { SqlDriverError, type SqlConnection, type SqlDriver, type SqlResult } from '../../connectors/sql/driver.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { mysqlDialect } from '../../connectors/mysql/mysql-dialect.js';
import { createSqlConnector, KEY_SEPARATOR } from '../../connectors/sql/sql-connector.js';
import { encodeCursor } from '../../connectors/sql/cursor.js';
import { mapped } from '../fixtures/mapped.js';

/** A driver that records what the connector sent and fails statements as told. */
function fakeDriver(fail: (sql: string, params: readonly unknown[]) => SqlDriverError | null) {
  const log: string[] = [];
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  const conn: SqlConnection = {
    async query(sql, params): Promise<SqlResult> {
      statements.push({ sql, params });
      log.push('query');
      const e = fail(sql, params);
      if (e) throw e;
      return { rows: [], affectedRows: 1 };
    },
    beginTransaction: async () => void log.push('begin'),
    commit: async () => void log.push('commit'),
    rollback: async () => void log.push('rollback'),
    release: () => void log.push('release'),
  };
  const driver: SqlDriver = { acquire: async () => conn, close: async () => undefined };
  return { driver, log, statements };
}

// The errno-numbered dialects; PostgreSQL (SQLSTATE codes) has its own suite (test/unit/sql-postgres-dialect.test.ts).
const DIALECTS: readonly (SqlDialect & { readonly name: 'mysql' | 'mssql' })[] = [mysqlDialect as SqlDialect & { name: 'mysql' }, mssqlDialect as SqlDialect & { name: 'mssql' }];
const deadlock = { mysql: 1213, mssql: 1205 } as const;
const notNull = { mysql: 1048, mssql: 515 } as const;

describe.each(DIALECTS)('SQL connector over the $name dialect', (dialect) => {
  const tables = { Customer: { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] } };
  const batch = ['A', 'B', 'C'].map((no) => ({ hubId: no, payload: mapped({ customer_no: no, name: no === 'B' ? null : `n${no}` }) }));

  it('sends one statement per batch inside a transaction', async () => {
    const f = fakeDriver(() => null);
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    expect(await c.upsert('Customer', batch)).toEqual(['A', 'B', 'C'].map((id) => ({ ok: true, externalId: id })));
    expect(f.log).toEqual(['begin', 'query', 'commit', 'release']);
    expect(f.statements[0]?.params).toEqual(['A', 'nA', 'B', null, 'C', 'nC']);
  });

  it('reports a deadlock as retryable for the whole batch, without retrying row by row', async () => {
    const f = fakeDriver(() => new SqlDriverError(deadlock[dialect.name], undefined, new Error('deadlock')));
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    const out = await c.upsert('Customer', batch);
    expect(out.every((o) => !o.ok && o.kind === 'retryable')).toBe(true);
    expect(f.log).toEqual(['begin', 'query', 'rollback', 'release']);
  });

  it('retries a permanently failed batch row by row so only the bad row fails', async () => {
    const f = fakeDriver((_, params) => (params.includes(null) ? new SqlDriverError(notNull[dialect.name], undefined, new Error("Column 'name' cannot be null")) : null));
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables });
    const out = await c.upsert('Customer', batch);
    expect(out.map((o) => (o.ok ? o.externalId : `${o.kind}:${o.code}`))).toEqual(['A', `permanent:${dialect.name}_${notNull[dialect.name]}`, 'C']);
    expect(f.log).toEqual(['begin', 'query', 'rollback', 'query', 'query', 'query', 'release']);
  });

  it('chunks a wide batch so no statement passes the parameter limit', async () => {
    const columns = Array.from({ length: 39 }, (_, i) => `c${i}`);
    const f = fakeDriver(() => null);
    const c = createSqlConnector({ name: 't', driver: f.driver, dialect, tables: { W: { table: 'w', key: ['k'], watermark: 'm', tieBreaker: 'id', columns } } });
    const records = Array.from({ length: 1100 }, (_, i) => ({ hubId: `${i}`, payload: Object.fromEntries([['k', i], ...columns.map((col) => [col, i])]) }));
    const out = await c.upsert('W', records);
    expect(out).toHaveLength(1100);
    expect(out.every((o) => o.ok)).toBe(true);
    const sizes = f.statements.map((s) => s.params.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1100 * 40);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(dialect.maxParams);
    expect(f.statements).toHaveLength(dialect.name === 'mssql' ? 22 : 3);
  });

  it('keyOf joins the key columns as upsert reports them, and names a missing key column but no value', async () => {
    const f = fakeDriver(() => null);
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
    const statements: { sql: string; params: readonly unknown[] }[] = [];
    const driver: SqlDriver = {
      acquire: async () => ({
        async query(sql, params) {
          statements.push({ sql, params });
          return { rows: [{ n: dialect.name === 'mysql' ? 12 : '12' }], affectedRows: 0 };
        },
        beginTransaction: async () => undefined,
        commit: async () => undefined,
        rollback: async () => undefined,
        release: () => undefined,
      }),
      close: async () => undefined,
    };
    const c = createSqlConnector({ name: 't', driver, dialect, tables, overlapMs: 60_000 });
    const w = new Date('2026-01-02T03:04:05.678Z');
    expect(await c.count!('Customer', null)).toBe(12);
    expect(await c.count!('Customer', encodeCursor({ watermark: w, tieBreaker: 9, caughtUp: true }))).toBe(12);
    expect(statements.map((s) => s.params)).toEqual([[], [w, w, w, 9]]);
    expect(statements[0]?.sql).toBe(dialect.name === 'mysql' ? 'SELECT COUNT(*) AS `n` FROM `customers`' : 'SELECT COUNT(*) AS [n] FROM [customers]');
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

  it('T-SQL: COUNT(*) with @pN placeholders', () => {
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

describe('SQL Server reads money exactly', () => {
  it('looks the column types up once per table and reads the fixed-point columns (not keys, watermark or tie-breaker) as text', async () => {
    const statements: string[] = [];
    const driver: SqlDriver = {
      acquire: async () => ({
        async query(sql) {
          statements.push(sql);
          if (sql.includes('INFORMATION_SCHEMA')) {
            return {
              rows: [
                { column_name: 'ID', data_type: 'numeric' },
                { column_name: 'account_no', data_type: 'nvarchar' },
                { column_name: 'balance', data_type: 'decimal' },
                { column_name: 'credit_limit', data_type: 'smallmoney' },
                { column_name: 'modified_at', data_type: 'datetime2' },
                { column_name: 'not_read', data_type: 'decimal' },
              ],
              affectedRows: 0,
            };
          }
          return { rows: [{ id: 1, account_no: 'A-1', balance: '123456789012345.6789', credit_limit: '5000.0000', modified_at: new Date('2026-01-01T00:00:00Z') }], affectedRows: 0 };
        },
        beginTransaction: async () => undefined,
        commit: async () => undefined,
        rollback: async () => undefined,
        release: () => undefined,
      }),
      close: async () => undefined,
    };
    const tables = { Account: { table: 'ledger', key: ['account_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['balance', 'credit_limit'] } };
    const c = createSqlConnector({ name: 't', driver, dialect: mssqlDialect, tables });
    const page = await c.read('Account', null, 10);
    await c.read('Account', page.cursor, 10);
    expect(statements.filter((s) => s.includes('INFORMATION_SCHEMA'))).toHaveLength(1);
    const reads = statements.filter((s) => s.startsWith('SELECT [id]'));
    expect(reads).toHaveLength(2);
    for (const sql of reads) {
      expect(sql).toContain('CONVERT(varchar(64), [balance]) AS [balance]');
      expect(sql).toContain('CONVERT(varchar(64), [credit_limit], 2) AS [credit_limit]');
      expect(sql).toMatch(/^SELECT \[id\], \[account_no\], /);
    }
    expect(page.records[0]?.['balance']).toBe('123456789012345.6789');
  });

  it('a failed type lookup fails the read (retryable) and is tried again on the next read', async () => {
    let lookups = 0;
    const driver: SqlDriver = {
      acquire: async () => ({
        async query(sql) {
          if (sql.includes('INFORMATION_SCHEMA')) {
            lookups++;
            if (lookups === 1) throw new SqlDriverError(1222, undefined, new Error('lock request timeout'));
            return { rows: [], affectedRows: 0 };
          }
          return { rows: [], affectedRows: 0 };
        },
        beginTransaction: async () => undefined,
        commit: async () => undefined,
        rollback: async () => undefined,
        release: () => undefined,
      }),
      close: async () => undefined,
    };
    const c = createSqlConnector({ name: 't', driver, dialect: mssqlDialect, tables: { Account: { table: 'ledger', key: ['account_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['balance'] } } });
    await expect(c.read('Account', null, 10)).rejects.toMatchObject({ kind: 'retryable', code: 'connector_mssql_1222' });
    await expect(c.read('Account', null, 10)).resolves.toEqual({ records: [], cursor: null });
    expect(lookups).toBe(2);
  });
});
