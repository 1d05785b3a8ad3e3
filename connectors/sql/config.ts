import { z } from 'zod';
import type { ConnectorContext } from '../connector-module.js';
import { entityName, envName, exact, identifier } from '../schema-parts.js';
import type { SqlTableConfig } from './sql-connector.js';

/** The configuration the SQL connector modules (mysql, mssql) share: a database URL and tables. */

const sqlTableSchema = z.strictObject({
  table: identifier,
  key: z.array(identifier).min(1).describe('Natural / external key columns (a UNIQUE index on them)'),
  watermark: identifier.describe('Change-tracking column, e.g. modified_at'),
  tieBreaker: identifier.describe('Unique column ordering rows that share a watermark, e.g. id'),
  columns: z.array(identifier).describe('Further columns read and written'),
  deletedFlag: identifier.optional().describe('Soft-delete column; delete sets it to true'),
});

export const sqlShape = {
  urlEnv: envName.describe('Environment variable holding the database URL'),
  pool: z.strictObject({ connections: z.number().int().min(1).max(200).optional().describe('Most connections; default 5') }).optional(),
  overlapMs: z.number().int().min(0).max(7 * 86_400_000).optional().describe('Re-read window for late commits; default 0'),
  tables: z.record(entityName, sqlTableSchema).describe('External entity name → table'),
};

/** What both SQL configurations hold besides `type`. */
export interface SqlConfig {
  readonly urlEnv: string;
  readonly pool?: { readonly connections?: number | undefined } | undefined;
  readonly overlapMs?: number | undefined;
  readonly tables: Readonly<Record<string, z.output<typeof sqlTableSchema>>>;
}

export const DEFAULT_POOL_CONNECTIONS = 5;

export const tablesOf = (tables: SqlConfig['tables']): Record<string, SqlTableConfig> => exact(tables) as Record<string, SqlTableConfig>;

/** The database URL in `urlEnv`, when it is one of `protocols`; never echoes what the variable holds. */
export function databaseUrl(config: Pick<SqlConfig, 'urlEnv'>, ctx: ConnectorContext, protocols: readonly string[]): URL {
  const text = ctx.secret(config.urlEnv);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || !protocols.includes(url.protocol)) {
    throw ctx.invalid('urlEnv', `environment variable ${config.urlEnv} does not hold a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
  }
  return url;
}
