import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  connectorConfigSchema,
  connectorsConfigSchema,
  createConnector,
  parseConnectorConfig,
  type ConnectorConfigInput,
} from '../../connectors/config.js';
import type { FetchInitLike, FetchLike } from '../../connectors/http/client.js';
import { mapped } from '../fixtures/mapped.js';
import { mssqlConfigFromUrl } from '../../connectors/mssql/module.js';
import { configErrorOf } from '../fixtures/config-error.js';

/** A fetch that records each request and answers from `reply`. */
function fakeFetch(reply: (url: string, init: FetchInitLike) => { status: number; body: unknown }) {
  const calls: { url: string; init: FetchInitLike }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const r = reply(url, init);
    return { status: r.status, headers: { get: () => null }, text: async () => JSON.stringify(r.body) };
  };
  return { fetch, calls };
}


const tables = {
  Customer: { table: 'customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'credit_limit'], deletedFlag: 'is_deleted' },
  Price: { table: 'prices', key: ['sku', 'currency'], watermark: 'modified_at', tieBreaker: 'id', columns: ['amount'] },
};
const sqlEntities = {
  Customer: { read: true, write: true, detectChanges: true, detectDeletes: true, naturalKeys: ['customer_no'], createRetry: 'key', upsertKey: 'customer_no' },
  Price: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['sku', 'currency'], createRetry: 'key' },
};

const PASSWORD = 'Pa55-word-never-shown';

describe('createConnector', () => {
  it('mysql: builds a SQL connector without connecting', async () => {
    const c = createConnector('erp_sql', { type: 'mysql', urlEnv: 'ERP_DB_URL', pool: { connections: 2 }, overlapMs: 5000, tables }, { ERP_DB_URL: `mysql://app:${PASSWORD}@127.0.0.1:1/erp` });
    expect(c.describe()).toEqual({ connector: 'erp_sql', entities: sqlEntities });
    expect(c.keyOf('Price', { sku: 'A', currency: 'EUR' })).toBe('A|EUR');
    expect(typeof c.count).toBe('function');
    await c.close();
  });

  it('mssql: builds a SQL connector over a lazily connected pool', async () => {
    const c = createConnector('erp_mssql', { type: 'mssql', urlEnv: 'MSSQL', tables }, { MSSQL: `mssql://sa:${PASSWORD}@db.internal:1433/erp?encrypt=false` });
    expect(c.describe()).toEqual({ connector: 'erp_mssql', entities: sqlEntities });
    await c.close();
  });

  it('mssql: reads server, port, credentials, database and TLS flags from the URL', () => {
    expect(mssqlConfigFromUrl(new URL('mssql://sa:p%40ss@db.internal:14330/erp?encrypt=false&trustServerCertificate=true'), 3)).toMatchObject({
      server: 'db.internal',
      port: 14330,
      user: 'sa',
      password: 'p@ss',
      database: 'erp',
      options: { encrypt: false, trustServerCertificate: true },
      pool: { max: 3 },
    });
    expect(mssqlConfigFromUrl(new URL('mssql://sa:x@db'), 5)).toMatchObject({ port: 1433, database: 'master', options: { encrypt: true, trustServerCertificate: false } });
  });

  it('http: wires base URL, bearer token, timeout and the batch endpoint; the token comes from the environment', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { results: [{ id: 'c-1' }] } }));
    const config: ConnectorConfigInput = {
      type: 'http',
      baseUrl: 'https://crm.example.com/api',
      auth: { kind: 'bearer', tokenEnv: 'CRM_TOKEN' },
      timeoutMs: 5000,
      checkPath: '/me',
      entities: {
        contacts: {
          list: { path: '/contacts', since: { param: 'updated_since' }, paging: { style: 'cursor', cursorParam: 'after', limitParam: 'limit', nextCursorField: 'next' }, tieBreakerField: 'id' },
          batch: { path: '/contacts/batch', maxBatch: 100 },
          delete: { path: '/contacts' },
          naturalKeys: ['email'],
        },
        notes: { upsert: { path: '/notes', keyField: 'id', method: 'PUT', responseField: '', idField: 'id' } },
      },
    };
    const c = createConnector('crm', config, { CRM_TOKEN: 'tok-123' }, { fetch });
    expect(c.describe()).toEqual({
      connector: 'crm',
      entities: {
        contacts: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['email'] },
        notes: { read: false, write: true, detectChanges: false, detectDeletes: false, naturalKeys: [], createRetry: 'key', upsertKey: 'id' },
      },
    });
    expect(await c.upsert('contacts', [{ hubId: 'h', payload: mapped({ email: 'a@example.com' }) }])).toEqual([{ ok: true, externalId: 'c-1' }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('https://crm.example.com/api/contacts/batch');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers['Authorization']).toBe('Bearer tok-123');
    expect(JSON.parse(calls[0]?.init.body ?? 'null')).toEqual({ records: [{ email: 'a@example.com' }] });
    expect(c.count).toBeUndefined();
  });

  it('http: basic and custom-header auth read their variables', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: {} }));
    const entities = { x: { delete: { path: '/x' } } };
    const basic = createConnector('b', { type: 'http', baseUrl: 'http://h.example', auth: { kind: 'basic', usernameEnv: 'U', passwordEnv: 'P' }, checkPath: '/ping', entities }, { U: 'user', P: PASSWORD }, { fetch });
    const header = createConnector('h', { type: 'http', baseUrl: 'http://h.example', auth: { kind: 'header', name: 'X-Api-Key', valueEnv: 'K' }, checkPath: '/ping', entities }, { K: 'key-1' }, { fetch });
    await basic.check();
    await header.check();
    expect(calls[0]?.init.headers['Authorization']).toBe(`Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`);
    expect(calls[1]?.init.headers['X-Api-Key']).toBe('key-1');
  });

  it('erpnext: named after its configuration key, authenticating with the key and secret from the environment', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { message: 'hub@example.com' } }));
    const c = createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'ERP_KEY', apiSecretEnv: 'ERP_SECRET', timeoutMs: 2000 }, { ERP_KEY: 'k1', ERP_SECRET: 's1' }, { fetch });
    expect(c.describe().connector).toBe('erp');
    expect(Object.keys(c.describe().entities)).toEqual(['Customer', 'Contact', 'Item', 'Sales Order', 'Sales Invoice', 'Payment Entry', 'Bin']);
    // The finance doctypes are read, never written; a cancelled invoice or payment is reported as a delete.
    expect(c.describe().entities['Sales Invoice']).toMatchObject({ read: true, write: false, detectDeletes: true });
    expect(c.describe().entities['Payment Entry']).toMatchObject({ read: true, write: false, detectDeletes: true });
    expect(c.describe().entities['Bin']).toMatchObject({ read: true, write: false, detectDeletes: false });
    // ERPNext names Customers and Sales Orders itself: creates are found again through the custom_hub_code lookup.
    expect(c.describe().entities['Customer']).toMatchObject({ createRetry: 'lookup', upsertKey: 'custom_hub_code' });
    expect(c.describe().entities['Item']).toMatchObject({ createRetry: 'key', upsertKey: 'item_code' });
    const off = createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'ERP_KEY', apiSecretEnv: 'ERP_SECRET', lookupField: null }, { ERP_KEY: 'k1', ERP_SECRET: 's1' }, { fetch });
    expect(off.describe().entities['Sales Order']).toMatchObject({ createRetry: 'none' });
    await c.check();
    expect(calls[0]?.url).toBe('https://erp.example.com/api/method/frappe.auth.get_logged_user');
    expect(calls[0]?.init.headers['Authorization']).toBe('token k1:s1');
  });

  it('names every unset or empty variable with its pointer, and no value', () => {
    const error = configErrorOf(() => createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'ERP_KEY', apiSecretEnv: 'ERP_SECRET' }, { ERP_KEY: '' }));
    expect(error.code).toBe('config_invalid');
    expect(error.errors).toEqual([
      { pointer: '/connectors/erp/apiKeyEnv', detail: 'environment variable ERP_KEY is not set' },
      { pointer: '/connectors/erp/apiSecretEnv', detail: 'environment variable ERP_SECRET is not set' },
    ]);
    const basic = configErrorOf(() =>
      createConnector('b', { type: 'http', baseUrl: 'http://h.example', auth: { kind: 'basic', usernameEnv: 'U', passwordEnv: 'P' }, entities: {} }, { U: 'user-name-value' }),
    );
    expect(basic.errors).toEqual([{ pointer: '/connectors/b/auth/passwordEnv', detail: 'environment variable P is not set' }]);
    expect(JSON.stringify({ m: basic.message, e: basic.errors })).not.toContain('user-name-value');
  });

  it('refuses a database URL of the wrong kind without echoing it', () => {
    const missing = configErrorOf(() => createConnector('db', { type: 'mysql', urlEnv: 'DB_URL', tables }, {}));
    expect(missing.errors).toEqual([{ pointer: '/connectors/db/urlEnv', detail: 'environment variable DB_URL is not set' }]);
    for (const value of [`postgres://u:${PASSWORD}@h/db`, `not a url ${PASSWORD}`]) {
      const error = configErrorOf(() => createConnector('db', { type: 'mysql', urlEnv: 'DB_URL', tables }, { DB_URL: value }));
      expect(error.errors).toEqual([{ pointer: '/connectors/db/urlEnv', detail: 'environment variable DB_URL does not hold a mysql:// or mariadb:// URL' }]);
      expect(JSON.stringify({ m: error.message, e: error.errors })).not.toContain(PASSWORD);
    }
    const mssql = configErrorOf(() => createConnector('db', { type: 'mssql', urlEnv: 'DB_URL', tables }, { DB_URL: `mysql://u:${PASSWORD}@h/db` }));
    expect(mssql.errors[0]?.detail).toBe('environment variable DB_URL does not hold a mssql:// or sqlserver:// URL');
  });

  it('validates the configuration it is given: unknown type, bad URL, extra key, bad identifier, bad name', () => {
    const unknown = configErrorOf(() => createConnector('x', { type: 'oracle', urlEnv: 'X' } as unknown as ConnectorConfigInput, {}));
    expect(unknown.errors).toEqual([{ pointer: '/connectors/x/type', detail: expect.stringContaining("Expected 'mysql'") }]);

    const badUrl = configErrorOf(() => createConnector('erp', { type: 'erpnext', baseUrl: 'ftp://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S' }, { K: 'k', S: 's' }));
    expect(badUrl.errors).toEqual([{ pointer: '/connectors/erp/baseUrl', detail: 'must be an http:// or https:// URL' }]);

    const extra = configErrorOf(() =>
      createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S', apiSecret: 'inline!' } as unknown as ConnectorConfigInput, { K: 'k', S: 's' }),
    );
    expect(extra.errors).toEqual([{ pointer: '/connectors/erp', detail: 'unknown key(s): apiSecret' }]);

    const nested = configErrorOf(() =>
      createConnector('db', { type: 'mysql', urlEnv: 'DB', tables: { C: { ...tables.Price, table: 'prices; DROP TABLE x', colour: 'red' } } } as unknown as ConnectorConfigInput, {}),
    );
    expect(nested.errors.map((p) => p.pointer).sort()).toEqual(['/connectors/db/tables/C', '/connectors/db/tables/C/table']);

    const badEnvName = configErrorOf(() => createConnector('db', { type: 'mysql', urlEnv: 'mysql://root@h/db', tables }, {}));
    expect(badEnvName.errors).toEqual([{ pointer: '/connectors/db/urlEnv', detail: 'must be the name of an environment variable (letters, digits, _)' }]);

    const badName = configErrorOf(() => createConnector('bad name', { type: 'erpnext', baseUrl: 'https://e.example', apiKeyEnv: 'K', apiSecretEnv: 'S' }, { K: 'k', S: 's' }));
    expect(badName.errors[0]?.pointer).toBe('/connectors/bad name');
  });

  it('time zones for reads from a point in time: a known IANA zone, else the pointer and the reason', () => {
    const good = createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S', timeZone: 'Europe/Vienna' }, { K: 'k', S: 's' });
    expect(good.cursorSince?.('Customer', '2026-07-01T12:00:00Z')).toBeDefined();
    const bad = configErrorOf(() => createConnector('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S', timeZone: 'Mars/Olympus' }, { K: 'k', S: 's' }));
    expect(bad.errors).toEqual([{ pointer: '/connectors/erp/timeZone', detail: 'must be an IANA time zone such as Europe/Berlin or UTC' }]);
    const list = { path: '/c', since: { param: 'since' }, paging: { style: 'offset', offsetParam: 'o', limitParam: 'l' } } as const;
    const http = configErrorOf(() =>
      createConnector('h', { type: 'http', baseUrl: 'http://h.example', entities: { c: { list: { ...list, modifiedFormat: { style: 'datetime', timeZone: 'UTC', fractionDigits: 9 } } } } }, {}),
    );
    expect(http.errors[0]?.pointer).toBe('/connectors/h/entities/c/list/modifiedFormat/fractionDigits');
    const iso = createConnector('h', { type: 'http', baseUrl: 'http://h.example', entities: { c: { list: { ...list, modifiedFormat: { style: 'iso' } } } } }, {});
    expect(iso.cursorSince?.('c', '2026-07-01T12:00:00Z')).toBeDefined();
  });

  it('parseConnectorConfig returns the typed configuration', () => {
    const parsed = parseConnectorConfig('erp', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S' });
    expect(parsed).toEqual({ type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S' });
    expect(connectorConfigSchema.safeParse({ type: 'http', baseUrl: 'https://x.example', entities: { a: { list: { path: 'no-slash', since: { param: 's' }, paging: { style: 'offset', offsetParam: 'o', limitParam: 'l' } } } } }).success).toBe(false);
  });
});

describe('the documented YAML (docs/mappings.md)', () => {
  it('parses as a connectors section and builds every connector', async () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/mappings.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('### Configuring connectors'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const parsed = connectorsConfigSchema.parse((parseYaml(yaml!) as { connectors: unknown }).connectors);
    const env = {
      ERP_DB_URL: 'mysql://app:pw@127.0.0.1:3306/erp',
      ERP_MSSQL_URL: 'mssql://sa:pw@127.0.0.1:1433/erp',
      CRM_TOKEN: 't',
      ERPNEXT_API_KEY: 'k',
      ERPNEXT_API_SECRET: 's',
    };
    const built = Object.entries(parsed).map(([name, config]) => createConnector(name, config, env));
    expect(built.map((c) => c.describe().connector)).toEqual(['erp_sql', 'erp_mssql', 'crm', 'erpnext']);
    expect(typeof built[2]?.count).toBe('function');
    await Promise.all(built.map((c) => c.close()));
  });
});
