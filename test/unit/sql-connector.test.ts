import { describe, expect, it } from 'vitest';
import type { SqlDialect } from '../../connectors/sql/dialect.js';
import { SqlDriverError, type SqlConnection, type SqlDriver, type SqlResult } from '../../connectors/sql/driver.js';
import { mssqlDialect } from '../../connectors/sql/mssql-dialect.js';
import { mysqlDialect } from '../../connectors/sql/mysql-dialect.js';
import { createSqlConnector } from '../../connectors/sql/sql-connector.js';

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

const DIALECTS: readonly SqlDialect[] = [mysqlDialect, mssqlDialect];
const deadlock = { mysql: 1213, mssql: 1205 } as const;
const notNull = { mysql: 1048, mssql: 515 } as const;

describe.each(DIALECTS)('SQL connector over the $name dialect', (dialect) => {
  const tables = { Customer: { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] } };
  const batch = ['A', 'B', 'C'].map((no) => ({ hubId: no, payload: { customer_no: no, name: no === 'B' ? null : `n${no}` } }));

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
