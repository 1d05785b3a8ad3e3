import type { ExternalRecord } from '../contract.js';

/**
 * The Business Central API v2.0 entity sets the connector reads and writes (Microsoft Learn, "API
 * (v2.0) for Dynamics 365 Business Central": customer, item, salesOrder, salesOrderLine, salesInvoice,
 * customerPayment, itemLedgerEntry). Every one is keyed by `id` (the record's SystemId, a GUID), which
 * is the external id the hub links.
 */

export const BC_ENTITY_NAMES = ['customers', 'items', 'inventory', 'salesOrders', 'salesInvoices', 'customerPayments'] as const;
export type BcEntityName = (typeof BC_ENTITY_NAMES)[number];

export interface BcWrite {
  /**
   * The payload field a record is found by before a write: `number` (customers, items: the hub's code
   * is BC's No., so the customer and item No. Series must allow manual numbers) or
   * `externalDocumentNumber` (sales orders: BC numbers orders from its No. Series, the hub's order
   * number goes to the external document number).
   */
  readonly key: 'number' | 'externalDocumentNumber';
  /** `key`: the payload's key is the record's own number; `lookup`: BC names it, the key finds it. */
  readonly createRetry: 'key' | 'lookup';
  /** The lines navigation property written by deep insert on create and line by line on update. */
  readonly lines?: 'salesOrderLines';
  /**
   * A linked record BC no longer holds is not made again: BC deletes a sales order once it is fully
   * shipped and invoiced (posting), and a second order would be sold twice.
   */
  readonly noRecreate?: true;
}

export interface BcEntity {
  /** Entity set below `companies(<id>)/` (customerPayments: below its journal, see the connector). */
  readonly set: string;
  /**
   * `modified`: changes by `lastModifiedDateTime` (`$filter=lastModifiedDateTime gt …`,
   * `$orderby=lastModifiedDateTime,id`). `ledger`: items' stock, which changes without the item's
   * lastModifiedDateTime moving (`inventory` is a FlowField over item ledger entries): new item ledger
   * entries say which items to read again.
   */
  readonly read: 'modified' | 'ledger';
  /** Navigation property read with the record (`$expand`). */
  readonly expand?: string;
  readonly write?: BcWrite;
  readonly naturalKeys: readonly string[];
  /** Whether a read record concerns the hub at all (a draft invoice does not). */
  readonly wanted?: (record: ExternalRecord) => boolean;
  /** Whether a read record marks a deletion. */
  readonly deleted?: (record: ExternalRecord) => boolean;
}

/**
 * Sales invoice statuses (`NAV.invoiceEntityAggregateStatus`): " " and Draft and "In Review" are
 * unposted documents nobody owes yet; Open and Paid are posted; Canceled (cancelled by a corrective
 * credit memo) and Corrective (corrected by one) are void.
 */
const POSTED_INVOICE = new Set(['Open', 'Paid', 'Canceled', 'Corrective']);
const VOID_INVOICE = new Set(['Canceled', 'Corrective']);

export const BC_ENTITIES: Readonly<Record<BcEntityName, BcEntity>> = Object.freeze({
  customers: { set: 'customers', read: 'modified', write: { key: 'number', createRetry: 'key' }, naturalKeys: ['number', 'taxRegistrationNumber'] },
  items: { set: 'items', read: 'modified', write: { key: 'number', createRetry: 'key' }, naturalKeys: ['number'] },
  // An item's stock (the `inventory` field, all locations): one record per item, read from `items`.
  inventory: { set: 'items', read: 'ledger', naturalKeys: ['number'] },
  salesOrders: { set: 'salesOrders', read: 'modified', expand: 'salesOrderLines', write: { key: 'externalDocumentNumber', createRetry: 'lookup', lines: 'salesOrderLines', noRecreate: true }, naturalKeys: ['externalDocumentNumber'] },
  salesInvoices: {
    set: 'salesInvoices',
    read: 'modified',
    naturalKeys: ['number'],
    wanted: (r) => POSTED_INVOICE.has(String(r['status'])),
    deleted: (r) => VOID_INVOICE.has(String(r['status'])),
  },
  customerPayments: { set: 'customerPayments', read: 'modified', naturalKeys: [] },
});

export function isBcEntity(name: string): name is BcEntityName {
  return (BC_ENTITY_NAMES as readonly string[]).includes(name);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

/** OData `_xHHHH_` escapes in enum values (`_x0020_` is a space: BC's blank option). */
function decodeEnum(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function blank(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && decodeEnum(value).trim() === '');
}

/**
 * Whether a value the hub sends equals what BC holds, so an unchanged field is not sent again (BC's
 * advice: "For best performance you shouldn't include existing values that haven't changed"; and a
 * field sent again is validated again, which for a customer number on an order may ask a question
 * the API cannot answer). Blank, null and BC's blank option `_x0020_` are equal; numbers by value;
 * GUIDs and, with `caseless`, codes regardless of case.
 */
export function sameValue(sent: unknown, held: unknown, caseless = false): boolean {
  if (blank(sent) && blank(held)) return true;
  if (typeof sent === 'number' || typeof held === 'number') {
    const a = Number(sent);
    const b = Number(held);
    return sent !== '' && held !== '' && Number.isFinite(a) && a === b;
  }
  if (typeof sent === 'string' && typeof held === 'string') {
    const a = decodeEnum(sent);
    const b = decodeEnum(held);
    return caseless || (isGuid(a) && isGuid(b)) ? a.toLowerCase() === b.toLowerCase() : a === b;
  }
  if (typeof sent === 'object' || typeof held === 'object') return JSON.stringify(sent) === JSON.stringify(held);
  return sent === held;
}

/** The fields of `sent` whose values differ from `held` (`skip` left out), as a PATCH body. */
export function changedFields(sent: Readonly<Record<string, unknown>>, held: Readonly<Record<string, unknown>>, skip: readonly string[] = [], caseless: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sent)) {
    if (skip.includes(k)) continue;
    if (!sameValue(v, held[k], caseless.includes(k))) out[k] = v;
  }
  return out;
}
