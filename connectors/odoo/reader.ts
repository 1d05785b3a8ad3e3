import { Decimal } from 'decimal.js';
import { ConnectorError, type ExternalRecord, type ReadPage } from '../contract.js';
import { afterCursor, afterSecond, backBy, decodeCursor, encodeCursor, secondOf, withinSecond, type OdooCursor } from './cursor.js';
import { OdooCallError } from './errors.js';
import { readFields, type OdooEntity } from './models.js';
import { checkRow, idsOf, normalizeRow, type Row } from './records.js';
import type { OdooRpc } from './rpc.js';

/**
 * Reads an entity's records changed after a cursor, oldest first (see cursor.ts for why by whole
 * second), and counts them. Sale orders come with their lines (one `search_read` of sale.order.line
 * per page: a list answer holds the lines' ids only); quants come summed per product and location.
 */

const ORDER_BY_TIME = 'write_date asc, id asc';

export interface OdooReaderOptions {
  readonly rpc: OdooRpc;
  /** Re-read window once caught up, in seconds (late commits: Odoo stamps write_date at the transaction's start). */
  readonly overlapSeconds?: number;
}

export function createOdooReader(options: OdooReaderOptions) {
  const { rpc } = options;
  const overlap = options.overlapSeconds ?? 0;

  async function searchRead(entity: OdooEntity, domain: readonly unknown[], order: string, limit: number, what: string): Promise<Row[]> {
    const answer = await rpc.call({ model: entity.model, method: 'search_read', args: { domain: [...entity.domain, ...domain] }, kwargs: { fields: readFields(entity), order, limit }, ...(entity.context ? { context: entity.context } : {}) });
    if (!Array.isArray(answer)) throw new OdooCallError('permanent', 'invalid_response', `${what}: search_read did not answer a list`);
    if (answer.length > limit) throw new OdooCallError('permanent', 'invalid_response', `${what}: search_read answered more rows than the limit`);
    return answer.map((row) => {
      const r = checkRow(row, what);
      if (secondOf(r['write_date']) === undefined) throw new OdooCallError('permanent', 'invalid_response', `${what}: a row has no write_date`);
      return r;
    });
  }

  /** Rows of second `s` with ids above `k`, by id; a server that returns others (or out of order) is refused. */
  async function within(entity: OdooEntity, cursor: OdooCursor, limit: number, what: string): Promise<Row[]> {
    const rows = await searchRead(entity, withinSecond(cursor), 'id asc', limit, what);
    let last = cursor.k;
    for (const r of rows) {
      const id = r['id'] as number;
      if (secondOf(r['write_date']) !== cursor.s || id <= last) throw new OdooCallError('permanent', 'unordered', `${what}: rows of one second are not the ones asked for, in id order`);
      last = id;
    }
    return rows;
  }

  /** Rows after second `s` (all rows when null), by time; refused when not in write_date order. */
  async function after(entity: OdooEntity, s: string | null, limit: number, what: string): Promise<Row[]> {
    const rows = await searchRead(entity, s === null ? [] : afterSecond(s), ORDER_BY_TIME, limit, what);
    let last = s;
    for (const r of rows) {
      const second = secondOf(r['write_date'])!;
      if (last !== null && (second < last || (s !== null && second === s))) throw new OdooCallError('permanent', 'unordered', `${what}: rows are not in write_date order after the cursor`);
      last = second;
    }
    return rows;
  }

  /**
   * Up to `limit` rows after the cursor and the cursor after them: first the rest of the cursor's
   * second by id, then later seconds by time, keeping whole seconds only when the page is full.
   */
  async function page(entity: OdooEntity, from: OdooCursor | null, limit: number, what: string): Promise<{ rows: Row[]; cursor: OdooCursor | null }> {
    const rows: Row[] = [];
    if (from !== null) {
      rows.push(...(await within(entity, from, limit, what)));
      if (rows.length === limit) return { rows, cursor: { s: from.s, k: rows.at(-1)!['id'] as number } };
    }
    const rest = limit - rows.length;
    const later = await after(entity, from?.s ?? null, rest, what);
    if (later.length < rest) {
      rows.push(...later);
      const last = rows.at(-1);
      if (last === undefined) return { rows, cursor: null };
      const s = secondOf(last['write_date'])!;
      const k = Math.max(...rows.filter((r) => secondOf(r['write_date']) === s).map((r) => r['id'] as number), s === from?.s ? from.k : 0);
      return { rows, cursor: { s, k, c: true } };
    }
    // A full page: its last second may go on past it, and within a second ids are not in order. The
    // whole seconds before it are kept, and the page is filled from the last second by id.
    const lastSecond = secondOf(later.at(-1)!['write_date'])!;
    const whole = later.filter((r) => secondOf(r['write_date']) !== lastSecond);
    rows.push(...whole);
    const byId = await within(entity, { s: lastSecond, k: 0 }, rest - whole.length, what);
    rows.push(...byId);
    return { rows, cursor: { s: lastSecond, k: (byId.at(-1)?.['id'] as number | undefined) ?? 0 } };
  }

  /** Each order's lines in place of its line ids (product lines with a quantity; sections and notes are left out). */
  async function withLines(entity: OdooEntity, rows: Row[], what: string): Promise<void> {
    const lines = entity.lines!;
    const orderIds = rows.map((r) => r['id'] as number);
    if (orderIds.length === 0) return;
    const answer = await rpc.call({ model: lines.model, method: 'search_read', args: { domain: [['order_id', 'in', orderIds]] }, kwargs: { fields: [...Object.keys(lines.fields), 'order_id'], order: 'sequence asc, id asc' } });
    if (!Array.isArray(answer)) throw new OdooCallError('permanent', 'invalid_response', `${what}: search_read of ${lines.model} did not answer a list`);
    const byOrder = new Map<number, Row[]>();
    for (const raw of answer) {
      const line = checkRow(raw, `${what} lines`);
      const order = idsOf(line['order_id'])[0];
      // Sections and notes carry no product; a line set to quantity 0 (how a confirmed order drops one)
      // orders nothing.
      if (order === undefined || line['display_type'] || line['product_uom_qty'] === 0) continue;
      const { order_id: _order, ...rest } = line;
      byOrder.set(order, [...(byOrder.get(order) ?? []), normalizeRow(rest, lines.fields)]);
    }
    for (const r of rows) {
      const wanted = new Set(idsOf(r[lines.field]));
      r[lines.field] = (byOrder.get(r['id'] as number) ?? []).filter((l) => wanted.has(Number(l['id'])));
    }
  }

  /** One record per product and location touched by the page: every quant of it, summed. */
  async function perLocation(entity: OdooEntity, rows: Row[], what: string): Promise<Row[]> {
    const pairs = new Map<string, Row>();
    for (const r of rows) {
      const [product, location] = [idsOf(r['product_id'])[0], idsOf(r['location_id'])[0]];
      if (product === undefined || location === undefined) throw new OdooCallError('permanent', 'invalid_response', `${what}: a quant has no product or location`);
      pairs.set(`${product}:${location}`, r);
    }
    if (pairs.size === 0) return [];
    const products = [...new Set(rows.map((r) => idsOf(r['product_id'])[0]!))];
    const locations = [...new Set(rows.map((r) => idsOf(r['location_id'])[0]!))];
    const answer = await rpc.call({ model: entity.model, method: 'search_read', args: { domain: [['product_id', 'in', products], ['location_id', 'in', locations]] }, kwargs: { fields: readFields(entity) } });
    if (!Array.isArray(answer)) throw new OdooCallError('permanent', 'invalid_response', `${what}: search_read of quants did not answer a list`);
    const sums = new Map<string, { quantity: Decimal; reserved: Decimal; latest: string; quants: number }>();
    for (const raw of answer) {
      const q = checkRow(raw, what);
      const key = `${idsOf(q['product_id'])[0]}:${idsOf(q['location_id'])[0]}`;
      if (!pairs.has(key)) continue;
      if (typeof q['quantity'] !== 'number' || typeof q['reserved_quantity'] !== 'number') throw new OdooCallError('permanent', 'invalid_response', `${what}: a quant's quantities are not numbers`);
      const s = sums.get(key) ?? { quantity: new Decimal(0), reserved: new Decimal(0), latest: '', quants: 0 };
      // Through the numbers' shortest digits, so 0.1 + 0.2 stays 0.3.
      s.quantity = s.quantity.plus(String(q['quantity']));
      s.reserved = s.reserved.plus(String(q['reserved_quantity']));
      if (String(q['write_date'] ?? '') > s.latest) s.latest = String(q['write_date']);
      s.quants += 1;
      sums.set(key, s);
    }
    return [...pairs].map(([key, r]) => {
      const s = sums.get(key);
      return {
        id: key,
        product_id: r['product_id'],
        location_id: r['location_id'],
        quantity: s ? Number(s.quantity.toString()) : 0,
        reserved_quantity: s ? Number(s.reserved.toString()) : 0,
        quant_count: s?.quants ?? 0,
        write_date: s && s.latest > String(r['write_date']) ? s.latest : r['write_date'],
      };
    });
  }

  async function read(name: string, entity: OdooEntity, cursor: string | null, limit: number): Promise<ReadPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ConnectorError('permanent', 'invalid_limit', 'odoo: a read needs a positive limit');
    const what = `odoo ${name}`;
    let from = cursor === null ? null : decodeCursor(cursor);
    // Caught up last time: start the re-read window back (ingest drops what did not change).
    if (from?.c && overlap > 0) from = { s: backBy(from.s, overlap), k: 0 };
    const { rows, cursor: next } = await page(entity, from, limit, what);
    if (next === null) return { records: [], cursor: null };
    if (entity.lines) await withLines(entity, rows, what);
    const out = entity.perLocation ? await perLocation(entity, rows, what) : rows;
    const fields = entity.lines ? { ...entity.fields, [entity.lines.field]: { type: 'char' as const } } : entity.fields;
    return { records: out.map((r) => normalizeRow(r, fields) as ExternalRecord), cursor: encodeCursor(next) };
  }

  async function count(entity: OdooEntity, cursor: string | null): Promise<number> {
    const from = cursor === null ? null : decodeCursor(cursor);
    const answer = await rpc.call({ model: entity.model, method: 'search_count', args: { domain: [...entity.domain, ...(from === null ? [] : afterCursor(from))] }, ...(entity.context ? { context: entity.context } : {}) });
    if (typeof answer !== 'number' || !Number.isSafeInteger(answer) || answer < 0) throw new OdooCallError('permanent', 'invalid_response', `odoo ${entity.model}: search_count did not answer a count`);
    return answer;
  }

  return { read, count };
}
