import { createRequire } from 'node:module';
import type sql from 'mssql';
import { z } from 'zod';
import { connectorModule } from '../connector-module.js';
import { databaseUrl, DEFAULT_POOL_CONNECTIONS, sqlShape, tablesOf } from '../sql/config.js';
import { createSqlConnector } from '../sql/sql-connector.js';
import { createMssqlDriver } from './mssql-driver.js';
import { mssqlDialect } from './mssql-dialect.js';

/** Microsoft SQL Server tables (mssql / tedious). Docs: docs/connectors/mssql.md. */

export const mssqlConnectorConfigSchema = z.strictObject({ type: z.literal('mssql'), ...sqlShape });
export type MssqlConnectorConfig = z.output<typeof mssqlConnectorConfigSchema>;

// The driver loads when a connector of its kind is built (mssql alone costs ≈ 0.3 s to load).
const requireDriver = createRequire(import.meta.url);

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

export const mssqlModule = connectorModule({
  type: 'mssql',
  configSchema: mssqlConnectorConfigSchema,
  docs: 'docs/connectors/mssql.md',
  secrets: (config) => [{ pointer: 'urlEnv', variable: config.urlEnv }],
  create(name, config, ctx) {
    const url = databaseUrl(config, ctx, ['mssql:', 'sqlserver:']);
    // The pool connects lazily, on the connector's first use (see createMssqlDriver).
    const mssql = requireDriver('mssql') as typeof sql;
    const pool = new mssql.ConnectionPool(mssqlConfigFromUrl(url, config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS));
    const driver = createMssqlDriver(pool, { dateType: mssql.DateTime2(3) });
    return createSqlConnector({ name, driver, dialect: mssqlDialect, tables: tablesOf(config.tables), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
  },
});
