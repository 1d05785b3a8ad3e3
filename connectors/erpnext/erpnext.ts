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

/**
 * Rows strictly after (modified, name): `filters` narrows to modified ≥ m and `or_filters` — ANDed with
 * `filters` by Frappe — keeps modified > m or name > k. The server thus skips the rows already read even
 * inside a tie; the connector drops any it still returns.
 */
export function erpnextSince(watermark: Watermark): Record<string, string> {
  return {
    filters: JSON.stringify([['modified', '>=', watermark.modified]]),
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

function resource(doctype: string, keyField: string, naturalKeys: readonly string[], timeZone: string | undefined, lookupField?: string): EntityEndpoints {
  const path = `/api/resource/${encodeURIComponent(doctype)}`;
  return {
    list: {
      path,
      recordsField: 'data',
      modifiedField: 'modified',
      tieBreakerField: 'name',
      // Frappe stamps `modified` as datetime(6) in the site's time zone, without an offset.
      ...(timeZone === undefined ? {} : { modifiedFormat: { style: 'datetime', timeZone, fractionDigits: 6 } as const }),
      query: { fields: '["*"]', order_by: 'modified asc, name asc' },
      since: erpnextSince,
      paging: { style: 'offset', offsetParam: 'limit_start', limitParam: 'limit_page_length' },
      pageSize: 100,
      // frappe.client.get_count answers { "message": <n> }; from a watermark it counts modified ≥ m
      // (an estimate: rows tied with the watermark are counted again).
      countPath: ERPNEXT_COUNT_PATH,
      countQuery: { doctype },
      countField: 'message',
      countSince: (watermark) => ({ filters: JSON.stringify([['modified', '>=', watermark.modified]]) }),
    },
    // Frappe names a new document itself unless the doctype's autoname is `prompt` or a field of it: a
    // `name` in a POST is discarded for a naming series, so only the lookup finds an earlier try's document.
    upsert: { path, keyField, method: 'POST', responseField: 'data', idField: 'name', namedBy: keyField === 'name' ? 'system' : 'payload', ...(lookupField === undefined ? {} : { lookup: erpnextLookup(path, lookupField) }) },
    delete: { path },
    naturalKeys,
  };
}

/**
 * The endpoints for Customer, Item and Sales Order. `timeZone`: the site's time zone (System
 * Settings), which backfills from a point in time need; without it they are refused.
 */
export function erpnextEndpoints(timeZone?: string, lookupField: string | null = ERPNEXT_LOOKUP_FIELD): Record<string, EntityEndpoints> {
  const lookup = lookupField ?? undefined;
  return {
    Customer: resource('Customer', 'name', ['tax_id', 'customer_name'], timeZone, lookup),
    // An Item's name is its item_code (always sent): no lookup needed.
    Item: resource('Item', 'item_code', ['item_code'], timeZone),
    'Sales Order': resource('Sales Order', 'name', [], timeZone, lookup),
  };
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
    webhook: (request) => readFrappeWebhook(request, doctypes),
  };
}
