import type { ErrorClass } from '../sql/dialect.js';
import type { SqlDriverError } from '../sql/driver.js';

/**
 * Classifies node-postgres failures. A server error (pg's DatabaseError) carries the SQLSTATE in
 * `code` (PostgreSQL docs, Appendix A "PostgreSQL Error Codes"); a network failure a Node code
 * (ECONNREFUSED …); the driver's own failures (connection timeout, connection lost) neither.
 *
 * Messages never carry a record value: PostgreSQL's `detail` quotes values (`Key (code)=(X) already
 * exists`, `Failing row contains (…)`) and is never read; the server's primary message is used only
 * for the conditions below whose English message template names nothing but tables, columns,
 * constraints and types, and only when the message matches that template exactly (a localized or
 * unexpected message falls back to the condition name). Other conditions, whose messages may quote
 * a value (`invalid input syntax for type integer: "abc"`, `value "…" is out of range`), are named by
 * their condition and the structured `column` / `table` / `constraint` fields the server sends.
 */

/** Condition names (Appendix A) of the SQLSTATEs this connector meets or names. */
const CONDITIONS: Readonly<Record<string, string>> = {
  '08000': 'connection_exception',
  '08001': 'sqlclient_unable_to_establish_sqlconnection',
  '08003': 'connection_does_not_exist',
  '08004': 'sqlserver_rejected_establishment_of_sqlconnection',
  '08006': 'connection_failure',
  '08P01': 'protocol_violation',
  '0A000': 'feature_not_supported',
  '21000': 'cardinality_violation',
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
  '25006': 'read_only_sql_transaction',
  '25P03': 'idle_in_transaction_session_timeout',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '3F000': 'invalid_schema_name',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42501': 'insufficient_privilege',
  '42601': 'syntax_error',
  '42703': 'undefined_column',
  '42804': 'datatype_mismatch',
  '42P01': 'undefined_table',
  '42P10': 'invalid_column_reference',
  '53000': 'insufficient_resources',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '57P05': 'idle_session_timeout',
};

/**
 * Retryable SQLSTATEs: the same statement may well succeed on a later try. 57014 (query_canceled)
 * is here by decision: it is what `statement_timeout` raises (and a DBA's pg_cancel_backend), and a
 * statement that timed out under load usually passes later; one that times out every time runs out
 * of retries and ends in the dead-letter queue like any other. 25006 (read-only transaction) is what
 * a primary demoted in a failover answers until the connection reaches the new primary.
 */
const RETRYABLE = new Set(['40000', '40001', '40003', '40P01', '55P03', '57014', '57000', '57P01', '57P02', '57P03', '57P05', '53000', '53100', '53200', '53300', '25006', '25P03', '58000', '58030']);

/** Messages (PostgreSQL 15's English templates) that name only schema objects: safe to pass on. */
const NAME = '"[^"\\n]{1,200}"';
const SAFE_MESSAGES: Readonly<Record<string, RegExp>> = {
  '21000': /^ON CONFLICT DO UPDATE command cannot affect row a second time$/,
  '22001': /^value too long for type (character varying|character|bit varying|bit)\(\d+\)$/,
  '22003': /^(numeric field overflow|integer out of range|smallint out of range|bigint out of range)$/,
  '23502': new RegExp(`^null value in column ${NAME}( of relation ${NAME})? violates not-null constraint$`),
  '23503': new RegExp(`^(insert or update on table ${NAME} violates foreign key constraint ${NAME}|update or delete on table ${NAME} violates foreign key constraint ${NAME} on table ${NAME})$`),
  '23505': new RegExp(`^duplicate key value violates unique constraint ${NAME}$`),
  '23514': new RegExp(`^new row for relation ${NAME} violates check constraint ${NAME}$`),
  '23P01': new RegExp(`^conflicting key value violates exclusion constraint ${NAME}$`),
  '25006': /^cannot execute [A-Z]+ in a read-only transaction$/,
  '40001': /^could not serialize access due to (concurrent update|concurrent delete|read\/write dependencies among transactions)$/,
  '40P01': /^deadlock detected$/,
  '42501': /^permission denied for (table|relation|schema|sequence|view|column|function) [^\n]{1,200}$/,
  '42703': new RegExp(`^column ${NAME}( of relation ${NAME})? does not exist$`),
  '42P01': new RegExp(`^relation ${NAME} does not exist$`),
  '42P10': /^there is no unique or exclusion constraint matching the ON CONFLICT specification$/,
  '53300': new RegExp(`^(sorry, too many clients already|too many connections for (role|database) ${NAME}|remaining connection slots are reserved for [^\\n]{1,100})$`),
  '55P03': new RegExp(`^(could not obtain lock on row in relation ${NAME}|canceling statement due to lock timeout)$`),
  '57014': /^canceling statement due to (statement timeout|user request)$/,
  '57P01': /^terminating connection due to administrator command$/,
  '57P03': /^the database system is (starting up|shutting down|in recovery mode|not yet accepting connections|not accepting connections)$/,
};

/** What is said instead of the server's message where that may carry a name from the secret URL. */
const FIXED: Readonly<Record<string, string>> = {
  '28000': 'the role is not allowed to connect (wrong user, or no pg_hba.conf entry): check the user in the database URL',
  '28P01': 'password authentication failed: check the user and password in the database URL',
  '3D000': 'the database named in the URL does not exist',
  // "too many connections for role <user>" names the URL's user.
  '53300': 'too many connections (the server\'s or the role\'s connection limit): lower pool.connections or raise the limit',
};

const RETRYABLE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED']);

/** node-postgres's own failures (fixed texts of pg/lib/client.js and pg-pool), which carry no code. */
const DRIVER_MESSAGES: readonly (readonly [RegExp, ErrorClass])[] = [
  [/^(Connection terminated due to connection timeout|timeout expired|timeout exceeded when trying to connect)$/, { kind: 'retryable', code: 'postgres_connect_timeout', message: 'PostgreSQL connection timed out' }],
  [/^(Connection terminated unexpectedly|Connection terminated|Client has encountered a connection error and is not queryable)$/, { kind: 'retryable', code: 'postgres_connection_lost', message: 'PostgreSQL connection lost' }],
  [/^Query read timeout$/, { kind: 'retryable', code: 'postgres_query_timeout', message: 'PostgreSQL query read timed out' }],
  [/^The server does not support SSL connections$/, { kind: 'permanent', code: 'postgres_ssl_unsupported', message: 'PostgreSQL server does not support TLS: set ssl.mode to disable' }],
  [/^SASL: /, { kind: 'permanent', code: 'postgres_sasl', message: 'PostgreSQL SCRAM authentication failed: check the password in the database URL' }],
];

const isSqlState = (code: string | undefined, cause: unknown): code is string =>
  code !== undefined && /^[0-9A-Z]{5}$/.test(code) && typeof cause === 'object' && cause !== null && typeof (cause as { severity?: unknown }).severity === 'string';

/** The SQLSTATE of a server error, if the failure is one. */
export function sqlStateOf(error: SqlDriverError): string | undefined {
  return isSqlState(error.driverCode, error.cause) ? error.driverCode : undefined;
}

function field(cause: unknown, name: 'column' | 'table' | 'constraint'): string | undefined {
  const v = (cause as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined;
}

/** Classifies a node-postgres failure; the message names no value, no host, no user. */
export function classifyPostgresError(error: SqlDriverError): ErrorClass {
  const cause = error.cause;
  const state = sqlStateOf(error);
  if (state) {
    const kind = RETRYABLE.has(state) || (state.startsWith('08') && state !== '08P01') ? 'retryable' : 'permanent';
    const condition = CONDITIONS[state] ?? `class ${state.slice(0, 2)}`;
    const serverMessage = cause instanceof Error ? cause.message : '';
    let text: string;
    if (FIXED[state]) text = FIXED[state];
    else if (SAFE_MESSAGES[state]?.test(serverMessage)) text = serverMessage;
    else {
      const column = field(cause, 'column');
      const table = field(cause, 'table');
      const constraint = field(cause, 'constraint');
      const where = [column && `column "${column}"`, table && `of relation "${table}"`, constraint && `constraint "${constraint}"`].filter(Boolean).join(' ');
      text = where ? `${condition.replace(/_/g, ' ')} (${where})` : condition.replace(/_/g, ' ');
    }
    return { kind, code: `postgres_${state}`, message: `PostgreSQL error ${state} (${condition}): ${text}` };
  }
  const code = error.driverCode;
  if (code !== undefined) {
    const kind = RETRYABLE_NETWORK.has(code) ? 'retryable' : 'permanent';
    const what = /CERT|TLS|SSL/.test(code) ? 'TLS' : 'connection';
    return { kind, code: `postgres_${code.toLowerCase()}`, message: `PostgreSQL ${what} failed: ${code}` };
  }
  const message = cause instanceof Error ? cause.message : '';
  for (const [pattern, c] of DRIVER_MESSAGES) if (pattern.test(message)) return c;
  return { kind: 'permanent', code: 'postgres_client_error', message: 'PostgreSQL client error' };
}
