import { TypedParam, type ParamType } from '../sql/dialect.js';
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

/** The mssql type factories a {@link TypedParam} is declared with (`import sql from 'mssql'` has them all). */
export interface MssqlTypes {
  readonly MAX: number;
  VarChar(length?: number): unknown;
  NVarChar(length?: number): unknown;
  Char(length?: number): unknown;
  NChar(length?: number): unknown;
  Binary(length?: number): unknown;
  VarBinary(length?: number): unknown;
  readonly BigInt: unknown;
}

export interface MssqlDriverOptions {
  /**
   * The mssql type to bind JS Dates with, e.g. `sql.DateTime2(3)`. Without it mssql binds Dates as
   * DATETIME (1/300 s precision), which breaks keyset comparisons on DATETIME2 watermarks.
   */
  readonly dateType?: unknown;
  /** Type factories for typed parameters (a VARCHAR key bound as VARCHAR, a rowversion as binary(8)); without them they bind as their plain values. */
  readonly types?: MssqlTypes;
  /** Login errors seen on the pool's connections (see {@link loginErrorRecorder}). */
  readonly loginErrors?: LoginErrors;
}

/** The mssql type of a typed parameter. */
export function mssqlTypeOf(types: MssqlTypes, t: ParamType): unknown {
  const length = t.length === undefined ? undefined : t.length === -1 ? types.MAX : t.length;
  switch (t.dataType) {
    case 'varchar':
      return types.VarChar(length);
    case 'nvarchar':
      return types.NVarChar(length);
    case 'char':
      return types.Char(length);
    case 'nchar':
      return types.NChar(length);
    case 'binary':
      return types.Binary(length);
    case 'varbinary':
      return types.VarBinary(length);
    case 'bigint':
      return types.BigInt;
  }
}

/** What a login error message told: SQL Server's number and state. */
export interface LoginErrors {
  /** For mssql's `beforeConnect`: listens on a tedious connection until it has logged in. */
  beforeConnect(connection: unknown): void;
  /** The number and state of the login error with this message, if one was seen. */
  numberOf(message: string): { number: number; state: number | undefined } | undefined;
}

interface EmitterLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * tedious reports a failed login as a ConnectionError `ELOGIN` carrying only the server's message
 * (token-handler.ts: `new ConnectionError(token.message, 'ELOGIN')`), while the server's ERROR token
 * has the number (18456, 40613, 4060 …) and state, emitted on the connection as `errorMessage` first.
 * Recording them by message lets a failover during login (40613, 4060 …) be told from wrong
 * credentials (18456). Holds the last 32 messages.
 */
export function loginErrorRecorder(): LoginErrors {
  const seen = new Map<string, { number: number; state: number | undefined }>();
  return {
    beforeConnect(connection) {
      const c = connection as EmitterLike;
      if (typeof c?.on !== 'function') return;
      let loggedIn = false;
      c.once('connect', (err: unknown) => {
        if (!err) loggedIn = true;
      });
      c.on('errorMessage', (token: unknown) => {
        const t = token as { message?: unknown; number?: unknown; state?: unknown };
        if (loggedIn || typeof t?.message !== 'string' || typeof t.number !== 'number') return;
        seen.delete(t.message);
        seen.set(t.message, { number: t.number, state: typeof t.state === 'number' ? t.state : undefined });
        if (seen.size > 32) seen.delete(seen.keys().next().value!);
      });
    },
    numberOf: (message) => seen.get(message),
  };
}

type ErrorRecord = Record<string, unknown>;
const original = (e: ErrorRecord) => e['originalError'] as ErrorRecord | undefined;
const info = (e: ErrorRecord | undefined) => e?.['info'] as ErrorRecord | undefined;

/**
 * SQL Server's number is on mssql's RequestError, or on the tedious error it wraps (`info.number`); a
 * transaction the server aborted (EABORT) carries the reason as `originalError`; a failed login only
 * its message (see {@link loginErrorRecorder}).
 */
export function mssqlDriverError(err: unknown, loginErrors?: LoginErrors) {
  const login = (e: ErrorRecord) => {
    if (e['code'] !== 'ELOGIN' || typeof e['message'] !== 'string') return undefined;
    return loginErrors?.numberOf(e['message']);
  };
  return toDriverError(
    err,
    (e) => e['number'] ?? info(original(e))?.['number'] ?? original(e)?.['number'] ?? info(original(original(e) ?? {}))?.['number'] ?? login(e)?.number,
    (e) => e['state'] ?? info(original(e))?.['state'] ?? original(e)?.['state'] ?? login(e)?.state,
  );
}

/** Wraps an mssql ConnectionPool; parameters are bound as @p1, @p2 … in order. */
export function createMssqlDriver(pool: MssqlPoolLike, options: MssqlDriverOptions = {}): SqlDriver {
  const wrap = (e: unknown) => mssqlDriverError(e, options.loginErrors);
  const run = async (request: MssqlRequestLike, sql: string, params: readonly unknown[]): Promise<SqlResult> => {
    params.forEach((value, i) => {
      const name = `p${i + 1}`;
      if (value instanceof TypedParam) {
        if (options.types) request.input(name, mssqlTypeOf(options.types, value.type), value.value);
        else request.input(name, value.value);
      } else if (value instanceof Date && options.dateType !== undefined) request.input(name, options.dateType, value);
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
