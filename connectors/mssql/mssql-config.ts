import { z } from 'zod';
import { entityName, exact, timeoutMs, timeZoneName } from '../schema-parts.js';
import { sqlShape } from '../sql/config.js';
import type { SqlTableSpec } from '../sql/sql-connector.js';
import { mssqlNameProblem } from './mssql-names.js';

/**
 * The `type: mssql` configuration: the shared SQL keys, SQL Server names (schema-qualified tables,
 * spaces, non-ASCII letters), Change Tracking per table, the zone of local-time watermarks, and the
 * driver's timeouts.
 */

const named = (kind: 'table' | 'column', what: string) =>
  z
    .string()
    .superRefine((name, ctx) => {
      const problem = mssqlNameProblem(name, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a SQL Server ${what}: ${problem}` });
    })
    .describe(
      kind === 'table'
        ? 'Table or schema.table; a part holding a dot or bracket goes in brackets with ] doubled ([sales].[Order Lines])'
        : 'Column name (any characters but control characters, at most 128)',
    );

const tableName = named('table', 'table name (table or schema.table)');
const columnName = named('column', 'column name');

export const mssqlTableSchema = z
  .strictObject({
    table: tableName,
    key: z.array(columnName).min(1).describe('Natural / external key columns (a UNIQUE index on them; the primary key with changeTracking)'),
    watermark: columnName.optional().describe('Change-tracking column: DATETIME2 / DATETIME / DATETIMEOFFSET (read at full precision) or rowversion; not with changeTracking'),
    tieBreaker: columnName.optional().describe('Unique column ordering rows that share a watermark, e.g. Id; not with changeTracking'),
    columns: z.array(columnName).describe('Further columns read and written'),
    deletedFlag: columnName.optional().describe('Soft-delete column; delete sets it to true'),
    changeTracking: z.boolean().optional().describe('Read through SQL Server Change Tracking (deletes included) instead of a watermark; default false'),
    timeZone: timeZoneName.optional().describe('IANA zone of the local time a DATETIME / DATETIME2 watermark holds; default the connector timeZone'),
  })
  .superRefine((t, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (t.changeTracking) {
      for (const k of ['watermark', 'tieBreaker', 'timeZone'] as const) if (t[k] !== undefined) issue(k, `is not used with changeTracking (Change Tracking versions order the reads)`);
    } else {
      if (t.watermark === undefined) issue('watermark', 'is required (or changeTracking: true)');
      if (t.tieBreaker === undefined) issue('tieBreaker', 'is required (or changeTracking: true)');
    }
  });

export const mssqlConnectorConfigSchema = z.strictObject({
  type: z.literal('mssql'),
  urlEnv: sqlShape.urlEnv,
  pool: sqlShape.pool,
  overlapMs: sqlShape.overlapMs,
  timeZone: timeZoneName.optional().describe('IANA zone of the local time DATETIME / DATETIME2 watermarks hold (GETDATE() on a server not in UTC); default UTC'),
  connectTimeoutMs: timeoutMs.optional().describe('Most milliseconds to open a connection (login included); default 30000'),
  requestTimeoutMs: timeoutMs.optional().describe('Most milliseconds one statement may run before it is cancelled (retryable ETIMEOUT); default 30000'),
  tables: z.record(entityName, mssqlTableSchema).describe('External entity name → table'),
});
export type MssqlConnectorConfig = z.output<typeof mssqlConnectorConfigSchema>;

/** Microsoft recommends a connection timeout of at least 30 s for Azure SQL; 30 s is also SqlClient's command timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The connector's tables: the connector's time zone where a table names none. */
export function mssqlTables(config: MssqlConnectorConfig): Record<string, SqlTableSpec> {
  const out: Record<string, SqlTableSpec> = {};
  for (const [entity, t] of Object.entries(config.tables)) {
    const base = { table: t.table, key: [...t.key], columns: [...t.columns], ...(t.deletedFlag === undefined ? {} : { deletedFlag: t.deletedFlag }) };
    if (t.changeTracking) out[entity] = { ...base, changeTracking: true };
    else {
      const zone = t.timeZone ?? config.timeZone;
      out[entity] = exact({ ...base, watermark: t.watermark!, tieBreaker: t.tieBreaker!, ...(zone === undefined ? {} : { timeZone: zone }) });
    }
  }
  return out;
}
