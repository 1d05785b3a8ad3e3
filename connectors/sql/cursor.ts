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
}

// Dates and bigints do not survive JSON on their own; tag them.
type Encoded = string | number | boolean | null | { d: string } | { b: string };

function enc(v: unknown): Encoded {
  if (v instanceof Date) return { d: v.toISOString() };
  if (typeof v === 'bigint') return { b: v.toString() };
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new TypeError(`cannot put a ${typeof v} watermark or tie-breaker in a cursor`);
}

function dec(v: unknown): unknown {
  if (v && typeof v === 'object' && 'd' in v && typeof v.d === 'string') return new Date(v.d);
  if (v && typeof v === 'object' && 'b' in v && typeof v.b === 'string') return BigInt(v.b);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  throw new InvalidCursorError();
}

export class InvalidCursorError extends CodedError {
  constructor() {
    super('invalid_cursor', 'The read cursor is not one this connector issued');
  }
}

export function encodeCursor(c: KeysetCursor): string {
  const json: Record<string, unknown> = { v: 1, w: enc(c.watermark), t: enc(c.tieBreaker) };
  if (c.rescan) json['r'] = [enc(c.rescan.watermark), enc(c.rescan.tieBreaker)];
  if (c.caughtUp) json['c'] = 1;
  return Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): KeysetCursor {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!json || typeof json !== 'object' || (json as { v?: unknown }).v !== 1 || !('w' in json) || !('t' in json)) throw new InvalidCursorError();
  const o = json as { w: unknown; t: unknown; r?: unknown; c?: unknown };
  const base = { watermark: dec(o.w), tieBreaker: dec(o.t), ...(o.c === 1 ? { caughtUp: true } : {}) };
  if (o.r === undefined) return base;
  if (!Array.isArray(o.r) || o.r.length !== 2) throw new InvalidCursorError();
  return { ...base, rescan: { watermark: dec(o.r[0]), tieBreaker: dec(o.r[1]) } };
}

/** Orders two column values the way the database does for numbers and dates (strings: by code unit). */
export function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
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

export function comparePositions(a: { watermark: unknown; tieBreaker: unknown }, b: { watermark: unknown; tieBreaker: unknown }): number {
  return compareValues(a.watermark, b.watermark) || compareValues(a.tieBreaker, b.tieBreaker);
}

/** The watermark `overlapMs` earlier; only Date and numeric watermarks can be moved back. */
export function moveBack(watermark: unknown, overlapMs: number): unknown {
  if (watermark instanceof Date) return new Date(watermark.getTime() - overlapMs);
  if (typeof watermark === 'number') return watermark - overlapMs;
  throw new TypeError('overlapMs needs a date/time or numeric watermark column');
}
