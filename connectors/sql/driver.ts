import { CodedError } from '../../core/errors.js';
/**
 * The few things the SQL connector needs from a database driver, described locally so that no
 * driver type leaks past the adapters (`mysql-driver.ts`, `mssql-driver.ts`). The driver itself is
 * always created outside and passed in; the adapter only wraps it.
 */

/** Rows of a SELECT, or the affected count of a write. */
export interface SqlResult {
  readonly rows: readonly Record<string, unknown>[];
  readonly affectedRows: number;
}

/** One connection taken from the pool; `release()` gives it back. */
export interface SqlConnection {
  /** Runs one statement; `params` bind to the dialect's placeholders in order (`?` or `@p1`…). */
  query(sql: string, params: readonly unknown[]): Promise<SqlResult>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): void;
}

export interface SqlDriver {
  acquire(): Promise<SqlConnection>;
  /** Ends the wrapped pool. */
  close(): Promise<void>;
}

/**
 * A driver failure reduced to what the dialect classifies on: the server's error number (MySQL
 * errno, SQL Server error number) and/or the driver's string code (`ECONNRESET`, `ETIMEOUT` …).
 * The driver's own message is kept as `cause` only; it may contain values or host names.
 */
export class SqlDriverError extends CodedError {
  constructor(
    readonly errno: number | undefined,
    readonly driverCode: string | undefined,
    cause: unknown,
    /** The server's error state, where the driver reports it (SQL Server: 18456 state 13 is a paused service). */
    readonly state?: number,
  ) {
    super('sql_driver', `SQL driver error ${errno ?? driverCode ?? 'unknown'}`, { cause });
  }
}

/** Reads errno / code (and the error state, with `stateOf`) from whatever a driver threw, duck-typed. */
export function toDriverError(err: unknown, errnoOf: (e: Record<string, unknown>) => unknown, stateOf?: (e: Record<string, unknown>) => unknown): SqlDriverError {
  if (err instanceof SqlDriverError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const n = errnoOf(e);
  const errno = typeof n === 'number' && n > 0 ? n : undefined;
  const code = typeof e['code'] === 'string' ? e['code'] : undefined;
  const s = stateOf?.(e);
  return new SqlDriverError(errno, code, err, typeof s === 'number' ? s : undefined);
}
