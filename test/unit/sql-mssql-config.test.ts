import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createConnector, parseConnectorConfig, type ConnectorConfigInput } from '../../connectors/config.js';
import { mssqlConfigFromUrl } from '../../connectors/mssql/module.js';
import { classifyMssqlError } from '../../connectors/mssql/mssql-errors.js';
import { createMssqlDriver, loginErrorRecorder, mssqlDriverError, type MssqlPoolLike, type MssqlTypes } from '../../connectors/mssql/mssql-driver.js';
import { TypedParam } from '../../connectors/sql/dialect.js';
import { SqlDriverError } from '../../connectors/sql/driver.js';
import { configErrorOf } from '../fixtures/config-error.js';

const table = { table: 'sales.Customers', key: ['CustomerNo'], watermark: 'ModifiedAt', tieBreaker: 'Id', columns: ['Name'] };
const config = (over: Record<string, unknown> = {}, t: Record<string, unknown> = {}) => ({ type: 'mssql', urlEnv: 'DB', tables: { Customer: { ...table, ...t } }, ...over }) as unknown as ConnectorConfigInput;
const problems = (c: ConnectorConfigInput) => configErrorOf(() => parseConnectorConfig('erp', c)).errors;

describe('mssql configuration', () => {
  it('accepts schema-qualified tables, spaces, non-ASCII letters, brackets; change tracking; zones and timeouts', () => {
    const ok = parseConnectorConfig(
      'erp',
      config(
        { timeZone: 'Europe/Vienna', connectTimeoutMs: 45_000, requestTimeoutMs: 120_000 },
        { table: '[sales].[Order Lines]', key: ['Bestell Nr'], watermark: 'Geändert am', tieBreaker: '[Zeile]', columns: ['Menge', 'a]b'], timeZone: 'UTC' },
      ),
    );
    expect(ok).toMatchObject({ timeZone: 'Europe/Vienna', connectTimeoutMs: 45_000, requestTimeoutMs: 120_000, tables: { Customer: { table: '[sales].[Order Lines]', timeZone: 'UTC' } } });
    expect(parseConnectorConfig('erp', config({}, { watermark: undefined, tieBreaker: undefined, changeTracking: true }))).toMatchObject({ tables: { Customer: { changeTracking: true } } });
  });

  it('names each refused name with its field and the reason', () => {
    expect(problems(config({}, { table: 'erp.sales.Customers', key: [''], columns: ['tab\there', ' lead'] }))).toEqual([
      { pointer: '/connectors/erp/tables/Customer/table', detail: 'must be a SQL Server table name (table or schema.table): use table or schema.table (a table of another database is not supported)' },
      { pointer: '/connectors/erp/tables/Customer/key/0', detail: 'must be a SQL Server column name: a name part is empty' },
      { pointer: '/connectors/erp/tables/Customer/columns/0', detail: 'must be a SQL Server column name: control characters are not allowed' },
      { pointer: '/connectors/erp/tables/Customer/columns/1', detail: 'must be a SQL Server column name: leading or trailing spaces are not allowed' },
    ]);
    expect(problems(config({}, { table: 'sa]les.x', watermark: 'x'.repeat(129) }))).toEqual([
      { pointer: '/connectors/erp/tables/Customer/table', detail: 'must be a SQL Server table name (table or schema.table): write a name part holding [ or ] in brackets, with ] doubled: [a]]b]' },
      { pointer: '/connectors/erp/tables/Customer/watermark', detail: 'must be a SQL Server column name: a name part is longer than 128 characters' },
    ]);
  });

  it('needs watermark and tieBreaker unless changeTracking, and refuses them with it', () => {
    expect(problems(config({}, { watermark: undefined, tieBreaker: undefined }))).toEqual([
      { pointer: '/connectors/erp/tables/Customer/watermark', detail: 'is required (or changeTracking: true)' },
      { pointer: '/connectors/erp/tables/Customer/tieBreaker', detail: 'is required (or changeTracking: true)' },
    ]);
    expect(problems(config({}, { changeTracking: true, timeZone: 'UTC' }))).toEqual([
      { pointer: '/connectors/erp/tables/Customer/watermark', detail: 'is not used with changeTracking (Change Tracking versions order the reads)' },
      { pointer: '/connectors/erp/tables/Customer/tieBreaker', detail: 'is not used with changeTracking (Change Tracking versions order the reads)' },
      { pointer: '/connectors/erp/tables/Customer/timeZone', detail: 'is not used with changeTracking (Change Tracking versions order the reads)' },
    ]);
  });

  it('refuses an unknown zone and an out-of-range timeout, naming the field', () => {
    const p = problems(config({ timeZone: 'Mars/Olympus', requestTimeoutMs: 0, connectTimeoutMs: 1.5 }));
    expect(p.map((x) => x.pointer)).toEqual(['/connectors/erp/timeZone', '/connectors/erp/connectTimeoutMs', '/connectors/erp/requestTimeoutMs']);
    expect(p[0]?.detail).toBe('must be an IANA time zone such as Europe/Berlin or UTC');
  });

  it('passes the timeouts to mssql (default 30 s each) and listens for login errors before connecting', () => {
    expect(mssqlConfigFromUrl(new URL('mssql://sa:x@db/erp'), 5)).toMatchObject({ connectionTimeout: 30_000, requestTimeout: 30_000 });
    const loginErrors = loginErrorRecorder();
    const c = mssqlConfigFromUrl(new URL('mssql://sa:x@db/erp'), 5, { connectTimeoutMs: 5000, requestTimeoutMs: 90_000, loginErrors });
    expect(c).toMatchObject({ connectionTimeout: 5000, requestTimeout: 90_000, beforeConnect: expect.any(Function) });
  });

  it('the configuration in docs/connectors/mssql.md is valid and builds', async () => {
    const doc = readFileSync(new URL('../../docs/connectors/mssql.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    const { connectors } = parseYaml(yaml!) as { connectors: Record<string, ConnectorConfigInput> };
    const c = createConnector('erp_mssql', connectors['erp_mssql']!, { ERP_MSSQL_URL: 'mssql://hub:pw@127.0.0.1:1/erp' });
    expect(Object.keys(c.describe().entities)).toEqual(['Customer', 'Item', 'Contact', 'OrderLine']);
    expect(c.describe().entities['OrderLine']).toMatchObject({ naturalKeys: ['Order No', 'Line No'], detectDeletes: false });
    expect(c.describe().entities['Contact']).toMatchObject({ detectDeletes: true });
    await c.close();
  });

  it('builds a connector whose change-tracked tables report deletes', async () => {
    const c = createConnector('erp', config({}, { watermark: undefined, tieBreaker: undefined, changeTracking: true, key: ['Id'] }), { DB: 'mssql://sa:pw@127.0.0.1:1/erp' });
    expect(c.describe().entities['Customer']).toMatchObject({ detectDeletes: true, naturalKeys: ['Id'] });
    await c.close();
  });
});

describe('SQL Server error classification', () => {
  const err = (errno: number | undefined, code?: string, state?: number) => new SqlDriverError(errno, code, new Error('x'), state);
  it.each([
    // Locks, deadlocks, row-versioning and in-memory OLTP conflicts.
    ...[1204, 1205, 1222, 3960, 41301, 41302, 41305, 41325, 41839].map((n) => [n, 'retryable'] as const),
    // Memory and resource governance.
    ...[701, 8645, 8651, 10928, 10929, 40501, 40549, 40551, 40552, 40553, 49918, 49919, 49920].map((n) => [n, 'retryable'] as const),
    // Failover, reconfiguration, paused or warming pools, connection drops.
    ...[233, 615, 926, 4060, 4221, 10053, 10054, 10060, 40143, 40197, 40540, 40613, 42108, 42109].map((n) => [n, 'retryable'] as const),
    // The record's or the configuration's fault.
    ...[18456, 207, 208, 229, 245, 515, 547, 2601, 2627, 2628, 8152, 8114, 8115, 8672, 50000].map((n) => [n, 'permanent'] as const),
  ])('SQL Server error %i is %s', (n, kind) => {
    expect(classifyMssqlError(err(n))).toMatchObject({ kind, code: `mssql_${n}` });
  });

  it('18456 is permanent (wrong credentials) except in state 13, when the service is paused', () => {
    expect(classifyMssqlError(err(18456, 'ELOGIN', 8))).toEqual({ kind: 'permanent', code: 'mssql_18456', message: 'SQL Server error 18456: login failed' });
    expect(classifyMssqlError(err(18456, 'ELOGIN', 13))).toEqual({ kind: 'retryable', code: 'mssql_18456', message: 'SQL Server error 18456: the service is paused' });
  });

  it.each([
    ['ETIMEOUT', 'retryable'],
    ['ESOCKET', 'retryable'],
    ['ECONNCLOSED', 'retryable'],
    ['ECLOSE', 'retryable'],
    ['ENOCONN', 'retryable'],
    ['EINSTLOOKUP', 'retryable'],
    ['EABORT', 'retryable'],
    ['ELOGIN', 'permanent'],
    ['EARGS', 'permanent'],
  ] as const)('driver code %s is %s', (code, kind) => {
    expect(classifyMssqlError(err(undefined, code))).toEqual({ kind, code: `mssql_${code.toLowerCase()}`, message: `SQL Server connection failed: ${code}` });
  });
});

describe('the mssql driver', () => {
  it('finds the number on mssql RequestError, on the tedious error it wraps, and on the reason of an aborted transaction (EABORT)', () => {
    expect(mssqlDriverError(Object.assign(new Error('x'), { code: 'EREQUEST', number: 2627, state: 1 }))).toMatchObject({ errno: 2627, driverCode: 'EREQUEST', state: 1 });
    expect(mssqlDriverError(Object.assign(new Error('x'), { code: 'EREQUEST', originalError: { info: { number: 1205, state: 51 } } }))).toMatchObject({ errno: 1205, state: 51 });
    const aborted = Object.assign(new Error('Transaction has been aborted.'), { code: 'EABORT', originalError: Object.assign(new Error('deadlock'), { number: 1205 }) });
    expect(classifyMssqlError(mssqlDriverError(aborted))).toMatchObject({ kind: 'retryable', code: 'mssql_1205' });
    expect(classifyMssqlError(mssqlDriverError(Object.assign(new Error('Transaction has been aborted.'), { code: 'EABORT' })))).toMatchObject({ kind: 'retryable', code: 'mssql_eabort' });
  });

  it('tells a failover at login (40613) from wrong credentials (18456): tedious gives ELOGIN with the message only; the ERROR token it emitted first has the number', () => {
    const recorder = loginErrorRecorder();
    const listeners: Record<string, ((...a: unknown[]) => void)[]> = {};
    const connection = {
      on: (e: string, f: (...a: unknown[]) => void) => (listeners[e] ??= []).push(f),
      once: (e: string, f: (...a: unknown[]) => void) => (listeners[e] ??= []).push(f),
    };
    recorder.beforeConnect(connection);
    const failover = "Database 'erp' on server 'db' is not currently available. Please retry the connection later.";
    listeners['errorMessage']?.forEach((f) => f({ message: failover, number: 40613, state: 1 }));
    listeners['errorMessage']?.forEach((f) => f({ message: "Login failed for user 'sa'.", number: 18456, state: 8 }));
    const elogin = (message: string) => Object.assign(new Error(message), { code: 'ELOGIN' });
    expect(classifyMssqlError(mssqlDriverError(elogin(failover), recorder))).toMatchObject({ kind: 'retryable', code: 'mssql_40613' });
    expect(classifyMssqlError(mssqlDriverError(elogin("Login failed for user 'sa'."), recorder))).toMatchObject({ kind: 'permanent', code: 'mssql_18456' });
    // After login, errors of statements on the connection are not login errors.
    listeners['connect']?.forEach((f) => f());
    listeners['errorMessage']?.forEach((f) => f({ message: 'Invalid object name', number: 208, state: 1 }));
    expect(recorder.numberOf('Invalid object name')).toBeUndefined();
  });

  it('declares typed parameters with the mssql types (VarChar(20), MAX, Binary(8), BigInt), others as inferred', async () => {
    const inputs: unknown[][] = [];
    const types: MssqlTypes = {
      MAX: 65535,
      VarChar: (n) => `VarChar(${n})`,
      NVarChar: (n) => `NVarChar(${n})`,
      Char: (n) => `Char(${n})`,
      NChar: (n) => `NChar(${n})`,
      Binary: (n) => `Binary(${n})`,
      VarBinary: (n) => `VarBinary(${n})`,
      BigInt: 'BigInt',
    };
    const request = {
      input: (...args: unknown[]) => {
        inputs.push(args);
        return request;
      },
      query: async () => ({ recordset: [], rowsAffected: [0] }),
    };
    const pool = { connected: true, connect: async () => undefined, request: () => request, transaction: () => ({}), close: async () => undefined } as unknown as MssqlPoolLike;
    const driver = createMssqlDriver(pool, { types, dateType: 'DateTime2(7)' });
    const conn = await driver.acquire();
    const d = new Date(0);
    const rv = Buffer.alloc(8);
    await conn.query('SELECT 1', [
      new TypedParam('A', { dataType: 'varchar', length: 20 }),
      new TypedParam('x', { dataType: 'nvarchar', length: -1 }),
      new TypedParam(rv, { dataType: 'binary', length: 8 }),
      new TypedParam(7n, { dataType: 'bigint' }),
      d,
      'plain',
    ]);
    expect(inputs).toEqual([['p1', 'VarChar(20)', 'A'], ['p2', 'NVarChar(65535)', 'x'], ['p3', 'Binary(8)', rv], ['p4', 'BigInt', 7n], ['p5', 'DateTime2(7)', d], ['p6', 'plain']]);
  });
});
