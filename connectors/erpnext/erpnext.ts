import { createHttpClient } from '../http/client.js';
import type { FetchLike } from '../http/client.js';
import { createHttpConnector } from '../http/http-connector.js';
import type { Connector } from '../contract.js';
import type { EntityEndpoints, Watermark } from '../http/http-connector.js';
import { readFrappeWebhook } from './webhook.js';

/**
 * ERPNext (Frappe REST API, `/api/resource/<DocType>`) as configuration of the generic HTTP connector.
 * Frappe has no batch upsert, so writes go record by record (PUT by name, POST on 404).
 */

/** Frappe's health probe for an API key: answers the user the key belongs to. */
export const ERPNEXT_CHECK_PATH = '/api/method/frappe.auth.get_logged_user';
/** Frappe's whitelisted row count of a doctype under filters. */
export const ERPNEXT_COUNT_PATH = '/api/method/frappe.client.get_count';

/** A Frappe list filter: `[field, operator, value]` (operators `=`, `!=`, `in`, `>` …). */
export type FrappeFilter = readonly [string, string, unknown];

/**
 * Rows strictly after (modified, name): `filters` narrows to modified ≥ m and `or_filters` — ANDed with
 * `filters` by Frappe — keeps modified > m or name > k. The server thus skips the rows already read even
 * inside a tie; the connector drops any it still returns. `fixed`: the doctype's own filters
 * (`docstatus` …), which every list request carries.
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
function erpnextLookup(path: string, field: string) {
  return {
    field,
    path,
    query: (value: string) => ({ filters: JSON.stringify([[field, '=', value]]), fields: JSON.stringify(['name', field]), limit_page_length: '2' }),
    recordsField: 'data',
  };
}

/** The custom field the default mappings write the hub's key to (ERPNext v15 prefixes custom fields with `custom_`). */
export const ERPNEXT_LOOKUP_FIELD = 'custom_hub_code';

interface Resource {
  /** Payload field holding the key of a write (absent: the doctype is read only). */
  readonly keyField?: string;
  readonly naturalKeys: readonly string[];
  readonly lookupField?: string | undefined;
  /** Filters every list and count request carries (which documents the hub reads at all). */
  readonly filters?: readonly FrappeFilter[];
  /** Submittable doctype: a cancelled document (`docstatus` 2) is reported deleted. */
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
          upsert: { path, keyField: r.keyField, method: 'POST', responseField: 'data', idField: 'name', namedBy: r.keyField === 'name' ? 'system' : 'payload', ...(r.lookupField === undefined ? {} : { lookup: erpnextLookup(path, r.lookupField) }) },
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

/**
 * Which documents of each read-only finance doctype the hub reads (list filters; a webhook's document
 * is held to the same, see `frappeDocumentWanted`).
 */
export const ERPNEXT_FINANCE_FILTERS: Readonly<Record<string, readonly FrappeFilter[]>> = {
  'Sales Invoice': [SUBMITTED_OR_CANCELLED],
  // Money received from customers only: not payments to suppliers, not internal transfers.
  'Payment Entry': [SUBMITTED_OR_CANCELLED, ['payment_type', '=', 'Receive'], ['party_type', '=', 'Customer']],
};

/**
 * The endpoints for Customer, Item, Sales Order (read and written) and Sales Invoice, Payment Entry,
 * Bin (read). `timeZone`: the site's time zone (System Settings), which backfills from a point in
 * time need; without it they are refused.
 */
export function erpnextEndpoints(timeZone?: string, lookupField: string | null = ERPNEXT_LOOKUP_FIELD): Record<string, EntityEndpoints> {
  const lookup = lookupField ?? undefined;
  return {
    Customer: resource('Customer', timeZone, { keyField: 'name', naturalKeys: ['tax_id', 'customer_name'], lookupField: lookup }),
    // An Item's name is its item_code (always sent): no lookup needed.
    Item: resource('Item', timeZone, { keyField: 'item_code', naturalKeys: ['item_code'] }),
    'Sales Order': resource('Sales Order', timeZone, { keyField: 'name', naturalKeys: [], lookupField: lookup }),
    'Sales Invoice': resource('Sales Invoice', timeZone, { naturalKeys: ['name'], filters: ERPNEXT_FINANCE_FILTERS['Sales Invoice']!, submittable: true }),
    // The invoices a payment settles are in its `references` child table: each entry is read whole.
    'Payment Entry': resource('Payment Entry', timeZone, { naturalKeys: [], filters: ERPNEXT_FINANCE_FILTERS['Payment Entry']!, submittable: true, whole: true }),
    // Stock per item and warehouse; not submittable (its docstatus is always 0).
    Bin: resource('Bin', timeZone, { naturalKeys: ['item_code', 'warehouse'] }),
  };
}

/** Whether the connector reads this document of `doctype` at all: the doctype's list filters, evaluated on the document. */
export function frappeDocumentWanted(doctype: string, doc: Readonly<Record<string, unknown>>): boolean {
  return (ERPNEXT_FINANCE_FILTERS[doctype] ?? []).every(([field, op, value]) => {
    const v = doc[field];
    if (op === '=') return String(v) === String(value);
    if (op === 'in') return Array.isArray(value) && value.some((x) => String(x) === String(v));
    throw new Error(`frappeDocumentWanted: operator ${op} is not evaluated`);
  });
}

export interface ErpnextOptions {
  /** The connector's name in `describe()`. Default `erpnext`. */
  readonly name?: string;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Per-request timeout in ms. Default 30000. */
  readonly timeoutMs?: number;
  /** The site's time zone (IANA), in which Frappe writes `modified`; needed for backfills `--since`. */
  readonly timeZone?: string;
  /** Re-read window for late commits (see the HTTP connector's overlapMs); needs timeZone. */
  readonly overlapMs?: number;
  /**
   * A (custom) field the outbound mappings write the hub's key to; creates look for it first. Default
   * `custom_hub_code`, which the default mappings write; `null` turns the lookup off (the hub then
   * refuses Customer and Sales Order as targets: a lost answer to a create would make a duplicate).
   */
  readonly lookupField?: string | null;
  readonly fetch?: FetchLike;
}

/**
 * An ERPNext connector authenticating with `Authorization: token <api_key>:<api_secret>`, which also
 * reads Frappe's own webhooks (`X-Frappe-Webhook-Signature`, one document per call: see webhook.ts).
 */
export function createErpnextConnector(options: ErpnextOptions): Connector {
  const client = createHttpClient({
    baseUrl: options.baseUrl,
    auth: { kind: 'header', name: 'Authorization', value: `token ${options.apiKey}:${options.apiSecret}` },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const entities = erpnextEndpoints(options.timeZone, options.lookupField);
  const doctypes = Object.keys(entities);
  return {
    ...createHttpConnector({ name: options.name ?? 'erpnext', client, entities, checkPath: ERPNEXT_CHECK_PATH, ...(options.overlapMs === undefined ? {} : { overlapMs: options.overlapMs }) }),
    webhook: (request) => readFrappeWebhook(request, doctypes, frappeDocumentWanted),
  };
}
