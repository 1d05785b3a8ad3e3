import type { ExternalRecord } from '../contract.js';
import { OdooCallError } from './errors.js';
import type { OdooField } from './models.js';

/**
 * Odoo's values as the hub's mappings read them, and back.
 *
 * Odoo answers an empty value of any non-boolean field as `false` (an unset char, date, many2one …),
 * a many2one as `[id, "display name"]` and a one2many / many2many as a list of ids (models.py
 * `read`, `convert_to_read`). A read record therefore comes out with:
 * - `false` as null, except in boolean fields (a false boolean is false);
 * - a many2one `f` as its id in text (`"7"`, the id links' form) and its display name as `f_name`;
 * - a one2many / many2many as a list of `{ id }` objects (text ids), so `first` / `each` can read them.
 * On the way in, a many2one takes an id (number or digits), or, where the field is written by code,
 * the code (`country_id: DE`); null becomes `false` (Odoo's "clear").
 */

export type Row = Record<string, unknown>;

/** A read row in the shape described above; fields not described pass through unchanged. */
export function normalizeRow(row: Row, fields: Readonly<Record<string, OdooField>>): Row {
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    const field = fields[name];
    if (field === undefined || field.type === 'boolean' || name === 'id') {
      out[name] = value;
      continue;
    }
    if (field.type === 'many2one') {
      const pair = Array.isArray(value) && value.length >= 1 && Number.isSafeInteger(value[0]) ? value : undefined;
      out[name] = pair ? String(pair[0]) : null;
      out[`${name}_name`] = pair && typeof pair[1] === 'string' ? pair[1] : null;
      continue;
    }
    if (field.type === 'one2many' || field.type === 'many2many') {
      out[name] = Array.isArray(value) ? value.filter((id) => Number.isSafeInteger(id)).map((id) => ({ id: String(id) })) : [];
      continue;
    }
    out[name] = value === false ? null : value;
  }
  return out;
}

/** The ids of a many2one or x2many as Odoo answered it (for reading lines). */
export function idsOf(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((id): id is number => Number.isSafeInteger(id)) : [];
}

/** Checks a read row has what every read relies on: an integer id and a write_date. */
export function checkRow(row: unknown, what: string): Row {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new OdooCallError('permanent', 'invalid_response', `${what}: a row is not an object`);
  const r = row as Row;
  if (!Number.isSafeInteger(r['id'])) throw new OdooCallError('permanent', 'invalid_response', `${what}: a row has no integer id`);
  return r;
}

/** Looks up a many2one code (`DE`) to an id; undefined when none holds it. */
export type CodeResolver = (relation: string, codeField: string, code: string) => Promise<number | undefined>;

/** A payload field that Odoo cannot take as it is: a permanent failure of the record, naming the field. */
export class PayloadError extends OdooCallError {
  constructor(field: string, reason: string) {
    super('permanent', 'invalid_payload', `odoo: ${field} ${reason}`);
  }
}

/**
 * The values (`vals`) of a create or write from a mapped payload: many2one ids as integers (codes
 * looked up), null as false. `skip` names fields the caller writes itself (order lines).
 */
export async function toVals(payload: Readonly<Record<string, unknown>>, fields: Readonly<Record<string, OdooField>>, resolve: CodeResolver, skip: readonly string[] = [], at = ''): Promise<Row> {
  const vals: Row = {};
  for (const [name, value] of Object.entries(payload)) {
    if (skip.includes(name) || value === undefined) continue;
    const field = fields[name];
    if (field?.type === 'many2one') {
      vals[name] = await many2one(value, field, resolve, `${at}${name}`);
      continue;
    }
    vals[name] = value === null ? false : value;
  }
  return vals;
}

async function many2one(value: unknown, field: OdooField, resolve: CodeResolver, name: string): Promise<number | false> {
  if (value === null || value === false) return false;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^[1-9][0-9]{0,15}$/.test(value)) return Number(value);
  if (typeof value === 'string' && field.byCode !== undefined && field.relation !== undefined && value.trim() !== '') {
    const id = await resolve(field.relation, field.byCode, value.trim());
    if (id === undefined) throw new PayloadError(name, `names a ${field.relation} ${field.byCode} that Odoo does not have`);
    return id;
  }
  throw new PayloadError(name, 'is not a record id');
}

/** Whether a record's value already equals what a write would set (a line update sends only changes). */
export function sameValue(current: unknown, next: unknown): boolean {
  if (Array.isArray(current) && current.length >= 1 && typeof next === 'number') return current[0] === next;
  if (current === false && next === false) return true;
  if (typeof current === 'number' && typeof next === 'number') return Math.abs(current - next) < 1e-9;
  return current === next;
}

/** A record as read, for keyOf (the id in text). */
export function recordId(record: ExternalRecord): string | undefined {
  const id = record['id'];
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && id !== '') return id;
  return undefined;
}
