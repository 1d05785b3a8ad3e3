import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from 'mysql2/promise';
import { ConnectorError, type Connector, type ExternalRecord } from '../../connectors/contract.js';
import { createMysqlDriver } from '../../connectors/mysql/mysql-driver.js';
import { mysqlDialect } from '../../connectors/mysql/mysql-dialect.js';
import { createSqlConnector, type SqlTableConfig } from '../../connectors/sql/sql-connector.js';
import { createConnector } from '../../connectors/config.js';
import { createTestDatabase } from '../helpers.js';
import { mapped } from '../fixtures/mapped.js';
import { readPages } from '../fixtures/read-pages.js';

const customers: SqlTableConfig = {
  table: 'customers',
  key: ['customer_no'],
  watermark: 'modified_at',
  tieBreaker: 'id',
  columns: ['name', 'credit_limit'],
};

let db: { url: string; drop: () => Promise<void> };
let admin: Pool;
const open: Connector[] = [];

/** A connector over its own pool (mysql2 keeps DECIMAL as strings with decimalNumbers: false). */
function connector(overlapMs = 0, url = db.url): Connector {
  const pool = createPool({ uri: url, connectionLimit: 2, decimalNumbers: false, timezone: 'Z', connectTimeout: 3000 });
  const c = createSqlConnector({ name: 'erp-sql', driver: createMysqlDriver(pool), dialect: mysqlDialect, tables: { Customer: customers }, overlapMs });
  open.push(c);
  return c;
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));

async function insert(no: string, modifiedAt: Date, name = `name ${no}`) {
  await admin.query('INSERT INTO customers (customer_no, name, modified_at) VALUES (?, ?, ?)', [no, name, modifiedAt]);
}

/** Reads until a short page; returns every record delivered and the last cursor. */
const readAll = (c: Connector, cursor: string | null, limit: number) => readPages(c, 'Customer', cursor, limit, 100);

const nos = (rs: readonly ExternalRecord[]) => rs.map((r) => r['customer_no']);

beforeAll(async () => {
  db = await createTestDatabase();
  admin = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z', decimalNumbers: false });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await admin?.end();
  await db?.drop();
});

beforeEach(async () => {
  await admin.query('DROP TABLE IF EXISTS customers');
  await admin.query(`CREATE TABLE customers (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    customer_no VARCHAR(32) NOT NULL,
    name VARCHAR(20) NOT NULL,
    credit_limit DECIMAL(18,2) NULL,
    modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_customer_no (customer_no),
    KEY ix_changes (modified_at, id)
  )`);
});

describe('SQL connector on MySQL/MariaDB', () => {
  it('describes its entities with the natural key', () => {
    expect(connector().describe()).toEqual({
      connector: 'erp-sql',
      entities: { Customer: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['customer_no'], createRetry: 'key', upsertKey: 'customer_no' } },
    });
  });

  it('pages with a keyset: rows sharing a watermark are neither skipped nor repeated', async () => {
    // 5 timestamps x 5 rows; a page size of 4 cuts through every group of equal timestamps.
    for (let i = 0; i < 25; i++) await insert(`C${String(i).padStart(2, '0')}`, at(Math.floor(i / 5)));
    const c = connector();
    const { records, pages } = await readAll(c, null, 4);
    expect(pages).toBe(7);
    expect(nos(records)).toEqual(Array.from({ length: 25 }, (_, i) => `C${String(i).padStart(2, '0')}`));
    expect(records[0]).toEqual({ id: 1, customer_no: 'C00', name: 'name C00', credit_limit: null, modified_at: at(0) });
  });

  it('returns no records and a null cursor when nothing is newer, and continues from a kept cursor', async () => {
    await insert('A', at(1));
    const c = connector();
    const first = await c.read('Customer', null, 10);
    expect(nos(first.records)).toEqual(['A']);
    const empty = await c.read('Customer', first.cursor, 10);
    expect(empty).toEqual({ records: [], cursor: null });
    await insert('B', at(2));
    expect(nos((await c.read('Customer', first.cursor, 10)).records)).toEqual(['B']);
  });

  it('cursorSince starts a read at a point in time: rows stamped at or after it, in order, none before', async () => {
    await insert('OLD', at(1));
    await insert('EDGE-1', new Date(at(2).getTime() - 1));
    await insert('EDGE-2', at(2));
    await insert('EDGE-3', at(2));
    await insert('NEW', at(3));
    const c = connector();
    const since = c.cursorSince!('Customer', at(2).toISOString());
    expect(nos((await readAll(c, since, 2)).records)).toEqual(['EDGE-2', 'EDGE-3', 'NEW']);
    expect(() => c.cursorSince!('Customer', 'yesterday')).toThrow(/since is not a date-time/);
    expect(() => c.cursorSince!('Nope', at(2).toISOString())).toThrow(/no entity/);
  });

  it('picks up a row committed late with an older watermark thanks to the overlap window', async () => {
    for (let i = 0; i < 4; i++) await insert(`R${i}`, at(100 + i));
    const plain = connector(0);
    const overlapping = connector(60_000);
    const caughtUp = await readAll(overlapping, null, 10);
    const plainCursor = (await readAll(plain, null, 10)).cursor;
    expect(nos(caughtUp.records)).toEqual(['R0', 'R1', 'R2', 'R3']);

    await insert('LATE', at(100 + 3 - 10)); // stamped 10 s before the high-water, committed after it was read
    await insert('TOO_LATE', at(100 + 3 - 120)); // older than the 60 s window: documented as not seen
    await insert('NEW', at(200));

    // Without the overlap the late row is lost.
    expect(nos((await readAll(plain, plainCursor, 10)).records)).toEqual(['NEW']);
    // With it, the window [W - 60 s, W] is re-read (duplicates are fine) and the late row arrives;
    // a page size of 2 walks a window larger than one page without looping.
    const again = await readAll(overlapping, caughtUp.cursor, 2);
    // The last page found nothing after NEW, so it re-read the window below NEW at once.
    expect(nos(again.records)).toEqual(['LATE', 'R0', 'R1', 'R2', 'R3', 'NEW', 'NEW']);
    // The next polling round re-reads the window below the new high-water (200 s - 60 s): only NEW.
    expect(nos((await readAll(overlapping, again.cursor, 2)).records)).toEqual(['NEW']);
  });

  it('upserts by customer_no: creates, then updates, and the same batch twice leaves no duplicates', async () => {
    const c = connector();
    const batch = [
      { hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha', credit_limit: '1000.10' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'K2', name: 'Beta', credit_limit: '12345678901234.56' }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'K3', name: 'Gamma', credit_limit: null }) },
    ];
    const ok = batch.map((b) => ({ ok: true, externalId: b.payload.customer_no }));
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', [{ hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha 2' }) }])).toEqual([{ ok: true, externalId: 'K1' }]);
    const [rows] = await admin.query('SELECT customer_no, name, credit_limit FROM customers ORDER BY customer_no');
    expect(rows).toEqual([
      // A partial payload leaves the other columns alone; decimals come back as exact strings.
      { customer_no: 'K1', name: 'Alpha 2', credit_limit: '1000.10' },
      { customer_no: 'K2', name: 'Beta', credit_limit: '12345678901234.56' },
      { customer_no: 'K3', name: 'Gamma', credit_limit: null },
    ]);
    const read = await c.read('Customer', null, 10);
    const limits = Object.fromEntries(read.records.map((r) => [r['customer_no'], r['credit_limit']]));
    expect(limits).toEqual({ K1: '1000.10', K2: '12345678901234.56', K3: null });
  });

  it('lands the good rows of a batch and reports only the bad ones as permanent', async () => {
    const c = connector();
    const outcomes = await c.upsert('Customer', [
      { hubId: 'h1', payload: mapped({ customer_no: 'G1', name: 'Good one' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'B1', name: null }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'B2', name: 'x'.repeat(21) }) },
      { hubId: 'h4', payload: mapped({ customer_no: 'G2', name: 'Good two', credit_limit: '7.00' }) },
      { hubId: 'h5', payload: mapped({ customer_no: 'B3', name: 'Unknown', colour: 'red' }) },
    ]);
    expect(outcomes).toEqual([
      { ok: true, externalId: 'G1' },
      { ok: false, kind: 'permanent', code: 'mysql_1048', message: 'MySQL error 1048: column cannot be null (name)' },
      { ok: false, kind: 'permanent', code: 'mysql_1406', message: 'MySQL error 1406: data too long for column (name)' },
      { ok: true, externalId: 'G2' },
      { ok: false, kind: 'permanent', code: 'invalid_record', message: 'Customer: unknown column(s) colour' },
    ]);
    const [rows] = await admin.query('SELECT customer_no FROM customers ORDER BY customer_no');
    expect(rows).toEqual([{ customer_no: 'G1' }, { customer_no: 'G2' }]);
  });

  it('lets the later of two requests for the same key win within one batch', async () => {
    const c = connector();
    const outcomes = await c.upsert('Customer', [
      { hubId: 'h1', payload: mapped({ customer_no: 'D1', name: 'first' }) },
      { hubId: 'h1', payload: mapped({ customer_no: 'D1', name: 'second' }) },
    ]);
    expect(outcomes).toEqual([{ ok: true, externalId: 'D1' }, { ok: true, externalId: 'D1' }]);
    const [rows] = await admin.query('SELECT name FROM customers');
    expect(rows).toEqual([{ name: 'second' }]);
  });

  it('deletes by external id, and soft-deletes when a deleted flag is configured', async () => {
    await admin.query('ALTER TABLE customers ADD COLUMN is_deleted BOOLEAN NOT NULL DEFAULT FALSE');
    for (const no of ['X1', 'X2', 'X3']) await insert(no, at(1));
    const hard = connector();
    expect(await hard.delete!('Customer', ['X1', 'NOPE'])).toEqual([{ ok: true, externalId: 'X1' }, { ok: true, externalId: 'NOPE' }]);
    const pool = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z' });
    const soft = createSqlConnector({ name: 'erp-sql', driver: createMysqlDriver(pool), dialect: mysqlDialect, tables: { Customer: { ...customers, deletedFlag: 'is_deleted' } } });
    open.push(soft);
    expect(soft.describe().entities['Customer']?.detectDeletes).toBe(true);
    expect(await soft.delete!('Customer', ['X2'])).toEqual([{ ok: true, externalId: 'X2' }]);
    const [rows] = await admin.query('SELECT customer_no, is_deleted FROM customers ORDER BY customer_no');
    expect(rows).toEqual([{ customer_no: 'X2', is_deleted: 1 }, { customer_no: 'X3', is_deleted: 0 }]);
    // The soft delete bumps modified_at, so it reads as a change carrying the flag.
    const read = await soft.read('Customer', null, 10);
    expect(read.records.map((r) => [r['customer_no'], r['is_deleted']])).toEqual([['X3', 0], ['X2', 1]]);
  });

  it('upserts and deletes with a two-column key, joining the key values in the external id', async () => {
    await admin.query(`CREATE TABLE IF NOT EXISTS prices (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(20) NOT NULL, currency CHAR(3) NOT NULL, amount DECIMAL(18,4) NOT NULL,
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE KEY uq (sku, currency))`);
    await admin.query('DELETE FROM prices');
    const pool = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z', decimalNumbers: false });
    const c = createSqlConnector({
      name: 'erp-sql',
      driver: createMysqlDriver(pool),
      dialect: mysqlDialect,
      tables: { Price: { table: 'prices', key: ['sku', 'currency'], watermark: 'modified_at', tieBreaker: 'id', columns: ['amount'] } },
    });
    open.push(c);
    const rows = [
      { hubId: 'a', payload: mapped({ sku: 'A', currency: 'EUR', amount: '1.1000' }) },
      { hubId: 'b', payload: mapped({ sku: 'A', currency: 'USD', amount: '2.2000' }) },
      { hubId: 'c', payload: mapped({ sku: 'B', currency: 'EUR', amount: '3.3000' }) },
    ];
    expect(await c.upsert('Price', rows)).toEqual([
      { ok: true, externalId: 'A|EUR' },
      { ok: true, externalId: 'A|USD' },
      { ok: true, externalId: 'B|EUR' },
    ]);
    expect(await c.delete!('Price', ['A|USD', 'bad'])).toEqual([
      { ok: true, externalId: 'A|USD' },
      { ok: false, kind: 'permanent', code: 'invalid_id', message: 'Price: external id needs 2 parts' },
    ]);
    const [left] = await admin.query('SELECT sku, currency, amount FROM prices ORDER BY sku, currency');
    expect(left).toEqual([
      { sku: 'A', currency: 'EUR', amount: '1.1000' },
      { sku: 'B', currency: 'EUR', amount: '3.3000' },
    ]);
  });

  it('keyOf names a read row as upsert named it, and count() tells how many rows a read from a cursor still returns', async () => {
    const c = connector(60_000);
    const outcomes = await c.upsert('Customer', ['K1', 'K2', 'K3'].map((no) => ({ hubId: no, payload: mapped({ customer_no: no, name: `n ${no}` }) })));
    const read = await c.read('Customer', null, 2);
    expect(read.records.map((r) => c.keyOf('Customer', r))).toEqual(outcomes.slice(0, 2).map((o) => o.ok && o.externalId));
    expect(await c.count!('Customer', null)).toBe(3);
    // After two rows, one is left; the 60 s overlap window is not counted.
    expect(await c.count!('Customer', read.cursor)).toBe(1);
    const rest = await c.read('Customer', read.cursor, 2);
    expect(rest.records).toHaveLength(1);
    expect(await c.count!('Customer', rest.cursor)).toBe(0);
  });

  it('a connector built from hub.config.yaml data reads and writes the database its environment variable names', async () => {
    const c = createConnector(
      'erp_sql',
      { type: 'mysql', urlEnv: 'ERP_DB_URL', pool: { connections: 1 }, tables: { Customer: { ...customers, key: [...customers.key], columns: [...customers.columns] } } },
      { ERP_DB_URL: db.url },
    );
    open.push(c);
    await c.check();
    expect(await c.upsert('Customer', [{ hubId: 'h', payload: mapped({ customer_no: 'Y1', name: 'Yankee', credit_limit: '10.50' }) }])).toEqual([{ ok: true, externalId: 'Y1' }]);
    const page = await c.read('Customer', null, 10);
    // DECIMAL stays an exact string and DATETIME a Date in UTC, as with the hand-built pool.
    expect(page.records).toEqual([{ id: 1, customer_no: 'Y1', name: 'Yankee', credit_limit: '10.50', modified_at: expect.any(Date) }]);
    expect(await c.count!('Customer', null)).toBe(1);
  });

  it('check() passes when reachable and fails with a ConnectorError that names no password or host', async () => {
    await expect(connector().check()).resolves.toBeUndefined();
    const wrong = connector(0, 'mysql://root:S3cretPassw0rd@127.0.0.1:1/nowhere');
    const err = await wrong.check().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    const ce = err as ConnectorError;
    expect(ce.kind).toBe('retryable');
    expect(ce.code).toBe('connector_mysql_econnrefused');
    expect(ce.message).toBe('erp-sql: cannot connect: MySQL connection failed: ECONNREFUSED');
    expect(JSON.stringify({ m: ce.message, ...ce })).not.toMatch(/S3cretPassw0rd|127\.0\.0\.1/);
  });

  it('refuses unknown entities, bad cursors and unsafe identifiers in the configuration', async () => {
    const c = connector();
    await expect(c.read('Nope', null, 10)).rejects.toMatchObject({ code: 'connector_unknown_entity' });
    await expect(c.read('Customer', 'garbage', 10)).rejects.toMatchObject({ code: 'connector_invalid_cursor' });
    expect(() =>
      createSqlConnector({ name: 'x', driver: createMysqlDriver(admin as never), dialect: mysqlDialect, tables: { C: { ...customers, table: 'customers; DROP TABLE customers' } } }),
    ).toThrow(/Invalid SQL identifier/);
  });
});
