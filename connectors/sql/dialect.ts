import type { FailureKind } from '../contract.js';
import type { SqlDriverError } from './driver.js';
import { CodedError } from '../../core/errors.js';

/**
 * A SQL dialect: the few places where MySQL/MariaDB and SQL Server differ (quoting, placeholders,
 * pagination, upsert, limits, error numbers). Everything else lives in the shared connector.
 * Identifiers are validated and quoted; values are only ever parameters.
 */

/** A statement and its parameters, bound in order to the dialect's placeholders. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Where a keyset read starts. */
export type ReadStart =
  /** Rows with (watermark, tieBreaker) strictly after this position. */
  | { readonly kind: 'after'; readonly watermark: unknown; readonly tieBreaker: unknown }
  /** Rows with watermark >= this value (an overlap re-read). */
  | { readonly kind: 'from'; readonly watermark: unknown };

export interface ReadSpec {
  readonly table: string;
  readonly columns: readonly string[];
  readonly watermark: string;
  readonly tieBreaker: string;
  /** null: from the beginning. */
  readonly start: ReadStart | null;
  readonly limit: number;
  /**
   * Columns to read as exact decimal text, by their type (see `SqlDialect.exactColumns`): drivers
   * that answer DECIMAL as binary floating point would otherwise lose digits of money amounts.
   */
  readonly exact?: ReadonlyMap<string, ExactType>;
}

/** Fixed-point SQL types; `money` is SQL Server's MONEY / SMALLMONEY (4 decimals). */
export type ExactType = 'decimal' | 'money';

/** How many rows a keyset read from `start` would return (no limit, no order). */
export interface CountSpec {
  readonly table: string;
  readonly watermark: string;
  readonly tieBreaker: string;
  /** null: the whole table. */
  readonly start: ReadStart | null;
}

export interface UpsertSpec {
  readonly table: string;
  /** The natural key columns (MySQL: a UNIQUE index on them makes ON DUPLICATE KEY match). */
  readonly key: readonly string[];
  /** All columns written, key columns included, in the order of each row's values. */
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface DeleteSpec {
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

export interface SqlDialect {
  readonly name: DialectName;
  /** Most parameters one statement may carry. */
  readonly maxParams: number;
  /** Most rows one multi-row statement may carry. */
  readonly maxRows: number;
  quote(identifier: string): string;
  /** The placeholder for the `index`-th parameter (1-based). */
  placeholder(index: number): string;
  /** Reachability probe. */
  ping(): CompiledQuery;
  /** Keyset page ordered by (watermark, tieBreaker). */
  read(spec: ReadSpec): CompiledQuery;
  /**
   * Where the driver reads fixed-point columns as binary floating point: a query answering
   * `column_name` and `data_type` for the table's columns, whose decimal ones `read` then selects
   * as text. Absent where the driver already answers them exactly (mysql2: strings).
   */
  exactColumns?(table: string): CompiledQuery;
  /** `SELECT COUNT(*) AS n` over the rows a read from the same start would page through. */
  count(spec: CountSpec): CompiledQuery;
  /** One multi-row upsert keyed by `key`. */
  upsert(spec: UpsertSpec): CompiledQuery;
  /** One multi-row delete (or soft delete) by key values. */
  delete(spec: DeleteSpec): CompiledQuery;
  /** Retryable or permanent, with a message that names no value and no host. */
  classify(error: SqlDriverError): ErrorClass;
  /**
   * Checks a configured table or column name where the dialect quotes more than plain identifiers
   * (PostgreSQL: any name, `schema.table`); throws with the reason. Absent: {@link assertIdentifier}.
   */
  checkIdentifier?(name: string, role: 'table' | 'column'): void;
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
  constructor(name: string) {
    super('invalid_identifier', `Invalid SQL identifier ${JSON.stringify(name.slice(0, 140))}: use letters, digits and _ only (max 128)`);
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

/** Shared SQL pieces; the dialects add what differs. */
export const sqlParts = {
  /** The keyset predicate (with its leading space), or '' from the beginning. */
  where(d: SqlDialect, spec: Pick<ReadSpec, 'watermark' | 'tieBreaker' | 'start'>, p: ParamList): string {
    const wm = d.quote(spec.watermark);
    const tb = d.quote(spec.tieBreaker);
    if (spec.start?.kind === 'from') return ` WHERE ${wm} >= ${p.add(spec.start.watermark)}`;
    if (spec.start?.kind === 'after') {
      const w = spec.start.watermark;
      // The leading `wm >= ?` lets the optimiser range-scan the (watermark, tieBreaker) index.
      return ` WHERE ${wm} >= ${p.add(w)} AND (${wm} > ${p.add(w)} OR (${wm} = ${p.add(w)} AND ${tb} > ${p.add(spec.start.tieBreaker)}))`;
    }
    return '';
  },
  select(d: SqlDialect, spec: ReadSpec, p: ParamList, asText?: (column: string, type: ExactType) => string): string {
    const cols = spec.columns
      .map((c) => {
        const type = asText && spec.exact?.get(c);
        return type ? `${asText(c, type)} AS ${d.quote(c)}` : d.quote(c);
      })
      .join(', ');
    const where = sqlParts.where(d, spec, p);
    return `SELECT ${cols} FROM ${d.quote(spec.table)}${where} ORDER BY ${d.quote(spec.watermark)}, ${d.quote(spec.tieBreaker)}`;
  },
  count(d: SqlDialect, spec: CountSpec): CompiledQuery {
    const p = new ParamList((i) => d.placeholder(i));
    const where = sqlParts.where(d, spec, p);
    return { sql: `SELECT COUNT(*) AS ${d.quote('n')} FROM ${d.quote(spec.table)}${where}`, params: p.params };
  },
  keyMatch(d: SqlDialect, spec: DeleteSpec, p: ParamList): string {
    if (spec.key.length === 1) return `${d.quote(spec.key[0]!)} IN (${spec.keys.map((k) => p.add(k[0])).join(', ')})`;
    return spec.keys.map((k) => `(${spec.key.map((c, i) => `${d.quote(c)} = ${p.add(k[i])}`).join(' AND ')})`).join(' OR ');
  },
  delete(d: SqlDialect, spec: DeleteSpec): CompiledQuery {
    if (spec.keys.length === 0) throw new Error('delete needs at least one key');
    const p = new ParamList((i) => d.placeholder(i));
    const head = spec.softDelete
      ? `UPDATE ${d.quote(spec.table)} SET ${d.quote(spec.softDelete.column)} = ${p.add(spec.softDelete.value)}`
      : `DELETE FROM ${d.quote(spec.table)}`;
    return { sql: `${head} WHERE ${sqlParts.keyMatch(d, spec, p)}`, params: p.params };
  },
  valuesRows(spec: UpsertSpec, p: ParamList): string {
    if (spec.rows.length === 0) throw new Error('upsert needs at least one row');
    return spec.rows
      .map((row) => {
        if (row.length !== spec.columns.length) throw new Error('upsert row width differs from its columns');
        return `(${row.map((v) => p.add(v)).join(', ')})`;
      })
      .join(', ');
  },
};

/** The column name a driver message names (column names are schema, not values), if any. */
export function columnIn(message: string): string | undefined {
  return /column '([A-Za-z0-9_]{1,128})'/i.exec(message)?.[1];
}
