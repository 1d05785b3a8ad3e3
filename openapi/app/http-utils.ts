import { createHash } from 'node:crypto';
import { BadRequestError, UnprocessableError } from '../../core/errors.js';
import type { ListPosition } from '../../core/store/records.js';
import type { JsonValue } from '../../core/model/entities.js';

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** One element of an If-Match list (RFC 9110 §8.8.3 entity-tag: optional W/, a quoted run of etagc), then a comma or the end. */
const LIST_ELEMENT = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/y;

/**
 * The versions an `If-Match` header accepts (RFC 9110 §13.1.1): undefined for no header or `*`
 * (any current version); else the versions of the strong tags this hub issues (`"3"`). A weak tag
 * never matches (If-Match compares strongly) and a well-formed tag the hub did not issue matches
 * nothing: both are left out, so a list of only such tags fails with 412, as a stale tag does.
 * Only a header that is not `*` or a list of entity-tags is a 400.
 */
export function ifMatchVersion(header: unknown): number[] | undefined {
  if (header === undefined) return undefined;
  // Only optional whitespace (spaces and tabs) surrounds a field value, as the spec's pattern says.
  const text = String(header).replace(/^[ \t]+|[ \t]+$/g, '');
  if (text === '*') return undefined;
  const malformed = () => new BadRequestError('If-Match must be * or a list of entity tags, such as "3"', [{ pointer: '/header/If-Match', detail: 'is not * or a list of entity tags ("3", W/"x")' }]);
  if (text === '') throw malformed();
  const versions: number[] = [];
  LIST_ELEMENT.lastIndex = 0;
  while (LIST_ELEMENT.lastIndex < text.length) {
    const match = LIST_ELEMENT.exec(text);
    if (!match) throw malformed();
    if (!match[1] && /^\d{1,15}$/.test(match[2] ?? '')) versions.push(Number(match[2]));
  }
  return versions;
}

interface CursorData {
  s: string;
  v: string;
  i: string;
}

export function encodeCursor(sortKey: string, position: ListPosition): string {
  const data: CursorData = { s: sortKey, v: position.value, i: position.id };
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

/** Decodes a cursor, refusing one that was not issued for the same sort. */
export function decodeCursor(cursor: string, sortKey: string): ListPosition {
  const invalid = () => new BadRequestError('The cursor is invalid', [{ pointer: '/query/cursor', detail: 'is not a cursor from a previous page of this list and sort order' }]);
  let data: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
    data = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const d = data as Partial<CursorData> | null;
  if (!d || typeof d !== 'object' || typeof d.s !== 'string' || typeof d.v !== 'string' || typeof d.i !== 'string' || d.s !== sortKey) throw invalid();
  return { value: d.v, id: d.i };
}

/** Parses `sort=<field>` / `sort=-<field>` against the fields a list allows. */
export function parseSort(sort: unknown, allowed: readonly string[], fallback = 'updatedAt'): { field: string; desc: boolean; key: string } {
  if (typeof sort !== 'string') return { field: fallback, desc: false, key: fallback };
  const text = sort;
  const desc = text.startsWith('-');
  const field = desc ? text.slice(1) : text;
  if (!allowed.includes(field)) {
    throw new BadRequestError('Cannot sort by that field', [{ pointer: '/query/sort', detail: `must be one of ${allowed.join(', ')} (prefix - for descending)` }]);
  }
  return { field, desc, key: text };
}

/**
 * Normalizes a date-time with any offset to UTC ISO form, as the store keeps timestamps. A leap
 * second (`23:59:60Z`, which RFC 3339 and the spec allow but Date cannot hold) is the instant after
 * the last second of its minute.
 */
export function utcInstant(value: string, pointer: string): string {
  const leap = /^(.*[Tt ]\d\d:\d\d:)60(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.exec(value);
  const t = leap ? Date.parse(`${leap[1]}59${leap[2] ?? ''}${leap[3]}`) + 1000 : Date.parse(value);
  if (Number.isNaN(t)) throw new BadRequestError('Invalid date-time', [{ pointer, detail: 'is not a valid date-time' }]);
  return new Date(t).toISOString();
}

/** Stable hash of a JSON body, key order ignored, for Idempotency-Key matching. */
export function bodyHash(body: unknown): string {
  const canonical = (v: unknown): JsonValue =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : (v as JsonValue);
  return createHash('sha256').update(JSON.stringify(canonical(body ?? null))).digest('hex');
}

export function idempotencyMismatch(): UnprocessableError {
  return new UnprocessableError('This Idempotency-Key was used with a different request', [
    { pointer: '/header/Idempotency-Key', detail: 'was already used with another body or operation' },
  ]);
}
