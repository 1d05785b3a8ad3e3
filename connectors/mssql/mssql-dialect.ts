import { ParamList, sqlParts, tableName, TypedParam, WATERMARK_TEXT, type Bind, type CountSpec, type ExactType, type ReadSpec, type SqlDialect, type WhereOptions } from '../sql/dialect.js';
import { mssqlChangeFeed } from './mssql-change-tracking.js';
import { classifyMssqlError } from './mssql-errors.js';
import { quoteColumn, quoteTable } from './mssql-names.js';
import { bindByColumn, foldMssqlKey, mssqlWatermarkKind, timeTextOf, timeTypeOf } from './mssql-types.js';

export { classifyMssqlError } from './mssql-errors.js';

const placeholder = (i: number) => `@p${i}`;

/** Exact decimal text: CONVERT keeps every digit of a DECIMAL / NUMERIC; style 2 gives MONEY its 4 decimals. */
const asText = (c: string, type: ExactType) => (type === 'money' ? `CONVERT(varchar(64), ${quoteColumn(c)}, 2)` : `CONVERT(varchar(64), ${quoteColumn(c)})`);

/**
 * The keyset predicate's shape for the watermark's kind:
 * - `text`: the cursor holds the column's exact text; it is bound as varchar and converted back with
 *   style 121 into the column's own type, so DATETIME2(7) keeps 100 ns and DATETIME compares its own ticks;
 * - `rowversion`: binary(8) parameters, and only rows below MIN_ACTIVE_ROWVERSION() (the lowest
 *   version an open transaction holds): a row whose transaction commits later with a lower version is
 *   read once it commits, never skipped.
 */
function whereFor(spec: Pick<ReadSpec, 'watermark' | 'watermarkKind' | 'columnInfo'>): WhereOptions {
  const bind = bindByColumn(spec.columnInfo);
  const wm = quoteColumn(spec.watermark);
  if (spec.watermarkKind === 'text') {
    const type = timeTypeOf(spec.columnInfo?.get(spec.watermark));
    const textBind: Bind = (column, value) => (column === spec.watermark && typeof value === 'string' ? new TypedParam(value, { dataType: 'varchar', length: 34 }) : bind(column, value));
    return { bind: textBind, watermarkParam: (ph) => `CONVERT(${type}, ${ph}, 121)` };
  }
  if (spec.watermarkKind === 'rowversion') return { bind, bound: `${wm} < MIN_ACTIVE_ROWVERSION()` };
  return { bind };
}

/** SQL Server: bracket quoting, @pN placeholders, OFFSET/FETCH, MERGE … USING (VALUES …). */
export const mssqlDialect: SqlDialect = Object.freeze<SqlDialect>({
  name: 'mssql',
  // SQL Server allows 2,100 parameters per request; keep a margin.
  maxParams: 2_000,
  maxRows: 500,
  quote: quoteColumn,
  quoteTable,
  placeholder,
  ping: () => ({ sql: 'SELECT 1', params: [] }),
  read(spec) {
    const p = new ParamList(placeholder);
    const extra = spec.watermarkKind === 'text' ? [`${timeTextOf(quoteColumn(spec.watermark), spec.columnInfo?.get(spec.watermark))} AS ${quoteColumn(WATERMARK_TEXT)}`] : [];
    const sql = `${sqlParts.select(mssqlDialect, spec, p, asText, { extra, where: whereFor(spec) })} OFFSET 0 ROWS FETCH NEXT ${p.add(spec.limit)} ROWS ONLY`;
    return { sql, params: p.params };
  },
  // tedious answers DECIMAL, NUMERIC and MONEY as JS numbers (15–17 significant digits), rowversion as
  // a Buffer, DATETIME2 as a Date cut to the millisecond: the types decide how columns are read and bound.
  // OBJECT_ID resolves the name as the statements do (default schema, then dbo) and takes `[schema].[table]`.
  describeTable: (table) => ({
    sql:
      'SELECT c.COLUMN_NAME AS [column_name], c.DATA_TYPE AS [data_type], c.CHARACTER_MAXIMUM_LENGTH AS [max_length], ' +
      'c.DATETIME_PRECISION AS [datetime_precision], c.COLLATION_NAME AS [collation], CASE WHEN k.COLUMN_NAME IS NULL THEN 0 ELSE 1 END AS [primary_key] ' +
      'FROM INFORMATION_SCHEMA.COLUMNS AS c LEFT JOIN (INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS tc JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ' +
      'ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME) ' +
      "ON tc.CONSTRAINT_TYPE = 'PRIMARY KEY' AND tc.TABLE_SCHEMA = c.TABLE_SCHEMA AND tc.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME " +
      'WHERE c.TABLE_SCHEMA = OBJECT_SCHEMA_NAME(OBJECT_ID(@p1)) AND c.TABLE_NAME = OBJECT_NAME(OBJECT_ID(@p1)) ORDER BY c.ORDINAL_POSITION',
    params: [quoteTable(table)],
  }),
  watermarkKindOf: mssqlWatermarkKind,
  foldKey: foldMssqlKey,
  changeFeed: mssqlChangeFeed,
  count: (spec: CountSpec) => sqlParts.count(mssqlDialect, spec, whereFor(spec)),
  upsert(spec) {
    const q = quoteColumn;
    const p = new ParamList(placeholder);
    const values = sqlParts.valuesRows(spec, p, bindByColumn(spec.columnInfo));
    const cols = spec.columns.map(q).join(', ');
    const on = spec.key.map((c) => `tgt.${q(c)} = src.${q(c)}`).join(' AND ');
    const nonKey = spec.columns.filter((c) => !spec.key.includes(c));
    const matched = nonKey.length ? ` WHEN MATCHED THEN UPDATE SET ${nonKey.map((c) => `tgt.${q(c)} = src.${q(c)}`).join(', ')}` : '';
    // HOLDLOCK: without it two concurrent MERGEs can both miss and both insert.
    const sql =
      `MERGE INTO ${tableName(mssqlDialect, spec.table)} WITH (HOLDLOCK) AS tgt USING (VALUES ${values}) AS src (${cols}) ON ${on}` +
      `${matched} WHEN NOT MATCHED THEN INSERT (${cols}) VALUES (${spec.columns.map((c) => `src.${q(c)}`).join(', ')});`;
    return { sql, params: p.params };
  },
  delete: (spec) => sqlParts.delete(mssqlDialect, spec, bindByColumn(spec.columnInfo)),
  classify: classifyMssqlError,
});
