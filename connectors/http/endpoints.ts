import { ConnectorError } from '../contract.js';
import type { HttpError } from './client.js';

/**
 * The shapes that configure the generic HTTP connector per entity (list, upsert, batch, delete),
 * the read watermark and its cursor, and how a point in time is written in a system's format.
 */

/** Where a read resumes: the last delivered row's (modified, key). Encoded in the opaque cursor. */
export interface Watermark {
  readonly modified: string;
  readonly key: string;
}

export const PAGE_STYLES = ['offset', 'cursor'] as const;
export type PageStyle = (typeof PAGE_STYLES)[number];

export interface ListEndpoint {
  readonly path: string;
  /** Field of the list body holding the rows. Default `data`. */
  readonly recordsField?: string;
  /** Row field the watermark follows. Default `modified`. */
  readonly modifiedField?: string;
  /** Stable tie-breaker among rows with the same modified value. Default `name`. */
  readonly tieBreakerField?: string;
  /**
   * Who orders keys within a tie on `modified`. `client` (default): the connector compares keys as
   * JavaScript strings, dropping rows at or before the watermark that the server still returns.
   * `server`: the `since` query has the server skip the rows up to the watermark's key in its own
   * order (an SQL-backed system compares text under its collation, e.g. MariaDB's case-insensitive
   * `utf8mb4_unicode_ci`: `a` < `B` < `c`, where JavaScript puts `B` first), and the connector never
   * compares keys by order: only the modified values (which sort as text, see ModifiedFormat), and
   * keys for equality (the watermark's own row, a row listed twice).
   */
  readonly tieOrder?: 'client' | 'server';
  /**
   * How the system writes the modified values, so that a backfill can start at a point in time
   * (`cursorSince`); without it the connector cannot say where a date-time falls among its rows.
   */
  readonly modifiedFormat?: ModifiedFormat;
  /** Row field that marks a deleted record (true, 1, "1", "true" …); such rows are reported by `isDeleted`. */
  readonly deletedField?: string;
  /**
   * The values of `deletedField` that mark a delete (compared as text), where the field is a state
   * rather than a flag (ERPNext's `docstatus`: 2 is cancelled). Default: any set flag.
   */
  readonly deletedValues?: readonly (string | number | boolean)[];
  /**
   * Read each listed row whole from `<path>/<encoded key>` (default: the list path), its document under
   * `responseField` (default `data`): for systems whose list answers the parent fields only (Frappe
   * leaves child tables out). One request per row; a row whose document is gone (404) stays as listed.
   */
  readonly detail?: { readonly path?: string; readonly responseField?: string };
  /** Fixed query parameters (fields, ordering …). */
  readonly query?: Readonly<Record<string, string>>;
  /**
   * How to ask for rows after the watermark: a parameter that receives the modified value
   * (`updated_since=…`), or a function returning query parameters (ERPNext's `filters` JSON).
   * Either way, rows at or before the watermark that the server still returns are dropped.
   */
  readonly since: { readonly param: string } | ((watermark: Watermark) => Readonly<Record<string, string>>);
  readonly paging:
    | { readonly style: 'offset'; readonly offsetParam: string; readonly limitParam: string }
    | { readonly style: 'cursor'; readonly cursorParam: string; readonly limitParam: string; readonly nextCursorField: string };
  /** Largest page asked of the server. Default 100. */
  readonly pageSize?: number;
  /**
   * Answer field holding a row count, e.g. `total` (one top-level field). When set,
   * `count()` sends the list request without paging, with `since`, to `countPath` (default: the list
   * path) and reads this field. An estimate: rows tied with the watermark that the server still
   * returns are counted again.
   */
  readonly countField?: string;
  readonly countPath?: string;
  /** Fixed query parameters of the count request instead of `query` (a count method's own, e.g. `doctype`). */
  readonly countQuery?: Readonly<Record<string, string>>;
  /** How the count request asks for rows after the watermark, when not as the list does (code only). */
  readonly countSince?: (watermark: Watermark) => Readonly<Record<string, string>>;
}

/**
 * `iso`: UTC ISO 8601 as `2026-01-31T09:15:00.000Z` (what `Date.toISOString()` writes).
 * `datetime`: wall-clock time in `timeZone` (IANA) as `2026-01-31 10:15:00` with `fractionDigits`
 * (0–6) after a dot, the form SQL-backed systems such as Frappe / ERPNext answer (`.ffffff`).
 * Either way the values must sort as text in time order (the watermark compares them as text).
 */
export type ModifiedFormat = { readonly style: 'iso' } | { readonly style: 'datetime'; readonly timeZone: string; readonly fractionDigits?: number };

/**
 * Where a read starting at `since` begins, in the system's format, a little early: 1 ms for ISO
 * (a server whose since parameter is exclusive still returns a row stamped exactly `since`), 2 h
 * for wall-clock times (a daylight-saving fall-back repeats up to 2 h of wall time; the extra rows
 * read are ingested idempotently).
 */
export function formatSince(since: Date, format: ModifiedFormat): string {
  if (format.style === 'iso') return new Date(since.getTime() - 1).toISOString();
  const at = new Date(since.getTime() - 2 * 3_600_000);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: format.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const digits = format.fractionDigits ?? 0;
  const fraction = digits > 0 ? `.${String(at.getUTCMilliseconds()).padStart(3, '0').padEnd(digits, '0').slice(0, digits)}` : '';
  return `${parts['year']}-${parts['month']}-${parts['day']} ${parts['hour']}:${parts['minute']}:${parts['second']}${fraction}`;
}

export interface UpsertEndpoint {
  /** Collection path; a record's own path is `<path>/<encoded key>`. */
  readonly path: string;
  /** Payload field holding the external key (ERPNext: `name`, or `item_code` for Item). */
  readonly keyField: string;
  /** Method that creates. Default `POST` to the collection path. */
  readonly method?: 'POST' | 'PUT';
  /** Field of the write answer holding the saved record. Default `data`; `''` for the body itself. */
  readonly responseField?: string;
  /** Field of the saved record that is its external id. Default `name`. */
  readonly idField?: string;
  /**
   * Who names a new record: `payload` (default), the key field the hub sends is the record's key, so a
   * retried create finds the record by it; `system`, the system assigns the name itself (a naming
   * series, an auto-increment id) and ignores one in the payload, so only a `lookup` keeps a create
   * whose answer was lost from being made twice. The hub refuses a `system` target without a lookup.
   */
  readonly namedBy?: 'payload' | 'system';
  /**
   * Before creating, look for a record the system already holds with the payload's value of this
   * field (one the hub writes its own key to): a create whose answer was lost, then retried, updates
   * that record instead of making a second one. Needed where the system names records itself.
   */
  readonly lookup?: LookupEndpoint;
  /**
   * Whether a create's failure means the record is already there (made meanwhile by a concurrent or
   * an earlier, unanswered create): the connector then finds it (the lookup, else the key) and updates
   * it instead. Default: HTTP 409. Code only (ERPNext: 409 `DuplicateEntryError`, 417 `UniqueValidationError`).
   */
  readonly conflict?: (error: HttpError) => boolean;
}

export interface LookupEndpoint {
  /** Payload field whose value identifies the record (e.g. a custom field holding the hub's code). */
  readonly field: string;
  /** List path to search. */
  readonly path: string;
  /** The query parameter receiving the value, or (code only) a function returning the whole query. */
  readonly query: { readonly param: string } | ((value: string) => Readonly<Record<string, string>>);
  /** Field of the answer holding the rows. Default `data`; `''` for a bare array. */
  readonly recordsField?: string;
}

/**
 * A batch write endpoint: one request carries many records and the answer one result per record, in
 * request order. When configured it replaces the per-record `upsert` for writes.
 */
export interface BatchEndpoint {
  readonly path: string;
  /** Default `POST`. */
  readonly method?: 'POST' | 'PUT';
  /** Request body field holding the records. Default `records`; `''` sends a bare array. */
  readonly recordsField?: string;
  /** Answer field holding the per-record results, in request order. Default `results`; `''` for a bare array. */
  readonly resultsField?: string;
  /** Field of a result holding the external id. Default: the upsert endpoint's `keyField`, else `id`. */
  readonly idField?: string;
  /** Field of a result whose presence (not null) marks that record as failed. Default `error`. */
  readonly errorField?: string;
  /** Field of a result holding an HTTP-like status: 429/5xx retryable, other 4xx permanent. */
  readonly statusField?: string;
  /** Most records per request; larger writes are split. Default 500. */
  readonly maxBatch?: number;
}

export const DEFAULT_MAX_BATCH = 500;

export interface EntityEndpoints {
  readonly list?: ListEndpoint;
  readonly upsert?: UpsertEndpoint;
  readonly batch?: BatchEndpoint;
  /** Collection path; deletes go to `<path>/<encoded id>`. */
  readonly delete?: { readonly path: string };
  readonly naturalKeys?: readonly string[];
}

/**
 * The read cursor, the same rule as the SQL connector's: the high-water position (the newest
 * (modified, key) delivered), while an overlap re-read is under way the position it reached, and
 * whether the reader had caught up (only then does the next read go back by the overlap window).
 */
export interface HttpCursor extends Watermark {
  readonly rescan?: Watermark;
  readonly caughtUp?: boolean;
}

export function encodeCursor(cursor: HttpCursor): string {
  const json: Record<string, unknown> = { m: cursor.modified, k: cursor.key };
  if (cursor.rescan) json['r'] = [cursor.rescan.modified, cursor.rescan.key];
  if (cursor.caughtUp) json['c'] = 1;
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

export function decodeCursor(cursor: string): HttpCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null) {
      const { m, k, r, c } = value as Record<string, unknown>;
      const rescan = Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && typeof r[1] === 'string' ? { modified: r[0], key: r[1] } : undefined;
      if (typeof m === 'string' && typeof k === 'string' && (r === undefined || rescan)) return { modified: m, key: k, ...(rescan ? { rescan } : {}), ...(c === 1 ? { caughtUp: true } : {}) };
    }
  } catch {
    // fall through
  }
  throw new ConnectorError('permanent', 'bad_cursor', 'The read cursor is not one this connector issued');
}

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * A modified value `overlapMs` earlier, in the same format: ISO instants exactly; wall-clock times
 * (`datetime`) by their digits, so the window is measured in the system's local time (across a
 * daylight-saving change it is an hour shorter or longer). Undefined when the value is not in the
 * format (the read then goes on from the high-water mark without a re-read).
 */
export function moveBackModified(modified: string, overlapMs: number, format: ModifiedFormat): string | undefined {
  if (format.style === 'iso') {
    const at = Date.parse(modified);
    return Number.isNaN(at) ? undefined : new Date(at - overlapMs).toISOString();
  }
  const m = WALL_CLOCK.exec(modified);
  if (!m) return undefined;
  const fraction = m[7] ?? '';
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms) - overlapMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  // Digits below the millisecond are dropped (rounded down: the window only grows).
  const digits = fraction.length > 0 ? `.${String(at.getUTCMilliseconds()).padStart(3, '0').padEnd(fraction.length, '0').slice(0, fraction.length)}` : '';
  return `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}${modified[10]}${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}${digits}`;
}
