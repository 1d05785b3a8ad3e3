import { toDriverError, type SqlConnection, type SqlDriver, type SqlDriverError } from '../sql/driver.js';
import { dateParam, timestampFromPg, timestamptzFromPg } from './postgres-time.js';

/**
 * node-postgres (`pg`) behind the SQL core's driver interface. What we use of a `pg.Pool` and of the
 * client it lends is described here; the pool itself is made by the caller (module.ts, or a test)
 * with `types: pgTypes(timeZone)` and the session settings of `sessionOptions(timeZone)`.
 */

export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export interface PgClientLike {
  query(config: { text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  /** Any truthy argument destroys the connection instead of returning it to the pool (pg-pool). */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  removeListener(event: 'error', listener: (err: Error) => void): unknown;
}

/** What pg-types answers for a type: a parser from the server's text. */
type TextParser = (text: string) => unknown;
export interface PgTypesLike {
  getTypeParser(oid: number, format?: string): TextParser | ((value: Buffer) => unknown);
}

/** Type OIDs (pg_type.dat) whose default parsing we replace. */
export const OID = { date: 1082, timestamp: 1114, timestamptz: 1184, interval: 1186, dateArray: 1182, timestampArray: 1115, timestamptzArray: 1185, numericArray: 1231, intervalArray: 1187, textArray: 1009 } as const;

/**
 * The pool's type parsers: pg-types' defaults, except that `timestamptz` and `timestamp` keep their
 * microseconds (see postgres-time.ts) instead of becoming millisecond Dates in the process's local
 * zone, `date` stays its `YYYY-MM-DD` text (a calendar date, not a local midnight), `interval` its
 * text, and arrays of those and of `numeric` arrive as arrays of text (pg-types reads `numeric[]` as
 * floats). `numeric` and `int8` already arrive as strings (pg-types registers no parser for 1700 and
 * keeps int8 as text), so decimals never pass through binary floating point.
 */
export function pgTypes(base: PgTypesLike, timeZone: string): PgTypesLike {
  const textArray = base.getTypeParser(OID.textArray, 'text') as TextParser;
  const own: Readonly<Record<number, TextParser>> = {
    [OID.timestamptz]: timestamptzFromPg,
    [OID.timestamp]: (text) => timestampFromPg(text, timeZone),
    [OID.date]: (text) => text,
    [OID.interval]: (text) => text,
    [OID.dateArray]: textArray,
    [OID.timestampArray]: textArray,
    [OID.timestamptzArray]: textArray,
    [OID.numericArray]: textArray,
    [OID.intervalArray]: textArray,
  };
  return { getTypeParser: (oid, format = 'text') => (format === 'text' && own[oid]) || base.getTypeParser(oid, format) };
}

/**
 * Startup options for every connection: the session TimeZone is the connector's zone (so values
 * without an offset written to `timestamptz`, and `now()` stored into `timestamp` columns, mean that
 * zone), and DateStyle is ISO, the output the parsers above read.
 */
export function sessionOptions(timeZone: string): string {
  // Startup option values escape spaces with a backslash (docs 20.1.4 / libpq "options").
  return `-c TimeZone=${timeZone.replace(/([\\ ])/g, '\\$1')} -c DateStyle=ISO`;
}

const wrap = (err: unknown): SqlDriverError => toDriverError(err, () => undefined);

/** Failures after which the connection cannot be trusted: network errors and FATAL server errors. */
function breaksConnection(err: unknown): boolean {
  const severity = typeof err === 'object' && err !== null ? (err as { severity?: unknown }).severity : undefined;
  return typeof severity !== 'string' || severity === 'FATAL' || severity === 'PANIC';
}

/**
 * Wraps a pg Pool created by the caller; `close()` ends it. Dates are bound as the wall-clock time in
 * `timeZone` with its offset: a `timestamptz` parameter takes the instant, a `timestamp` one the
 * wall-clock time in that zone (pg's own conversion would use the process's local zone).
 */
export function createPostgresDriver(pool: PgPoolLike, options: { readonly timeZone?: string } = {}): SqlDriver {
  const zone = options.timeZone ?? 'UTC';
  // An idle connection the server closes (restart, pg_terminate_backend) is reported on the pool;
  // without a listener that event would end the process. The next acquire opens a new connection.
  pool.on('error', () => undefined);
  const prepare = (params: readonly unknown[]) => params.map((v) => (v instanceof Date ? dateParam(v, zone) : v));
  return {
    async acquire(): Promise<SqlConnection> {
      let client: PgClientLike;
      try {
        client = await pool.connect();
      } catch (e) {
        throw wrap(e);
      }
      let broken = false;
      // Between statements a checked-out client has no pool listener: keep its error here.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      const run = async (text: string, values: readonly unknown[]) => {
        try {
          const res = await client.query({ text, values: prepare(values) });
          return { rows: res.rows, affectedRows: res.rowCount ?? 0 };
        } catch (e) {
          if (breaksConnection(e)) broken = true;
          throw wrap(e);
        }
      };
      let released = false;
      return {
        query: (sql, params) => run(sql, params),
        beginTransaction: async () => void (await run('BEGIN', [])),
        commit: async () => void (await run('COMMIT', [])),
        rollback: async () => {
          try {
            await run('ROLLBACK', []);
          } catch (e) {
            broken = true;
            throw e;
          }
        },
        release: () => {
          if (released) return;
          released = true;
          client.removeListener('error', onError);
          client.release(broken);
        },
      };
    },
    close: () => pool.end(),
  };
}
