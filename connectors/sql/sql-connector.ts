import { ConnectorError, flagSet, type Connector, type ConnectorDescription, type ExternalRecord, type ReadPage, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { assertIdentifier, rowsPerStatement, type CompiledQuery, type ExactType, type ReadStart, type SqlDialect } from './dialect.js';
import { toDriverError, type SqlConnection, type SqlDriver } from './driver.js';
import { comparePositions, decodeCursor, encodeCursor, InvalidCursorError, moveBack, type KeysetCursor } from './cursor.js';

/** One external entity backed by one table. */
export interface SqlTableConfig {
  readonly table: string;
  /** Natural / external key columns; upserts match on them (they need a UNIQUE index). */
  readonly key: readonly string[];
  /** Change-tracking column, e.g. `modified_at` (DATETIME(3) / DATETIME2(3)), maintained by the table. */
  readonly watermark: string;
  /** A unique column ordering rows that share a watermark, e.g. `id`. */
  readonly tieBreaker: string;
  /** Further columns read and written. */
  readonly columns: readonly string[];
  /** If set, `delete` sets this column to true instead of deleting, and reads carry it. */
  readonly deletedFlag?: string;
}

export interface SqlConnectorOptions {
  readonly name: string;
  readonly driver: SqlDriver;
  readonly dialect: SqlDialect;
  /** By external entity name. */
  readonly tables: Readonly<Record<string, SqlTableConfig>>;
  /**
   * Re-read window in milliseconds (default 0: none), for rows committed late or stamped by a
   * skewed clock. Exactly what is re-read: when a read returned a short page (fewer than `limit`
   * rows: the reader had caught up) and its last delivered position is (W, T), the next read starts
   * at `watermark >= W - overlapMs` instead of after (W, T). So each polling round delivers again
   * every row whose watermark is in [W - overlapMs, W] (ingest is idempotent), and with them any row
   * committed late into that window. A window bigger than one page is walked page by page (the
   * cursor remembers the position reached in it); while catching up (full pages) there is no
   * re-read, except that a read finding nothing after a full page's cursor does the re-read at once. Rows committed late with a watermark older than W - overlapMs are not seen. Needs a
   * date/time or numeric watermark.
   */
  readonly overlapMs?: number;
}

/** Separates key values in the external id of a multi-column key; single keys are the bare value. */
export const KEY_SEPARATOR = '|';

interface Table extends SqlTableConfig {
  readonly readColumns: readonly string[];
  readonly writable: readonly string[];
}

const unique = (xs: readonly string[]) => [...new Set(xs)];
const isScalar = (v: unknown) =>
  v === null || v instanceof Date || Buffer.isBuffer(v) || ['string', 'number', 'boolean', 'bigint'].includes(typeof v);

function prepareTables(tables: Readonly<Record<string, SqlTableConfig>>, dialect: Pick<SqlDialect, 'checkIdentifier'>): Map<string, Table> {
  const problems: string[] = [];
  const out = new Map<string, Table>();
  for (const [entity, t] of Object.entries(tables)) {
    const names = [t.table, ...t.key, t.watermark, t.tieBreaker, ...t.columns, ...(t.deletedFlag ? [t.deletedFlag] : [])];
    for (const [i, n] of names.entries()) {
      try {
        if (dialect.checkIdentifier) dialect.checkIdentifier(n, i === 0 ? 'table' : 'column');
        else assertIdentifier(n);
      } catch (e) {
        problems.push(`${entity}: ${(e as Error).message}`);
      }
    }
    if (t.key.length === 0) problems.push(`${entity}: key needs at least one column`);
    const readColumns = unique([t.tieBreaker, ...t.key, ...t.columns, t.watermark, ...(t.deletedFlag ? [t.deletedFlag] : [])]);
    const writable = unique([...t.key, ...t.columns.filter((c) => c !== t.watermark && c !== t.tieBreaker)]);
    out.set(entity, { ...t, readColumns, writable });
  }
  if (problems.length) throw new ConnectorError('permanent', 'invalid_config', `Invalid SQL connector configuration: ${problems.join('; ')}`);
  return out;
}

/**
 * The external id of a record: its key column values joined with {@link KEY_SEPARATOR} (a single key is
 * the bare value). `missing` lists the key columns that are absent or null.
 */
function externalIdOf(t: SqlTableConfig, record: ExternalRecord): { id: string; missing: string[] } {
  const missing = t.key.filter((k) => record[k] === undefined || record[k] === null);
  return { id: t.key.map((k) => String(record[k])).join(KEY_SEPARATOR), missing };
}

/** A Connector over SQL tables; the dialect supplies what differs between databases. */
export function createSqlConnector(options: SqlConnectorOptions): Connector {
  const { driver, dialect, name } = options;
  const overlapMs = options.overlapMs ?? 0;
  if (!Number.isFinite(overlapMs) || overlapMs < 0) throw new ConnectorError('permanent', 'invalid_config', 'overlapMs must be a non-negative number');
  const tables = prepareTables(options.tables, dialect);

  const tableOf = (entity: string): Table => {
    const t = tables.get(entity);
    if (!t) throw new ConnectorError('permanent', 'unknown_entity', `${name} has no entity ${JSON.stringify(entity)}`);
    return t;
  };
  const failure = (err: unknown) => dialect.classify(toDriverError(err, () => undefined));
  const asConnectorError = (err: unknown, prefix: string) => {
    const c = failure(err);
    return new ConnectorError(c.kind, c.code, `${name}: ${prefix}: ${c.message}`);
  };
  const withConnection = async <T>(f: (c: SqlConnection) => Promise<T>): Promise<T> => {
    let conn: SqlConnection;
    try {
      conn = await driver.acquire();
    } catch (e) {
      throw asConnectorError(e, 'cannot connect');
    }
    try {
      return await f(conn);
    } finally {
      conn.release();
    }
  };
  // Per configured table (entity), the fixed-point columns read as exact text (dialects whose driver answers them as
  // floating point); looked up once, again after a failed lookup.
  const exactByTable = new Map<Table, Promise<ReadonlyMap<string, ExactType>>>();
  const exactColumns = (t: Table): Promise<ReadonlyMap<string, ExactType>> | undefined => {
    const lookup = dialect.exactColumns;
    if (!lookup) return undefined;
    let found = exactByTable.get(t);
    if (!found) {
      // Keys, watermark and tie-breaker stay as the driver answers them: they order the reads and name the records.
      const plain = new Set([...t.key, t.watermark, t.tieBreaker]);
      found = withConnection(async (conn) => {
        const q = lookup(t.table);
        let rows;
        try {
          rows = (await conn.query(q.sql, q.params)).rows;
        } catch (e) {
          throw asConnectorError(e, `reading the column types of ${t.table} failed`);
        }
        const out = new Map<string, ExactType>();
        for (const r of rows) {
          const column = t.readColumns.find((c) => c.toLowerCase() === String(r['column_name']).toLowerCase());
          const type = String(r['data_type']).toLowerCase();
          if (!column || plain.has(column)) continue;
          if (type === 'decimal' || type === 'numeric') out.set(column, 'decimal');
          else if (type === 'money' || type === 'smallmoney') out.set(column, 'money');
        }
        return out;
      });
      exactByTable.set(t, found);
      found.catch(() => exactByTable.delete(t));
    }
    return found;
  };

  /**
   * Runs one multi-row statement in a transaction; if it fails permanently, runs the rows one by
   * one so the good rows land and only the bad ones are reported.
   */
  async function runChunk<T>(conn: SqlConnection, items: readonly T[], build: (items: readonly T[]) => CompiledQuery, idOf: (item: T) => string): Promise<RecordOutcome[]> {
    const q = build(items);
    try {
      await conn.beginTransaction();
      await conn.query(q.sql, q.params);
      await conn.commit();
      return items.map((i) => ({ ok: true, externalId: idOf(i) }));
    } catch (e) {
      await conn.rollback().catch(() => undefined);
      const c = failure(e);
      if (c.kind === 'retryable' || items.length === 1) return items.map(() => ({ ok: false, kind: c.kind, code: c.code, message: c.message }));
    }
    const outcomes: RecordOutcome[] = [];
    for (const item of items) {
      const one = build([item]);
      try {
        await conn.query(one.sql, one.params);
        outcomes.push({ ok: true, externalId: idOf(item) });
      } catch (e) {
        const c = failure(e);
        outcomes.push({ ok: false, kind: c.kind, code: c.code, message: c.message });
      }
    }
    return outcomes;
  }

  const parseCursor = (cursor: string | null): KeysetCursor | null => {
    try {
      return cursor === null ? null : decodeCursor(cursor);
    } catch (e) {
      if (e instanceof InvalidCursorError) throw new ConnectorError('permanent', 'invalid_cursor', e.message);
      throw e;
    }
  };

  return {
    describe(): ConnectorDescription {
      const entities = Object.fromEntries(
        [...tables].map(([entity, t]) => [entity, { read: true, write: true, detectChanges: true, detectDeletes: t.deletedFlag !== undefined, naturalKeys: [...t.key], ...(t.key.length === 1 ? { createRetry: 'key' as const, upsertKey: t.key[0]! } : { createRetry: 'key' as const }) }]),
      );
      return { connector: name, entities };
    },

    async check() {
      await withConnection(async (conn) => {
        const q = dialect.ping();
        try {
          await conn.query(q.sql, q.params);
        } catch (e) {
          throw asConnectorError(e, 'check failed');
        }
      });
    },

    async read(entity, cursor, limit): Promise<ReadPage> {
      const t = tableOf(entity);
      if (!Number.isInteger(limit) || limit < 1) throw new ConnectorError('permanent', 'invalid_limit', 'limit must be a positive integer');
      const from = parseCursor(cursor);
      const overlapStart = (c: KeysetCursor): ReadStart => {
        try {
          return { kind: 'from', watermark: dialect.moveBack ? dialect.moveBack(c.watermark, overlapMs) : moveBack(c.watermark, overlapMs) };
        } catch (e) {
          throw new ConnectorError('permanent', 'invalid_config', `${name}: ${entity}: ${(e as Error).message}`);
        }
      };
      let start: ReadStart | null = null;
      if (from?.rescan) start = { kind: 'after', ...from.rescan };
      else if (from?.caughtUp && overlapMs > 0) start = overlapStart(from);
      else if (from) start = { kind: 'after', watermark: from.watermark, tieBreaker: from.tieBreaker };
      const exact = await exactColumns(t);
      const run = async (s: ReadStart | null) => {
        const q = dialect.read({ table: t.table, columns: t.readColumns, watermark: t.watermark, tieBreaker: t.tieBreaker, start: s, limit, ...(exact ? { exact } : {}) });
        return withConnection(async (conn) => {
          try {
            return (await conn.query(q.sql, q.params)).rows;
          } catch (e) {
            throw asConnectorError(e, `read ${entity} failed`);
          }
        });
      };
      let rows = await run(start);
      // Nothing after a cursor from a full page: the reader has just caught up, so the overlap
      // re-read happens now rather than never (an empty page answers null and the caller keeps its cursor).
      if (rows.length === 0 && from && start?.kind === 'after' && !from.rescan && overlapMs > 0) rows = await run(overlapStart(from));
      const last = rows.at(-1);
      if (!last) return { records: [], cursor: null };
      const lastPos = { watermark: last[t.watermark], tieBreaker: last[t.tieBreaker] };
      const high = from && comparePositions(lastPos, from) < 0 ? { watermark: from.watermark, tieBreaker: from.tieBreaker } : lastPos;
      let next: KeysetCursor;
      if (rows.length < limit) next = { ...high, caughtUp: true };
      // A full page still inside the overlap window: keep the high-water, remember where the re-read got to.
      else if (high !== lastPos) next = { ...high, rescan: lastPos };
      else next = high;
      return { records: rows as ExternalRecord[], cursor: encodeCursor(next) };
    },

    cursorSince(entity, since): string {
      tableOf(entity);
      const at = Date.parse(since);
      if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', `${name}: since is not a date-time`);
      // Strictly after one millisecond earlier, whatever the tie-breaker: every row stamped at or after `since`.
      return encodeCursor({ watermark: new Date(at - 1), tieBreaker: null });
    },

    keyOf(entity, record): string {
      const t = tableOf(entity);
      const { id, missing } = externalIdOf(t, record);
      if (missing.length) throw new ConnectorError('permanent', 'invalid_record', `${entity}: record lacks key column(s) ${missing.join(', ')}`);
      return id;
    },

    isDeleted(entity, record): boolean {
      const t = tableOf(entity);
      return t.deletedFlag !== undefined && flagSet(record[t.deletedFlag]);
    },

    async count(entity, cursor): Promise<number> {
      const t = tableOf(entity);
      const from = parseCursor(cursor);
      // From the high-water position: the overlap window and an unfinished re-read are not counted.
      const start: ReadStart | null = from ? { kind: 'after', watermark: from.watermark, tieBreaker: from.tieBreaker } : null;
      const q = dialect.count({ table: t.table, watermark: t.watermark, tieBreaker: t.tieBreaker, start });
      const rows = await withConnection(async (conn) => {
        try {
          return (await conn.query(q.sql, q.params)).rows;
        } catch (e) {
          throw asConnectorError(e, `count ${entity} failed`);
        }
      });
      const raw = rows[0]?.['n'];
      const n = typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'string' ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw new ConnectorError('permanent', 'invalid_response', `${name}: count ${entity} returned no number`);
      return n;
    },

    async upsert(entity, records): Promise<RecordOutcome[]> {
      const t = tableOf(entity);
      const outcomes: RecordOutcome[] = new Array<RecordOutcome>(records.length);
      // Records with the same set of columns share statements; each keeps its request index.
      const groups = new Map<string, { columns: string[]; items: { index: number; values: unknown[]; id: string }[] }>();
      records.forEach((r: UpsertRequest, index) => {
        const present = Object.keys(r.payload).filter((k) => r.payload[k] !== undefined);
        const unknown = present.filter((k) => !t.writable.includes(k));
        const { id, missing: missingKey } = externalIdOf(t, r.payload);
        const notScalar = present.filter((k) => !isScalar(r.payload[k]));
        const problem = unknown.length
          ? `unknown column(s) ${unknown.join(', ')}`
          : missingKey.length
            ? `missing key column(s) ${missingKey.join(', ')}`
            : notScalar.length
              ? `non-scalar value in ${notScalar.join(', ')}`
              : null;
        if (problem) {
          outcomes[index] = { ok: false, kind: 'permanent', code: 'invalid_record', message: `${entity}: ${problem}` };
          return;
        }
        const columns = t.writable.filter((c) => present.includes(c));
        const sig = columns.join(',');
        const group = groups.get(sig) ?? { columns, items: [] };
        groups.set(sig, group);
        group.items.push({ index, values: columns.map((c) => r.payload[c]), id });
      });
      if (groups.size === 0) return outcomes;
      await withConnection(async (conn) => {
        for (const { columns, items } of groups.values()) {
          const size = rowsPerStatement(dialect, columns.length);
          for (const chunk of chunkDistinct(items, size, (i) => i.id)) {
            const build = (xs: readonly (typeof chunk)[number][]) => dialect.upsert({ table: t.table, key: t.key, columns, rows: xs.map((x) => x.values) });
            const res = await runChunk(conn, chunk, build, (i) => i.id);
            chunk.forEach((item, i) => (outcomes[item.index] = res[i]!));
          }
        }
      });
      return outcomes;
    },

    async delete(entity, externalIds): Promise<RecordOutcome[]> {
      const t = tableOf(entity);
      const outcomes: RecordOutcome[] = new Array<RecordOutcome>(externalIds.length);
      const items: { index: number; id: string; key: string[] }[] = [];
      externalIds.forEach((id, index) => {
        const key = t.key.length === 1 ? [id] : id.split(KEY_SEPARATOR);
        if (key.length !== t.key.length) outcomes[index] = { ok: false, kind: 'permanent', code: 'invalid_id', message: `${entity}: external id needs ${t.key.length} parts` };
        else items.push({ index, id, key });
      });
      if (items.length === 0) return outcomes;
      const softDelete = t.deletedFlag !== undefined ? { column: t.deletedFlag, value: true } : undefined;
      const size = rowsPerStatement(dialect, t.key.length + (softDelete ? 1 : 0));
      await withConnection(async (conn) => {
        for (const chunk of chunkDistinct(items, size, (i) => i.id)) {
          const build = (xs: readonly (typeof chunk)[number][]) =>
            dialect.delete({ table: t.table, key: t.key, keys: xs.map((x) => x.key), ...(softDelete ? { softDelete } : {}) });
          const res = await runChunk(conn, chunk, build, (i) => i.id);
          chunk.forEach((item, i) => (outcomes[item.index] = res[i]!));
        }
      });
      return outcomes;
    },

    close: () => driver.close(),
  };
}

/**
 * Chunks of at most `size`, never holding the same key twice: SQL Server's MERGE refuses a source
 * with duplicate keys, and keeping them apart lets the later request win on every database.
 */
export function chunkDistinct<T>(items: readonly T[], size: number, keyOf: (item: T) => string): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let keys = new Set<string>();
  for (const item of items) {
    const k = keyOf(item);
    if (current.length >= size || keys.has(k)) {
      chunks.push(current);
      current = [];
      keys = new Set();
    }
    current.push(item);
    keys.add(k);
  }
  if (current.length) chunks.push(current);
  return chunks;
}
