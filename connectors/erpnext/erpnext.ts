import { createHttpClient } from '../http/client.js';
import type { FetchLike } from '../http/client.js';
import { createHttpConnector, sendEach } from '../http/http-connector.js';
import type { Connector, RecordOutcome, UpsertRequest } from '../contract.js';
import { upsertContact, upsertCustomer, CONTACT, CUSTOMER } from './contacts.js';
import { ERPNEXT_CHECK_PATH, ERPNEXT_LOOKUP_FIELD, erpnextEndpoints, frappeDocumentWanted } from './endpoints.js';
import { readFrappeError } from './errors.js';
import { FrappeDocs } from './frappe.js';
import { SALES_ORDER, upsertSalesOrder } from './orders.js';
import { readFrappeWebhook } from './webhook.js';

export * from './endpoints.js';

/**
 * ERPNext (Frappe REST API, `/api/resource/<DocType>`) on the generic HTTP connector: reads, Items and
 * deletes go through its configuration (endpoints.ts); Customer, Contact and Sales Order are written
 * by the flows that follow Frappe's document rules (contacts.ts, orders.ts). Frappe has no batch
 * upsert, so writes go record by record, each with its own outcome.
 */

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
   * refuses Customer, Contact and Sales Order as targets: a lost answer to a create would make a duplicate).
   */
  readonly lookupField?: string | null;
  /** Submit the Sales Orders the hub writes (docstatus 1) instead of leaving them drafts. Default false. */
  readonly submitOrders?: boolean;
  /**
   * When ERPNext refuses a change of a submitted Sales Order (UpdateAfterSubmitError), cancel it and
   * create its amendment (`<name>-1`) with the change. Default false: the record fails permanently.
   */
  readonly amendSubmittedOrders?: boolean;
  readonly fetch?: FetchLike;
}

/**
 * An ERPNext connector authenticating with `Authorization: token <api_key>:<api_secret>`, which also
 * reads Frappe's own webhooks (`X-Frappe-Webhook-Signature`, one document per call: see webhook.ts).
 */
export function createErpnextConnector(options: ErpnextOptions): Connector {
  const name = options.name ?? 'erpnext';
  const client = createHttpClient({
    baseUrl: options.baseUrl,
    auth: { kind: 'header', name: 'Authorization', value: `token ${options.apiKey}:${options.apiSecret}` },
    readError: readFrappeError,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const entities = erpnextEndpoints(options.timeZone, options.lookupField);
  const doctypes = Object.keys(entities);
  const generic = createHttpConnector({ name, client, entities, checkPath: ERPNEXT_CHECK_PATH, ...(options.overlapMs === undefined ? {} : { overlapMs: options.overlapMs }) });
  const docs = new FrappeDocs(client, name);
  const lookupField = options.lookupField === null ? undefined : (options.lookupField ?? ERPNEXT_LOOKUP_FIELD);
  const contactOptions = { lookupField, connector: name };
  const orderOptions = { submit: options.submitOrders ?? false, amend: options.amendSubmittedOrders ?? false, lookupField, connector: name };
  const flows: Readonly<Record<string, (request: UpsertRequest) => Promise<RecordOutcome>>> = {
    [CUSTOMER]: (r) => upsertCustomer(docs, contactOptions, r.payload, r.externalId),
    [CONTACT]: (r) => upsertContact(docs, contactOptions, r.payload, r.externalId),
    [SALES_ORDER]: (r) => upsertSalesOrder(docs, orderOptions, r.payload, r.externalId),
  };
  return {
    ...generic,
    async upsert(entity, requests) {
      const flow = flows[entity];
      if (flow === undefined) return generic.upsert(entity, requests);
      // The generic upsert checks the connector is open and the entity known; an empty write asks it.
      await generic.upsert(entity, []);
      return sendEach(name, requests, flow);
    },
    webhook: (request) => readFrappeWebhook(request, doctypes, frappeDocumentWanted),
  };
}
