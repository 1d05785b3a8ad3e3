/**
 * The SQL core's plain types, shared by the dialect contract, the change feed and the table
 * descriptions (a leaf: it imports nothing).
 */

/** A statement and its parameters, bound in order to the dialect's placeholders. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** Fixed-point SQL types; `money` is SQL Server's MONEY / SMALLMONEY (4 decimals). */
export type ExactType = 'decimal' | 'money';

/** The SQL type a {@link TypedParam} is declared with: a character or binary type and its length (-1: max). */
export interface ParamType {
  readonly dataType: 'varchar' | 'nvarchar' | 'char' | 'nchar' | 'binary' | 'varbinary' | 'bigint';
  readonly length?: number;
}

/**
 * A parameter bound with a declared type (the column's own) where the driver would otherwise infer one
 * from the JS value: SQL Server drivers send every JS string as NVARCHAR, which against a VARCHAR key
 * converts the column and scans the index. Only dialects whose driver understands it create one.
 */
export class TypedParam {
  constructor(
    readonly value: unknown,
    readonly type: ParamType,
  ) {}
}

/**
 * How a watermark is read, kept in the cursor and compared:
 * - `value`: as the driver answers it (a Date, number, bigint or string), compared as such;
 * - `text`: a date/time column read as its own exact text (every fractional digit) and compared in
 *   SQL in the column's own type (SQL Server DATETIME2(7), DATETIME's 1/300 s, DATETIMEOFFSET);
 * - `rowversion`: SQL Server's 8-byte row version, compared as unsigned big-endian binary, with reads
 *   bounded below the lowest version an open transaction still holds.
 */
export const WATERMARK_KINDS = ['value', 'text', 'rowversion'] as const;
export type WatermarkKind = (typeof WATERMARK_KINDS)[number];

export interface ColumnInfo {
  /** As the database spells it. */
  readonly name: string;
  /** Lower case: `varchar`, `datetime2`, `timestamp` (rowversion) … */
  readonly dataType: string;
  /** Declared length (characters; bytes for varchar and binary), -1 for max; absent where none. */
  readonly maxLength?: number;
  /** Fractional-second digits of a date/time type. */
  readonly datetimePrecision?: number;
  /** Collation name of a character column, e.g. `SQL_Latin1_General_CP1_CI_AS`. */
  readonly collation?: string;
  readonly primaryKey?: boolean;
}
