import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import sql from 'mssql';
import { ConnectorError, type Connector, type ExternalRecord } from '../../connectors/contract.js';
import { createMssqlDriver } from '../../connectors/mssql/mssql-driver.js';
import { mssqlDialect } from '../../connectors/mssql/mssql-dialect.js';
import { createSqlConnector, type SqlTableConfig } from '../../connectors/sql/sql-connector.js';
import { mapped } from '../fixtures/mapped.js';

/**
 * The SQL Server side of the SQL connector suite; runs only when MSSQL_URL is set, e.g.
 * `mssql://sa:pw@127.0.0.1:1433/master`. A fresh database is created per run and dropped after.
 */
const MSSQL_URL = process.env['MSSQL_URL'];
const SKIP_MESSAGE = 'SKIPPED: no SQL Server (set MSSQL_URL to run the SQL Server suite)';
if (!MSSQL_URL) console.warn(SKIP_MESSAGE);

// Named SKIPPED exactly when it is skipped, so the run's report says why the suite did not run.
it.skipIf(!MSSQL_URL)(MSSQL_URL ? 'MSSQL_URL names a SQL Server URL' : SKIP_MESSAGE, () => {
  expect(new URL(MSSQL_URL!).protocol).toBe('mssql:');
});

function configFor(url: string, database?: string): sql.config {
  const u = new URL(url);
  return {
    server: u.hostname,
    port: Number(u.port || 1433),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: database ?? (u.pathname.replace(/^\//, '') || 'master'),
    options: { encrypt: u.searchParams.get('encrypt') === 'true', trustServerCertificate: true },
    connectionTimeout: 5000,
    pool: { max: 2 },
  };
}

const customers: SqlTableConfig = { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'credit_limit'] };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
const nos = (rs: readonly ExternalRecord[]) => rs.map((r) => r['customer_no']);

describe.skipIf(!MSSQL_URL)('SQL connector on SQL Server', () => {
  const dbName = `hub_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  let master: sql.ConnectionPool;
  let admin: sql.ConnectionPool;
  const open: Connector[] = [];

  function connector(overlapMs = 0, config: sql.config = configFor(MSSQL_URL!, dbName)): Connector {
    const pool = new sql.ConnectionPool(config);
    const c = createSqlConnector({ name: 'erp-sql', driver: createMssqlDriver(pool, { dateType: sql.DateTime2(3) }), dialect: mssqlDialect, tables: { Customer: customers }, overlapMs });
    open.push(c);
    return c;
  }

  async function insert(no: string, modifiedAt: Date, name = `name ${no}`) {
    await admin.request().input('no', no).input('name', name).input('m', sql.DateTime2(3), modifiedAt).query('INSERT INTO customers (customer_no, name, modified_at) VALUES (@no, @name, @m)');
  }

  async function readAll(c: Connector, cursor: string | null, limit: number) {
    const records: ExternalRecord[] = [];
    for (let pages = 0; pages < 100; pages++) {
      const page = await c.read('Customer', cursor, limit);
      records.push(...page.records);
      if (page.cursor !== null) cursor = page.cursor;
      if (page.records.length < limit) return { records, cursor, pages: pages + 1 };
    }
    throw new Error('reading never caught up');
  }

  beforeAll(async () => {
    master = await new sql.ConnectionPool(configFor(MSSQL_URL!)).connect();
    await master.request().query(`CREATE DATABASE [${dbName}]`);
    admin = await new sql.ConnectionPool(configFor(MSSQL_URL!, dbName)).connect();
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await admin?.close();
    await master?.request().query(`ALTER DATABASE [${dbName}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${dbName}]`);
    await master?.close();
  });

  beforeEach(async () => {
    await admin.request().query(`DROP TABLE IF EXISTS customers;
      CREATE TABLE customers (
        id BIGINT IDENTITY(1,1) PRIMARY KEY,
        customer_no NVARCHAR(32) NOT NULL CONSTRAINT uq_customer_no UNIQUE,
        name NVARCHAR(20) NOT NULL,
        credit_limit DECIMAL(18,2) NULL,
        modified_at DATETIME2(3) NOT NULL CONSTRAINT df_modified DEFAULT SYSUTCDATETIME());
      CREATE INDEX ix_changes ON customers (modified_at, id);`);
  });

  it('pages with a keyset: rows sharing a watermark are neither skipped nor repeated', async () => {
    for (let i = 0; i < 25; i++) await insert(`C${String(i).padStart(2, '0')}`, at(Math.floor(i / 5)));
    const { records, pages } = await readAll(connector(), null, 4);
    expect(pages).toBe(7);
    expect(nos(records)).toEqual(Array.from({ length: 25 }, (_, i) => `C${String(i).padStart(2, '0')}`));
  });

  it('picks up a row committed late with an older watermark thanks to the overlap window', async () => {
    for (let i = 0; i < 4; i++) await insert(`R${i}`, at(100 + i));
    const overlapping = connector(60_000);
    const caughtUp = await readAll(overlapping, null, 10);
    expect(nos(caughtUp.records)).toEqual(['R0', 'R1', 'R2', 'R3']);
    await insert('LATE', at(93));
    await insert('TOO_LATE', at(-17));
    await insert('NEW', at(200));
    const again = await readAll(overlapping, caughtUp.cursor, 2);
    expect(nos(again.records)).toEqual(['LATE', 'R0', 'R1', 'R2', 'R3', 'NEW', 'NEW']);
  });

  it('upserts by customer_no with MERGE: creates, then updates, idempotently', async () => {
    const c = connector();
    const batch = [
      { hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha', credit_limit: '1000.10' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'K2', name: 'Beta', credit_limit: '12345.67' }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'K3', name: 'Gamma', credit_limit: null }) },
    ];
    const ok = batch.map((b) => ({ ok: true, externalId: b.payload.customer_no }));
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', [{ hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha 2' }) }])).toEqual([{ ok: true, externalId: 'K1' }]);
    // Exact decimal text: CAST to a string on the server (tedious hands DECIMAL over as a JS number).
    const res = await admin.request().query('SELECT customer_no, name, CAST(credit_limit AS VARCHAR(40)) AS credit_limit FROM customers ORDER BY customer_no');
    expect(res.recordset).toEqual([
      { customer_no: 'K1', name: 'Alpha 2', credit_limit: '1000.10' },
      { customer_no: 'K2', name: 'Beta', credit_limit: '12345.67' },
      { customer_no: 'K3', name: 'Gamma', credit_limit: null },
    ]);
  });

  it('reads DECIMAL columns as exact text, with every digit a double would lose', async () => {
    await insert('D1', at(1));
    await admin.request().query("UPDATE customers SET credit_limit = CAST('1234567890123456.78' AS DECIMAL(18,2)) WHERE customer_no = 'D1'");
    const { records } = await readAll(connector(), null, 10);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ customer_no: 'D1', credit_limit: '1234567890123456.78' });
  });

  it('lands the good rows of a batch and reports only the bad ones as permanent', async () => {
    const out = await connector().upsert('Customer', [
      { hubId: 'h1', payload: mapped({ customer_no: 'G1', name: 'Good one' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'B1', name: null }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'B2', name: 'x'.repeat(21) }) },
      { hubId: 'h4', payload: mapped({ customer_no: 'G2', name: 'Good two' }) },
    ]);
    expect(out[0]).toEqual({ ok: true, externalId: 'G1' });
    expect(out[1]).toMatchObject({ ok: false, kind: 'permanent', code: 'mssql_515' });
    expect(out[2]).toMatchObject({ ok: false, kind: 'permanent', code: expect.stringMatching(/^mssql_(2628|8152)$/) });
    expect(out[3]).toEqual({ ok: true, externalId: 'G2' });
    expect(JSON.stringify(out)).not.toContain('x'.repeat(21));
    const res = await admin.request().query('SELECT customer_no FROM customers ORDER BY customer_no');
    expect(res.recordset).toEqual([{ customer_no: 'G1' }, { customer_no: 'G2' }]);
  });

  it('deletes by external id', async () => {
    for (const no of ['X1', 'X2']) await insert(no, at(1));
    expect(await connector().delete!('Customer', ['X1'])).toEqual([{ ok: true, externalId: 'X1' }]);
    const res = await admin.request().query('SELECT customer_no FROM customers');
    expect(res.recordset).toEqual([{ customer_no: 'X2' }]);
  });

  it('check() fails against a wrong port with a ConnectorError that names no password', async () => {
    await expect(connector().check()).resolves.toBeUndefined();
    const wrong = { ...configFor(MSSQL_URL!, dbName), port: 1, password: 'S3cretPassw0rd', connectionTimeout: 2000 };
    const err = await connector(0, wrong).check().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).kind).toBe('retryable');
    expect((err as ConnectorError).message).not.toMatch(/S3cretPassw0rd/);
  });
});
