import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import { WATERMARK_TEXT, type CompiledQuery, type ReadStart, type SqlDialect } from './dialect.js';
import { compareValues, comparePositions, decodeCursor, encodeCursor, InvalidCursorError, moveBack, type Compare, type KeysetCursor } from './cursor.js';
import type { KeysetTable, Table } from './table.js';
import type { ColumnInfo, TableShape, WatermarkKind } from './table-info.js';
import { compareTimeText, isTimeText, moveBackText, wallText } from './wall-clock.js';

/** What the readers need from the connector: the dialect, statements run on a pooled connection, the table's shape. */
export interface ReadContext {
  readonly name: string;
  readonly dialect: SqlDialect;
  /** Runs one statement; a failure becomes a ConnectorError whose message starts with `what`. */
  query(q: CompiledQuery, what: string): Promise<readonly Record<string, unknown>[]>;
  /** The table as the database describes it (dialects with `describeTable`), looked up once. */
  shape(t: Table): Promise<TableShape | undefined>;
}

const invalidCursor = () => new ConnectorError('permanent', 'invalid_cursor', new InvalidCursorError().message);

export function parseKeysetCursor(cursor: string | null): KeysetCursor | null {
  try {
    return cursor === null ? null : decodeCursor(cursor);
  } catch (e) {
    if (e instanceof InvalidCursorError) throw invalidCursor();
    throw e;
  }
}

/** Types that carry their own offset: their text is read at +00:00 and a point in time needs no zone. */
const holdsOffset = (info: ColumnInfo | undefined) => info !== undefined && /offset|with time zone|timestamptz/.test(info.dataType);

/** How one table's watermark values are carried, moved back and compared. */
interface WatermarkCodec {
  readonly kind: WatermarkKind;
  /** A cursor's watermark as the read binds it; null: read from the beginning (a point in time before a rowversion). */
  toColumn(value: unknown): unknown;
  compare: Compare;
  /** Undefined when the kind has no overlap (rowversion: reads are bounded, nothing commits late). */
  moveBack?(value: unknown, ms: number): unknown;
  /** The position value of a read row. */
  of(row: Readonly<Record<string, unknown>>): unknown;
}

function codecFor(ctx: ReadContext, t: KeysetTable, shape: TableShape | undefined): WatermarkCodec {
  const kind = shape?.watermarkKind ?? 'value';
  const zone = holdsOffset(shape?.columnInfo.get(t.watermark)) ? 'UTC' : (t.timeZone ?? 'UTC');
  const bad = (what: string) => new ConnectorError('permanent', 'invalid_config', `${ctx.name}: ${t.entity}: ${what}`);
  if (kind === 'text') {
    return {
      kind,
      toColumn(v) {
        if (v instanceof Date) return wallText(v, zone);
        if (isTimeText(v)) return v;
        throw invalidCursor();
      },
      compare: (a, b) => compareTimeText(String(a), String(b)),
      moveBack: (v, ms) => moveBackText(String(v), ms, zone),
      of(row) {
        const text = row[WATERMARK_TEXT];
        if (!isTimeText(text)) throw new ConnectorError('permanent', 'invalid_response', `${ctx.name}: read ${t.entity}: a row has no ${t.watermark} (the watermark must not be NULL)`);
        return text;
      },
    };
  }
  if (kind === 'rowversion') {
    return {
      kind,
      toColumn(v) {
        if (Buffer.isBuffer(v) && v.length === 8) return v;
        // A point in time (cursorSince) means nothing to a rowversion: read everything, a superset.
        if (v instanceof Date) return null;
        throw invalidCursor();
      },
      compare: compareValues,
      of: (row) => row[t.watermark],
    };
  }
  return {
    kind,
    toColumn: (v) => v,
    compare: compareValues,
    moveBack(v, ms) {
      try {
        return ctx.dialect.moveBack ? ctx.dialect.moveBack(v, ms) : moveBack(v, ms);
      } catch (e) {
        throw bad((e as Error).message);
      }
    },
    of: (row) => row[t.watermark],
  };
}

/** The positions of a cursor as the table's columns take them; null: from the beginning. */
function startOf(codec: WatermarkCodec, from: KeysetCursor | null, overlapMs: number): { from: KeysetCursor | null; start: ReadStart | null; overlap: ((c: KeysetCursor) => ReadStart) | undefined } {
  const mb = codec.moveBack;
  const overlap = overlapMs > 0 && mb ? (c: KeysetCursor): ReadStart => ({ kind: 'from', watermark: mb(c.watermark, overlapMs) }) : undefined;
  if (!from) return { from: null, start: null, overlap };
  const w = codec.toColumn(from.watermark);
  if (w === null) return { from: null, start: null, overlap };
  const at: KeysetCursor = { ...from, watermark: w, ...(from.rescan ? { rescan: { watermark: codec.toColumn(from.rescan.watermark), tieBreaker: from.rescan.tieBreaker } } : {}) };
  if (at.rescan) return { from: at, start: { kind: 'after', ...at.rescan }, overlap };
  if (at.inclusive) return { from: at, start: { kind: 'from', watermark: at.watermark }, overlap };
  if (at.caughtUp && overlap) return { from: at, start: overlap(at), overlap };
  return { from: at, start: { kind: 'after', watermark: at.watermark, tieBreaker: at.tieBreaker }, overlap };
}

/**
 * A page of a keyset read (see `SqlConnectorOptions.overlapMs` for the overlap re-read). Records are
 * returned as the driver answers them, without the columns the read adds for its own positions.
 */
export async function keysetRead(ctx: ReadContext, t: KeysetTable, cursor: string | null, limit: number, overlapMs: number): Promise<ReadPage> {
  const parsed = parseKeysetCursor(cursor);
  const shape = await ctx.shape(t);
  const codec = codecFor(ctx, t, shape);
  const { from, start, overlap } = startOf(codec, parsed, overlapMs);
  const facts = shape ? { exact: shape.exact, columnInfo: shape.columnInfo, watermarkKind: shape.watermarkKind } : {};
  const run = (s: ReadStart | null) =>
    ctx.query(ctx.dialect.read({ table: t.table, columns: t.readColumns, watermark: t.watermark, tieBreaker: t.tieBreaker, start: s, limit, ...facts }), `read ${t.entity} failed`);
  let rows = await run(start);
  // Nothing after a cursor from a full page: the reader has just caught up, so the overlap
  // re-read happens now rather than never (an empty page answers null and the caller keeps its cursor).
  if (rows.length === 0 && from && start?.kind === 'after' && !from.rescan && overlap) rows = await run(overlap(from));
  const last = rows.at(-1);
  if (!last) return { records: [], cursor: null };
  const lastPos = { watermark: codec.of(last), tieBreaker: last[t.tieBreaker] };
  const high = from && comparePositions(lastPos, from, codec.compare) < 0 ? { watermark: from.watermark, tieBreaker: from.tieBreaker } : lastPos;
  let next: KeysetCursor;
  if (rows.length < limit) next = { ...high, caughtUp: true };
  // A full page still inside the overlap window: keep the high-water, remember where the re-read got to.
  else if (high !== lastPos) next = { ...high, rescan: lastPos };
  else next = high;
  const records = codec.kind === 'text' ? rows.map(withoutPosition) : rows;
  let encoded: string;
  try {
    encoded = encodeCursor(next);
  } catch (e) {
    throw new ConnectorError('permanent', 'invalid_config', `${ctx.name}: ${t.entity}: ${(e as Error).message} (watermark ${t.watermark}, tieBreaker ${t.tieBreaker})`);
  }
  return { records: records as ExternalRecord[], cursor: encoded };
}

function withoutPosition(row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { [WATERMARK_TEXT]: _position, ...rest } = row;
  return rest;
}

/** How many rows a read from the cursor's high-water position would still return (no overlap). */
export async function keysetCount(ctx: ReadContext, t: KeysetTable, cursor: string | null): Promise<number> {
  const parsed = parseKeysetCursor(cursor);
  const shape = await ctx.shape(t);
  const codec = codecFor(ctx, t, shape);
  const w = parsed ? codec.toColumn(parsed.watermark) : null;
  const start: ReadStart | null = parsed && w !== null ? (parsed.inclusive ? { kind: 'from', watermark: w } : { kind: 'after', watermark: w, tieBreaker: parsed.tieBreaker }) : null;
  const facts = shape ? { columnInfo: shape.columnInfo, watermarkKind: shape.watermarkKind } : {};
  const rows = await ctx.query(ctx.dialect.count({ table: t.table, watermark: t.watermark, tieBreaker: t.tieBreaker, start, ...facts }), `count ${t.entity} failed`);
  return countOf(ctx, t, rows);
}

export function countOf(ctx: Pick<ReadContext, 'name'>, t: Pick<Table, 'entity'>, rows: readonly Record<string, unknown>[]): number {
  const raw = rows[0]?.['n'];
  const n = typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ConnectorError('permanent', 'invalid_response', `${ctx.name}: count ${t.entity} returned no number`);
  return n;
}
