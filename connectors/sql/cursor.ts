import { CodedError } from '../../core/errors.js';

/**
 * The read cursor: opaque base64url JSON. It carries the high-water position (the newest
 * (watermark, tieBreaker) delivered so far) and, while an overlap re-read is under way, the
 * position reached inside the overlap window, so a window larger than one page still progresses,
 * and whether the reader had caught up (only then does the next read go back by the overlap).
 */

export interface KeysetCursor {
  /** High-water watermark and tie-breaker: the greatest position delivered. */
  readonly watermark: unknown;
  readonly tieBreaker: unknown;
  /** Position inside an unfinished overlap re-read (below the high-water), if any. */
  readonly rescan?: { readonly watermark: unknown; readonly tieBreaker: unknown };
  /** The page that made this cursor was short: the reader had caught up, so the next read may re-read the overlap window. */
  readonly caughtUp?: boolean;
  /**
   * Nothing at the watermark was delivered yet: the next read starts at `watermark >=` it (a read
   * from a point in time, `cursorSince`), whatever the tie-breaker.
   */
  readonly inclusive?: boolean;
}

// Dates, bigints and binary values (SQL Server rowversion) do not survive JSON on their own; tag them.
type Encoded = string | number | boolean | null | { d: string } | { b: string } | { x: string };

/** A cursor value as JSON. Throws a TypeError for a value no cursor can carry. */
export function encodeValue(v: unknown): Encoded {
  if (v instanceof Date) return { d: v.toISOString() };
  if (typeof v === 'bigint') return { b: v.toString() };
  if (Buffer.isBuffer(v)) return { x: v.toString('hex') };
  if (v instanceof Uint8Array) return { x: Buffer.from(v).toString('hex') };
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new TypeError(`cannot put a ${typeof v} watermark or tie-breaker in a cursor`);
}

/** The value {@link encodeValue} encoded; throws an InvalidCursorError for anything else. */
export function decodeValue(v: unknown): unknown {
  if (v && typeof v === 'object' && 'd' in v && typeof v.d === 'string') {
    const d = new Date(v.d);
    if (Number.isNaN(d.getTime())) throw new InvalidCursorError();
    return d;
  }
  if (v && typeof v === 'object' && 'b' in v && typeof v.b === 'string' && /^-?\d{1,40}$/.test(v.b)) return BigInt(v.b);
  if (v && typeof v === 'object' && 'x' in v && typeof v.x === 'string' && /^(?:[0-9a-f]{2}){0,64}$/.test(v.x)) return Buffer.from(v.x, 'hex');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new InvalidCursorError();
}

export class InvalidCursorError extends CodedError {
  constructor() {
    super('invalid_cursor', 'The read cursor is not one this connector issued');
  }
}

export function encodeCursor(c: KeysetCursor): string {
  const json: Record<string, unknown> = { v: 1, w: encodeValue(c.watermark), t: encodeValue(c.tieBreaker) };
  if (c.rescan) json['r'] = [encodeValue(c.rescan.watermark), encodeValue(c.rescan.tieBreaker)];
  if (c.caughtUp) json['c'] = 1;
  if (c.inclusive) json['i'] = 1;
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** The JSON object inside a cursor, or an InvalidCursorError. */
export function cursorJson(s: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InvalidCursorError();
  return json as Record<string, unknown>;
}

export function decodeCursor(s: string): KeysetCursor {
  const o = cursorJson(s);
  if (o['v'] !== 1 || !('w' in o) || !('t' in o)) throw new InvalidCursorError();
  const base = { watermark: decodeValue(o['w']), tieBreaker: decodeValue(o['t']), ...(o['c'] === 1 ? { caughtUp: true } : {}), ...(o['i'] === 1 ? { inclusive: true } : {}) };
  const r = o['r'];
  if (r === undefined) return base;
  if (!Array.isArray(r) || r.length !== 2) throw new InvalidCursorError();
  return { ...base, rescan: { watermark: decodeValue(r[0]), tieBreaker: decodeValue(r[1]) } };
}

/**
 * Orders two column values the way the database does for numbers, dates and binary (SQL Server
 * rowversion: unsigned big-endian bytes); strings by code unit; null and undefined before anything.
 */
export function compareValues(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull && bNull ? 0 : aNull ? -1 : 1;
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Math.sign(Buffer.compare(a, b));
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a);
  const y = String(b);
  // Numeric strings (BIGINT as string) compare as numbers.
  if (/^-?\d+$/.test(x) && /^-?\d+$/.test(y)) {
    const bx = BigInt(x);
    const by = BigInt(y);
    return bx < by ? -1 : bx > by ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

export type Compare = (a: unknown, b: unknown) => number;

export function comparePositions(a: { watermark: unknown; tieBreaker: unknown }, b: { watermark: unknown; tieBreaker: unknown }, compareWatermarks: Compare = compareValues): number {
  return compareWatermarks(a.watermark, b.watermark) || compareValues(a.tieBreaker, b.tieBreaker);
}

/** The watermark `overlapMs` earlier; only Date and numeric watermarks can be moved back. */
export function moveBack(watermark: unknown, overlapMs: number): unknown {
  if (watermark instanceof Date) return new Date(watermark.getTime() - overlapMs);
  if (typeof watermark === 'number') return watermark - overlapMs;
  throw new TypeError('overlapMs needs a date/time or numeric watermark column');
}
