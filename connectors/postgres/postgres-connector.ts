import { ConnectorError, type Connector, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { reencoded } from '../../core/model/mapped.js';
import { decodeCursor, encodeCursor, type KeysetCursor } from '../sql/cursor.js';
import type { ErrorClass } from '../sql/dialect.js';
import { toDriverError, type SqlDriver } from '../sql/driver.js';
import { createSqlConnector, type SqlTableConfig } from '../sql/sql-connector.js';
import { columnsQuery, createPostgresDialect, quoteName, quoteTable, uniqueKeysQuery } from './postgres-dialect.js';
import { classifyPostgresError } from './postgres-errors.js';
import { OID } from './postgres-driver.js';
import { formOf, instantOf, toZoned, utcText, wallClockFor } from './postgres-time.js';

/**
 * The PostgreSQL connector: the shared SQL connector over the PostgreSQL dialect, plus what needs the
 * table's column types (looked up once per table, in the schema the statements use):
 *
 * - `check()` also checks each table: that it exists and may be read (42P01 / 42501 naming it), that
 *   every configured column exists (naming each missing one), and that a unique index or constraint
 *   covers exactly the key (what ON CONFLICT needs; else upserts fail with 42P10).
 * - `cursorSince()` starts one microsecond before `since`, in the form the watermark column's values
 *   take (UTC text for `timestamptz`, wall-clock text in `timeZone` for `timestamp`), so the read
 *   compares like with like.
 * - `upsert()` writes an ISO instant (with an offset) into a `timestamp` column as its wall-clock time
 *   in `timeZone` (PostgreSQL would otherwise drop the offset and keep the UTC digits), and names the
 *   table and key when the server finds no unique index for them.
 */

export interface PostgresConnectorOptions {
  readonly name: string;
  readonly driver: SqlDriver;
  readonly tables: Readonly<Record<string, SqlTableConfig>>;
  /** See SqlConnectorOptions.overlapMs; the watermark may be timestamp, timestamptz or an integer. */
  readonly overlapMs?: number;
  /** The zone of `timestamp` (without time zone) columns; default UTC. The driver's session zone must be the same. */
  readonly timeZone?: string;
}

interface Shape {
  /** Base type OID by column name. */
  readonly types: ReadonlyMap<string, number>;
  readonly typeNames: ReadonlyMap<string, string>;
}

const TIME_TYPES: ReadonlySet<number> = new Set([OID.timestamp, OID.timestamptz]);
const INTEGER_TYPES: ReadonlySet<number> = new Set([20, 21, 23]);

export function createPostgresConnector(options: PostgresConnectorOptions): Connector {
  const { name, driver, tables } = options;
  const zone = options.timeZone ?? 'UTC';
  const inner = createSqlConnector({ name, driver, tables, dialect: createPostgresDialect({ timeZone: zone }), ...(options.overlapMs === undefined ? {} : { overlapMs: options.overlapMs }) });
  const overlapMs = options.overlapMs ?? 0;

  const fail = (err: unknown, what: string) => {
    const c = classifyPostgresError(toDriverError(err, () => undefined));
    return Object.assign(new ConnectorError(c.kind, c.code, `${name}: ${what}: ${c.message}`), { failure: c });
  };
  /** Runs one catalog query on a pooled connection; failures become ConnectorErrors saying `what`. */
  const query = async (sql: string, params: readonly unknown[], what: string) => {
    let conn;
    try {
      conn = await driver.acquire();
    } catch (e) {
      throw fail(e, 'cannot connect');
    }
    try {
      return (await conn.query(sql, params)).rows;
    } catch (e) {
      throw fail(e, what);
    } finally {
      conn.release();
    }
  };

  const tableOf = (entity: string): SqlTableConfig => {
    const t = tables[entity];
    if (!t) throw new ConnectorError('permanent', 'unknown_entity', `${name} has no entity ${JSON.stringify(entity)}`);
    return t;
  };
  const shapes = new Map<string, Promise<Shape>>();
  const lookShape = async (t: SqlTableConfig, entity: string): Promise<Shape> => {
    const q = columnsQuery(t.table);
    const rows = await query(q.sql, q.params, `reading the columns of ${entity} (${t.table}) failed`);
    return {
      types: new Map(rows.map((r) => [String(r['column_name']), Number(r['type_oid'])])),
      typeNames: new Map(rows.map((r) => [String(r['column_name']), String(r['data_type'])])),
    };
  };
  /** The table's column types, looked up once (again after a failed lookup). */
  const shapeOf = (entity: string): Promise<Shape> => {
    let s = shapes.get(entity);
    if (!s) {
      s = lookShape(tableOf(entity), entity);
      shapes.set(entity, s);
      s.catch(() => shapes.delete(entity));
    }
    return s;
  };

  /** A cursor whose watermark is in the UTC form (cursorSince) in the form of the watermark column's values. */
  const fitCursor = async (entity: string, cursor: string | null): Promise<string | null> => {
    let c: KeysetCursor;
    try {
      if (cursor === null) return null;
      c = decodeCursor(cursor);
    } catch {
      return cursor; // the shared connector refuses it with its own error
    }
    if (formOf(c.watermark) !== 'utc' && formOf(c.rescan?.watermark) !== 'utc') return cursor;
    const t = tableOf(entity);
    const type = (await shapeOf(entity)).types.get(t.watermark);
    if (type === OID.timestamptz) return cursor;
    if (type !== OID.timestamp) throw new ConnectorError('permanent', 'invalid_config', `${name}: ${entity}: reading from a point in time needs a timestamp or timestamptz watermark (${t.watermark} is not one)`);
    const fit = (w: unknown) => (formOf(w) === 'utc' ? toZoned(w as string, zone) : w);
    return encodeCursor({ ...c, watermark: fit(c.watermark), ...(c.rescan ? { rescan: { ...c.rescan, watermark: fit(c.rescan.watermark) } } : {}) });
  };

  async function checkTable(entity: string, t: SqlTableConfig): Promise<void> {
    shapes.delete(entity);
    const shape = await shapeOf(entity);
    const wanted = [...new Set([...t.key, t.watermark, t.tieBreaker, ...t.columns, ...(t.deletedFlag ? [t.deletedFlag] : [])])];
    const missing = wanted.filter((c) => !shape.types.has(c));
    if (missing.length) throw new ConnectorError('permanent', 'postgres_42703', `${name}: check ${entity} failed: ${t.table} has no column ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
    // The SELECT privilege (42501 names the table) and the columns as the reads name them.
    await query(`SELECT ${wanted.map(quoteName).join(', ')} FROM ${quoteTable(t.table)} LIMIT 0`, [], `check ${entity} failed`);
    const uq = uniqueKeysQuery(t.table);
    const keys = (await query(uq.sql, uq.params, `reading the unique indexes of ${entity} (${t.table}) failed`)).map((r) => (Array.isArray(r['columns']) ? r['columns'].map(String) : []));
    const covers = keys.some((cols) => cols.length === t.key.length && t.key.every((k) => cols.includes(k)));
    if (!covers) throw new ConnectorError('permanent', 'postgres_no_unique_key', `${name}: check ${entity} failed: ${noUniqueKey(t)}`);
    const wm = shape.types.get(t.watermark)!;
    if (overlapMs > 0 && !TIME_TYPES.has(wm) && !INTEGER_TYPES.has(wm))
      throw new ConnectorError('permanent', 'invalid_config', `${name}: check ${entity} failed: overlapMs needs a timestamp, timestamptz or integer watermark; ${t.watermark} is ${shape.typeNames.get(t.watermark)}`);
  }

  return {
    ...inner,

    async check() {
      await inner.check();
      for (const [entity, t] of Object.entries(tables)) await checkTable(entity, t);
    },

    async read(entity, cursor, limit) {
      return inner.read(entity, await fitCursor(entity, cursor), limit);
    },

    cursorSince(entity, since) {
      inner.cursorSince!(entity, since); // refuses an unknown entity or a since that is no date-time
      const exact = instantOf(since);
      const at = exact ?? BigInt(Date.parse(since)) * 1000n;
      // Strictly after one microsecond earlier, with no tie-breaker: every row stamped at or after `since`.
      return encodeCursor({ watermark: utcText(at - 1n), tieBreaker: null });
    },

    async count(entity, cursor) {
      return inner.count!(entity, await fitCursor(entity, cursor));
    },

    async upsert(entity, records): Promise<RecordOutcome[]> {
      const t = tableOf(entity);
      let fitted = records;
      // Only instants (ISO text with an offset) need the column types: is any going to a `timestamp` column?
      if (records.some((r) => Object.values(r.payload).some((v) => typeof v === 'string' && instantOf(v) !== undefined))) {
        let shape: Shape;
        try {
          shape = await shapeOf(entity);
        } catch (e) {
          // A table that cannot be looked up refuses every record as the statement would; a lost connection throws.
          const c = (e as { failure?: ErrorClass }).failure;
          if (c?.kind === 'permanent') return records.map(() => ({ ok: false, kind: c.kind, code: c.code, message: (e as Error).message }));
          throw e;
        }
        const wallClock = [...shape.types].filter(([, oid]) => oid === OID.timestamp).map(([c]) => c);
        if (wallClock.length) fitted = records.map((r) => fitPayload(r, wallClock, zone));
      }
      const outcomes = await inner.upsert(entity, fitted);
      return outcomes.map((o) => (!o.ok && o.code === 'postgres_42P10' ? { ...o, message: `${o.message}: ${noUniqueKey(t)}` } : o));
    },
  };
}

function noUniqueKey(t: SqlTableConfig): string {
  return `no unique index or constraint of ${t.table} is on exactly the key (${t.key.join(', ')}): upserts (INSERT … ON CONFLICT) need one, e.g. ALTER TABLE … ADD UNIQUE (${t.key.join(', ')})`;
}

/** An instant written to a `timestamp` column as its wall-clock time in `zone`. */
function fitPayload(r: UpsertRequest, columns: readonly string[], zone: string): UpsertRequest {
  const values: Record<string, unknown> = {};
  for (const c of columns) {
    const v = r.payload[c];
    const wall = typeof v === 'string' ? wallClockFor(v, zone) : undefined;
    if (wall !== undefined) values[c] = wall;
  }
  return Object.keys(values).length ? { ...r, payload: reencoded(r.payload, values) } : r;
}
