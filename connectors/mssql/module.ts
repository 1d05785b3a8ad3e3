import { createRequire } from 'node:module';
import type sql from 'mssql';
import { connectorModule } from '../connector-module.js';
import { databaseUrl, DEFAULT_POOL_CONNECTIONS } from '../sql/config.js';
import { createSqlConnector } from '../sql/sql-connector.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, mssqlConnectorConfigSchema, mssqlTables } from './mssql-config.js';
import { createMssqlDriver, loginErrorRecorder, type LoginErrors } from './mssql-driver.js';
import { mssqlDialect } from './mssql-dialect.js';

export { mssqlConnectorConfigSchema, type MssqlConnectorConfig } from './mssql-config.js';

/** Microsoft SQL Server tables (mssql / tedious). Docs: docs/connectors/mssql.md. */

// The driver loads when a connector of its kind is built (mssql alone costs ≈ 0.3 s to load).
const requireDriver = createRequire(import.meta.url);

export interface MssqlPoolSettings {
  /** Default 30 000. */
  readonly connectTimeoutMs?: number;
  /** Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Records login error numbers (see `loginErrorRecorder`). */
  readonly loginErrors?: LoginErrors;
}

/** `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=true` as an mssql config. */
export function mssqlConfigFromUrl(url: URL, connections: number, settings: MssqlPoolSettings = {}): sql.config {
  const flag = (key: string, fallback: boolean) => {
    const v = url.searchParams.get(key);
    return v === null ? fallback : v === 'true' || v === '1';
  };
  const { loginErrors } = settings;
  return {
    server: url.hostname,
    port: Number(url.port || 1433),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'master',
    options: { encrypt: flag('encrypt', true), trustServerCertificate: flag('trustServerCertificate', false) },
    connectionTimeout: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    pool: { max: connections },
    ...(loginErrors ? { beforeConnect: (connection: unknown) => loginErrors.beforeConnect(connection) } : {}),
  };
}

export const mssqlModule = connectorModule({
  type: 'mssql',
  configSchema: mssqlConnectorConfigSchema,
  docs: 'docs/connectors/mssql.md',
  secrets: (config) => [{ pointer: 'urlEnv', variable: config.urlEnv }],
  create(name, config, ctx) {
    const url = databaseUrl(config, ctx, ['mssql:', 'sqlserver:']);
    // The pool connects lazily, on the connector's first use (see createMssqlDriver).
    const mssql = requireDriver('mssql') as typeof sql;
    const loginErrors = loginErrorRecorder();
    const settings = {
      loginErrors,
      ...(config.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: config.connectTimeoutMs }),
      ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
    };
    const pool = new mssql.ConnectionPool(mssqlConfigFromUrl(url, config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS, settings));
    const driver = createMssqlDriver(pool, { dateType: mssql.DateTime2(7), types: mssql, loginErrors });
    return createSqlConnector({ name, driver, dialect: mssqlDialect, tables: mssqlTables(config), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
  },
});
