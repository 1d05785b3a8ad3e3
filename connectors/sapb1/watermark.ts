import { ConnectorError, type ExternalRecord } from '../contract.js';
import { formatSince, moveBackModified } from '../http/endpoints.js';

/**
 * Where a read of an SAP entity set resumes. SAP stamps a change with `UpdateDate` (a date: `2026-12-03`
 * in v1) and `UpdateTime` (`14:07:33`, the server's wall clock, whole seconds): the watermark is that
 * second, `YYYY-MM-DD HH:MM:SS`, and the keys already delivered with exactly that stamp. A row is new when
 * it is stamped later, or in the same second under a key not delivered yet: within a second the
 * server's key order (its database collation: SQL Server's is case-insensitive, HANA's binary) never
 * matters, so no row is skipped for sorting differently here than there.
 */
export interface Mark {
  /** `YYYY-MM-DD HH:MM:SS` in the server's local time. */
  readonly at: string;
  /** Keys delivered with exactly this stamp. */
  readonly keys: readonly string[];
}

/** The high-water mark, plus (as the HTTP connector's cursor) an overlap re-read under way and whether the reader caught up. */
export interface SapCursor extends Mark {
  readonly rescan?: Mark;
  readonly caughtUp?: boolean;
}

const STAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;
/** At most this many keys are kept for one second (a bulk import stamps many rows alike). */
export const MAX_KEYS_PER_SECOND = 5000;

export function encodeCursor(cursor: SapCursor): string {
  const json: Record<string, unknown> = { t: cursor.at, k: cursor.keys };
  if (cursor.rescan) json['r'] = { t: cursor.rescan.at, k: cursor.rescan.keys };
  if (cursor.caughtUp) json['c'] = 1;
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

function markOf(value: unknown): Mark | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { t, k } = value as Record<string, unknown>;
  if (typeof t !== 'string' || !STAMP.test(t) || !Array.isArray(k) || !k.every((x) => typeof x === 'string')) return undefined;
  return { at: t, keys: k as string[] };
}

export function decodeCursor(cursor: string): SapCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const mark = markOf(value);
    const { r, c } = value as Record<string, unknown>;
    const rescan = r === undefined ? undefined : markOf(r);
    if (mark && (r === undefined || rescan)) return { ...mark, ...(rescan ? { rescan } : {}), ...(c === 1 ? { caughtUp: true } : {}) };
  } catch {
    // fall through
  }
  throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued');
}

const NEVER = '0000-01-01 00:00:00';

/**
 * A row's stamp: `UpdateDate` (`2026-12-03`, or `2026-12-03T00:00:00Z` as v2 and some builds write it)
 * and `UpdateTime` (`14:07:33` or `14:07`; absent or null counts as the start of the day, so such a row is
 * read again by the next overlap re-read of its day). A row without `UpdateDate` sorts first. Undefined
 * when the stamp cannot be read.
 */
export function stampOf(row: ExternalRecord): string | undefined {
  const date = row['UpdateDate'];
  // Never stamped (SAP sorts a null first): read by the first, unfiltered read only.
  if (date === null || date === undefined) return NEVER;
  if (typeof date !== 'string') return undefined;
  const d = /^(\d{4}-\d{2}-\d{2})(?:$|[T ])/.exec(date);
  if (!d) return undefined;
  const time = row['UpdateTime'];
  let t = '00:00:00';
  if (typeof time === 'string') {
    const m = /^(\d{2}):(\d{2})(?::(\d{2}))?/.exec(time);
    if (!m) return undefined;
    t = `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
  } else if (time !== null && time !== undefined) return undefined;
  return `${d[1]} ${t}`;
}

/** Whether a row stamped `at` with `key` comes after `mark`. */
export function isAfter(at: string, key: string, mark: Mark | null): boolean {
  if (mark === null) return true;
  return at > mark.at || (at === mark.at && !mark.keys.includes(key));
}

/** The later of two marks; one second's keys are merged. */
export function later(a: Mark, b: Mark): Mark {
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return { at: a.at, keys: [...new Set([...a.keys, ...b.keys])].slice(-MAX_KEYS_PER_SECOND) };
}

/** The start of an overlap re-read `overlapSeconds` before `mark` (every key of that second read again). */
export function backBy(mark: Mark, overlapSeconds: number): Mark | null {
  const back = moveBackModified(mark.at, overlapSeconds * 1000, { style: 'datetime', timeZone: 'UTC' });
  return back === undefined ? null : { at: back, keys: [] };
}

/** A cursor from which a read returns every row changed at or after `since`, in the server's `timeZone` (2 h early: a daylight-saving fall-back repeats wall time). */
export function cursorAt(since: string, timeZone: string): string {
  const at = Date.parse(since);
  if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', 'since is not a date-time');
  return encodeCursor({ at: formatSince(new Date(at), { style: 'datetime', timeZone, fractionDigits: 0 }), keys: [] });
}
