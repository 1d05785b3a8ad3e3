import { assertIdentifier, columnIn, ParamList, sqlParts, type ErrorClass, type SqlDialect } from '../sql/dialect.js';
import type { SqlDriverError } from '../sql/driver.js';

const RETRYABLE_ERRNO: Readonly<Record<number, string>> = {
  1205: 'lock wait timeout',
  1213: 'deadlock',
  1040: 'too many connections',
  1053: 'server shutting down',
  2006: 'server has gone away',
  2013: 'connection lost during query',
  1927: 'connection was killed',
  4031: 'disconnected by the server (interaction timeout)',
};
const PERMANENT_ERRNO: Readonly<Record<number, string>> = {
  1045: 'access denied',
  1048: 'column cannot be null',
  1054: 'unknown column',
  1062: 'duplicate value for a unique key',
  1146: 'table does not exist',
  1264: 'value out of range',
  1292: 'incorrect date/time value',
  1366: 'incorrect value for column',
  1406: 'data too long for column',
  1452: 'foreign key constraint fails',
  1364: 'column has no default value',
};
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);

/** Classifies a mysql2 failure by errno (server) or code (network). */
export function classifyMysqlError(error: SqlDriverError): ErrorClass {
  const detail = (msg: string) => {
    const col = columnIn(error.cause instanceof Error ? error.cause.message : '');
    return col ? `${msg} (${col})` : msg;
  };
  if (error.errno !== undefined && RETRYABLE_ERRNO[error.errno])
    return { kind: 'retryable', code: `mysql_${error.errno}`, message: `MySQL error ${error.errno}: ${RETRYABLE_ERRNO[error.errno]}` };
  if (error.errno !== undefined)
    return { kind: 'permanent', code: `mysql_${error.errno}`, message: `MySQL error ${error.errno}: ${detail(PERMANENT_ERRNO[error.errno] ?? 'statement failed')}` };
  const code = error.driverCode ?? 'unknown';
  // mysql2 marks errors that closed the connection fatal ("connection is in closed state" has no code):
  // the server went away, and a new connection may well succeed.
  const fatal = typeof error.cause === 'object' && error.cause !== null && (error.cause as { fatal?: unknown }).fatal === true;
  const kind = RETRYABLE_CODES.has(code) || fatal ? 'retryable' : 'permanent';
  return { kind, code: `mysql_${code.toLowerCase()}`, message: `MySQL connection failed: ${code}` };
}

/** MySQL / MariaDB: backtick quoting, `?` placeholders, LIMIT, INSERT … ON DUPLICATE KEY UPDATE. */
export const mysqlDialect: SqlDialect = Object.freeze<SqlDialect>({
  name: 'mysql',
  // mysql2 formats `?` client-side; stay well under max_allowed_packet and the 65,535 prepared-statement limit.
  maxParams: 60_000,
  maxRows: 500,
  quote: (id: string) => `\`${assertIdentifier(id)}\``,
  placeholder: () => '?',
  ping: () => ({ sql: 'SELECT 1', params: [] }),
  read(spec) {
    const p = new ParamList(() => '?');
    const sql = `${sqlParts.select(mysqlDialect, spec, p)} LIMIT ${p.add(spec.limit)}`;
    return { sql, params: p.params };
  },
  count: (spec) => sqlParts.count(mysqlDialect, spec),
  upsert(spec) {
    const q = mysqlDialect.quote;
    const p = new ParamList(() => '?');
    const values = sqlParts.valuesRows(spec, p);
    const nonKey = spec.columns.filter((c) => !spec.key.includes(c));
    // With only key columns there is nothing to update; a no-op assignment keeps the row as is.
    const updates = (nonKey.length ? nonKey : [spec.key[0]!]).map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ');
    const sql = `INSERT INTO ${q(spec.table)} (${spec.columns.map(q).join(', ')}) VALUES ${values} ON DUPLICATE KEY UPDATE ${updates}`;
    return { sql, params: p.params };
  },
  delete: (spec) => sqlParts.delete(mysqlDialect, spec),
  classify: classifyMysqlError,
});
