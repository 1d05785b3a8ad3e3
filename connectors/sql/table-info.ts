import type { ColumnInfo, ExactType, WatermarkKind } from './sql-types.js';

export type { ColumnInfo, WatermarkKind } from './sql-types.js';

/**
 * What the connector learns of a table's columns from the database (dialects with `describeTable`),
 * once per table: which columns to read as exact text, the type to bind each parameter with, how the
 * watermark compares, the key columns' collations and the primary key.
 */

/** What the connector uses of the description. */
export interface TableShape {
  /** By configured column name (only the columns the table configuration names). */
  readonly columnInfo: ReadonlyMap<string, ColumnInfo>;
  /** Fixed-point columns read as exact text (never keys, watermark or tie-breaker). */
  readonly exact: ReadonlyMap<string, ExactType>;
  readonly watermarkKind: WatermarkKind;
  /** The primary key columns as the database spells them, in column order. */
  readonly primaryKey: readonly string[];
  /** Every column of the table (the description was not empty). */
  readonly all: readonly ColumnInfo[];
}

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One described column from a `describeTable` answer row; undefined for a row without a name or type. */
export function columnInfoOf(row: Readonly<Record<string, unknown>>): ColumnInfo | undefined {
  const name = str(row['column_name']);
  const dataType = str(row['data_type'])?.toLowerCase();
  if (!name || !dataType) return undefined;
  const maxLength = num(row['max_length']);
  const datetimePrecision = num(row['datetime_precision']);
  const collation = str(row['collation']);
  const pk = row['primary_key'];
  return {
    name,
    dataType,
    ...(maxLength === undefined ? {} : { maxLength }),
    ...(datetimePrecision === undefined ? {} : { datetimePrecision }),
    ...(collation === undefined ? {} : { collation }),
    ...(pk === 1 || pk === true || pk === '1' ? { primaryKey: true } : {}),
  };
}

export interface DescribedTable {
  readonly key: readonly string[];
  readonly watermark?: string | undefined;
  readonly tieBreaker?: string | undefined;
  /** Every configured column the connector reads. */
  readonly readColumns: readonly string[];
}

/** The shape of a configured table from the rows `describeTable` answered. */
export function tableShapeOf(rows: readonly Readonly<Record<string, unknown>>[], t: DescribedTable, dialect: { watermarkKindOf?(column: ColumnInfo): WatermarkKind }): TableShape {
  const all = rows.map(columnInfoOf).filter((c): c is ColumnInfo => c !== undefined);
  const byLowerName = new Map(all.map((c) => [c.name.toLowerCase(), c]));
  const columnInfo = new Map<string, ColumnInfo>();
  for (const c of [...t.readColumns, ...t.key, ...(t.watermark ? [t.watermark] : [])]) {
    const info = byLowerName.get(c.toLowerCase());
    if (info) columnInfo.set(c, info);
  }
  // Keys, watermark and tie-breaker stay as the driver answers them: they order the reads and name the records.
  const plain = new Set([...t.key, t.watermark, t.tieBreaker]);
  const exact = new Map<string, ExactType>();
  for (const [c, info] of columnInfo) {
    if (plain.has(c)) continue;
    if (info.dataType === 'decimal' || info.dataType === 'numeric') exact.set(c, 'decimal');
    else if (info.dataType === 'money' || info.dataType === 'smallmoney') exact.set(c, 'money');
  }
  const wm = t.watermark === undefined ? undefined : columnInfo.get(t.watermark);
  const watermarkKind = (wm && dialect.watermarkKindOf?.(wm)) ?? 'value';
  return { columnInfo, exact, watermarkKind, primaryKey: all.filter((c) => c.primaryKey).map((c) => c.name), all };
}
