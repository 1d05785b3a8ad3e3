import { ConnectorError, flagSet, type Connector, type ConnectorDescription, type ReadPage, type RecordOutcome } from '../contract.js';
import type { CompiledQuery, SqlDialect } from './dialect.js';
import { toDriverError, type SqlConnection, type SqlDriver } from './driver.js';
import { encodeCursor } from './cursor.js';
import { changeFeedCount, changeFeedRead, FEED_FROM_START, isFeedDelete } from './change-feed.js';
import { keysetCount, keysetRead, type ReadContext } from './keyset-read.js';
import { externalIdOf, isKeysetTable, prepareTables, type SqlTableSpec, type Table } from './table.js';
import { tableShapeOf, type TableShape } from './table-info.js';
import { deleteRecords, upsertRecords, type WriteContext } from './writes.js';

export { KEY_SEPARATOR, type ChangeTrackedTableConfig, type SqlTableConfig, type SqlTableSpec } from './table.js';

export interface SqlConnectorOptions {
  readonly name: string;
  readonly driver: SqlDriver;
  readonly dialect: SqlDialect;
  /** By external entity name. */
  readonly tables: Readonly<Record<string, SqlTableSpec>>;
  /**
   * Re-read window in milliseconds (default 0: none), for rows committed late or stamped by a
   * skewed clock. Exactly what is re-read: when a read returned a short page (fewer than `limit`
   * rows: the reader had caught up) and its last delivered position is (W, T), the next read starts
   * at `watermark >= W - overlapMs` instead of after (W, T). So each polling round delivers again
   * every row whose watermark is in [W - overlapMs, W] (ingest is idempotent), and with them any row
   * committed late into that window. A window bigger than one page is walked page by page (the
   * cursor remembers the position reached in it); while catching up (full pages) there is no
   * re-read, except that a read finding nothing after a full page's cursor does the re-read at once. Rows committed late with a watermark older than W - overlapMs are not seen. Needs a
   * date/time or numeric watermark; rowversion watermarks and change-tracked tables need none and ignore it.
   */
  readonly overlapMs?: number;
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
    if (err instanceof ConnectorError) return err;
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
  const query = (q: CompiledQuery, what: string) =>
    withConnection(async (conn) => {
      try {
        return (await conn.query(q.sql, q.params)).rows;
      } catch (e) {
        throw asConnectorError(e, what);
      }
    });

  // Per configured table, its description (dialects with `describeTable`); looked up once, again after a failed lookup.
  const shapes = new Map<Table, Promise<TableShape>>();
  const shape = (t: Table): Promise<TableShape | undefined> => {
    const lookup = dialect.describeTable ?? dialect.exactColumns;
    if (!lookup) return Promise.resolve(undefined);
    let found = shapes.get(t);
    if (!found) {
      found = query(lookup.call(dialect, t.table), `reading the column types of ${t.table} failed`).then((rows) => {
        // An empty description: no such table (OBJECT_ID is NULL), or none the login may see.
        if (rows.length === 0 && dialect.describeTable) throw new ConnectorError('permanent', 'table_not_found', `${name}: ${t.entity}: table ${t.table} was not found (or the login cannot see it)`);
        return tableShapeOf(rows, t, dialect);
      });
      shapes.set(t, found);
      found.catch(() => shapes.delete(t));
    }
    return found;
  };
  const reads: ReadContext = { name, dialect, query, shape };
  const writes: WriteContext = { dialect, withConnection, failure };

  return {
    describe(): ConnectorDescription {
      const entities = Object.fromEntries(
        [...tables].map(([entity, t]) => [
          entity,
          {
            read: true,
            write: true,
            detectChanges: true,
            detectDeletes: t.deletedFlag !== undefined || t.changeTracking === true,
            naturalKeys: [...t.key],
            ...(t.key.length === 1 ? { createRetry: 'key' as const, upsertKey: t.key[0]! } : { createRetry: 'key' as const }),
          },
        ]),
      );
      return { connector: name, entities };
    },

    async check() {
      await query(dialect.ping(), 'check failed');
    },

    async read(entity, cursor, limit): Promise<ReadPage> {
      const t = tableOf(entity);
      if (!Number.isInteger(limit) || limit < 1) throw new ConnectorError('permanent', 'invalid_limit', 'limit must be a positive integer');
      return isKeysetTable(t) ? keysetRead(reads, t, cursor, limit, overlapMs) : changeFeedRead(reads, t, cursor, limit);
    },

    cursorSince(entity, since): string {
      const t = tableOf(entity);
      const at = Date.parse(since);
      if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', `${name}: since is not a date-time`);
      if (!isKeysetTable(t)) return FEED_FROM_START;
      // Every row stamped at or after `since`. A column holding local time in a zone with daylight
      // saving starts 2 h early: a fall-back repeats up to that much wall time (the extra rows are ingested idempotently).
      const zoned = t.timeZone !== undefined && !/^(Etc\/)?(UTC|GMT|Z)$/i.test(t.timeZone);
      return encodeCursor({ watermark: new Date(zoned ? at - 2 * 3_600_000 : at), tieBreaker: null, inclusive: true });
    },

    keyOf(entity, record): string {
      const t = tableOf(entity);
      const { id, missing } = externalIdOf(t, record);
      if (missing.length) throw new ConnectorError('permanent', 'invalid_record', `${entity}: record lacks key column(s) ${missing.join(', ')}`);
      return id;
    },

    isDeleted(entity, record): boolean {
      const t = tableOf(entity);
      if (t.changeTracking && isFeedDelete(record)) return true;
      return t.deletedFlag !== undefined && flagSet(record[t.deletedFlag]);
    },

    async count(entity, cursor): Promise<number> {
      const t = tableOf(entity);
      return isKeysetTable(t) ? keysetCount(reads, t, cursor) : changeFeedCount(reads, t, cursor);
    },

    async upsert(entity, records): Promise<RecordOutcome[]> {
      const t = tableOf(entity);
      return upsertRecords(writes, t, await shape(t), records);
    },

    async delete(entity, externalIds): Promise<RecordOutcome[]> {
      const t = tableOf(entity);
      return deleteRecords(writes, t, await shape(t), externalIds);
    },

    close: () => driver.close(),
  };
}
