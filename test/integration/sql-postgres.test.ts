import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { createConnector } from '../../connectors/config.js';
import type { Connector, ExternalRecord } from '../../connectors/contract.js';
import { createPgTestDatabase } from '../helpers.js';
import { mapped } from '../fixtures/mapped.js';
import { readPages } from '../fixtures/read-pages.js';

/**
 * The postgres connector against the real PostgreSQL 15 server (127.0.0.1:5432), built as the hub
 * builds it (createConnector from configuration data and an environment). Tables live in a schema
 * (`sales.customers`); the watermark is a `timestamptz` kept by a trigger with clock_timestamp(),
 * microsecond precision (docs 8.5: "1 microsecond resolution").
 */

let db: Awaited<ReturnType<typeof createPgTestDatabase>>;
let admin: pg.Pool;
const open: Connector[] = [];

const customers = { table: 'sales.customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'credit_limit'] };

function connector(extra: Record<string, unknown> = {}, tables: Record<string, unknown> = { Customer: customers }): Connector {
  const c = createConnector('erp_pg', { type: 'postgres', urlEnv: 'ERP_PG_URL', pool: { connections: 2 }, tables, ...extra } as never, { ERP_PG_URL: db.url });
  open.push(c);
  return c;
}

/** 2026-01-01T10:00:00Z plus `s` seconds and `us` microseconds, as timestamptz text. */
const at = (s: number, us = 0) => `2026-01-01T10:00:${String(s).padStart(2, '0')}.${String(us).padStart(6, '0')}Z`;

async function insert(no: string, modifiedAt: string, name = `name ${no}`) {
  await admin.query('INSERT INTO sales.customers (customer_no, name, modified_at) VALUES ($1, $2, $3)', [no, name, modifiedAt]);
}

const readAll = (c: Connector, cursor: string | null, limit: number, entity = 'Customer') => readPages(c, entity, cursor, limit);
const nos = (rs: readonly ExternalRecord[]) => rs.map((r) => r['customer_no']);

beforeAll(async () => {
  db = await createPgTestDatabase();
  admin = new pg.Pool({ connectionString: db.url, max: 2 });
  // pool.end() resolves before its connections are gone; the drop's FORCE may still reach one.
  admin.on('error', () => undefined);
  await admin.query(`CREATE SCHEMA sales;
    CREATE FUNCTION sales.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.modified_at := clock_timestamp(); RETURN NEW; END $$;`);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await admin?.end();
  await db?.drop();
});

beforeEach(async () => {
  await admin.query(`DROP TABLE IF EXISTS sales.customers;
    CREATE TABLE sales.customers (
      id bigserial PRIMARY KEY,
      customer_no varchar(32) NOT NULL UNIQUE,
      name varchar(20) NOT NULL,
      credit_limit numeric(24,2),
      email text UNIQUE,
      modified_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT credit_positive CHECK (credit_limit >= 0));
    CREATE INDEX ix_changes ON sales.customers (modified_at, id);
    CREATE TRIGGER touch BEFORE UPDATE ON sales.customers FOR EACH ROW EXECUTE FUNCTION sales.touch();`);
});

describe('postgres connector: keyset reads', () => {
  it('pages 25 rows on 5 timestamps without skipping or repeating; bigint ids, numeric and timestamptz arrive as exact text', async () => {
    await admin.query("INSERT INTO sales.customers (customer_no, name, credit_limit, modified_at) VALUES ('C00', 'name C00', '1234567890123456789012.34', $1)", [at(0, 250)]);
    for (let i = 1; i < 25; i++) await insert(`C${String(i).padStart(2, '0')}`, at(Math.floor(i / 5), 250));
    const { records, pages } = await readAll(connector(), null, 4);
    expect(pages).toBe(7);
    expect(nos(records)).toEqual(Array.from({ length: 25 }, (_, i) => `C${String(i).padStart(2, '0')}`));
    // bigserial as a string (int8), numeric(24,2) digit for digit, timestamptz in UTC with its microseconds.
    expect(records[0]).toEqual({ id: '1', customer_no: 'C00', name: 'name C00', credit_limit: '1234567890123456789012.34', modified_at: '2026-01-01T10:00:00.000250Z' });
  });

  it('advances through many rows whose timestamps differ only in microseconds (a millisecond cursor would loop)', async () => {
    // 30 rows inside one millisecond, 3 on each microsecond, read 4 at a time.
    for (let i = 0; i < 30; i++) await insert(`U${String(i).padStart(2, '0')}`, at(7, 123_001 + Math.floor(i / 3)));
    const c = connector();
    const { records, pages } = await readAll(c, null, 4);
    expect(pages).toBe(8);
    expect(nos(records)).toEqual(Array.from({ length: 30 }, (_, i) => `U${String(i).padStart(2, '0')}`));
    expect(records.at(-1)!['modified_at']).toBe('2026-01-01T10:00:07.123010Z');
    // One more row 1 µs later is all the next read returns.
    const cursor = (await c.read('Customer', null, 30)).cursor;
    await insert('LATER', at(7, 123_011));
    expect(nos((await c.read('Customer', cursor, 10)).records)).toEqual(['LATER']);
  });

  it('cursorSince reads every row stamped at or after the instant, to the microsecond, and none before', async () => {
    await insert('OLD', at(1));
    await insert('EDGE-1', at(2, 999_999).replace('10:00:02', '10:00:01'));
    await insert('EDGE-2', at(2));
    await insert('EDGE-3', at(2, 1));
    await insert('NEW', at(3));
    const c = connector();
    const since = c.cursorSince!('Customer', '2026-01-01T11:00:02+01:00');
    expect(nos((await readAll(c, since, 2)).records)).toEqual(['EDGE-2', 'EDGE-3', 'NEW']);
    expect(await c.count!('Customer', since)).toBe(3);
    expect(() => c.cursorSince!('Customer', 'yesterday')).toThrow(/since is not a date-time/);
  });

  it('re-reads the overlap window and picks up a row committed late with an older timestamp', async () => {
    for (let i = 0; i < 4; i++) await insert(`R${i}`, at(30 + i));
    const plain = connector();
    const overlapping = connector({ overlapMs: 20_000 });
    const caughtUp = await readAll(overlapping, null, 10);
    const plainCursor = (await readAll(plain, null, 10)).cursor;
    await insert('LATE', at(25, 500)); // 8 s before the high-water, committed after it was read
    await insert('TOO_LATE', at(1)); // older than the 20 s window: documented as not seen
    await insert('NEW', at(59)); // its own window (from 39 s) holds nothing else
    expect(nos((await readAll(plain, plainCursor, 10)).records)).toEqual(['NEW']);
    const again = await readAll(overlapping, caughtUp.cursor, 2);
    expect(nos(again.records)).toEqual(['LATE', 'R0', 'R1', 'R2', 'R3', 'NEW', 'NEW']);
    expect(nos((await readAll(overlapping, again.cursor, 2)).records)).toEqual(['NEW']);
  });
});

describe('postgres connector: timestamp without time zone, quoted names', () => {
  beforeEach(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "Vertrieb" CASCADE; CREATE SCHEMA "Vertrieb";
      CREATE TABLE "Vertrieb"."Kunden Stamm" ("ID" serial PRIMARY KEY, "Kunden-Nr" text NOT NULL UNIQUE, "Straße" text, "geändert am" timestamp NOT NULL DEFAULT localtimestamp, "Termin" timestamp)`);
  });
  const kunden = { table: 'Vertrieb.Kunden Stamm', key: ['Kunden-Nr'], watermark: 'geändert am', tieBreaker: 'ID', columns: ['Straße', 'Termin'] };
  const put = (no: string, wall: string) => admin.query('INSERT INTO "Vertrieb"."Kunden Stamm" ("Kunden-Nr", "Straße", "geändert am") VALUES ($1, $2, $3)', [no, `Weg ${no}`, wall]);

  it('reads wall-clock times as instants in timeZone, and cursorSince / the overlap work on the wall clock', async () => {
    await put('K1', '2026-01-15 09:59:59.999999');
    await put('K2', '2026-01-15 10:00:00');
    await put('K3', '2026-01-15 10:00:00.000001');
    const c = connector({ timeZone: 'Europe/Berlin', overlapMs: 60_000 }, { Kunde: kunden });
    await c.check();
    const all = await readAll(c, null, 10, 'Kunde');
    expect(all.records[1]).toEqual({ ID: 2, 'Kunden-Nr': 'K2', 'Straße': 'Weg K2', Termin: null, 'geändert am': '2026-01-15T10:00:00.000000+01:00' });
    // 09:00Z is 10:00 in Berlin.
    const since = c.cursorSince!('Kunde', '2026-01-15T09:00:00Z');
    expect((await readAll(c, since, 10, 'Kunde')).records.map((r) => r['Kunden-Nr'])).toEqual(['K2', 'K3']);
    await put('LATE', '2026-01-15 09:59:30');
    // The window is one minute of wall clock below the high-water (10:00:00.000001).
    expect((await readAll(c, all.cursor, 10, 'Kunde')).records.map((r) => r['Kunden-Nr'])).toEqual(['LATE', 'K1', 'K2', 'K3']);
  });

  it('writes an instant into a timestamp column as its wall-clock time in timeZone, to the microsecond', async () => {
    await put('K1', '2026-01-15 08:00:00');
    const c = connector({ timeZone: 'Europe/Berlin' }, { Kunde: kunden });
    expect(await c.upsert('Kunde', [{ hubId: 'h', payload: mapped({ 'Kunden-Nr': 'K1', 'Straße': 'Neuer Weg 1', Termin: '2026-07-01T08:30:00.123456Z' }) }])).toEqual([{ ok: true, externalId: 'K1' }]);
    const { rows } = await admin.query('SELECT "Straße", "Termin"::text AS t FROM "Vertrieb"."Kunden Stamm"');
    expect(rows).toEqual([{ 'Straße': 'Neuer Weg 1', t: '2026-07-01 10:30:00.123456' }]);
  });
});

describe('postgres connector: upserts', () => {
  it('creates, then updates by key; the same batch twice makes no duplicates; a partial payload leaves other columns; decimals exact', async () => {
    const c = connector();
    const batch = [
      { hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha', credit_limit: '1000.10' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'K2', name: 'Beta', credit_limit: '1234567890123456789012.34' }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'K3', name: 'Gamma', credit_limit: null }) },
    ];
    const ok = batch.map((b) => ({ ok: true, externalId: b.payload['customer_no'] }));
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', batch)).toEqual(ok);
    expect(await c.upsert('Customer', [{ hubId: 'h1', payload: mapped({ customer_no: 'K1', name: 'Alpha 2' }) }])).toEqual([ok[0]]);
    const { rows } = await admin.query('SELECT customer_no, name, credit_limit::text AS credit_limit FROM sales.customers ORDER BY customer_no');
    expect(rows).toEqual([
      { customer_no: 'K1', name: 'Alpha 2', credit_limit: '1000.10' },
      { customer_no: 'K2', name: 'Beta', credit_limit: '1234567890123456789012.34' },
      { customer_no: 'K3', name: 'Gamma', credit_limit: null },
    ]);
  });

  it("lands the good rows and refuses each bad one alone, with the server's message but never a value", async () => {
    await insert('TAKEN', at(1));
    await admin.query("UPDATE sales.customers SET email = 'ann@example.com'");
    const c = connector({}, { Customer: { ...customers, columns: ['name', 'credit_limit', 'email'] } });
    const outcomes = await c.upsert('Customer', [
      { hubId: 'h1', payload: mapped({ customer_no: 'G1', name: 'Good one' }) },
      { hubId: 'h2', payload: mapped({ customer_no: 'B1', name: null }) },
      { hubId: 'h3', payload: mapped({ customer_no: 'B2', name: 'x'.repeat(21) }) },
      { hubId: 'h4', payload: mapped({ customer_no: 'B3', name: 'Dup mail', email: 'ann@example.com' }) },
      { hubId: 'h5', payload: mapped({ customer_no: 'B4', name: 'Negative', credit_limit: '-5.00' }) },
      { hubId: 'h6', payload: mapped({ customer_no: 'B5', name: 'Not a number', credit_limit: 'lots-of-money' }) },
      { hubId: 'h7', payload: mapped({ customer_no: 'G2', name: 'Good two', credit_limit: '7.00' }) },
      { hubId: 'h8', payload: mapped({ customer_no: 'B6', name: 'Unknown', colour: 'red' }) },
    ]);
    expect(outcomes).toEqual([
      { ok: true, externalId: 'G1' },
      { ok: false, kind: 'permanent', code: 'postgres_23502', message: 'PostgreSQL error 23502 (not_null_violation): null value in column "name" of relation "customers" violates not-null constraint' },
      { ok: false, kind: 'permanent', code: 'postgres_22001', message: 'PostgreSQL error 22001 (string_data_right_truncation): value too long for type character varying(20)' },
      { ok: false, kind: 'permanent', code: 'postgres_23505', message: 'PostgreSQL error 23505 (unique_violation): duplicate key value violates unique constraint "customers_email_key"' },
      { ok: false, kind: 'permanent', code: 'postgres_23514', message: 'PostgreSQL error 23514 (check_violation): new row for relation "customers" violates check constraint "credit_positive"' },
      { ok: false, kind: 'permanent', code: 'postgres_22P02', message: 'PostgreSQL error 22P02 (invalid_text_representation): invalid text representation' },
      { ok: true, externalId: 'G2' },
      { ok: false, kind: 'permanent', code: 'invalid_record', message: 'Customer: unknown column(s) colour' },
    ]);
    expect(JSON.stringify(outcomes)).not.toMatch(/ann@example|lots-of-money|-5\.00|xxxxx/);
    const { rows } = await admin.query('SELECT customer_no FROM sales.customers ORDER BY customer_no');
    expect(rows.map((r) => r.customer_no)).toEqual(['G1', 'G2', 'TAKEN']);
  });

  it('two requests for one key in a batch: the later wins (ON CONFLICT cannot touch a row twice in one statement)', async () => {
    const c = connector();
    expect(
      await c.upsert('Customer', [
        { hubId: 'h1', payload: mapped({ customer_no: 'D1', name: 'first' }) },
        { hubId: 'h2', payload: mapped({ customer_no: 'D2', name: 'other' }) },
        { hubId: 'h1', payload: mapped({ customer_no: 'D1', name: 'second' }) },
      ]),
    ).toEqual([{ ok: true, externalId: 'D1' }, { ok: true, externalId: 'D2' }, { ok: true, externalId: 'D1' }]);
    expect((await admin.query("SELECT name FROM sales.customers WHERE customer_no = 'D1'")).rows).toEqual([{ name: 'second' }]);
  });

  it('keys the database holds equal but the hub spells apart (char(n) pads) hit 21000; row by row, the later still wins', async () => {
    await admin.query('CREATE TABLE sales.codes (id serial PRIMARY KEY, code char(4) NOT NULL UNIQUE, label text, modified_at timestamptz NOT NULL DEFAULT clock_timestamp())');
    const c = connector({}, { Code: { table: 'sales.codes', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['label'] } });
    const out = await c.upsert('Code', [
      { hubId: 'a', payload: mapped({ code: 'AB', label: 'first' }) },
      { hubId: 'b', payload: mapped({ code: 'AB  ', label: 'second' }) },
    ]);
    expect(out).toEqual([{ ok: true, externalId: 'AB' }, { ok: true, externalId: 'AB  ' }]);
    expect((await admin.query('SELECT code, label FROM sales.codes')).rows).toEqual([{ code: 'AB  ', label: 'second' }]);
  });

  it('a table without a unique index on the key: each record refused naming the table and key; check() says so first', async () => {
    await admin.query('CREATE TABLE sales.loose (id serial PRIMARY KEY, code text NOT NULL, label text, modified_at timestamptz NOT NULL DEFAULT now())');
    const c = connector({}, { Loose: { table: 'sales.loose', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['label'] } });
    const [o] = await c.upsert('Loose', [{ hubId: 'a', payload: mapped({ code: 'A', label: 'x' }) }]);
    expect(o).toMatchObject({ ok: false, kind: 'permanent', code: 'postgres_42P10' });
    expect((o as { message: string }).message).toBe(
      'PostgreSQL error 42P10 (invalid_column_reference): there is no unique or exclusion constraint matching the ON CONFLICT specification: ' +
        'no unique index or constraint of sales.loose is on exactly the key (code): upserts (INSERT … ON CONFLICT) need one, e.g. ALTER TABLE … ADD UNIQUE (code)',
    );
    await expect(c.check()).rejects.toMatchObject({ kind: 'permanent', code: 'connector_postgres_no_unique_key', message: expect.stringContaining('sales.loose is on exactly the key (code)') });
  });

  it('splits a batch past 65,535 parameters: 1,700 rows of 80 columns land', async () => {
    const cols = Array.from({ length: 79 }, (_, i) => `c${i}`);
    await admin.query(`CREATE TABLE sales.wide (id serial PRIMARY KEY, k text NOT NULL UNIQUE, ${cols.map((c) => `${c} int`).join(', ')}, modified_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    const c = connector({}, { Wide: { table: 'sales.wide', key: ['k'], watermark: 'modified_at', tieBreaker: 'id', columns: cols } });
    const records = Array.from({ length: 1700 }, (_, i) => ({ hubId: `h${i}`, payload: mapped({ k: `W${i}`, ...Object.fromEntries(cols.map((col, j) => [col, i + j])) }) }));
    const outcomes = await c.upsert('Wide', records);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect((await admin.query('SELECT count(*)::int AS n, sum(c78)::int AS s FROM sales.wide')).rows[0]).toEqual({ n: 1700, s: (1700 * 1699) / 2 + 78 * 1700 });
  });
});

describe('postgres connector: deletes and count', () => {
  it('deletes by key (hard), soft-deletes with a flag the next read carries, and with a two-column key', async () => {
    await admin.query('ALTER TABLE sales.customers ADD COLUMN is_deleted boolean NOT NULL DEFAULT false');
    for (const no of ['X1', 'X2', 'X3']) await insert(no, at(1));
    const hard = connector();
    expect(await hard.delete!('Customer', ['X1', 'NOPE'])).toEqual([{ ok: true, externalId: 'X1' }, { ok: true, externalId: 'NOPE' }]);
    const soft = connector({}, { Customer: { ...customers, deletedFlag: 'is_deleted' } });
    expect(soft.describe().entities['Customer']?.detectDeletes).toBe(true);
    expect(await soft.delete!('Customer', ['X2'])).toEqual([{ ok: true, externalId: 'X2' }]);
    const read = await soft.read('Customer', null, 10);
    // The trigger moved X2's watermark: it reads last, carrying the flag.
    expect(read.records.map((r) => [r['customer_no'], r['is_deleted'], soft.isDeleted!('Customer', r)])).toEqual([['X3', false, false], ['X2', true, true]]);

    await admin.query('CREATE TABLE sales.prices (id serial PRIMARY KEY, sku text NOT NULL, currency char(3) NOT NULL, amount numeric(18,4) NOT NULL, modified_at timestamptz NOT NULL DEFAULT clock_timestamp(), UNIQUE (currency, sku))');
    const prices = connector({}, { Price: { table: 'sales.prices', key: ['sku', 'currency'], watermark: 'modified_at', tieBreaker: 'id', columns: ['amount'] } });
    await prices.check();
    const rows = [['A', 'EUR', '1.1000'], ['A', 'USD', '2.2000'], ['B', 'EUR', '3.3000']].map(([sku, currency, amount]) => ({ hubId: `${sku}${currency}`, payload: mapped({ sku, currency, amount }) }));
    expect((await prices.upsert('Price', rows)).map((o) => o.ok && o.externalId)).toEqual(['A|EUR', 'A|USD', 'B|EUR']);
    expect(await prices.delete!('Price', ['A|USD', 'bad'])).toEqual([{ ok: true, externalId: 'A|USD' }, { ok: false, kind: 'permanent', code: 'invalid_id', message: 'Price: external id needs 2 parts' }]);
    expect((await admin.query('SELECT sku, currency, amount::text AS amount FROM sales.prices ORDER BY sku, currency')).rows).toEqual([
      { sku: 'A', currency: 'EUR', amount: '1.1000' },
      { sku: 'B', currency: 'EUR', amount: '3.3000' },
    ]);
  });

  it('count() tells how many rows a read from a cursor still returns; keyOf names a read row as upsert did', async () => {
    const c = connector({ overlapMs: 60_000 });
    const outcomes = await c.upsert('Customer', ['K1', 'K2', 'K3'].map((no) => ({ hubId: no, payload: mapped({ customer_no: no, name: `n ${no}` }) })));
    const read = await c.read('Customer', null, 2);
    expect(read.records.map((r) => c.keyOf('Customer', r))).toEqual(outcomes.slice(0, 2).map((o) => o.ok && o.externalId));
    expect(await c.count!('Customer', null)).toBe(3);
    expect(await c.count!('Customer', read.cursor)).toBe(1);
    const rest = await c.read('Customer', read.cursor, 2);
    expect(await c.count!('Customer', rest.cursor)).toBe(0);
  });
});

describe('docs/connectors/postgres.md', () => {
  it("the page's tables and configuration work as written", async () => {
    const page = readFileSync(new URL('../../docs/connectors/postgres.md', import.meta.url), 'utf8');
    const block = (lang: string) => new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(page)![1]!;
    const own = await createPgTestDatabase();
    const pool = new pg.Pool({ connectionString: own.url, max: 1 });
    pool.on('error', () => undefined);
    let c: Connector | undefined;
    try {
      await pool.query(block('sql'));
      const { connectors } = parseYaml(block('yaml')) as { connectors: Record<string, unknown> };
      c = createConnector('erp_pg', connectors['erp_pg'] as never, { ERP_PG_URL: own.url });
      await c.check();
      const rows = [mapped({ customer_no: 'K1', name: 'Alpha GmbH', credit_limit: '1000.50' }), mapped({ customer_no: 'K2', name: 'Beta AG' })];
      expect(await c.upsert('customers', rows.map((payload, i) => ({ hubId: `h${i}`, payload })))).toEqual([{ ok: true, externalId: 'K1' }, { ok: true, externalId: 'K2' }]);
      const first = await c.read('customers', null, 10);
      expect(first.records.map((r) => [r['customer_no'], r['credit_limit'], r['is_deleted']])).toEqual([['K1', '1000.50', false], ['K2', null, false]]);
      expect(await c.delete!('customers', ['K1'])).toEqual([{ ok: true, externalId: 'K1' }]);
      // The trigger moved K1's watermark: it reads again, flagged (the 5 s overlap re-reads K2 too).
      const next = await c.read('customers', first.cursor, 10);
      expect(next.records.filter((r) => c!.isDeleted!('customers', r)).map((r) => r['customer_no'])).toEqual(['K1']);
    } finally {
      await c?.close();
      await pool.end();
      await own.drop();
    }
  });
});
