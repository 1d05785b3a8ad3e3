import { ConnectorError, type ExternalRecord } from '../contract.js';
import { tableName, type SqlDialect } from './dialect.js';

/** One external entity backed by one table, read by a watermark (keyset). */
export interface SqlTableConfig {
  /** The table; where the dialect allows, schema-qualified (`sales.Customers`). */
  readonly table: string;
  /** Natural / external key columns; upserts match on them (they need a UNIQUE index). */
  readonly key: readonly string[];
  /** Change-tracking column, e.g. `modified_at` (DATETIME(3) / DATETIME2), maintained by the table, or a SQL Server rowversion. */
  readonly watermark: string;
  /** A unique column ordering rows that share a watermark, e.g. `id`. */
  readonly tieBreaker: string;
  /** Further columns read and written. */
  readonly columns: readonly string[];
  /** If set, `delete` sets this column to true instead of deleting, and reads carry it. */
  readonly deletedFlag?: string;
  /**
   * IANA zone of the local time a date/time watermark without an offset holds (default UTC): where a
   * read from a point in time starts, and how an overlap re-read goes back.
   */
  readonly timeZone?: string;
  readonly changeTracking?: false;
}

/**
 * A table read through the database's change feed (SQL Server Change Tracking) instead of a
 * watermark: changes by version, deletes included. Needs a dialect with `changeFeed`.
 */
export interface ChangeTrackedTableConfig extends Omit<SqlTableConfig, 'watermark' | 'tieBreaker' | 'changeTracking' | 'timeZone'> {
  readonly changeTracking: true;
}

export type SqlTableSpec = SqlTableConfig | ChangeTrackedTableConfig;

/** Separates key values in the external id of a multi-column key; single keys are the bare value. */
export const KEY_SEPARATOR = '|';

/** A configured table, checked, with the columns it reads and writes. */
export interface Table extends Omit<SqlTableConfig, 'watermark' | 'tieBreaker' | 'changeTracking'> {
  readonly watermark?: string;
  readonly tieBreaker?: string;
  readonly changeTracking?: boolean;
  readonly entity: string;
  readonly readColumns: readonly string[];
  readonly writable: readonly string[];
}

/** A keyset-read table: its watermark and tie-breaker are set. */
export interface KeysetTable extends Table {
  readonly watermark: string;
  readonly tieBreaker: string;
}

export const isKeysetTable = (t: Table): t is KeysetTable => t.watermark !== undefined && t.tieBreaker !== undefined && !t.changeTracking;

const unique = (xs: readonly string[]) => [...new Set(xs)];

/** Checks every table (names through the dialect's quoting), listing every problem at once. */
export function prepareTables(tables: Readonly<Record<string, SqlTableSpec>>, dialect: SqlDialect): Map<string, Table> {
  const problems: string[] = [];
  const out = new Map<string, Table>();
  for (const [entity, spec] of Object.entries(tables)) {
    const t: Omit<Table, 'entity' | 'readColumns' | 'writable'> = spec;
    const check = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        problems.push(`${entity}: ${(e as Error).message}`);
      }
    };
    check(() => tableName(dialect, t.table));
    const columns = [...t.key, ...(t.watermark ? [t.watermark] : []), ...(t.tieBreaker ? [t.tieBreaker] : []), ...t.columns, ...(t.deletedFlag ? [t.deletedFlag] : [])];
    for (const c of columns) check(() => dialect.quote(c));
    if (t.key.length === 0) problems.push(`${entity}: key needs at least one column`);
    if (t.changeTracking) {
      if (!dialect.changeFeed) problems.push(`${entity}: changeTracking is not available for ${dialect.name}`);
    } else {
      if (t.watermark === undefined) problems.push(`${entity}: watermark is required (or changeTracking)`);
      if (t.tieBreaker === undefined) problems.push(`${entity}: tieBreaker is required (or changeTracking)`);
    }
    const readColumns = unique([...(t.tieBreaker ? [t.tieBreaker] : []), ...t.key, ...t.columns, ...(t.watermark ? [t.watermark] : []), ...(t.deletedFlag ? [t.deletedFlag] : [])]);
    const writable = unique([...t.key, ...t.columns.filter((c) => c !== t.watermark && c !== t.tieBreaker)]);
    out.set(entity, { ...t, entity, readColumns, writable });
  }
  if (problems.length) throw new ConnectorError('permanent', 'invalid_config', `Invalid SQL connector configuration: ${problems.join('; ')}`);
  return out;
}

/**
 * The external id of a record: its key column values joined with {@link KEY_SEPARATOR} (a single key is
 * the bare value). `missing` lists the key columns that are absent or null.
 */
export function externalIdOf(t: Pick<Table, 'key'>, record: ExternalRecord): { id: string; missing: string[] } {
  const missing = t.key.filter((k) => record[k] === undefined || record[k] === null);
  return { id: t.key.map((k) => String(record[k])).join(KEY_SEPARATOR), missing };
}
