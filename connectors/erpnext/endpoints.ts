import type { EntityEndpoints, Watermark } from '../http/http-connector.js';
import { isFrappeConflict } from './errors.js';

/**
 * The doctypes the ERPNext connector reads and writes, as configuration of the generic HTTP connector
 * (Frappe's `/api/resource/<DocType>`): list filters, ordering, paging, whole-document reads, the
 * lookup a create goes through, what counts as deleted.
 */

/** Frappe's health probe for an API key: answers the user the key belongs to. */
export const ERPNEXT_CHECK_PATH = '/api/method/frappe.auth.get_logged_user';
/** Frappe's whitelisted row count of a doctype under filters. */
export const ERPNEXT_COUNT_PATH = '/api/method/frappe.client.get_count';

/**
 * A Frappe list filter: `[field, operator, value]` (operators `=`, `!=`, `in`, `>` …), or on a child
 * table `[child doctype, field, operator, value]` (`["Dynamic Link", "link_doctype", "=", "Customer"]`).
 */
export type FrappeFilter = readonly [string, string, unknown] | readonly [string, string, string, unknown];

/**
 * Rows strictly after (modified, name): `filters` narrows to modified ≥ m and `or_filters` — ANDed with
 * `filters` by Frappe — keeps modified > m or name > k. MariaDB compares `name > k` under the column's
 * collation (utf8mb4_unicode_ci: case-insensitive), the same order as `order_by=modified asc, name asc`,
 * so the server alone decides which rows of a tie on `modified` come after k; the connector never
 * compares names (`tieOrder: 'server'`). `fixed`: the doctype's own filters, which every list request carries.
 */
export function erpnextSince(watermark: Watermark, fixed: readonly FrappeFilter[] = []): Record<string, string> {
  return {
    filters: JSON.stringify([...fixed, ['modified', '>=', watermark.modified]]),
    or_filters: JSON.stringify([
      ['modified', '>', watermark.modified],
      ['name', '>', watermark.key],
    ]),
  };
}

/** Finds documents of `doctype` whose `field` equals a value (name and the field, at most two). */
function erpnextLookup(path: string, field: string, fixed: readonly FrappeFilter[]) {
  return {
    field,
    path,
    query: (value: string) => ({ filters: JSON.stringify([[field, '=', value], ...fixed]), fields: JSON.stringify(['name', field]), limit_page_length: '2' }),
    recordsField: 'data',
  };
}

/** The custom field the default mappings write the hub's key to (ERPNext v15 prefixes custom fields with `custom_`). */
export const ERPNEXT_LOOKUP_FIELD = 'custom_hub_code';

/** A cancelled document (docstatus 2) is void: a lookup for the live document of a hub record skips it. */
export const NOT_CANCELLED: FrappeFilter = ['docstatus', '!=', 2];

interface Resource {
  /** Payload field holding the key of a write (absent: the doctype is read only). */
  readonly keyField?: string;
  readonly naturalKeys: readonly string[];
  readonly lookupField?: string | undefined;
  /** Filters every list and count request carries (which documents the hub reads at all). */
  readonly filters?: readonly FrappeFilter[];
  /** Submittable doctype: a cancelled document (`docstatus` 2) is reported deleted, and never found by a lookup. */
  readonly submittable?: boolean;
  /** Read each listed document whole (its child tables: Frappe's list answers parent fields only). */
  readonly whole?: boolean;
}

function resource(doctype: string, timeZone: string | undefined, r: Resource): EntityEndpoints {
  const path = `/api/resource/${encodeURIComponent(doctype)}`;
  const fixed = r.filters ?? [];
  const base = fixed.length === 0 ? {} : { filters: JSON.stringify(fixed) };
  return {
    list: {
      path,
      recordsField: 'data',
      modifiedField: 'modified',
      tieBreakerField: 'name',
      tieOrder: 'server',
      // Frappe stamps `modified` as datetime(6) in the site's time zone, without an offset.
      ...(timeZone === undefined ? {} : { modifiedFormat: { style: 'datetime', timeZone, fractionDigits: 6 } as const }),
      query: { fields: '["*"]', ...base, order_by: 'modified asc, name asc' },
      since: (watermark) => erpnextSince(watermark, fixed),
      paging: { style: 'offset', offsetParam: 'limit_start', limitParam: 'limit_page_length' },
      pageSize: 100,
      // frappe.client.get_count answers { "message": <n> }; from a watermark it counts modified ≥ m
      // (an estimate: rows tied with the watermark are counted again).
      countPath: ERPNEXT_COUNT_PATH,
      countQuery: { doctype, ...base },
      countField: 'message',
      countSince: (watermark) => ({ filters: JSON.stringify([...fixed, ['modified', '>=', watermark.modified]]) }),
      ...(r.submittable ? { deletedField: 'docstatus', deletedValues: [2] } : {}),
      ...(r.whole ? { detail: { responseField: 'data' } } : {}),
    },
    ...(r.keyField === undefined
      ? {}
      : {
          // Frappe names a new document itself unless the doctype's autoname is `prompt` or a field of it: a
          // `name` in a POST is discarded for a naming series, so only the lookup finds an earlier try's document.
          upsert: {
            path,
            keyField: r.keyField,
            method: 'POST',
            responseField: 'data',
            idField: 'name',
            namedBy: r.keyField === 'name' ? 'system' : 'payload',
            conflict: isFrappeConflict,
            ...(r.lookupField === undefined ? {} : { lookup: erpnextLookup(path, r.lookupField, r.submittable ? [NOT_CANCELLED] : []) }),
          },
          delete: { path },
        }),
    naturalKeys: r.naturalKeys,
  };
}

/**
 * Submitted and cancelled documents of a submittable doctype: a draft (docstatus 0) is work in
 * progress in ERPNext, owed by nobody, and never read; a cancelled one (2) is read to withdraw it.
 */
export const SUBMITTED_OR_CANCELLED: FrappeFilter = ['docstatus', 'in', [1, 2]];

/** Contacts of customers only (Contact's `links` child table, Dynamic Link rows), not of suppliers or leads. */
export const CUSTOMER_CONTACTS: FrappeFilter = ['Dynamic Link', 'link_doctype', '=', 'Customer'];

/**
 * Which documents of each filtered doctype the hub reads (list filters; a webhook's document is held
 * to the same, see `frappeDocumentWanted`).
 */
export const ERPNEXT_READ_FILTERS: Readonly<Record<string, readonly FrappeFilter[]>> = {
  'Sales Order': [SUBMITTED_OR_CANCELLED],
  'Sales Invoice': [SUBMITTED_OR_CANCELLED],
  // Money received from customers only: not payments to suppliers, not internal transfers.
  'Payment Entry': [SUBMITTED_OR_CANCELLED, ['payment_type', '=', 'Receive'], ['party_type', '=', 'Customer']],
  Contact: [CUSTOMER_CONTACTS],
};

/** The read-only finance doctypes' filters (a subset of ERPNEXT_READ_FILTERS). */
export const ERPNEXT_FINANCE_FILTERS: Readonly<Record<string, readonly FrappeFilter[]>> = {
  'Sales Invoice': ERPNEXT_READ_FILTERS['Sales Invoice']!,
  'Payment Entry': ERPNEXT_READ_FILTERS['Payment Entry']!,
};

/**
 * The endpoints for Customer, Contact, Item, Sales Order (read and written) and Sales Invoice, Payment
 * Entry, Bin (read). `timeZone`: the site's time zone (System Settings), which backfills from a point in
 * time need; without it they are refused.
 */
export function erpnextEndpoints(timeZone?: string, lookupField: string | null = ERPNEXT_LOOKUP_FIELD): Record<string, EntityEndpoints> {
  const lookup = lookupField ?? undefined;
  return {
    Customer: resource('Customer', timeZone, { keyField: 'name', naturalKeys: ['tax_id', 'customer_name'], lookupField: lookup }),
    // A customer's contact person; its links (the customer) come with the whole document only.
    Contact: resource('Contact', timeZone, { keyField: 'name', naturalKeys: [], lookupField: lookup, filters: ERPNEXT_READ_FILTERS['Contact']!, whole: true }),
    // An Item's name is its item_code (always sent): no lookup needed.
    Item: resource('Item', timeZone, { keyField: 'item_code', naturalKeys: ['item_code'] }),
    // Submitted and cancelled orders, each read whole for its items (the lines).
    'Sales Order': resource('Sales Order', timeZone, { keyField: 'name', naturalKeys: [], lookupField: lookup, filters: ERPNEXT_READ_FILTERS['Sales Order']!, submittable: true, whole: true }),
    'Sales Invoice': resource('Sales Invoice', timeZone, { naturalKeys: ['name'], filters: ERPNEXT_READ_FILTERS['Sales Invoice']!, submittable: true }),
    // The invoices a payment settles are in its `references` child table: each entry is read whole.
    'Payment Entry': resource('Payment Entry', timeZone, { naturalKeys: [], filters: ERPNEXT_READ_FILTERS['Payment Entry']!, submittable: true, whole: true }),
    // Stock per item and warehouse; not submittable (its docstatus is always 0).
    Bin: resource('Bin', timeZone, { naturalKeys: ['item_code', 'warehouse'] }),
  };
}

/** Child doctype → the table field of the parent that holds its rows, for the filters evaluated here. */
const CHILD_TABLES: Readonly<Record<string, string>> = { 'Dynamic Link': 'links' };

function holds(value: unknown, op: string, wanted: unknown): boolean {
  if (op === '=') return String(value) === String(wanted);
  if (op === '!=') return String(value) !== String(wanted);
  if (op === 'in') return Array.isArray(wanted) && wanted.some((x) => String(x) === String(value));
  throw new Error(`frappeDocumentWanted: operator ${op} is not evaluated`);
}

/** Whether the connector reads this document of `doctype` at all: the doctype's list filters, evaluated on the document. */
export function frappeDocumentWanted(doctype: string, doc: Readonly<Record<string, unknown>>): boolean {
  return (ERPNEXT_READ_FILTERS[doctype] ?? []).every((filter) => {
    if (filter.length === 3) return holds(doc[filter[0]], filter[1], filter[2]);
    const [child, field, op, value] = filter;
    const table = doc[CHILD_TABLES[child] ?? ''];
    return Array.isArray(table) && table.some((row) => typeof row === 'object' && row !== null && holds((row as Record<string, unknown>)[field], op, value));
  });
}
