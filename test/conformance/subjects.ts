import { createPool, type Pool } from 'mysql2/promise';
import pg from 'pg';
import type { ConnectorConfigInput } from '../../connectors/config.js';
import { BcFake } from '../fixtures/bc-fake.js';
import { FRAPPE_KEY, FRAPPE_SECRET, FrappeFake } from '../fixtures/frappe-fake.js';
import { JSON_API_TOKEN, JsonApiFake } from '../fixtures/json-api-fake.js';
import { createPgTestDatabase, createTestDatabase } from '../helpers.js';
import { ODOO_DB, ODOO_LOGIN, ODOO_PASSWORD, OdooFake } from '../fixtures/odoo-fake.js';
import { SAP_COMPANY, SAP_PASSWORD, SAP_USER, SapB1Fake } from '../fixtures/sapb1-fake.js';

/**
 * One connector type under the conformance suite: how the hub would configure it, and a real or
 * faithful system behind it (MariaDB for mysql, a SQL Server at MSSQL_URL for mssql, local fakes
 * following the documented semantics for http and erpnext) that the suite can seed and break.
 */
export interface Subject {
  readonly type: string;
  /** The external entity the suite exercises. */
  readonly entity: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The connector's configuration and environment, as in hub.config.yaml. */
  build(): { config: ConnectorConfigInput; env: Record<string, string> };
  /** The same with a wrong secret. */
  wrongCredentials(): { config: ConnectorConfigInput; env: Record<string, string> };
  /** The same pointing where nothing answers. */
  unreachable(): { config: ConnectorConfigInput; env: Record<string, string> };
  /** Creates `n` records in the system itself, one after the other; answers nothing. */
  seed(n: number, prefix: string): Promise<void>;
  /** Changes a record in the system itself (found by its external id). */
  touch(externalId: string): Promise<void>;
  /** Records in the system now. */
  count(): Promise<number>;
  /** A payload the system accepts as a new record (`i` makes it unique). */
  good(i: number): Record<string, unknown>;
  /** A payload the system refuses, for that record only. */
  bad(): Record<string, unknown>;
  /** `good(i)` with its name changed, where the name field is neither `name` nor `customer_name`. */
  renamed?(i: number): Record<string, unknown>;
  /** Makes the system answer malformed bodies; undefined where answers cannot be malformed (typed result sets). */
  readonly malformed?: (on: boolean) => void;
  /** Why there is no malformed-answer test, where there is none. */
  readonly malformedNotApplicable?: string;
  /** Why the suite cannot run against this subject here (it is skipped, saying so). */
  readonly unavailable?: string;
}

function mysqlSubject(): Subject {
  let db: { url: string; drop: () => Promise<void> };
  let admin: Pool;
  let clock = Date.UTC(2026, 10, 21, 8, 0, 0);
  const next = () => new Date((clock += 1000));
  const table = { table: 'conf_customers', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] };
  const config = (urlEnv = 'CONF_SQL_URL'): ConnectorConfigInput => ({ type: 'mysql', urlEnv, tables: { customers: table } });
  return {
    type: 'mysql',
    entity: 'customers',
    async setup() {
      db = await createTestDatabase();
      admin = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z' });
      await admin.query('CREATE TABLE conf_customers (id INT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL, modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3))');
    },
    async teardown() {
      await admin?.end();
      await db?.drop();
    },
    build: () => ({ config: config(), env: { CONF_SQL_URL: db.url } }),
    wrongCredentials: () => ({ config: config(), env: { CONF_SQL_URL: db.url.replace('mysql://root@', 'mysql://nobody:wrong@') } }),
    unreachable: () => ({ config: config(), env: { CONF_SQL_URL: 'mysql://root@127.0.0.1:1/none' } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) await admin.query('INSERT INTO conf_customers (code, name, modified_at) VALUES (?, ?, ?)', [`${prefix}${i}`, `Seeded ${prefix}${i}`, next()]);
    },
    async touch(externalId) {
      await admin.query('UPDATE conf_customers SET name = ?, modified_at = ? WHERE code = ?', [`Touched ${externalId}`, next(), externalId]);
    },
    async count() {
      const [rows] = await admin.query('SELECT COUNT(*) AS n FROM conf_customers');
      return Number((rows as { n: number }[])[0]!.n);
    },
    good: (i) => ({ code: `NEW${i}`, name: `New ${i}` }),
    // NOT NULL: refused by the server for this row only.
    bad: () => ({ code: 'BAD', name: null }),
    malformedNotApplicable: 'a SQL driver answers typed result sets; there is no body to be malformed',
  };
}

function httpSubject(): Subject {
  const fake = new JsonApiFake();
  const config = (baseUrl: string): ConnectorConfigInput => ({
    type: 'http',
    baseUrl,
    auth: { kind: 'bearer', tokenEnv: 'CONF_TOKEN' },
    timeoutMs: 3000,
    checkPath: '/v1/customers',
    entities: {
      customers: {
        list: { path: '/v1/customers', recordsField: 'items', modifiedField: 'updated_at', tieBreakerField: 'code', modifiedFormat: { style: 'iso' }, since: { param: 'updated_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' } },
        batch: { path: '/v1/customers/batch', idField: 'code', statusField: 'status', errorField: 'error' },
        naturalKeys: ['code'],
      },
    },
  });
  return {
    type: 'http',
    entity: 'customers',
    setup: () => fake.start(),
    teardown: () => fake.close(),
    build: () => ({ config: config(fake.url), env: { CONF_TOKEN: JSON_API_TOKEN } }),
    wrongCredentials: () => ({ config: config(fake.url), env: { CONF_TOKEN: 'wrong' } }),
    unreachable: () => ({ config: config('http://127.0.0.1:1'), env: { CONF_TOKEN: JSON_API_TOKEN } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) fake.put(`${prefix}${i}`, { name: `Seeded ${prefix}${i}` });
    },
    async touch(externalId) {
      fake.put(externalId, { name: `Touched ${externalId}` });
    },
    count: async () => fake.rows.size,
    good: (i) => ({ code: `NEW${i}`, name: `New ${i}` }),
    bad: () => ({ code: 'BAD', name: '' }),
    malformed: (on) => (fake.fault = on ? 'malformed' : 'none'),
  };
}

function erpnextSubject(): Subject {
  const fake = new FrappeFake();
  const config = (baseUrl: string): ConnectorConfigInput => ({ type: 'erpnext', baseUrl, apiKeyEnv: 'CONF_KEY', apiSecretEnv: 'CONF_SECRET', timeoutMs: 3000, timeZone: 'UTC' });
  const customer = (name: string) => ({ customer_name: name, customer_type: 'Company', customer_group: 'Commercial', territory: 'All Territories' });
  return {
    type: 'erpnext',
    entity: 'Customer',
    setup: () => fake.start(),
    teardown: () => fake.close(),
    build: () => ({ config: config(fake.url), env: { CONF_KEY: FRAPPE_KEY, CONF_SECRET: FRAPPE_SECRET } }),
    wrongCredentials: () => ({ config: config(fake.url), env: { CONF_KEY: FRAPPE_KEY, CONF_SECRET: 'wrong' } }),
    unreachable: () => ({ config: config('http://127.0.0.1:1'), env: { CONF_KEY: FRAPPE_KEY, CONF_SECRET: FRAPPE_SECRET } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) fake.insert('Customer', { ...customer(`Seeded ${prefix}${i}`), custom_hub_code: `${prefix}${i}` });
    },
    async touch(externalId) {
      fake.update('Customer', externalId, { customer_name: `Touched ${externalId}` });
    },
    count: async () => fake.table('Customer').size,
    good: (i) => ({ ...customer(`New ${i}`), custom_hub_code: `NEW${i}` }),
    // customer_name is mandatory: Frappe answers 417 MandatoryError.
    bad: () => ({ customer_type: 'Company', customer_group: 'Commercial', territory: 'All Territories', custom_hub_code: 'BAD' }),
    malformed: (on) => (fake.fault = on ? 'malformed' : 'none'),
  };
}

function odooSubject(): Subject {
  const fake = new OdooFake();
  const config = (baseUrl: string): ConnectorConfigInput => ({ type: 'odoo', baseUrl, protocol: 'jsonrpc', database: ODOO_DB, login: ODOO_LOGIN, passwordEnv: 'CONF_ODOO_PASSWORD', timeoutMs: 3000 });
  const customers = () => fake.records('res.partner').filter((p) => !p['parent_id'] && Number(p['customer_rank']) > 0);
  return {
    type: 'odoo',
    entity: 'res.partner',
    setup: () => fake.start(),
    teardown: () => fake.close(),
    build: () => ({ config: config(fake.url), env: { CONF_ODOO_PASSWORD: ODOO_PASSWORD } }),
    wrongCredentials: () => ({ config: config(fake.url), env: { CONF_ODOO_PASSWORD: 'wrong' } }),
    unreachable: () => ({ config: config('http://127.0.0.1:1'), env: { CONF_ODOO_PASSWORD: ODOO_PASSWORD } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) fake.insert('res.partner', { name: `Seeded ${prefix}${i}`, ref: `${prefix}${i}`, is_company: true, customer_rank: 1 });
    },
    async touch(externalId) {
      fake.update('res.partner', Number(externalId), { name: `Touched ${externalId}` });
    },
    count: async () => customers().length,
    good: (i) => ({ ref: `NEW${i}`, name: `New ${i}`, is_company: true }),
    // name is required: Odoo refuses the create with its NotNullViolation ValidationError.
    bad: () => ({ ref: 'BAD', is_company: true }),
    malformed: (on) => (fake.fault = on ? 'malformed' : 'none'),
  };
}

function sapb1Subject(): Subject {
  const fake = new SapB1Fake();
  const config = (baseUrl: string): ConnectorConfigInput => ({ type: 'sapb1', baseUrl, companyDb: SAP_COMPANY, userName: SAP_USER, passwordEnv: 'CONF_SAP_PASSWORD', timeoutMs: 3000, timeZone: 'UTC', overlapSeconds: 0, pageSize: 2 });
  const customer = (code: string, name: string) => ({ CardCode: code, CardName: name, CardType: 'cCustomer', Currency: 'EUR' });
  return {
    type: 'sapb1',
    entity: 'BusinessPartners',
    setup: () => fake.start(),
    teardown: () => fake.close(),
    build: () => ({ config: config(fake.url), env: { CONF_SAP_PASSWORD: SAP_PASSWORD } }),
    wrongCredentials: () => ({ config: config(fake.url), env: { CONF_SAP_PASSWORD: 'wrong' } }),
    unreachable: () => ({ config: config('http://127.0.0.1:1/b1s/v1'), env: { CONF_SAP_PASSWORD: SAP_PASSWORD } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) fake.insert('BusinessPartners', customer(`${prefix}${i}`, `Seeded ${prefix}${i}`));
    },
    async touch(externalId) {
      fake.update('BusinessPartners', externalId, { CardName: `Touched ${externalId}` });
    },
    count: async () => fake.set('BusinessPartners').size,
    good: (i) => customer(`NEW${i}`, `New ${i}`),
    renamed: (i) => customer(`NEW${i}`, `New ${i} renamed`),
    // A property BusinessPartner does not have: 400 -1000 "Property 'customer_name' of 'BusinessPartner' is invalid".
    bad: () => ({ ...customer('BAD', 'Bad'), customer_name: 'Bad' }),
    malformed: (on) => (fake.fault = on ? 'malformed' : 'none'),
  };
}

/** `url` changed by `change` (an unparsable or empty URL stays as it is: the suite is then skipped). */
function withUrl(url: string, change: (u: URL) => void): string {
  try {
    const u = new URL(url);
    change(u);
    return u.toString();
  } catch {
    return url;
  }
}

function mssqlSubject(url: string): Subject {
  // Runs only against a real server (MSSQL_URL); the same table as the mysql subject, in T-SQL.
  let clock = Date.UTC(2026, 10, 21, 8, 0, 0);
  const next = () => new Date((clock += 1000));
  const table = { table: 'conf_customers', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] };
  const config: ConnectorConfigInput = { type: 'mssql', urlEnv: 'CONF_MSSQL_URL', tables: { customers: table } };
  let sql: typeof import('mssql') | undefined;
  let pool: import('mssql').ConnectionPool | undefined;
  const query = async (text: string, params: Record<string, unknown> = {}) => {
    const request = pool!.request();
    for (const [k, v] of Object.entries(params)) request.input(k, v);
    return request.query(text);
  };
  return {
    type: 'mssql',
    entity: 'customers',
    async setup() {
      sql = (await import('mssql')).default;
      pool = await new sql.ConnectionPool(url).connect();
      await query("IF OBJECT_ID('conf_customers') IS NOT NULL DROP TABLE conf_customers");
      await query('CREATE TABLE conf_customers (id INT IDENTITY PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, name NVARCHAR(40) NOT NULL, modified_at DATETIME2(3) NOT NULL DEFAULT SYSUTCDATETIME())');
    },
    async teardown() {
      await query("IF OBJECT_ID('conf_customers') IS NOT NULL DROP TABLE conf_customers").catch(() => undefined);
      await pool?.close();
    },
    build: () => ({ config, env: { CONF_MSSQL_URL: url } }),
    // MSSQL_URL is an mssql:// URL (the form the connector's urlEnv takes; node-mssql reads it too).
    wrongCredentials: () => ({ config, env: { CONF_MSSQL_URL: withUrl(url, (u) => (u.password = 'wrong')) } }),
    unreachable: () => ({ config, env: { CONF_MSSQL_URL: withUrl(url, (u) => ((u.hostname = '127.0.0.1'), (u.port = '1'))) } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) await query('INSERT INTO conf_customers (code, name, modified_at) VALUES (@code, @name, @at)', { code: `${prefix}${i}`, name: `Seeded ${prefix}${i}`, at: next() });
    },
    async touch(externalId) {
      await query('UPDATE conf_customers SET name = @name, modified_at = @at WHERE code = @code', { name: `Touched ${externalId}`, at: next(), code: externalId });
    },
    async count() {
      return Number((await query('SELECT COUNT(*) AS n FROM conf_customers')).recordset[0].n);
    },
    good: (i) => ({ code: `NEW${i}`, name: `New ${i}` }),
    bad: () => ({ code: 'BAD', name: null }),
    malformedNotApplicable: 'a SQL driver answers typed result sets; there is no body to be malformed',
    ...(url ? {} : { unavailable: 'no SQL Server can run on this machine: set MSSQL_URL to run the mssql connector through the same suite' }),
  };
}

function postgresSubject(): Subject {
  // The real PostgreSQL server (127.0.0.1:5432); the same table as the mysql subject, in a schema.
  let db: Awaited<ReturnType<typeof createPgTestDatabase>>;
  let admin: pg.Pool;
  let clock = Date.UTC(2026, 10, 21, 8, 0, 0);
  const next = () => new Date((clock += 1000));
  const table = { table: 'conf.customers', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name'] };
  const config = (): ConnectorConfigInput => ({ type: 'postgres', urlEnv: 'CONF_PG_URL', connectTimeoutMs: 3000, tables: { customers: table } });
  return {
    type: 'postgres',
    entity: 'customers',
    async setup() {
      db = await createPgTestDatabase();
      admin = new pg.Pool({ connectionString: db.url, max: 1 });
      admin.on('error', () => undefined);
      await admin.query('CREATE SCHEMA conf; CREATE TABLE conf.customers (id serial PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, name varchar(40) NOT NULL, modified_at timestamptz NOT NULL DEFAULT clock_timestamp())');
    },
    async teardown() {
      await admin?.end();
      await db?.drop();
    },
    build: () => ({ config: config(), env: { CONF_PG_URL: db.url } }),
    // Trust authentication takes any password: a role that does not exist is what the server refuses (28000).
    wrongCredentials: () => ({ config: config(), env: { CONF_PG_URL: db.url.replace('postgres://postgres@', 'postgres://nobody:wrong@') } }),
    unreachable: () => ({ config: config(), env: { CONF_PG_URL: 'postgres://postgres@127.0.0.1:1/none' } }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) await admin.query('INSERT INTO conf.customers (code, name, modified_at) VALUES ($1, $2, $3)', [`${prefix}${i}`, `Seeded ${prefix}${i}`, next()]);
    },
    async touch(externalId) {
      await admin.query('UPDATE conf.customers SET name = $1, modified_at = $2 WHERE code = $3', [`Touched ${externalId}`, next(), externalId]);
    },
    async count() {
      return (await admin.query('SELECT COUNT(*)::int AS n FROM conf.customers')).rows[0].n as number;
    },
    good: (i) => ({ code: `NEW${i}`, name: `New ${i}` }),
    // NOT NULL: refused by the server (23502) for this row only.
    bad: () => ({ code: 'BAD', name: null }),
    malformedNotApplicable: 'a SQL driver answers typed result sets; there is no body to be malformed',
  };
}

function businesscentralSubject(): Subject {
  const fake = new BcFake();
  const config = (overrides: Record<string, unknown> = {}) => fake.config(overrides) as ConnectorConfigInput;
  return {
    type: 'businesscentral',
    entity: 'customers',
    setup: () => fake.start(),
    teardown: () => fake.close(),
    build: () => ({ config: config(), env: fake.env() }),
    wrongCredentials: () => ({ config: config(), env: fake.env('wrong-secret') }),
    unreachable: () => ({ config: config({ baseUrl: 'http://127.0.0.1:1/v2.0/t/production/api/v2.0', tokenUrl: 'http://127.0.0.1:1/t/oauth2/v2.0/token' }), env: fake.env() }),
    async seed(n, prefix) {
      for (let i = 0; i < n; i++) fake.addCustomer({ number: `${prefix}${i}`, displayName: `Seeded ${prefix}${i}` });
    },
    async touch(externalId) {
      fake.touch('customers', externalId, { displayName: `Touched ${externalId}` });
    },
    count: async () => fake.records('customers').length,
    good: (i) => ({ number: `NEW${i}`, displayName: `New ${i}` }),
    // A customer needs a name: BC answers Application_DialogException ('A "displayName" must be provided.').
    bad: () => ({ number: 'BAD', displayName: '' }),
    renamed: (i) => ({ number: `NEW${i}`, displayName: `New ${i} renamed` }),
    malformed: (on) => (fake.fault = on ? 'malformed' : 'none'),
  };
}

/** Every registered connector type's subject. */
export function subjects(env: NodeJS.ProcessEnv): Record<string, Subject> {
  return {
    mysql: mysqlSubject(),
    mssql: mssqlSubject(env['MSSQL_URL'] ?? ''),
    http: httpSubject(),
    erpnext: erpnextSubject(),
    postgres: postgresSubject(),
    odoo: odooSubject(),
    sapb1: sapb1Subject(),
    businesscentral: businesscentralSubject(),
  };
}
