import { toDriverError, type SqlConnection, type SqlDriver, type SqlResult } from '../sql/driver.js';

/** What we use of a `mysql2/promise` Pool (configure it with `decimalNumbers: false` so DECIMAL stays a string). */
export interface MysqlPoolLike {
  getConnection(): Promise<MysqlConnectionLike>;
  end(): Promise<void>;
}

export interface MysqlConnectionLike {
  query(sql: string, values: unknown[]): Promise<[unknown, unknown]>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): void;
}

const wrap = (err: unknown) => toDriverError(err, (e) => e['errno']);

function toResult(raw: unknown): SqlResult {
  if (Array.isArray(raw)) return { rows: raw as Record<string, unknown>[], affectedRows: 0 };
  const affected = (raw as { affectedRows?: unknown } | null)?.affectedRows;
  return { rows: [], affectedRows: typeof affected === 'number' ? affected : 0 };
}

/** Wraps a mysql2 pool created by the caller; `close()` ends it. */
export function createMysqlDriver(pool: MysqlPoolLike): SqlDriver {
  return {
    async acquire(): Promise<SqlConnection> {
      const conn = await pool.getConnection().catch((e: unknown) => {
        throw wrap(e);
      });
      const call = async <T>(f: () => Promise<T>) => {
        try {
          return await f();
        } catch (e) {
          throw wrap(e);
        }
      };
      return {
        query: (sql, params) => call(async () => toResult((await conn.query(sql, [...params]))[0])),
        beginTransaction: () => call(() => conn.beginTransaction()),
        commit: () => call(() => conn.commit()),
        rollback: () => call(() => conn.rollback()),
        release: () => conn.release(),
      };
    },
    close: () => pool.end(),
  };
}
