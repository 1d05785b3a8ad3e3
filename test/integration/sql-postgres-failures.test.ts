import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createConnector } from '../../connectors/config.js';
import { ConnectorError, type Connector, type RecordOutcome } from '../../connectors/contract.js';
import { createPgTestDatabase, PG_SERVER_URL } from '../helpers.js';
import { mapped } from '../fixtures/mapped.js';

/**
 * Failures provoked on the real PostgreSQL 15 server and how the connector classifies them
 * (SQLSTATEs of Appendix A): a real deadlock between two sessions (40P01), a serialization failure
 * under SERIALIZABLE (40001), lock_timeout (55P03), statement_timeout (57014), a backend terminated
 * by pg_terminate_backend (57P01) and a role's connection limit (53300) are retryable; missing
 * database (3D000), unknown role (28000), missing table / column / privilege (42P01 / 42703 / 42501)
 * and a foreign key violation (23503) are permanent, and none of the messages names a value, the
 * password or the host.
 */

let db: Awaited<ReturnType<typeof createPgTestDatabase>>;
let admin: pg.Pool;
const open: Connector[] = [];
const role = `hub_test_role_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const PASSWORD = 'S3cretPassw0rd';
const customers = { table: 'sales.customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] };

function connector(extra: Record<string, unknown> = {}, url = db.url, tables: Record<string, unknown> = { Customer: customers }): Connector {
  const c = createConnector('erp_pg', { type: 'postgres', urlEnv: 'ERP_PG_URL', pool: { connections: 2 }, connectTimeoutMs: 3000, tables, ...extra } as never, { ERP_PG_URL: url });
  open.push(c);
  return c;
}
const asRole = (name: string) => db.url.replace('postgres://postgres@', `postgres://${name}:${PASSWORD}@`);

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConnectorError);
  return e as ConnectorError;
}

async function server(sql: string) {
  const c = new pg.Client({ connectionString: `${PG_SERVER_URL}/postgres` });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Holds a row lock in its own session until `release()`. */
async function lockRow(no: string) {
  const s = await admin.connect();
  await s.query('BEGIN');
  await s.query("UPDATE sales.customers SET name = 'locked' WHERE customer_no = $1", [no]);
  return {
    session: s,
    release: async (how: 'COMMIT' | 'ROLLBACK' = 'ROLLBACK') => {
      await s.query(how).catch(() => undefined);
      s.release();
    },
  };
}

/** Waits until a backend of this database waits on a lock; answers its pid. */
async function waitingBackend(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'erp-crm-hub'");
    if (rows[0]) return rows[0].pid as number;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no session started waiting for the lock');
}

const upsertOne = (c: Connector, no: string, name = `n ${no}`): Promise<RecordOutcome[]> => c.upsert('Customer', [{ hubId: no, payload: mapped({ customer_no: no, name }) }]);

beforeAll(async () => {
  db = await createPgTestDatabase();
  admin = new pg.Pool({ connectionString: db.url, max: 4 });
  admin.on('error', () => undefined);
  await server(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' CONNECTION LIMIT 1`);
  await admin.query(`CREATE SCHEMA sales; GRANT USAGE ON SCHEMA sales TO ${role}`);
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await admin?.end();
  await db?.drop();
  await server(`DROP ROLE IF EXISTS ${role}`);
});

beforeEach(async () => {
  await admin.query(`DROP TABLE IF EXISTS sales.orders, sales.customers;
    CREATE TABLE sales.customers (id serial PRIMARY KEY, customer_no text NOT NULL UNIQUE, name text NOT NULL, modified_at timestamptz NOT NULL DEFAULT clock_timestamp());
    INSERT INTO sales.customers (customer_no, name) VALUES ('A', 'a'), ('B', 'b');`);
});

describe('postgres check(): what is wrong, never a secret', () => {
  it('passes on a good configuration', async () => {
    await expect(connector().check()).resolves.toBeUndefined();
  });

  it.each([
    ['a refused port', 'postgres://postgres:S3cretPassw0rd@127.0.0.1:1/erp', 'retryable', 'connector_postgres_econnrefused', 'erp_pg: cannot connect: PostgreSQL connection failed: ECONNREFUSED'],
    ['a missing database (3D000)', `${PG_SERVER_URL}/hub_test_no_such_database`, 'permanent', 'connector_postgres_3D000', 'erp_pg: cannot connect: PostgreSQL error 3D000 (invalid_catalog_name): the database named in the URL does not exist'],
    [
      'an unknown role (28000)',
      `${PG_SERVER_URL.replace('postgres://postgres@', 'postgres://nobody_at_all:S3cretPassw0rd@')}/postgres`,
      'permanent',
      'connector_postgres_28000',
      'erp_pg: cannot connect: PostgreSQL error 28000 (invalid_authorization_specification): the role is not allowed to connect (wrong user, or no pg_hba.conf entry): check the user in the database URL',
    ],
  ] as const)('%s', async (_, url, kind, code, message) => {
    const e = await failure(connector({}, url).check());
    expect({ kind: e.kind, code: e.code, message: e.message }).toEqual({ kind, code, message });
    expect(JSON.stringify({ m: e.message, ...e })).not.toMatch(/S3cretPassw0rd|127\.0\.0\.1|nobody_at_all|hub_test_no_such/);
  });

  it('TLS required of a server that has it off (this one: ssl = off) is permanent, saying so', async () => {
    const e = await failure(connector({ ssl: { mode: 'require' } }).check());
    expect({ kind: e.kind, code: e.code, message: e.message }).toEqual({ kind: 'permanent', code: 'connector_postgres_ssl_unsupported', message: 'erp_pg: cannot connect: PostgreSQL server does not support TLS: set ssl.mode to disable' });
  });

  it('a missing table (42P01), missing columns (named, all of them) and a table it may not read (42501)', async () => {
    const missing = await failure(connector({}, db.url, { C: { ...customers, table: 'sales.kunden' } }).check());
    expect({ kind: missing.kind, code: missing.code, message: missing.message }).toEqual({
      kind: 'permanent',
      code: 'connector_postgres_42P01',
      message: 'erp_pg: reading the columns of C (sales.kunden) failed: PostgreSQL error 42P01 (undefined_table): relation "sales.kunden" does not exist',
    });
    const columns = await failure(connector({}, db.url, { C: { ...customers, columns: ['name', 'colour', 'Size'] } }).check());
    expect(columns.message).toBe('erp_pg: check C failed: sales.customers has no column "colour", "Size"');
    const denied = await failure(connector({}, asRole(role)).check());
    expect({ kind: denied.kind, code: denied.code, message: denied.message }).toEqual({
      kind: 'permanent',
      code: 'connector_postgres_42501',
      message: 'erp_pg: check Customer failed: PostgreSQL error 42501 (insufficient_privilege): permission denied for table customers',
    });
  });

  it('a role past its connection limit (53300) is retryable', async () => {
    await admin.query(`GRANT SELECT ON sales.customers TO ${role}`);
    // Pools of earlier tests may still hold the role's one connection: close them, and wait till the server lets it go.
    await Promise.all(open.splice(0).map((c) => c.close()));
    for (let i = 0; i < 100 && (await admin.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role])).rowCount; i++) await new Promise((r) => setTimeout(r, 20));
    const holder = new pg.Client({ connectionString: asRole(role) });
    await holder.connect();
    try {
      const e = await failure(connector({}, asRole(role)).check());
      expect({ kind: e.kind, code: e.code }).toEqual({ kind: 'retryable', code: 'connector_postgres_53300' });
      // The server's text names the role (the URL's user): a fixed text instead.
      expect(e.message).toBe("erp_pg: cannot connect: PostgreSQL error 53300 (too_many_connections): too many connections (the server's or the role's connection limit): lower pool.connections or raise the limit");
      expect(e.message).not.toContain(role);
    } finally {
      await holder.end();
    }
  });
});

describe('postgres failures met while working', () => {
  it('a real deadlock (40P01): the batch is retryable, and lands when retried', async () => {
    const c = connector();
    const other = await admin.connect();
    try {
      await other.query("BEGIN; SET LOCAL deadlock_timeout = '10s'"); // the connector's session (1 s) detects it
      await other.query("UPDATE sales.customers SET name = 'other' WHERE customer_no = 'B'");
      const pending = c.upsert('Customer', ['A', 'B'].map((no) => ({ hubId: no, payload: mapped({ customer_no: no, name: `mine ${no}` }) })));
      await waitingBackend(); // the connector holds A and waits for B
      const blocked = other.query("UPDATE sales.customers SET name = 'other' WHERE customer_no = 'A'");
      const outcomes = await pending;
      expect(outcomes).toEqual(
        ['A', 'B'].map(() => ({ ok: false, kind: 'retryable', code: 'postgres_40P01', message: 'PostgreSQL error 40P01 (deadlock_detected): deadlock detected' })),
      );
      await blocked;
      await other.query('COMMIT');
    } finally {
      other.release();
    }
    expect((await c.upsert('Customer', [{ hubId: 'A', payload: mapped({ customer_no: 'A', name: 'retried' }) }]))[0]).toEqual({ ok: true, externalId: 'A' });
  });

  it('a serialization failure under SERIALIZABLE (40001) is retryable', async () => {
    await admin.query(`ALTER DATABASE "${db.name}" SET default_transaction_isolation = 'serializable'`);
    try {
      const c = connector();
      const lock = await lockRow('A');
      const pending = upsertOne(c, 'A');
      await waitingBackend();
      await lock.release('COMMIT'); // a concurrent update committed after the connector's snapshot
      expect(await pending).toEqual([{ ok: false, kind: 'retryable', code: 'postgres_40001', message: 'PostgreSQL error 40001 (serialization_failure): could not serialize access due to concurrent update' }]);
    } finally {
      await admin.query(`ALTER DATABASE "${db.name}" RESET default_transaction_isolation`);
    }
  });

  it('lock_timeout (55P03) and statement_timeout (57014) are retryable', async () => {
    const lock = await lockRow('A');
    try {
      expect(await upsertOne(connector({ lockTimeoutMs: 200 }), 'A')).toEqual([{ ok: false, kind: 'retryable', code: 'postgres_55P03', message: 'PostgreSQL error 55P03 (lock_not_available): canceling statement due to lock timeout' }]);
      expect(await upsertOne(connector({ statementTimeoutMs: 200 }), 'A')).toEqual([{ ok: false, kind: 'retryable', code: 'postgres_57014', message: 'PostgreSQL error 57014 (query_canceled): canceling statement due to statement timeout' }]);
    } finally {
      await lock.release();
    }
  });

  it('a backend terminated by an administrator (57P01) is retryable, and the next call gets a fresh connection', async () => {
    const c = connector();
    const lock = await lockRow('A');
    try {
      const pending = upsertOne(c, 'A');
      await admin.query('SELECT pg_terminate_backend($1)', [await waitingBackend()]);
      expect(await pending).toEqual([{ ok: false, kind: 'retryable', code: 'postgres_57P01', message: 'PostgreSQL error 57P01 (admin_shutdown): terminating connection due to administrator command' }]);
    } finally {
      await lock.release();
    }
    expect(await upsertOne(c, 'A', 'after')).toEqual([{ ok: true, externalId: 'A' }]);
    expect((await c.read('Customer', null, 10)).records.map((r) => r['name'])).toEqual(['after', 'b']);
  });

  it('a foreign key violation (23503) refuses that row alone; a missing table or column at read time is permanent', async () => {
    await admin.query('CREATE TABLE sales.orders (id serial PRIMARY KEY, order_no text NOT NULL UNIQUE, customer_no text NOT NULL REFERENCES sales.customers (customer_no), modified_at timestamptz NOT NULL DEFAULT clock_timestamp())');
    const c = connector({}, db.url, { Order: { table: 'sales.orders', key: ['order_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['customer_no'] } });
    const out = await c.upsert('Order', [
      { hubId: '1', payload: mapped({ order_no: 'O1', customer_no: 'A' }) },
      { hubId: '2', payload: mapped({ order_no: 'O2', customer_no: 'GHOST-CUSTOMER' }) },
    ]);
    expect(out).toEqual([
      { ok: true, externalId: 'O1' },
      { ok: false, kind: 'permanent', code: 'postgres_23503', message: 'PostgreSQL error 23503 (foreign_key_violation): insert or update on table "orders" violates foreign key constraint "orders_customer_no_fkey"' },
    ]);
    const noTable = await failure(connector({}, db.url, { C: { ...customers, table: 'sales.gone' } }).read('C', null, 5));
    expect({ kind: noTable.kind, code: noTable.code, message: noTable.message }).toEqual({ kind: 'permanent', code: 'connector_postgres_42P01', message: 'erp_pg: read C failed: PostgreSQL error 42P01 (undefined_table): relation "sales.gone" does not exist' });
    // Writing to it: every record refused, whether or not its values needed the column types first.
    const gone = connector({}, db.url, { C: { ...customers, table: 'sales.gone' } });
    for (const name of ['plain', '2026-01-01T10:00:00Z']) {
      const [o] = await gone.upsert('C', [{ hubId: 'x', payload: mapped({ customer_no: 'X', name }) }]);
      expect(o).toMatchObject({ ok: false, kind: 'permanent', code: 'postgres_42P01', message: expect.stringContaining('relation "sales.gone" does not exist') });
    }
    const noColumn = await failure(connector({}, db.url, { C: { ...customers, columns: ['colour'] } }).read('C', null, 5));
    expect(noColumn.message).toBe('erp_pg: read C failed: PostgreSQL error 42703 (undefined_column): column "colour" does not exist');
  });
});
