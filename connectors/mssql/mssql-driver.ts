import { toDriverError, type SqlConnection, type SqlDriver, type SqlResult } from '../sql/driver.js';

/** What we use of an `mssql` ConnectionPool (already connected, created by the caller). */
export interface MssqlPoolLike {
  readonly connected: boolean;
  connect(): Promise<unknown>;
  request(): MssqlRequestLike;
  transaction(): MssqlTransactionLike;
  close(): Promise<void>;
}

export interface MssqlRequestLike {
  input(name: string, value: unknown): MssqlRequestLike;
  input(name: string, type: unknown, value: unknown): MssqlRequestLike;
  query(sql: string): Promise<{ recordset?: unknown; rowsAffected: number[] }>;
}

export interface MssqlTransactionLike {
  begin(): Promise<unknown>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  request(): MssqlRequestLike;
}

export interface MssqlDriverOptions {
  /**
   * The mssql type to bind JS Dates with, e.g. `sql.DateTime2(3)`. Without it mssql binds Dates as
   * DATETIME (1/300 s precision), which breaks keyset comparisons on DATETIME2 watermarks.
   */
  readonly dateType?: unknown;
}

// SQL Server's number is on RequestError, or on the tedious error it wraps.
const wrap = (err: unknown) =>
  toDriverError(err, (e) => e['number'] ?? ((e['originalError'] as { info?: { number?: unknown } } | undefined)?.info?.number));

/** Wraps an mssql ConnectionPool; parameters are bound as @p1, @p2 … in order. */
export function createMssqlDriver(pool: MssqlPoolLike, options: MssqlDriverOptions = {}): SqlDriver {
  const run = async (request: MssqlRequestLike, sql: string, params: readonly unknown[]): Promise<SqlResult> => {
    params.forEach((value, i) => {
      const name = `p${i + 1}`;
      if (value instanceof Date && options.dateType !== undefined) request.input(name, options.dateType, value);
      else request.input(name, value);
    });
    try {
      const res = await request.query(sql);
      const rows = Array.isArray(res.recordset) ? (res.recordset as Record<string, unknown>[]) : [];
      return { rows, affectedRows: res.rowsAffected.reduce((a, b) => a + b, 0) };
    } catch (e) {
      throw wrap(e);
    }
  };
  const call = async <T>(f: () => Promise<T>) => {
    try {
      return await f();
    } catch (e) {
      throw wrap(e);
    }
  };
  // The pool may be handed over unconnected; connect once, lazily, so check() reports a failure.
  let connecting: Promise<unknown> | null = null;
  const ensureConnected = async () => {
    if (pool.connected) return;
    connecting ??= pool.connect().finally(() => {
      connecting = null;
    });
    await call(() => connecting!);
  };
  return {
    async acquire(): Promise<SqlConnection> {
      await ensureConnected();
      // The pool owns the physical connections; a "connection" here is the pool or an open transaction.
      let tx: MssqlTransactionLike | null = null;
      return {
        query: (sql, params) => run(tx ? tx.request() : pool.request(), sql, params),
        beginTransaction: () =>
          call(async () => {
            const t = pool.transaction();
            await t.begin();
            tx = t;
          }),
        commit: () =>
          call(async () => {
            const t = tx;
            tx = null;
            await t?.commit();
          }),
        rollback: () =>
          call(async () => {
            const t = tx;
            tx = null;
            await t?.rollback();
          }),
        release: () => {
          tx = null;
        },
      };
    },
    close: () => pool.close(),
  };
}
