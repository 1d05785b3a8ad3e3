import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sql from 'mssql';
import { createConnector, type ConnectorConfigInput } from '../../connectors/config.js';
import { ConnectorError, type Connector, type ExternalRecord } from '../../connectors/contract.js';
import { decodeCursor } from '../../connectors/sql/cursor.js';
import { mapped } from '../fixtures/mapped.js';
import { readPages } from '../fixtures/read-pages.js';

/**
 * The SQL Server side of the SQL connector suite, against a real server; runs only when MSSQL_URL is
 * set, e.g. `mssql://sa:pw@127.0.0.1:1433/master?encrypt=false`. A fresh database is created per run
 * (READ_COMMITTED_SNAPSHOT and CHANGE_TRACKING on, as on Azure SQL) and dropped after. The connectors
 * are built as `hub.config.yaml` builds them (createConnector), so the module's wiring is tested too.
 */
const MSSQL_URL = process.env['MSSQL_URL'];
const SKIP_MESSAGE = 'SKIPPED: no SQL Server (set MSSQL_URL to run the SQL Server suite: rowversion, Change Tracking, DATETIME2(7), schemas, VARCHAR keys)';
if (!MSSQL_URL) console.warn(SKIP_MESSAGE);

// Named SKIPPED exactly when it is skipped, so the run's report says why the suite did not run.
it.skipIf(!MSSQL_URL)(MSSQL_URL ? 'MSSQL_URL names a SQL Server URL' : SKIP_MESSAGE, () => {
  expect(['mssql:', 'sqlserver:']).toContain(new URL(MSSQL_URL!).protocol);
});

function poolConfig(url: string, database?: string): sql.config {
  const u = new URL(url);
  return {
    server: u.hostname,
    port: Number(u.port || 1433),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: database ?? (u.pathname.replace(/^\//, '') || 'master'),
    options: { encrypt: u.searchParams.get('encrypt') === 'true', trustServerCertificate: true },
    connectionTimeout: 10_000,
    pool: { max: 3 },
  };
}

const nos = (rs: readonly ExternalRecord[], field = 'no') => rs.map((r) => r[field]);

const readAll = (c: Connector, entity: string, cursor: string | null, limit: number) => readPages(c, entity, cursor, limit, 100);

describe.skipIf(!MSSQL_URL)('SQL connector on SQL Server', () => {
  const dbName = `hub_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  let master: sql.ConnectionPool;
  let admin: sql.ConnectionPool;
  const open: Connector[] = [];

  /** A connector as hub.config.yaml builds it, over the test database. */
  function connector(tables: Record<string, unknown>, more: Record<string, unknown> = {}): Connector {
    const url = new URL(MSSQL_URL!);
    url.pathname = `/${dbName}`;
    if (!url.searchParams.has('trustServerCertificate')) url.searchParams.set('trustServerCertificate', 'true');
    const c = createConnector('erp_mssql', { type: 'mssql', urlEnv: 'ERP_MSSQL_URL', pool: { connections: 2 }, tables, ...more } as ConnectorConfigInput, { ERP_MSSQL_URL: url.toString() });
    open.push(c);
    return c;
  }
  const run = (text: string) => admin.request().query(text);

  beforeAll(async () => {
    master = await new sql.ConnectionPool(poolConfig(MSSQL_URL!)).connect();
    await master.request().query(`CREATE DATABASE [${dbName}]`);
    // As on Azure SQL: readers see the last committed row instead of waiting for a writer's lock; and Change Tracking.
    await master.request().query(`ALTER DATABASE [${dbName}] SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE`);
    await master.request().query(`ALTER DATABASE [${dbName}] SET CHANGE_TRACKING = ON (CHANGE_RETENTION = 2 DAYS, AUTO_CLEANUP = ON)`);
    admin = await new sql.ConnectionPool(poolConfig(MSSQL_URL!, dbName)).connect();
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await admin?.close();
    await master?.request().query(`ALTER DATABASE [${dbName}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [${dbName}]`);
    await master?.close();
  });

  describe('keyset reads and writes on DATETIME2(3)', () => {
    const customers = { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'credit_limit'] };
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
    const insert = (no: string, modifiedAt: Date, name = `name ${no}`) =>
      admin.request().input('no', sql.NVarChar(32), no).input('name', sql.NVarChar(20), name).input('m', sql.DateTime2(3), modifiedAt).query('INSERT INTO customers (customer_no, name, modified_at) VALUES (@no, @name, @m)');

    beforeAll(async () => {
      await run(`CREATE TABLE customers (
        id BIGINT IDENTITY(1,1) PRIMARY KEY,
        customer_no NVARCHAR(32) NOT NULL CONSTRAINT uq_customer_no UNIQUE,
        name NVARCHAR(20) NOT NULL,
        credit_limit DECIMAL(18,2) NULL,
        modified_at DATETIME2(3) NOT NULL CONSTRAINT df_modified DEFAULT SYSUTCDATETIME());
      CREATE INDEX ix_changes ON customers (modified_at, id);`);
    });
    const fresh = () => run('DELETE FROM customers');

    it('pages with a keyset: rows sharing a watermark are neither skipped nor repeated', async () => {
      await fresh();
      for (let i = 0; i < 25; i++) await insert(`C${String(i).padStart(2, '0')}`, at(Math.floor(i / 5)));
      const { records, pages } = await readAll(connector({ Customer: customers }), 'Customer', null, 4);
      expect(pages).toBe(7);
      expect(nos(records, 'customer_no')).toEqual(Array.from({ length: 25 }, (_, i) => `C${String(i).padStart(2, '0')}`));
    });

    it('picks up a row committed late with an older watermark thanks to the overlap window', async () => {
      await fresh();
      for (let i = 0; i < 4; i++) await insert(`R${i}`, at(100 + i));
      const overlapping = connector({ Customer: customers }, { overlapMs: 60_000 });
      const caughtUp = await readAll(overlapping, 'Customer', null, 10);
      expect(nos(caughtUp.records, 'customer_no')).toEqual(['R0', 'R1', 'R2', 'R3']);
      await insert('LATE', at(93));
      await insert('TOO_LATE', at(-17));
      await insert('NEW', at(200));
      const again = await readAll(overlapping, 'Customer', caughtUp.cursor, 2);
      expect(nos(again.records, 'customer_no')).toEqual(['LATE', 'R0', 'R1', 'R2', 'R3', 'NEW', 'NEW']);
    });

    it('upserts with MERGE, idempotently; lands the good rows of a batch and reports only the bad ones', async () => {
      await fresh();
      const c = connector({ Customer: customers });
      const batch = [
        { hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha', credit_limit: '1000.10' }) },
        { hubId: 'h2', payload: mapped({ customer_no: 'K2', name: 'Beta', credit_limit: '12345.67' }) },
      ];
      const ok = batch.map((b) => ({ ok: true, externalId: b.payload.customer_no }));
      expect(await c.upsert('Customer', batch)).toEqual(ok);
      expect(await c.upsert('Customer', batch)).toEqual(ok);
      const out = await c.upsert('Customer', [
        { hubId: 'h3', payload: mapped({ customer_no: 'G1', name: 'Good one' }) },
        { hubId: 'h4', payload: mapped({ customer_no: 'B1', name: null }) },
        { hubId: 'h5', payload: mapped({ customer_no: 'B2', name: 'x'.repeat(21) }) },
      ]);
      expect(out[0]).toEqual({ ok: true, externalId: 'G1' });
      expect(out[1]).toMatchObject({ ok: false, kind: 'permanent', code: 'mssql_515' });
      expect(out[2]).toMatchObject({ ok: false, kind: 'permanent', code: expect.stringMatching(/^mssql_(2628|8152)$/) });
      expect(JSON.stringify(out)).not.toContain('x'.repeat(21));
      const res = await run('SELECT customer_no, CAST(credit_limit AS VARCHAR(40)) AS credit_limit FROM customers ORDER BY customer_no');
      expect(res.recordset).toEqual([
        { customer_no: 'G1', credit_limit: null },
        { customer_no: 'K1', credit_limit: '1000.10' },
        { customer_no: 'K2', credit_limit: '12345.67' },
      ]);
      expect(await c.delete!('Customer', ['G1'])).toEqual([{ ok: true, externalId: 'G1' }]);
      expect((await run("SELECT COUNT(*) AS n FROM customers WHERE customer_no = 'G1'")).recordset).toEqual([{ n: 0 }]);
    });

    it('check() fails against a wrong port with a retryable ConnectorError that names no password', async () => {
      await expect(connector({ Customer: customers }).check()).resolves.toBeUndefined();
      const url = new URL(MSSQL_URL!);
      url.port = '1';
      url.password = 'S3cretPassw0rd';
      const c = createConnector('bad', { type: 'mssql', urlEnv: 'U', connectTimeoutMs: 2000, tables: { Customer: customers } } as ConnectorConfigInput, { U: url.toString() });
      open.push(c);
      const err = await c.check().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).kind).toBe('retryable');
      expect((err as ConnectorError).message).not.toMatch(/S3cretPassw0rd/);
    });
  });

  it('DATETIME2(7): more rows on one 100 ns timestamp than a page are each read once, and the reader moves on', async () => {
    await run(`CREATE TABLE events (id INT IDENTITY PRIMARY KEY, no NVARCHAR(10) NOT NULL UNIQUE, changed DATETIME2(7) NOT NULL);
      CREATE INDEX ix_events ON events (changed, id);`);
    const put = (no: string, t: string) => admin.request().input('no', sql.NVarChar(10), no).input('t', sql.VarChar(34), t).query('INSERT INTO events (no, changed) VALUES (@no, CONVERT(datetime2(7), @t, 121))');
    await put('EARLY', '2026-01-02 03:04:05.1234560');
    for (let i = 0; i < 12; i++) await put(`SAME${String(i).padStart(2, '0')}`, '2026-01-02 03:04:05.1234567');
    await put('NEXT', '2026-01-02 03:04:05.1234568');
    const c = connector({ Event: { table: 'events', key: ['no'], watermark: 'changed', tieBreaker: 'id', columns: [] } });
    const { records, cursor } = await readAll(c, 'Event', null, 5);
    expect(nos(records)).toEqual(['EARLY', ...Array.from({ length: 12 }, (_, i) => `SAME${String(i).padStart(2, '0')}`), 'NEXT']);
    expect(decodeCursor(cursor!).watermark).toBe('2026-01-02 03:04:05.1234568');
    await put('LATER', '2026-01-02 03:04:05.1234569');
    expect(nos((await c.read('Event', cursor, 5)).records)).toEqual(['LATER']);
    // A read from a point in time: the instant in UTC (the column holds UTC), every row at or after it.
    expect((await readAll(c, 'Event', c.cursorSince!('Event', '2026-01-02T03:04:05.123Z'), 50)).records).toHaveLength(15);
    expect((await readAll(c, 'Event', c.cursorSince!('Event', '2026-01-02T03:04:05.124Z'), 50)).records).toEqual([]);
  });

  it('legacy DATETIME compares its own 1/300 s ticks: rows on .677 and .680 page without repeats', async () => {
    await run('CREATE TABLE legacy (id INT IDENTITY PRIMARY KEY, no NVARCHAR(10) NOT NULL, changed DATETIME NOT NULL)');
    for (let i = 0; i < 4; i++) await run(`INSERT INTO legacy (no, changed) VALUES ('A${i}', CONVERT(datetime, '2026-01-02 03:04:05.677', 121))`);
    for (let i = 0; i < 3; i++) await run(`INSERT INTO legacy (no, changed) VALUES ('B${i}', CONVERT(datetime, '2026-01-02 03:04:05.680', 121))`);
    const c = connector({ L: { table: 'legacy', key: ['no'], watermark: 'changed', tieBreaker: 'id', columns: [] } });
    const { records, cursor } = await readAll(c, 'L', null, 3);
    expect(nos(records)).toEqual(['A0', 'A1', 'A2', 'A3', 'B0', 'B1', 'B2']);
    expect(decodeCursor(cursor!).watermark).toBe('2026-01-02 03:04:05.680');
  });

  it('rowversion: pages by version and never skips a row whose transaction commits after a later one', async () => {
    await run(`CREATE TABLE rv_items (id INT IDENTITY PRIMARY KEY, no NVARCHAR(10) NOT NULL UNIQUE, rv ROWVERSION NOT NULL);
      CREATE INDEX ix_rv ON rv_items (rv, id);`);
    for (const no of ['A', 'B', 'C']) await run(`INSERT INTO rv_items (no) VALUES ('${no}')`);
    const c = connector({ Item: { table: 'rv_items', key: ['no'], watermark: 'rv', tieBreaker: 'id', columns: [] } });
    const first = await readAll(c, 'Item', null, 2);
    expect(nos(first.records)).toEqual(['A', 'B', 'C']);
    const rv = decodeCursor(first.cursor!).watermark;
    expect(Buffer.isBuffer(rv) && rv.length).toBe(8);
    // An open transaction takes the next version; a later insert commits first with a higher one.
    const tx = new sql.Transaction(admin);
    await tx.begin();
    await new sql.Request(tx).query("INSERT INTO rv_items (no) VALUES ('SLOW')");
    await run("INSERT INTO rv_items (no) VALUES ('FAST')");
    // Bounded by MIN_ACTIVE_ROWVERSION(): FAST waits for SLOW.
    expect(await c.read('Item', first.cursor, 10)).toEqual({ records: [], cursor: null });
    await tx.commit();
    expect(nos((await c.read('Item', first.cursor, 10)).records)).toEqual(['SLOW', 'FAST']);
  });

  it('a table in another schema, with spaces in its names: DECIMAL and MONEY read and written exactly', async () => {
    await run('CREATE SCHEMA sales');
    await run(`CREATE TABLE sales.[Order Lines] ([Line Id] INT IDENTITY PRIMARY KEY, [Order No] VARCHAR(20) NOT NULL UNIQUE,
      Amount DECIMAL(19,4) NULL, Price MONEY NULL, [Geändert] DATETIME2(3) NOT NULL DEFAULT SYSUTCDATETIME())`);
    await run("INSERT INTO sales.[Order Lines] ([Order No], Amount, Price) VALUES ('O-1', 123456789012345.6789, 922337203685477.5807)");
    const c = connector({ Line: { table: 'sales.Order Lines', key: ['Order No'], watermark: 'Geändert', tieBreaker: 'Line Id', columns: ['Amount', 'Price'] } });
    const page = await c.read('Line', null, 10);
    expect(page.records).toEqual([{ 'Line Id': 1, 'Order No': 'O-1', Amount: '123456789012345.6789', Price: '922337203685477.5807', Geändert: expect.any(Date) }]);
    expect(await c.upsert('Line', [{ hubId: 'h', payload: mapped({ 'Order No': 'O-2', Amount: '0.0001', Price: '-922337203685477.5808' }) }])).toEqual([{ ok: true, externalId: 'O-2' }]);
    const res = await run("SELECT CONVERT(varchar(64), Amount) AS a, CONVERT(varchar(64), Price, 2) AS p FROM sales.[Order Lines] WHERE [Order No] = 'O-2'");
    expect(res.recordset).toEqual([{ a: '0.0001', p: '-922337203685477.5808' }]);
  });

  it('a VARCHAR key under a case-insensitive collation: bound as VARCHAR, and abc / ABC in one batch land in order (no MERGE error 8672)', async () => {
    await run(`CREATE TABLE vk_items (id INT IDENTITY PRIMARY KEY, code VARCHAR(20) COLLATE SQL_Latin1_General_CP1_CI_AS NOT NULL UNIQUE,
      name NVARCHAR(20) NULL, changed DATETIME2(3) NOT NULL DEFAULT SYSUTCDATETIME())`);
    await run("INSERT INTO vk_items (code, name) VALUES ('abc', 'old')");
    const c = connector({ Item: { table: 'vk_items', key: ['code'], watermark: 'changed', tieBreaker: 'id', columns: ['name'] } });
    const out = await c.upsert('Item', [
      { hubId: '1', payload: mapped({ code: 'ABC', name: 'first' }) },
      { hubId: '2', payload: mapped({ code: 'abc', name: 'second' }) },
      { hubId: '3', payload: mapped({ code: 'xyz', name: 'other' }) },
    ]);
    expect(out).toEqual([
      { ok: true, externalId: 'ABC' },
      { ok: true, externalId: 'abc' },
      { ok: true, externalId: 'xyz' },
    ]);
    expect((await run('SELECT code, name FROM vk_items ORDER BY id')).recordset).toEqual([
      { code: 'abc', name: 'second' },
      { code: 'xyz', name: 'other' },
    ]);
    // The cached statement declares the key as varchar(20): the index is sought, not scanned after a conversion.
    const plans = await run("SELECT t.text FROM sys.dm_exec_cached_plans AS p CROSS APPLY sys.dm_exec_sql_text(p.plan_handle) AS t WHERE t.text LIKE '%MERGE INTO \\[vk\\_items\\]%' ESCAPE '\\'");
    expect(plans.recordset.some((r: { text: string }) => r.text.startsWith('(@p1 varchar(20)'))).toBe(true);
  });

  it('Change Tracking: loads, then reads updates, inserts and deletes (isDeleted) by version', async () => {
    await run(`CREATE TABLE ct_customers (id INT NOT NULL PRIMARY KEY, name NVARCHAR(40) NULL);
      ALTER TABLE ct_customers ENABLE CHANGE_TRACKING;`);
    await run("INSERT INTO ct_customers (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')");
    const c = connector({ Customer: { table: 'dbo.ct_customers', key: ['id'], columns: ['name'], changeTracking: true } });
    expect(c.describe().entities['Customer']).toMatchObject({ detectDeletes: true });
    const load = await readAll(c, 'Customer', null, 2);
    expect(nos(load.records, 'id')).toEqual([1, 2, 3]);
    await run("UPDATE ct_customers SET name = 'TWO' WHERE id = 2; DELETE FROM ct_customers WHERE id = 3; INSERT INTO ct_customers (id, name) VALUES (4, 'four')");
    const changes = await readAll(c, 'Customer', load.cursor, 10);
    expect(changes.records).toEqual([
      { SYS_CHANGE_OPERATION: 'U', id: 2, name: 'TWO' },
      { SYS_CHANGE_OPERATION: 'D', id: 3, name: null },
      { SYS_CHANGE_OPERATION: 'I', id: 4, name: 'four' },
    ]);
    expect(changes.records.map((r) => c.isDeleted!('Customer', r))).toEqual([false, true, false]);
    expect(changes.records.map((r) => c.keyOf('Customer', r))).toEqual(['2', '3', '4']);
    expect(await c.read('Customer', changes.cursor, 10)).toEqual({ records: [], cursor: null });
    expect(await c.count!('Customer', changes.cursor)).toBe(0);
    // A table without change tracking is refused clearly.
    await run('CREATE TABLE untracked (id INT NOT NULL PRIMARY KEY, name NVARCHAR(40) NULL)');
    const off = connector({ Customer: { table: 'untracked', key: ['id'], columns: ['name'], changeTracking: true } });
    await expect(off.read('Customer', changes.cursor, 10)).rejects.toMatchObject({ kind: 'permanent', code: expect.stringMatching(/^connector_(change_tracking_disabled|mssql_\d+)$/) });
  });
});
