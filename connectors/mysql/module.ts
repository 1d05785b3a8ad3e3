import { createRequire } from 'node:module';
import type * as mysql from 'mysql2/promise';
import { z } from 'zod';
import { connectorModule } from '../connector-module.js';
import { databaseUrl, DEFAULT_POOL_CONNECTIONS, sqlShape, tablesOf } from '../sql/config.js';
import { createSqlConnector } from '../sql/sql-connector.js';
import { createMysqlDriver } from './mysql-driver.js';
import { mysqlDialect } from './mysql-dialect.js';

/** MySQL and MariaDB tables (mysql2). Docs: docs/connectors/mysql.md. */

export const mysqlConnectorConfigSchema = z.strictObject({ type: z.literal('mysql'), ...sqlShape });
export type MysqlConnectorConfig = z.output<typeof mysqlConnectorConfigSchema>;

// The driver loads when a connector of its kind is built: a process (or CLI command) that builds none
// pays nothing for it.
const requireDriver = createRequire(import.meta.url);

export const mysqlModule = connectorModule({
  type: 'mysql',
  configSchema: mysqlConnectorConfigSchema,
  docs: 'docs/connectors/mysql.md',
  secrets: (config) => [{ pointer: 'urlEnv', variable: config.urlEnv }],
  create(name, config, ctx) {
    const url = databaseUrl(config, ctx, ['mysql:', 'mariadb:']);
    if (url.protocol === 'mariadb:') url.protocol = 'mysql:';
    // mysql2 connects on first use: building the connector opens no connection. DECIMAL stays a string;
    // a DATE is a calendar date, read as its YYYY-MM-DD text (not an instant at some midnight), as the
    // canonical model's dates are; DATETIME / TIMESTAMP stay instants in UTC.
    const { createPool } = requireDriver('mysql2/promise') as typeof mysql;
    const pool = createPool({
      uri: url.toString(),
      connectionLimit: config.pool?.connections ?? DEFAULT_POOL_CONNECTIONS,
      decimalNumbers: false,
      dateStrings: ['DATE'],
      timezone: 'Z',
      connectTimeout: 10_000,
    });
    return createSqlConnector({ name, driver: createMysqlDriver(pool), dialect: mysqlDialect, tables: tablesOf(config.tables), ...(config.overlapMs === undefined ? {} : { overlapMs: config.overlapMs }) });
  },
});
