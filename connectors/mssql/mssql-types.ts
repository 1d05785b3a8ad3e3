import { TypedParam, type Bind, type ColumnInfo, type ParamType, type WatermarkKind } from '../sql/dialect.js';

/**
 * What SQL Server's column types mean for the connector: how a watermark of each type is read and
 * compared, the type a parameter is declared with, and how a collation compares keys.
 */

const TEXT_TIMES = new Set(['datetime2', 'datetime', 'smalldatetime', 'datetimeoffset']);

/**
 * rowversion (INFORMATION_SCHEMA calls it `timestamp`): 8-byte binary, compared as such. DATETIME2,
 * DATETIME, SMALLDATETIME, DATETIMEOFFSET: read as text (tedious answers them as JS Dates, cut to the
 * millisecond: DATETIME2(7) keeps 100 ns, and DATETIME's 1/300 s ticks do not round-trip through ms).
 */
export function mssqlWatermarkKind(column: ColumnInfo): WatermarkKind {
  if (column.dataType === 'timestamp' || column.dataType === 'rowversion') return 'rowversion';
  if (TEXT_TIMES.has(column.dataType)) return 'text';
  return 'value';
}

/** The column's own type for `CONVERT(<type>, @p, 121)`: `datetime2(7)`, `datetime` … */
export function timeTypeOf(column: ColumnInfo | undefined): string {
  const type = column?.dataType ?? 'datetime2';
  if (type === 'datetime2' || type === 'datetimeoffset') return `${type}(${column?.datetimePrecision ?? 7})`;
  return type === 'datetime' || type === 'smalldatetime' ? type : 'datetime2(7)';
}

/** The watermark as exact text: style 121 keeps every fractional digit; DATETIMEOFFSET read at +00:00 so texts compare. */
export function timeTextOf(quoted: string, column: ColumnInfo | undefined): string {
  const value = column?.dataType === 'datetimeoffset' ? `SWITCHOFFSET(${quoted}, '+00:00')` : quoted;
  return `CONVERT(varchar(34), ${value}, 121)`;
}

const CHARACTER = new Set(['varchar', 'nvarchar', 'char', 'nchar']);

/**
 * The parameter type for a string bound against a character column: the column's own type and
 * length, or longer when the value is (so the server reports the truncation, 2628, instead of the
 * driver sending more than it declared). VARCHAR / CHAR lengths count bytes: the UTF-8 length is an
 * upper bound for every code page.
 */
export function stringParamType(column: ColumnInfo, value: string): ParamType | undefined {
  if (!CHARACTER.has(column.dataType)) return undefined;
  const wide = column.dataType.startsWith('n');
  const limit = wide ? 4000 : 8000;
  const needed = wide ? value.length : Buffer.byteLength(value, 'utf8');
  const declared = column.maxLength ?? -1;
  if (declared === -1) return { dataType: wide ? 'nvarchar' : 'varchar', length: -1 };
  const length = Math.max(declared, needed, 1);
  if (length > limit) return { dataType: wide ? 'nvarchar' : 'varchar', length: -1 };
  return { dataType: column.dataType as ParamType['dataType'], length };
}

/** Binds strings with their column's character type and rowversions as binary(8); other values as the driver infers. */
export function bindByColumn(columns: ReadonlyMap<string, ColumnInfo> | undefined): Bind {
  return (column, value) => {
    const info = columns?.get(column);
    if (!info || value === null || value === undefined || value instanceof TypedParam) return value;
    if (typeof value === 'string') {
      const type = stringParamType(info, value);
      return type ? new TypedParam(value, type) : value;
    }
    if (Buffer.isBuffer(value) && mssqlWatermarkKind(info) === 'rowversion') return new TypedParam(value, { dataType: 'binary', length: 8 });
    return value;
  };
}

const flag = (collation: string, f: string) => new RegExp(`_${f}(_|$)`).test(collation);

/**
 * A string as a SQL Server collation compares it, folded at least as far: trailing spaces never count
 * (`=` pads the shorter operand), a binary collation (_BIN, _BIN2) compares the rest as is; otherwise
 * case folds unless _CS, accents unless _AS, width (full/half) unless _WS, kana (katakana/hiragana)
 * unless _KS. Folding further than the collation only costs a statement (see `SqlDialect.foldKey`).
 * Without a known collation (not a character column) the value stays as is.
 */
export function foldByCollation(value: string, collation: string | undefined): string {
  let out = value.replace(/ +$/, '');
  if (!collation) return out;
  const c = collation.toUpperCase();
  if (flag(c, 'BIN') || flag(c, 'BIN2')) return out;
  if (!flag(c, 'WS')) out = out.normalize('NFKC');
  if (!flag(c, 'CS')) out = out.toUpperCase().toLowerCase();
  if (!flag(c, 'AS')) out = out.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
  if (!flag(c, 'KS')) out = out.replace(/[\u30a1-\u30f6]/g, (k) => String.fromCharCode(k.charCodeAt(0) - 0x60));
  return out;
}

export function foldMssqlKey(value: unknown, column: ColumnInfo | undefined): unknown {
  return typeof value === 'string' ? foldByCollation(value, column?.collation) : value;
}
