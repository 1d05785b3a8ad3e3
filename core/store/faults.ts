/**
 * Faults of the hub's own store that pass: the database is restarting, unreachable, or refused a
 * statement for a reason that a retry clears (deadlock, lock wait, a busy SQLite file). Work that
 * meets one must wait and try again until the store is back; it is never the target's failure and
 * never a reason to drop a record.
 */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  // Sockets and name lookups.
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // mysql2 / MariaDB.
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_OPTION_PREVENTS_STATEMENT', // a read-only replica during a failover
  // better-sqlite3.
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_LOCKED',
]);

/** True when the error is a passing fault of the store (see above), judged by the driver's code only. */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; fatal?: unknown; errno?: unknown };
  // mysql2 marks errors that closed the connection as fatal (including "connection is in closed state").
  if (e.fatal === true) return true;
  return typeof e.code === 'string' && TRANSIENT_CODES.has(e.code);
}
