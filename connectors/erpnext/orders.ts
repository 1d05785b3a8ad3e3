import { ConnectorError, type RecordOutcome } from '../contract.js';
import { isUpdateAfterSubmit } from './errors.js';
import { NOT_CANCELLED } from './endpoints.js';
import { rows, text, type FrappeDoc, type FrappeDocs, type FrappeRow } from './frappe.js';

/**
 * Writing a Sales Order as Frappe allows it (frappe/model/document.py):
 *
 * - docstatus: a draft (0) is saved as sent; with `submitOrders` the create is `POST` with
 *   `docstatus: 1` (Frappe inserts and submits in one transaction: `check_docstatus_transition` takes
 *   0 → 1 as the submit action) and a draft is submitted by `PUT` with `docstatus: 1`.
 * - A submitted document (1) takes only changes of `allow_on_submit` fields; anything else Frappe refuses
 *   with 417 `UpdateAfterSubmitError`. The connector compares first and writes nothing when nothing
 *   changed; what changed it sends, and on UpdateAfterSubmitError either cancels and amends (with
 *   `amendSubmittedOrders`: `POST /api/method/frappe.client.cancel`, then a new document with
 *   `amended_from`, which Frappe names `<name>-1`) or fails the record permanently, saying so.
 * - A cancelled document (2) cannot be edited ("Cannot edit cancelled document"): the live amendment of
 *   the same hub order is found through the lookup field (cancelled documents skipped), or, with
 *   amendSubmittedOrders, an amendment is made.
 * - Child rows: a `PUT` that carries `items` replaces the table (`update_child_table` deletes every row
 *   whose `name` is not sent and inserts rows without one under new names), so each line is sent with
 *   the `name` of the current row it matches — by item_code, the n-th line of an item to the n-th row of
 *   it in `idx` order — and is updated in place; delivery notes and invoices that point to a row
 *   (`so_detail`) keep pointing to it.
 */

export const SALES_ORDER = 'Sales Order';

export interface OrderWriteOptions {
  /** Submit every Sales Order the hub writes (docstatus 1). */
  readonly submit: boolean;
  /** Cancel and amend a submitted order that Frappe refuses to change. */
  readonly amend: boolean;
  /** The field holding the hub's order number (the lookup field); undefined: no lookup. */
  readonly lookupField: string | undefined;
  readonly connector: string;
}

/** The current rows' names for the payload's lines: the n-th line of an item_code takes the n-th row of it. */
export function matchRows(lines: readonly FrappeRow[], current: readonly FrappeRow[]): (string | undefined)[] {
  const taken = new Set<number>();
  return lines.map((line) => {
    const at = current.findIndex((row, i) => !taken.has(i) && text(row['item_code']) === text(line['item_code']) && text(row['name']) !== undefined);
    if (at < 0) return undefined;
    taken.add(at);
    return text(current[at]!['name']);
  });
}

/** The payload's lines with the names of the rows they match (a line without a match is a new row). */
function namedLines(payload: Readonly<Record<string, unknown>>, doc: FrappeDoc): FrappeRow[] | undefined {
  if (!Array.isArray(payload['items'])) return undefined;
  const lines = rows(payload['items']).map(({ name: _name, ...line }) => line);
  const names = matchRows(lines, rows(doc['items']));
  return lines.map((line, i) => (names[i] === undefined ? line : { name: names[i], ...line }));
}

/** Whether a value sent equals the one held: empty values alike, numbers by value, the rest as text. */
function same(sent: unknown, held: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || v === '';
  if (empty(sent) || empty(held)) return empty(sent) && empty(held);
  if (typeof sent === 'number' || typeof held === 'number') return Number(sent) === Number(held);
  return String(sent) === String(held);
}

/**
 * What the payload would change on a submitted document; empty when nothing. Lines go whole: each
 * matched row as held with the line's fields over it (Frappe compares every field of a submitted row,
 * and one not sent counts as cleared), a line without a match as a new row.
 */
export function changesOf(payload: Readonly<Record<string, unknown>>, doc: FrappeDoc): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(payload)) {
    if (field !== 'items' && field !== 'name' && !same(value, doc[field])) changes[field] = value;
  }
  const lines = namedLines(payload, doc);
  if (lines !== undefined) {
    const current = rows(doc['items']);
    const held = (line: FrappeRow) => current.find((r) => text(r['name']) !== undefined && text(r['name']) === text(line['name']));
    const differs = lines.length !== current.length || lines.some((line) => {
      const row = held(line);
      return row === undefined || Object.entries(line).some(([f, v]) => !same(v, row[f]));
    });
    if (differs) changes['items'] = lines.map((line) => ({ ...held(line), ...line }));
  }
  return changes;
}

function stripRowNames(payload: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { name: _name, ...body } = payload;
  return Array.isArray(body['items']) ? { ...body, items: rows(body['items']).map(({ name: _row, ...line }) => line) } : body;
}

/** Writes one Sales Order: to the linked (or found) document per its docstatus, else a new one. */
export async function upsertSalesOrder(docs: FrappeDocs, options: OrderWriteOptions, payload: Readonly<Record<string, unknown>>, linked: string | undefined): Promise<RecordOutcome> {
  const field = options.lookupField;
  const hubKey = field === undefined ? undefined : text(payload[field]);
  const findLive = async (): Promise<string | undefined> => (field === undefined || hubKey === undefined ? undefined : docs.find(SALES_ORDER, field, hubKey, [NOT_CANCELLED]));
  const ok = (doc: FrappeDoc): RecordOutcome => ({ ok: true, externalId: doc.name });

  const create = async (extra: Record<string, unknown> = {}): Promise<FrappeDoc> => {
    const body = { ...stripRowNames(payload), ...(options.submit ? { docstatus: 1 } : {}), ...extra };
    return docs.create(SALES_ORDER, body, findLive, async (name) => {
      const doc = await docs.get(SALES_ORDER, name);
      if (doc === undefined) throw new ConnectorError('retryable', 'not_found', `${options.connector} ${SALES_ORDER} vanished while it was written`);
      return update(doc, false);
    });
  };

  /** Cancels a submitted document and makes its amendment, submitted as the original was. */
  const amend = async (doc: FrappeDoc): Promise<FrappeDoc> => {
    if (doc['docstatus'] === 1) {
      try {
        await docs.call('frappe.client.cancel', { doctype: SALES_ORDER, name: doc.name });
      } catch (error) {
        if (error instanceof ConnectorError) {
          throw new ConnectorError(error.kind, error.code.replace(/^connector_/, ''), `${options.connector} ${SALES_ORDER} is submitted and could not be cancelled to amend it: ${error.message}`, error.retryAfterMs);
        }
        throw error;
      }
    }
    return create({ amended_from: doc.name, ...(doc['docstatus'] === 1 ? { docstatus: 1 } : {}) });
  };

  const update = async (doc: FrappeDoc, again: boolean): Promise<FrappeDoc> => {
    if (doc['docstatus'] === 2) {
      // Cancelled: its live amendment carries the same hub order number.
      const live = again ? undefined : await findLive();
      if (live !== undefined && live !== doc.name) {
        const current = await docs.get(SALES_ORDER, live);
        if (current !== undefined) return update(current, true);
      }
      if (options.amend) return amend(doc);
      throw new ConnectorError('permanent', 'cancelled', `${options.connector} ${SALES_ORDER} is cancelled in ERPNext and cannot be edited (Cannot edit cancelled document): amend it there, or set amendSubmittedOrders to let the hub amend it`);
    }
    if (doc['docstatus'] === 1) {
      const changes = changesOf(payload, doc);
      if (Object.keys(changes).length === 0) return doc;
      try {
        return await docs.put(SALES_ORDER, doc.name, changes);
      } catch (error) {
        if (!isUpdateAfterSubmit(error)) throw error;
        if (options.amend) return amend(doc);
        throw new ConnectorError(
          'permanent',
          'update_after_submit',
          `${options.connector} ${SALES_ORDER} is submitted and ERPNext refuses the change (${error.message}); cancel and amend it in ERPNext, or set amendSubmittedOrders to let the hub cancel and amend it`,
        );
      }
    }
    const lines = namedLines(payload, doc);
    const { name: _name, ...fields } = payload;
    return docs.put(SALES_ORDER, doc.name, { ...fields, ...(lines === undefined ? {} : { items: lines }), ...(options.submit ? { docstatus: 1 } : {}) });
  };

  const name = linked ?? text(payload['name']);
  let doc = name === undefined ? undefined : await docs.get(SALES_ORDER, name);
  if (doc === undefined) {
    const live = await findLive();
    if (live !== undefined) doc = await docs.get(SALES_ORDER, live);
  }
  return ok(doc === undefined ? await create() : await update(doc, false));
}
