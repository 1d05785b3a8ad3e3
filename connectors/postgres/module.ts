import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { createRequire } from 'node:module';
import type * as pg from 'pg';
import { z } from 'zod';
import { connectorModule, type ConnectorContext } from '../connector-module.js';
import { entityName, exact, timeoutMs, timeZoneName } from '../schema-parts.js';
import { databaseUrl, DEFAULT_POOL_CONNECTIONS, sqlShape } from '../sql/config.js';
import type { SqlTableConfig } from '../sql/sql-connector.js';
import { MAX_NAME_BYTES, tableParts } from './postgres-dialect.js';
import { createPostgresConnector } from './postgres-connector.js';
import { createPostgresDriver, pgTypes, sessionOptions, type PgPoolLike } from './postgres-driver.js';

/** PostgreSQL tables (node-postgres). Docs: docs/connectors/postgres.md. */

const nameOk = (s: string) => s.length > 0 && !s.includes('\0') && Buffer.byteLength(s, 'utf8') <= MAX_NAME_BYTES;
/** Any PostgreSQL name (it is always quoted, so case, spaces and non-ASCII letters are kept). */
const pgName = z.string().refine(nameOk, { error: `must be a PostgreSQL name: 1 to ${MAX_NAME_BYTES} bytes, no NUL` });
const pgTable = z.string().refine(
  (s) => {
    try {
      tableParts(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: `must be table or schema.table, each a PostgreSQL name of 1 to ${MAX_NAME_BYTES} bytes (at most one dot)` },
);

const pgTableSchema = z.strictObject({
  table: pgTable.describe('Table, or schema.table; names are quoted, so write them as the catalog holds them (unquoted names were folded to lower case)'),
  key: z.array(pgName).min(1).describe('Natural / external key columns (a unique index or constraint on exactly them)'),
  watermark: pgName.describe('Change-tracking column: timestamptz, timestamp (in timeZone) or an integer'),
  tieBreaker: pgName.describe('Unique column ordering rows that share a watermark, e.g. id'),
  columns: z.array(pgName).describe('Further columns read and written'),
  deletedFlag: pgName.optional().describe('Soft-delete column (boolean); delete sets it to true'),
});

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

export const postgresConnectorConfigSchema = z.strictObject({
  type: z.literal('postgres'),
  urlEnv: sqlShape.urlEnv.describe('Environment variable holding the postgres:// (or postgresql://) URL'),
  pool: sqlShape.pool,
  overlapMs: sqlShape.overlapMs,
  timeZone: timeZoneName.optional().describe('Zone of the wall-clock times in timestamp (without time zone) columns, and the session TimeZone; default UTC'),
  statementTimeoutMs: z.number().int().min(0).max(86_400_000).optional().describe('statement_timeout of every session (0: none); default 60000'),
  lockTimeoutMs: z.number().int().min(0).max(86_400_000).optional().describe('lock_timeout of every session (0: none); default 0'),
  connectTimeoutMs: timeoutMs.optional().describe('Most time to open a connection; default 10000'),
  ssl: z
    .strictObject({
      mode: z.enum(SSL_MODES).describe('disable: no TLS; require: TLS, certificate not checked; verify-ca: chain checked; verify-full: chain and host name checked'),
      caFile: z
        .string()
        .refine(isAbsolute, { error: 'must be an absolute path (a connector setting is not resolved against the configuration file)' })
        .optional()
        .describe('Absolute path of a PEM file of the CA(s) to trust instead of the system ones (verify-ca / verify-full)'),
    })
    .optional()
    .describe("TLS; default the URL's sslmode, else disable"),
  tables: z.record(entityName, pgTableSchema).describe('External entity name → table'),
});
export type PostgresConnectorConfig = z.output<typeof postgresConnectorConfigSchema>;

export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const URL_PARAMS = new Set(['sslmode', 'host', 'application_name']);

/** The pg Pool configuration for `url` and the connector's settings (no connection is opened). */
export function pgPoolConfig(url: URL, config: PostgresConnectorConfig, ctx: Pick<ConnectorContext, 'invalid'>, types: pg.CustomTypesConfig): pg.PoolConfig {
  for (const key of url.searchParams.keys()) {
    if (!URL_PARAMS.has(key)) throw ctx.invalid('urlEnv', `the URL's query parameter ${key} is not supported (${[...URL_PARAMS].join(', ')} are; timeouts and TLS are settings of the connector)`);
  }
  const urlMode = url.searchParams.get('sslmode');
  if (urlMode !== null && !(SSL_MODES as readonly string[]).includes(urlMode)) throw ctx.invalid('urlEnv', `the URL's sslmode must be one of ${SSL_MODES.join(', ')}`);
  if (urlMode !== null && config.ssl) throw ctx.invalid('ssl', "set TLS either here or with the URL's sslmode, not both");
  const mode = config.ssl?.mode ?? (urlMode as (typeof SSL_MODES)[number] | null) ?? 'disable';
  let ca: string | undefined;
  if (config.ssl?.caFile) {
    if (mode === 'disable' || mode === 'require') throw ctx.invalid('ssl/caFile', 'is only used with mode verify-ca or verify-full');
    try {
      ca = readFileSync(config.ssl.caFile, 'utf8');
    } catch {
      throw ctx.invalid('ssl/caFile', 'the file cannot be read');
    }
  }
  // libpq's meanings (docs 34.19.1): require encrypts without checking the certificate; verify-ca
  // checks the chain; verify-full the chain and that it names the host.
  const ssl: pg.PoolConfig['ssl'] =
    mode === 'disable' ? false : mode === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(ca ? { ca } : {}), ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) };
  const host = url.searchParams.get('host') ?? (url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost');
  const zone = config.timeZone ?? 'UTC';
  const statementTimeout = config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  return {
    host,
    port: Number(url.port || 5432),
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { database: decodeURIComponent(url.pathname.slice(1)) } : {}),
    application_name: url.searchParams.get('application_name') ?? 'erp-crm-hub',
    max: config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS,
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // statement_timeout is the server's; query_timeout (client side, 5 s later) ends a wait on a dead
    // connection that the server can no longer answer. TCP keepalive finds dead idle connections.
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + 5000 } : {}),
    keepAlive: true,
    ...(config.lockTimeoutMs ? { lock_timeout: config.lockTimeoutMs } : {}),
    options: sessionOptions(zone),
    types,
    ssl,
  };
}

// The driver loads when a connector of its kind is built: a process that builds none pays nothing for it.
const requireDriver = createRequire(import.meta.url);

export const postgresModule = connectorModule({
  type: 'postgres',
  configSchema: postgresConnectorConfigSchema,
  docs: 'docs/connectors/postgres.md',
  secrets: (config) => [{ pointer: 'urlEnv', variable: config.urlEnv }],
  create(name, config, ctx) {
    const url = databaseUrl(config, ctx, ['postgres:', 'postgresql:']);
    const zone = config.timeZone ?? 'UTC';
    const driverModule = requireDriver('pg') as typeof pg;
    const types = pgTypes(driverModule.types, zone) as pg.CustomTypesConfig;
    // pg connects on first use: building the connector opens no connection.
    const pool = new driverModule.Pool(pgPoolConfig(url, config, ctx, types));
    return createPostgresConnector({
      name,
      driver: createPostgresDriver(pool as unknown as PgPoolLike, { timeZone: zone }),
      tables: exact(config.tables) as Record<string, SqlTableConfig>,
      timeZone: zone,
      ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }),
    });
  },
});
