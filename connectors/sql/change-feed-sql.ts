import type { ColumnInfo, CompiledQuery, ExactType } from './sql-types.js';

/**
 * The statements of a database change feed (SQL Server Change Tracking): a table's current and oldest
 * valid version, a first full read (the initial load) by primary key, and the changes after a
 * version, in (version, primary key) order, deletes included. The reader is `change-feed.ts`.
 */

/** The column a changes row carries its version in (removed from the record). */
export const CHANGE_VERSION = '__hub_change_version';
/** The column every changes row carries its operation in: `I`, `U`, or `D` (deleted, or gone since). */
export const CHANGE_OPERATION = 'SYS_CHANGE_OPERATION';

export interface ChangeFeedSpec {
  readonly table: string;
  /** The primary key columns, in order (as configured where the configuration names them). */
  readonly primaryKey: readonly string[];
  /** Further columns read from the table. */
  readonly columns: readonly string[];
  /** By column name, for typed parameters. */
  readonly columnInfo?: ReadonlyMap<string, ColumnInfo>;
  readonly exact?: ReadonlyMap<string, ExactType>;
}

export interface LoadSpec extends ChangeFeedSpec {
  /** Primary key values of the last row delivered, or null from the first. */
  readonly after: readonly unknown[] | null;
  readonly limit: number;
}

export interface ChangesSpec extends ChangeFeedSpec {
  /** Changes after this version (the last version fully delivered). */
  readonly since: bigint;
  /** Up to and including this version (the current version when the pass began). */
  readonly upto: bigint;
  /** The (version, primary key) of the last change delivered in this pass, or null. */
  readonly after: { readonly version: bigint; readonly key: readonly unknown[] } | null;
  readonly limit: number;
}

export interface ChangeFeedDialect {
  /** One row: `current_version` (the last committed change) and `min_valid_version` (NULL: not tracked). */
  versions(table: string): CompiledQuery;
  /** A page of the table in primary-key order. */
  load(spec: LoadSpec): CompiledQuery;
  /** A page of changes, each with {@link CHANGE_VERSION} and {@link CHANGE_OPERATION}. */
  changes(spec: ChangesSpec): CompiledQuery;
  /** `n`: rows a load from `after` would still return. */
  countLoad(spec: Omit<LoadSpec, 'limit' | 'exact'>): CompiledQuery;
  /** `n`: changes a pass from `since` would still return. */
  countChanges(spec: Omit<ChangesSpec, 'limit' | 'exact' | 'columns' | 'upto'>): CompiledQuery;
}
