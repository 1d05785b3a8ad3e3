import { columnIn, type ErrorClass } from '../sql/dialect.js';
import type { SqlDriverError } from '../sql/driver.js';

/**
 * SQL Server error numbers a retry can clear. Sources: Microsoft.Data.SqlClient's built-in transient
 * list (SqlConfigurableRetryFactory: 233, 997, 1204, 1205, 1222, 4060, 4221, 10053, 10054, 10060, 10928,
 * 10929, 40143, 40197, 40501, 40540, 40613, 49918–49920); Azure SQL's "Troubleshoot connectivity issues"
 * page (transient faults 615, 926, 4060, 4221, 40197, 40501, 40613, 49918–49920; resource governance
 * 10928, 10929, and the session kills 40549–40553); "Guidelines for retry logic for transactions on
 * memory-optimized tables" (41301, 41302, 41305, 41325); EF Core's SqlServerTransientExceptionDetector
 * (3960, 3966, 8645, 8651, 41839, 42108, 42109, 18401, 17197, 921, 941, 952 …); MSSQLSERVER_17142 /
 * 18456 state 13 (the service is paused).
 */
export const RETRYABLE_NUMBERS: Readonly<Record<number, string>> = {
  64: 'connection lost during login',
  121: 'semaphore timeout',
  233: 'connection closed',
  615: 'database not found (offline for a moment)',
  701: 'insufficient system memory',
  921: 'database not recovered yet',
  926: 'database cannot be opened (reconfiguration)',
  941: 'database not started',
  952: 'database in transition',
  997: 'connection lost during login',
  1204: 'no lock resource available',
  1205: 'deadlock victim',
  1221: 'lock release conflict',
  1222: 'lock request timeout',
  3960: 'snapshot isolation update conflict',
  3966: 'version store victim',
  4060: 'cannot open database (failover)',
  4221: 'read-secondary login failed (replica recycled)',
  8628: 'timeout waiting to optimize the query',
  8645: 'timeout waiting for memory',
  8651: 'memory grant not available',
  10053: 'connection aborted',
  10054: 'connection reset',
  10060: 'connection timed out',
  10928: 'resource limit reached',
  10929: 'server too busy',
  10936: 'elastic pool request limit reached',
  17197: 'login timeout (server under load)',
  18401: 'server in script upgrade mode (recovery)',
  20041: 'transaction rolled back by a trigger, retry',
  40143: 'service error, try again',
  40197: 'service error (failover), try again',
  40501: 'service busy',
  40540: 'service error, try again',
  40549: 'session ended: long-running transaction',
  40550: 'session ended: too many locks',
  40551: 'session ended: excessive tempdb use',
  40552: 'session ended: excessive log space use',
  40553: 'session ended: excessive memory use',
  40613: 'database unavailable (failover)',
  41301: 'in-memory OLTP dependency failure',
  41302: 'in-memory OLTP update conflict',
  41305: 'in-memory OLTP repeatable read validation failure',
  41325: 'in-memory OLTP serializable validation failure',
  41839: 'too many commit dependencies',
  42108: 'SQL pool paused',
  42109: 'SQL pool warming up',
  49918: 'not enough resources',
  49919: 'too many create or update operations',
  49920: 'too many operations',
};

/** 18456 is a failed login (wrong credentials, permanent) except in state 13: the service is paused. */
const LOGIN_FAILED = 18456;
const SERVICE_PAUSED_STATE = 13;

export const PERMANENT_NUMBERS: Readonly<Record<number, string>> = {
  18456: 'login failed',
  208: 'invalid object name',
  207: 'invalid column name',
  229: 'permission denied',
  245: 'conversion failed',
  515: 'column cannot be null',
  547: 'constraint conflict',
  2601: 'duplicate key',
  2627: 'unique constraint violation',
  2628: 'string or binary data would be truncated',
  8152: 'string or binary data would be truncated',
  8114: 'error converting data type',
  8115: 'arithmetic overflow',
  8672: 'MERGE matched one target row twice',
};

/**
 * Driver codes (tedious / mssql) a retry can clear: the socket, a timeout (`requestTimeout`,
 * `connectionTimeout`), a closed or not yet open connection, and a transaction the server aborted
 * (EABORT, when its reason carries no number).
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ETIMEOUT',
  'ESOCKET',
  'ECONNRESET',
  'ECONNCLOSED',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECLOSE',
  'ENOCONN',
  'ENOTOPEN',
  'EINVALIDSTATE',
  'EINSTLOOKUP',
  'EABORT',
  'ECANCEL',
]);

/** Classifies an mssql failure by SQL Server error number (and state), else by the driver's code. */
export function classifyMssqlError(error: SqlDriverError): ErrorClass {
  const n = error.errno;
  if (n === LOGIN_FAILED && error.state === SERVICE_PAUSED_STATE) return { kind: 'retryable', code: `mssql_${n}`, message: `SQL Server error ${n}: the service is paused` };
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
