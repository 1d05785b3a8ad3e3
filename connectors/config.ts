import { createRequire } from 'node:module';
import type sql from 'mssql';
import type * as mysql from 'mysql2/promise';
import { z } from 'zod';
import { ConfigError, type FieldProblem } from '../core/errors.js';
import type { Connector } from './contract.js';
import { createHttpClient, type FetchLike, type HttpAuth } from './http/client.js';
import { createErpnextConnector } from './http/erpnext.js';
import { createHttpConnector, type EntityEndpoints } from './http/http-connector.js';
import { createMssqlDriver } from './sql/mssql-driver.js';
import { mssqlDialect } from './sql/mssql-dialect.js';
import { createMysqlDriver } from './sql/mysql-driver.js';
import { mysqlDialect } from './sql/mysql-dialect.js';
import { createSqlConnector, type SqlTableConfig } from './sql/sql-connector.js';

/**
 * One connector instance as configured in `hub.config.yaml` under `connectors: { <name>: … }`, and
 * the factory that builds it. Secrets are never in the file: it names the environment variables
 * that hold them (`urlEnv`, `tokenEnv` …), and `createConnector` reads them.
 */

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable (letters, digits, _)');
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a plain SQL identifier (letters, digits, _; at most 128)');
const entityName = z.string().min(1).max(128);
const path = z.string().regex(/^\/[^\s]*$/, 'must be a path starting with /');
const fieldName = z.string().min(1).max(128);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const timeoutMs = z.number().int().min(1).max(600_000);

/** A connector's name: the key under `connectors:`. */
export const connectorNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter: letters, digits, _ and -, at most 64');

const sqlTableSchema = z.strictObject({
  table: identifier,
  key: z.array(identifier).min(1).describe('Natural / external key columns (a UNIQUE index on them)'),
  watermark: identifier.describe('Change-tracking column, e.g. modified_at'),
  tieBreaker: identifier.describe('Unique column ordering rows that share a watermark, e.g. id'),
  columns: z.array(identifier).describe('Further columns read and written'),
  deletedFlag: identifier.optional().describe('Soft-delete column; delete sets it to true'),
});

const sqlShape = {
  urlEnv: envName.describe('Environment variable holding the database URL'),
  pool: z.strictObject({ connections: z.number().int().min(1).max(200).optional().describe('Most connections; default 5') }).optional(),
  overlapMs: z.number().int().min(0).max(7 * 86_400_000).optional().describe('Re-read window for late commits; default 0'),
  tables: z.record(entityName, sqlTableSchema).describe('External entity name → table'),
};

export const mysqlConnectorConfigSchema = z.strictObject({ type: z.literal('mysql'), ...sqlShape });
export const mssqlConnectorConfigSchema = z.strictObject({ type: z.literal('mssql'), ...sqlShape });

/** An IANA time zone this Node knows (Europe/Berlin, UTC …). */
const timeZoneName = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA time zone such as Europe/Berlin or UTC' },
);

const listSchema = z.strictObject({
  path,
  recordsField: z.string().max(128).optional(),
  modifiedField: fieldName.optional(),
  tieBreakerField: fieldName.optional(),
  query: z.record(z.string().min(1), z.string()).optional(),
  modifiedFormat: z
    .discriminatedUnion('style', [
      z.strictObject({ style: z.literal('iso') }),
      z.strictObject({ style: z.literal('datetime'), timeZone: timeZoneName, fractionDigits: z.number().int().min(0).max(6).optional() }),
    ])
    .optional()
    .describe('How the system writes modifiedField (iso: UTC ISO 8601; datetime: wall-clock time in timeZone); needed to backfill from a point in time'),
  since: z.strictObject({ param: z.string().min(1) }),
  paging: z.discriminatedUnion('style', [
    z.strictObject({ style: z.literal('offset'), offsetParam: z.string().min(1), limitParam: z.string().min(1) }),
    z.strictObject({ style: z.literal('cursor'), cursorParam: z.string().min(1), limitParam: z.string().min(1), nextCursorField: fieldName }),
  ]),
  pageSize: z.number().int().min(1).max(10_000).optional(),
  countField: fieldName.optional(),
  countPath: path.optional(),
  countQuery: z.record(z.string().min(1), z.string()).optional().describe('Fixed query parameters of the count request instead of query'),
  deletedField: fieldName.optional().describe('Row field marking a deleted record (true, 1, "1", "true"); sources with deletes: true apply it to the hub'),
});

const upsertSchema = z.strictObject({
  path,
  keyField: fieldName,
  method: z.enum(['POST', 'PUT']).optional(),
  responseField: z.string().max(128).optional(),
  idField: fieldName.optional(),
  namedBy: z
    .enum(['payload', 'system'])
    .optional()
    .describe('Who names a new record: payload (default; the keyField the hub sends is its key) or system (the system assigns ids itself and ignores one sent; such a target needs a lookup, or the hub refuses it)'),
  lookup: z
    .strictObject({ field: fieldName, path, query: z.strictObject({ param: z.string().min(1) }), recordsField: z.string().max(128).optional() })
    .optional()
    .describe('Before a create, find a record already holding the payload\'s value of field (GET path?param=value): a retried create updates it instead of making a second one'),
});

const batchSchema = z.strictObject({
  path,
  method: z.enum(['POST', 'PUT']).optional(),
  recordsField: z.string().max(128).optional(),
  resultsField: z.string().max(128).optional(),
  idField: fieldName.optional(),
  errorField: fieldName.optional(),
  statusField: fieldName.optional(),
  maxBatch: z.number().int().min(1).max(10_000).optional(),
});

const httpEntitySchema = z.strictObject({
  list: listSchema.optional(),
  upsert: upsertSchema.optional(),
  batch: batchSchema.optional(),
  delete: z.strictObject({ path }).optional(),
  naturalKeys: z.array(fieldName).optional(),
});

const httpAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bearer'), tokenEnv: envName }),
  z.strictObject({ kind: z.literal('basic'), usernameEnv: envName, passwordEnv: envName }),
  z.strictObject({ kind: z.literal('header'), name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'), valueEnv: envName }),
]);

const httpOverlapMs = z.number().int().min(0).max(7 * 86_400_000).optional().describe('Re-read window for rows committed late with an older modified value (as the SQL connectors\' overlapMs); default 0');

export const httpConnectorConfigSchema = z
  .strictObject({
    type: z.literal('http'),
    baseUrl: httpUrl,
    auth: httpAuthSchema.optional(),
    timeoutMs: timeoutMs.optional(),
    checkPath: path.optional(),
    overlapMs: httpOverlapMs,
    entities: z.record(entityName, httpEntitySchema),
  })
  .superRefine((config, ctx) => {
    if (!config.overlapMs) return;
    for (const [entity, e] of Object.entries(config.entities)) {
      if (e.list && !e.list.modifiedFormat) ctx.addIssue({ code: 'custom', path: ['entities', entity, 'list', 'modifiedFormat'], message: 'is required with overlapMs: the window is measured on the modified values' });
    }
  });

export const erpnextConnectorConfigSchema = z.strictObject({
  type: z.literal('erpnext'),
  baseUrl: httpUrl,
  apiKeyEnv: envName,
  apiSecretEnv: envName,
  timeoutMs: timeoutMs.optional(),
  timeZone: timeZoneName.optional().describe("The site's time zone (System Settings), in which ERPNext stamps modified; needed to backfill from a point in time"),
  overlapMs: httpOverlapMs,
  lookupField: fieldName.nullable().optional().describe('A (custom) field every outbound mapping writes the hub\'s key to: before a create the connector looks for a document holding it, so a retried create never makes a second document under a naming series. Default custom_hub_code (the default mappings write it; create it as a unique Data custom field on Customer and Sales Order); null turns the lookup off, and the hub then refuses Customer and Sales Order as targets'),
}).superRefine((config, ctx) => {
  if (config.overlapMs && !config.timeZone) ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'is required with overlapMs: the window is measured on modified, which ERPNext writes in the site\'s time zone' });
});

/** One connector instance, discriminated on `type`. */
export const connectorConfigSchema = z.discriminatedUnion('type', [
  mysqlConnectorConfigSchema,
  mssqlConnectorConfigSchema,
  httpConnectorConfigSchema,
  erpnextConnectorConfigSchema,
]);

/** The `connectors:` section: name → instance. */
export const connectorsConfigSchema = z.record(connectorNameSchema, connectorConfigSchema);

export type ConnectorConfig = z.output<typeof connectorConfigSchema>;
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type MysqlConnectorConfig = z.output<typeof mysqlConnectorConfigSchema>;
export type MssqlConnectorConfig = z.output<typeof mssqlConnectorConfigSchema>;
export type HttpConnectorConfig = z.output<typeof httpConnectorConfigSchema>;
export type ErpnextConnectorConfig = z.output<typeof erpnextConnectorConfigSchema>;
export type ConnectorsConfig = z.output<typeof connectorsConfigSchema>;

/** What tests and embedding hosts may inject. */
export interface ConnectorDeps {
  /** For HTTP connectors; default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
}

export type ConnectorEnv = Readonly<Record<string, string | undefined>>;

const DEFAULT_POOL_CONNECTIONS = 5;

function problemsOf(name: string, error: z.ZodError): FieldProblem[] {
  return error.issues.map((i) => ({
    pointer: `/connectors/${name}${i.path.length ? '/' + i.path.map(String).join('/') : ''}`,
    detail: i.code === 'unrecognized_keys' ? `unknown key(s): ${i.keys.join(', ')}` : i.message,
  }));
}

/** Validates one connector's configuration; throws a ConfigError listing every problem with its pointer. */
export function parseConnectorConfig(name: string, data: unknown): ConnectorConfig {
  const problems: FieldProblem[] = [];
  const named = connectorNameSchema.safeParse(name);
  if (!named.success) problems.push({ pointer: `/connectors/${name}`, detail: `connector name ${named.error.issues[0]?.message ?? 'is invalid'}` });
  const parsed = connectorConfigSchema.safeParse(data);
  if (!parsed.success) problems.push(...problemsOf(name, parsed.error));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(`Connector ${name} is misconfigured (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems);
  return parsed.data;
}

/**
 * Reads the secrets a configuration names; records a problem (naming the variable, never a value) for
 * each one that is unset or empty.
 */
class Secrets {
  readonly problems: FieldProblem[] = [];
  constructor(
    private readonly name: string,
    private readonly env: ConnectorEnv,
  ) {}

  get(pointer: string, variable: string): string {
    const value = this.env[variable];
    if (value === undefined || value === '') {
      this.problems.push({ pointer: `/connectors/${this.name}/${pointer}`, detail: `environment variable ${variable} is not set` });
      return '';
    }
    return value;
  }

  /** A URL of one of `protocols` from the variable; never echoes what the variable holds. */
  url(pointer: string, variable: string, protocols: readonly string[]): URL | undefined {
    const text = this.get(pointer, variable);
    if (text === '') return undefined;
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url === undefined || !protocols.includes(url.protocol)) {
      this.problems.push({ pointer: `/connectors/${this.name}/${pointer}`, detail: `environment variable ${variable} does not hold a ${protocols.map((p) => `${p}//`).join(' or ')} URL` });
      return undefined;
    }
    return url;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) {
      throw new ConfigError(`Connector ${this.name} is misconfigured (${this.problems.length} problem${this.problems.length === 1 ? '' : 's'})`, this.problems);
    }
  }
}

/** The parsed config with optional-but-absent keys really absent (the connector options are exact). */
type Exact<T> = T extends readonly (infer U)[] ? Exact<U>[] : T extends object ? { [K in keyof T]: Exact<Exclude<T[K], undefined>> } : T;

function exact<T>(value: T): Exact<T> {
  if (Array.isArray(value)) return value.map((v: unknown) => exact(v)) as Exact<T>;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, exact(v)])) as Exact<T>;
  }
  return value as Exact<T>;
}

const tablesOf = (tables: MysqlConnectorConfig['tables']): Record<string, SqlTableConfig> => exact(tables);

// The drivers load when a connector of their kind is built: a process (or CLI command) that builds
// none pays nothing for them (mssql alone costs ≈ 0.3 s to load).
const requireDriver = createRequire(import.meta.url);

function mysqlConnector(name: string, config: MysqlConnectorConfig, secrets: Secrets): Connector {
  const url = secrets.url('urlEnv', config.urlEnv, ['mysql:', 'mariadb:']);
  secrets.throwIfAny();
  if (url === undefined) throw new Error('unreachable');
  if (url.protocol === 'mariadb:') url.protocol = 'mysql:';
  // mysql2 connects on first use: building the connector opens no connection. DECIMAL stays a string.
  const { createPool } = requireDriver('mysql2/promise') as typeof mysql;
  const pool = createPool({
    uri: url.toString(),
    connectionLimit: config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS,
    decimalNumbers: false,
    timezone: 'Z',
    connectTimeout: 10_000,
  });
  return createSqlConnector({ name, driver: createMysqlDriver(pool), dialect: mysqlDialect, tables: tablesOf(config.tables), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
}

/** `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=true` as an mssql config. */
export function mssqlConfigFromUrl(url: URL, connections: number): sql.config {
  const flag = (key: string, fallback: boolean) => {
    const v = url.searchParams.get(key);
    return v === null ? fallback : v === 'true' || v === '1';
  };
  return {
    server: url.hostname,
    port: Number(url.port || 1433),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'master',
    options: { encrypt: flag('encrypt', true), trustServerCertificate: flag('trustServerCertificate', false) },
    connectionTimeout: 10_000,
    pool: { max: connections },
  };
}

function mssqlConnector(name: string, config: MssqlConnectorConfig, secrets: Secrets): Connector {
  const url = secrets.url('urlEnv', config.urlEnv, ['mssql:', 'sqlserver:']);
  secrets.throwIfAny();
  if (url === undefined) throw new Error('unreachable');
  // The pool connects lazily, on the connector's first use (see createMssqlDriver).
  const mssql = requireDriver('mssql') as typeof sql;
  const pool = new mssql.ConnectionPool(mssqlConfigFromUrl(url, config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS));
  const driver = createMssqlDriver(pool, { dateType: mssql.DateTime2(3) });
  return createSqlConnector({ name, driver, dialect: mssqlDialect, tables: tablesOf(config.tables), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
}

function httpAuth(auth: HttpConnectorConfig['auth'], secrets: Secrets): HttpAuth | undefined {
  if (auth === undefined) return undefined;
  switch (auth.kind) {
    case 'bearer':
      return { kind: 'bearer', token: secrets.get('auth/tokenEnv', auth.tokenEnv) };
    case 'basic':
      return { kind: 'basic', username: secrets.get('auth/usernameEnv', auth.usernameEnv), password: secrets.get('auth/passwordEnv', auth.passwordEnv) };
    case 'header':
      return { kind: 'header', name: auth.name, value: secrets.get('auth/valueEnv', auth.valueEnv) };
  }
}

function httpConnector(name: string, config: HttpConnectorConfig, secrets: Secrets, deps: ConnectorDeps): Connector {
  const auth = httpAuth(config.auth, secrets);
  secrets.throwIfAny();
  const client = createHttpClient({
    baseUrl: config.baseUrl,
    ...(auth === undefined ? {} : { auth }),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
  });
  const entities: Record<string, EntityEndpoints> = exact(config.entities);
  return createHttpConnector({ name, client, entities, ...(config.checkPath === undefined ? {} : { checkPath: config.checkPath }), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
}

function erpnextConnector(name: string, config: ErpnextConnectorConfig, secrets: Secrets, deps: ConnectorDeps): Connector {
  const apiKey = secrets.get('apiKeyEnv', config.apiKeyEnv);
  const apiSecret = secrets.get('apiSecretEnv', config.apiSecretEnv);
  secrets.throwIfAny();
  return createErpnextConnector({
    name,
    baseUrl: config.baseUrl,
    apiKey,
    apiSecret,
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    ...(config.timeZone === undefined ? {} : { timeZone: config.timeZone }),
    ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }),
    ...(config.lookupField === undefined ? {} : { lookupField: config.lookupField }),
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
  });
}

/**
 * Builds the connector `name` from its configuration (validated again here, so raw data from YAML is
 * fine) and the secrets its environment variables hold. Throws a ConfigError whose problems point at
 * `/connectors/<name>/…` and name variables, never their values. Opens no connection: SQL pools
 * connect on first use, so `check()` is where an unreachable system shows.
 */
export function createConnector(name: string, config: ConnectorConfigInput, env: ConnectorEnv, deps: ConnectorDeps = {}): Connector {
  const valid = parseConnectorConfig(name, config);
  const secrets = new Secrets(name, env);
  switch (valid.type) {
    case 'mysql':
      return mysqlConnector(name, valid, secrets);
    case 'mssql':
      return mssqlConnector(name, valid, secrets);
    case 'http':
      return httpConnector(name, valid, secrets, deps);
    case 'erpnext':
      return erpnextConnector(name, valid, secrets, deps);
  }
}
