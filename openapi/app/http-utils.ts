import { createHash } from 'node:crypto';
import { BadRequestError, UnprocessableError } from '../../core/errors.js';
import type { ListPosition } from '../../core/store/records.js';
import type { JsonValue } from '../../core/model/entities.js';

export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The version an `If-Match` header asks for; undefined for no header or `*`. */
export function ifMatchVersion(header: unknown): number | undefined {
  if (header === undefined) return undefined;
  const text = String(header).trim();
  if (text === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(text);
  if (!match?.[1]) throw new BadRequestError('If-Match must be an ETag from a previous read, such as "3"', [{ pointer: '/header/If-Match', detail: 'is not an ETag this hub issued' }]);
  return Number(match[1]);
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

/** Normalizes a date-time with any offset to UTC ISO form, as the store keeps timestamps. */
export function utcInstant(value: string, pointer: string): string {
  const t = Date.parse(value);
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
