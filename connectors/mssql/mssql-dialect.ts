import { assertIdentifier, columnIn, ParamList, sqlParts, type ErrorClass, type ExactType, type SqlDialect } from '../sql/dialect.js';
import type { SqlDriverError } from '../sql/driver.js';

const RETRYABLE_NUMBERS: Readonly<Record<number, string>> = {
  1205: 'deadlock victim',
  1222: 'lock request timeout',
  233: 'connection closed',
  10053: 'connection aborted',
  10054: 'connection reset',
  10060: 'connection timed out',
  40197: 'service busy',
  40501: 'service busy',
  40613: 'database unavailable',
  49918: 'not enough resources',
};
const PERMANENT_NUMBERS: Readonly<Record<number, string>> = {
  18456: 'login failed',
  208: 'invalid object name',
  207: 'invalid column name',
  245: 'conversion failed',
  515: 'column cannot be null',
  547: 'constraint conflict',
  2601: 'duplicate key',
  2627: 'unique constraint violation',
  2628: 'string or binary data would be truncated',
  8152: 'string or binary data would be truncated',
  8114: 'error converting data type',
  8115: 'arithmetic overflow',
};
const RETRYABLE_CODES = new Set(['ETIMEOUT', 'ESOCKET', 'ECONNRESET', 'ECONNCLOSED', 'ECONNREFUSED', 'ETIMEDOUT']);

/** Classifies an mssql failure by SQL Server error number, else by the driver's code. */
export function classifyMssqlError(error: SqlDriverError): ErrorClass {
  const n = error.errno;
  if (n !== undefined && RETRYABLE_NUMBERS[n]) return { kind: 'retryable', code: `mssql_${n}`, message: `SQL Server error ${n}: ${RETRYABLE_NUMBERS[n]}` };
  if (n !== undefined) {
    const col = columnIn(error.cause instanceof Error ? error.cause.message : '');
    const what = PERMANENT_NUMBERS[n] ?? 'statement failed';
    return { kind: 'permanent', code: `mssql_${n}`, message: `SQL Server error ${n}: ${col ? `${what} (${col})` : what}` };
  }
  const code = error.driverCode ?? 'unknown';
  const kind = RETRYABLE_CODES.has(code) ? 'retryable' : 'permanent';
  return { kind, code: `mssql_${code.toLowerCase()}`, message: `SQL Server connection failed: ${code}` };
}

/** SQL Server: bracket quoting, @pN placeholders, OFFSET/FETCH, MERGE … USING (VALUES …). */
export const mssqlDialect: SqlDialect = Object.freeze<SqlDialect>({
  name: 'mssql',
  // SQL Server allows 2,100 parameters per request; keep a margin.
  maxParams: 2_000,
  maxRows: 500,
  quote: (id: string) => `[${assertIdentifier(id)}]`,
  placeholder: (i: number) => `@p${i}`,
  ping: () => ({ sql: 'SELECT 1', params: [] }),
  read(spec) {
    const p = new ParamList(mssqlDialect.placeholder);
    // Exact decimal text: CONVERT keeps every digit of a DECIMAL / NUMERIC; style 2 gives MONEY its 4 decimals.
    const asText = (c: string, type: ExactType) => (type === 'money' ? `CONVERT(varchar(64), ${mssqlDialect.quote(c)}, 2)` : `CONVERT(varchar(64), ${mssqlDialect.quote(c)})`);
    const sql = `${sqlParts.select(mssqlDialect, spec, p, asText)} OFFSET 0 ROWS FETCH NEXT ${p.add(spec.limit)} ROWS ONLY`;
    return { sql, params: p.params };
  },
  // tedious answers DECIMAL, NUMERIC and MONEY as JS numbers (15–17 significant digits).
  exactColumns: (table) => ({
    sql: `SELECT COLUMN_NAME AS [column_name], DATA_TYPE AS [data_type] FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = @p1 AND TABLE_SCHEMA = SCHEMA_NAME()`,
    params: [assertIdentifier(table)],
  }),
  count: (spec) => sqlParts.count(mssqlDialect, spec),
  upsert(spec) {
    const q = mssqlDialect.quote;
    const p = new ParamList(mssqlDialect.placeholder);
    const values = sqlParts.valuesRows(spec, p);
    const cols = spec.columns.map(q).join(', ');
    const on = spec.key.map((c) => `tgt.${q(c)} = src.${q(c)}`).join(' AND ');
    const nonKey = spec.columns.filter((c) => !spec.key.includes(c));
    const matched = nonKey.length ? ` WHEN MATCHED THEN UPDATE SET ${nonKey.map((c) => `tgt.${q(c)} = src.${q(c)}`).join(', ')}` : '';
    // HOLDLOCK: without it two concurrent MERGEs can both miss and both insert.
    const sql =
      `MERGE INTO ${q(spec.table)} WITH (HOLDLOCK) AS tgt USING (VALUES ${values}) AS src (${cols}) ON ${on}` +
      `${matched} WHEN NOT MATCHED THEN INSERT (${cols}) VALUES (${spec.columns.map((c) => `src.${q(c)}`).join(', ')});`;
    return { sql, params: p.params };
  },
  delete: (spec) => sqlParts.delete(mssqlDialect, spec),
  classify: classifyMssqlError,
});
