import { ConnectorError } from '../contract.js';

/**
 * The read position on `write_date`, by whole second, with the record id as tie-breaker.
 *
 * Odoo stamps `write_date` with the transaction's `now()`, microseconds included, but answers and
 * compares Datetime values as whole seconds ("YYYY-MM-DD HH:MM:SS", UTC, no zone): up to Odoo 18 a
 * domain `write_date > '…:05'` matches rows stamped `…:05.4` and `write_date = '…:05'` none of them
 * (odoo/odoo#24102; #203626 makes 18.4+ compare whole seconds). And `order write_date asc, id asc` sorts
 * by the microseconds, so inside one second the ids are not in order. A cursor "after (m, k)" with
 * `['|', ['write_date', '>', m], '&', ['write_date', '=', m], ['id', '>', k]]` would therefore re-read a
 * second forever on the older versions and skip lower ids stamped later in the second on all of them.
 *
 * So the cursor names a second `s` and an id `k`: every record stamped before second `s` was read,
 * and of those stamped within `s`, the ids up to `k`. Within a second the connector pages by id alone
 * (`write_date >= s`, `write_date < s + 1`, `id > k`, order `id asc`), and after it by time, taking
 * whole seconds only (a full page's last second is read again by id): both domains mean the same
 * under either comparison rule.
 */

export interface OdooCursor {
  /** A whole second, "YYYY-MM-DD HH:MM:SS" (UTC). */
  readonly s: string;
  /** The last id read within second `s` (0: none of it). */
  readonly k: number;
  /** Set when the read that made it had caught up (the next one starts `overlapSeconds` back). */
  readonly c?: true;
}

const SECOND = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** The whole second of an Odoo Datetime value ("YYYY-MM-DD HH:MM:SS", any fraction dropped). */
export function secondOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.slice(0, 19);
  return SECOND.test(s) ? s : undefined;
}

/** The second after `s`. */
export function nextSecond(s: string): string {
  return formatSecond(new Date(Date.parse(`${s.replace(' ', 'T')}Z`) + 1000));
}

/** A UTC instant as Odoo writes a Datetime. */
export function formatSecond(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function encodeCursor(cursor: OdooCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, s: cursor.s, k: cursor.k, ...(cursor.c ? { c: true } : {}) })).toString('base64url');
}

export function decodeCursor(text: string): OdooCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const v = value as { v?: unknown; s?: unknown; k?: unknown; c?: unknown } | undefined;
  if (typeof v !== 'object' || v === null || v.v !== 1 || typeof v.s !== 'string' || !SECOND.test(v.s) || typeof v.k !== 'number' || !Number.isSafeInteger(v.k) || v.k < 0 || (v.c !== undefined && v.c !== true)) {
    throw new ConnectorError('permanent', 'invalid_cursor', 'The Odoo read cursor is not one this connector issued');
  }
  return { s: v.s, k: v.k, ...(v.c === true ? { c: true as const } : {}) };
}

/** Records of second `s` with an id above `k`. */
export function withinSecond(cursor: OdooCursor): unknown[] {
  return [['write_date', '>=', cursor.s], ['write_date', '<', nextSecond(cursor.s)], ['id', '>', cursor.k]];
}

/** Records stamped after second `s`. */
export function afterSecond(s: string): unknown[] {
  return [['write_date', '>=', nextSecond(s)]];
}

/** Records after the cursor (for a count): after its second, or within it above its id. */
export function afterCursor(cursor: OdooCursor): unknown[] {
  return ['|', ...afterSecond(cursor.s), '&', '&', ...withinSecond(cursor)];
}

/** A cursor from which a read returns every record stamped at or after `since` (an ISO date-time). */
export function cursorAt(since: string): OdooCursor {
  const at = Date.parse(since);
  if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', 'odoo: since is not a date-time');
  return { s: formatSecond(new Date(at)), k: 0 };
}

/** The second `overlapSeconds` before `s` (re-read window), never after it. */
export function backBy(s: string, overlapSeconds: number): string {
  return formatSecond(new Date(Date.parse(`${s.replace(' ', 'T')}Z`) - overlapSeconds * 1000));
}
