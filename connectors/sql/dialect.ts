import type { FailureKind } from '../contract.js';
import type { SqlDriverError } from './driver.js';
import type { ChangeFeedDialect } from './change-feed-sql.js';
import type { ColumnInfo, CompiledQuery, ExactType, WatermarkKind } from './sql-types.js';
import { CodedError } from '../../core/errors.js';

export { TypedParam, WATERMARK_KINDS, type ColumnInfo, type CompiledQuery, type ExactType, type ParamType, type WatermarkKind } from './sql-types.js';

/**
 * A SQL dialect: the few places where MySQL/MariaDB and SQL Server differ (quoting, placeholders,
 * pagination, upsert, limits, error numbers). Everything else lives in the shared connector.
 * Identifiers are validated and quoted; values are only ever parameters.
 */

/** Where a keyset read starts. */
export type ReadStart =
  /** Rows with (watermark, tieBreaker) strictly after this position. */
  | { readonly kind: 'after'; readonly watermark: unknown; readonly tieBreaker: unknown }
  /** Rows with watermark >= this value (an overlap re-read, or a read from a point in time). */
  | { readonly kind: 'from'; readonly watermark: unknown };

/** What the shared connector learnt of a table's columns (dialects with `describeTable`). */
export interface ColumnFacts {
  /** The table's columns by configured name. */
  readonly columnInfo?: ReadonlyMap<string, ColumnInfo>;
  /** How the watermark is read and compared (default `value`). */
  readonly watermarkKind?: WatermarkKind;
}

export interface ReadSpec extends ColumnFacts {
  readonly table: string;
  readonly columns: readonly string[];
  readonly watermark: string;
  readonly tieBreaker: string;
  /** null: from the beginning. For `text` watermarks the start's watermark is the column's own text. */
  readonly start: ReadStart | null;
  readonly limit: number;
  /**
   * Columns to read as exact decimal text, by their type (see `SqlDialect.describeTable`): drivers
   * that answer DECIMAL as binary floating point would otherwise lose digits of money amounts.
   */
  readonly exact?: ReadonlyMap<string, ExactType>;
}

/** How many rows a keyset read from `start` would return (no limit, no order). */
export interface CountSpec extends ColumnFacts {
  readonly table: string;
  readonly watermark: string;
  readonly tieBreaker: string;
  /** null: the whole table. */
  readonly start: ReadStart | null;
}

export interface UpsertSpec extends Pick<ColumnFacts, 'columnInfo'> {
  readonly table: string;
  /** The natural key columns (MySQL: a UNIQUE index on them makes ON DUPLICATE KEY match). */
  readonly key: readonly string[];
  /** All columns written, key columns included, in the order of each row's values. */
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface DeleteSpec extends Pick<ColumnFacts, 'columnInfo'> {
  readonly table: string;
  readonly key: readonly string[];
  /** One array of key values per row, in `key` order. */
  readonly keys: readonly (readonly unknown[])[];
  /** Soft delete: set this column to `softDeleteValue` instead of deleting. */
  readonly softDelete?: { readonly column: string; readonly value: unknown };
}

export interface ErrorClass {
  readonly kind: FailureKind;
  readonly code: string;
  readonly message: string;
}

export const DIALECT_NAMES = ['mysql', 'mssql', 'postgres'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

/**
 * The column a dialect's read adds, next to the watermark column, for a `text` watermark: the
 * watermark as the column's own exact text. The connector takes the position from it and removes it
 * from the record.
 */
export const WATERMARK_TEXT = '__hub_watermark';

export interface SqlDialect {
  readonly name: DialectName;
  /** Most parameters one statement may carry. */
  readonly maxParams: number;
  /** Most rows one multi-row statement may carry. */
  readonly maxRows: number;
  /** A quoted column name; throws an InvalidIdentifierError for a name the dialect refuses. */
  quote(identifier: string): string;
  /** A quoted table name (SQL Server: `schema.table`); default {@link SqlDialect.quote}. */
  quoteTable?(name: string): string;
  /** The placeholder for the `index`-th parameter (1-based). */
  placeholder(index: number): string;
  /** Reachability probe. */
  ping(): CompiledQuery;
  /** Keyset page ordered by (watermark, tieBreaker). */
  read(spec: ReadSpec): CompiledQuery;
  /**
   * A query answering one row per column of the table: `column_name` and `data_type`, and where the
   * dialect can, `max_length` (characters; -1: max), `datetime_precision`, `collation` and
   * `primary_key` (1/0). With it the connector reads fixed-point columns as exact text, binds
   * parameters with the column's type, keeps date/time watermarks at full precision, and folds keys
   * by collation. Absent where the driver answers everything exactly (mysql2).
   */
  describeTable?(table: string): CompiledQuery;
  /** @deprecated the older name of {@link SqlDialect.describeTable} (only `column_name`, `data_type`). */
  exactColumns?(table: string): CompiledQuery;
  /** How a watermark column of this type is read and compared; default `value`. */
  watermarkKindOf?(column: ColumnInfo): WatermarkKind;
  /**
   * A key value as the column's collation compares it (SQL Server: case and accents folded under a
   * _CI / _AI collation, trailing spaces ignored): two records whose folded keys are equal go to
   * separate statements, in request order. Folding more than the database does only costs a statement.
   */
  foldKey?(value: unknown, column: ColumnInfo | undefined): unknown;
  /** A change feed with versions and deletes (SQL Server Change Tracking), for tables that ask for it. */
  readonly changeFeed?: ChangeFeedDialect;
  /** `SELECT COUNT(*) AS n` over the rows a read from the same start would page through. */
  count(spec: CountSpec): CompiledQuery;
  /** One multi-row upsert keyed by `key`. */
  upsert(spec: UpsertSpec): CompiledQuery;
  /** One multi-row delete (or soft delete) by key values. */
  delete(spec: DeleteSpec): CompiledQuery;
  /** Retryable or permanent, with a message that names no value and no host. */
  classify(error: SqlDriverError): ErrorClass;
  /**
   * The watermark `overlapMs` earlier, for watermarks the driver answers as something other than a
   * Date or number (PostgreSQL: microsecond timestamp text). Absent: the core's `moveBack`.
   */
  moveBack?(watermark: unknown, overlapMs: number): unknown;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Throws unless `name` is a plain identifier (letters, digits, underscore; at most 128). */
export function assertIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new InvalidIdentifierError(name);
  return name;
}

export class InvalidIdentifierError extends CodedError {
  constructor(name: string, reason = 'use letters, digits and _ only (max 128)') {
    super('invalid_identifier', `Invalid SQL identifier ${JSON.stringify(name.slice(0, 140))}: ${reason}`);
  }
}

/** Rows per statement so that neither the row nor the parameter limit is passed. */
export function rowsPerStatement(dialect: Pick<SqlDialect, 'maxParams' | 'maxRows'>, paramsPerRow: number): number {
  return Math.max(1, Math.min(dialect.maxRows, Math.floor(dialect.maxParams / Math.max(1, paramsPerRow))));
}

/** Collects parameters and hands out the dialect's placeholders in order. */
export class ParamList {
  readonly params: unknown[] = [];
  constructor(private readonly placeholder: (index: number) => string) {}
  add(value: unknown): string {
    this.params.push(value);
    return this.placeholder(this.params.length);
  }
}

/** A parameter's value as bound for a column (e.g. a {@link TypedParam}); default the value itself. */
export type Bind = (column: string, value: unknown) => unknown;
const asIs: Bind = (_column, value) => value;

/** How a dialect shapes the keyset predicate beyond the plain comparison. */
export interface WhereOptions {
  /** The watermark parameter as SQL, e.g. `CONVERT(datetime2(7), @p1, 121)`; default the placeholder. */
  readonly watermarkParam?: (placeholder: string) => string;
  readonly bind?: Bind;
  /** A condition every read and count carries, ANDed first (e.g. an upper bound). */
  readonly bound?: string;
}

export interface SelectOptions {
  /** Fixed-point columns as text, under their own names. */
  readonly asText?: (column: string, type: ExactType) => string;
  /** Further select-list items after the columns (e.g. the watermark's exact text). */
  readonly extra?: readonly string[];
  readonly where?: WhereOptions;
}

/** The quoted table name. */
export const tableName = (d: Pick<SqlDialect, 'quote' | 'quoteTable'>, name: string): string => (d.quoteTable ? d.quoteTable(name) : d.quote(name));

/** Shared SQL pieces; the dialects add what differs. */
export const sqlParts = {
  /** The keyset predicate (with its leading space), or '' from the beginning. */
  where(d: SqlDialect, spec: Pick<ReadSpec, 'watermark' | 'tieBreaker' | 'start'>, p: ParamList, o: WhereOptions = {}): string {
    const wm = d.quote(spec.watermark);
    const tb = d.quote(spec.tieBreaker);
    const bind = o.bind ?? asIs;
    const w = (value: unknown) => {
      const ph = p.add(bind(spec.watermark, value));
      return o.watermarkParam ? o.watermarkParam(ph) : ph;
    };
    const conditions = o.bound ? [o.bound] : [];
    if (spec.start?.kind === 'from') conditions.push(`${wm} >= ${w(spec.start.watermark)}`);
    if (spec.start?.kind === 'after') {
      const v = spec.start.watermark;
      // The leading `wm >= ?` lets the optimiser range-scan the (watermark, tieBreaker) index.
      conditions.push(`${wm} >= ${w(v)}`, `(${wm} > ${w(v)} OR (${wm} = ${w(v)} AND ${tb} > ${p.add(bind(spec.tieBreaker, spec.start.tieBreaker))}))`);
    }
    return conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  },
  select(d: SqlDialect, spec: ReadSpec, p: ParamList, asText?: (column: string, type: ExactType) => string, o: Omit<SelectOptions, 'asText'> = {}): string {
    const cols = spec.columns.map((c) => {
      const type = asText && spec.exact?.get(c);
      return type ? `${asText(c, type)} AS ${d.quote(c)}` : d.quote(c);
    });
    const where = sqlParts.where(d, spec, p, o.where);
    return `SELECT ${[...cols, ...(o.extra ?? [])].join(', ')} FROM ${tableName(d, spec.table)}${where} ORDER BY ${d.quote(spec.watermark)}, ${d.quote(spec.tieBreaker)}`;
  },
  count(d: SqlDialect, spec: CountSpec, o: WhereOptions = {}): CompiledQuery {
    const p = new ParamList((i) => d.placeholder(i));
    const where = sqlParts.where(d, spec, p, o);
    return { sql: `SELECT COUNT(*) AS ${d.quote('n')} FROM ${tableName(d, spec.table)}${where}`, params: p.params };
  },
  keyMatch(d: SqlDialect, spec: DeleteSpec, p: ParamList, bind: Bind = asIs): string {
    if (spec.key.length === 1) {
      const k = spec.key[0]!;
      return `${d.quote(k)} IN (${spec.keys.map((v) => p.add(bind(k, v[0]))).join(', ')})`;
    }
    return spec.keys.map((v) => `(${spec.key.map((c, i) => `${d.quote(c)} = ${p.add(bind(c, v[i]))}`).join(' AND ')})`).join(' OR ');
  },
  delete(d: SqlDialect, spec: DeleteSpec, bind: Bind = asIs): CompiledQuery {
    if (spec.keys.length === 0) throw new Error('delete needs at least one key');
    const p = new ParamList((i) => d.placeholder(i));
    const head = spec.softDelete
      ? `UPDATE ${tableName(d, spec.table)} SET ${d.quote(spec.softDelete.column)} = ${p.add(spec.softDelete.value)}`
      : `DELETE FROM ${tableName(d, spec.table)}`;
    return { sql: `${head} WHERE ${sqlParts.keyMatch(d, spec, p, bind)}`, params: p.params };
  },
  valuesRows(spec: UpsertSpec, p: ParamList, bind: Bind = asIs): string {
    if (spec.rows.length === 0) throw new Error('upsert needs at least one row');
    return spec.rows
      .map((row) => {
        if (row.length !== spec.columns.length) throw new Error('upsert row width differs from its columns');
        return `(${row.map((v, i) => p.add(bind(spec.columns[i]!, v))).join(', ')})`;
      })
      .join(', ');
  },
};

/** The column name a driver message names (column names are schema, not values), if any. */
export function columnIn(message: string): string | undefined {
  return /column '([A-Za-z0-9_]{1,128})'/i.exec(message)?.[1];
}
