import { ConnectorError, type ExternalRecord } from '../contract.js';

/**
 * The Service Layer entity sets the connector reads and writes, as data: the key (client-assigned
 * `CardCode` / `ItemCode`, or the system's `DocEntry`), the fixed filter every list carries, how a
 * record marks a cancellation, and how it is written. Service Layer lists include a document's child
 * collections (`DocumentLines`, `PaymentInvoices`, `ItemWarehouseInfoCollection`) inline, so one list
 * request reads documents whole.
 */

/** How records of an entity set are written, if at all. */
export type SapWrite =
  /** Master data keyed by a code the hub sends (`BusinessPartners('C001')`): PATCH, then POST on -2028. */
  | { readonly kind: 'code' }
  /**
   * A marketing document numbered by SAP (`Orders(17)`): created by POST, found again after a lost answer
   * by `lookupField` (the hub's number in `NumAtCard`), updated by PATCH with its lines' `LineNum`.
   */
  | { readonly kind: 'document'; readonly lookupField: string; readonly lines: string };

export interface SapEntity {
  /** The entity set below the Service Layer root (`BusinessPartners`). */
  readonly set: string;
  /** The key property; `numeric` keys are written bare in a URL (`Orders(17)`), text keys quoted (`Items('A1')`). */
  readonly key: string;
  readonly numeric: boolean;
  /** An OData filter every list and count request carries (which records the hub reads at all). */
  readonly filter?: string;
  readonly write?: SapWrite;
  /** True when a read record is withdrawn in SAP (a cancelled invoice or payment): `isDeleted`. */
  readonly deleted?: (record: ExternalRecord) => boolean;
  readonly naturalKeys: readonly string[];
}

/** `Cancelled: tYES`, or a cancellation document (`CancelStatus: csCancellation`): neither is owed or paid. */
export function cancelled(record: ExternalRecord): boolean {
  return record['Cancelled'] === 'tYES' || record['CancelStatus'] === 'csCancellation';
}

/** The header field holding the hub's order number (`NumAtCard`, "customer reference no."). */
export const ORDER_LOOKUP_FIELD = 'NumAtCard';

export const SAP_ENTITIES: Readonly<Record<string, SapEntity>> = Object.freeze({
  // Customers only: suppliers (cSupplier) and leads (cLid) share the set.
  BusinessPartners: { set: 'BusinessPartners', key: 'CardCode', numeric: false, filter: "CardType eq 'cCustomer'", write: { kind: 'code' }, naturalKeys: ['CardCode', 'FederalTaxID'] },
  Items: { set: 'Items', key: 'ItemCode', numeric: false, write: { kind: 'code' }, naturalKeys: ['ItemCode'] },
  // A cancelled order is read, not withdrawn: the hub has an order status for it (order.in.yaml).
  Orders: { set: 'Orders', key: 'DocEntry', numeric: true, write: { kind: 'document', lookupField: ORDER_LOOKUP_FIELD, lines: 'DocumentLines' }, naturalKeys: [ORDER_LOOKUP_FIELD] },
  Invoices: { set: 'Invoices', key: 'DocEntry', numeric: true, deleted: cancelled, naturalKeys: ['DocNum'] },
  // Money received from customers: not payments on account of a G/L account (rAccount) or a supplier.
  IncomingPayments: { set: 'IncomingPayments', key: 'DocEntry', numeric: true, filter: "DocType eq 'rCustomer'", deleted: cancelled, naturalKeys: [] },
});

/**
 * Stock per item and warehouse: not an entity set of its own, but each stock item's
 * `ItemWarehouseInfoCollection`, one record per (item, warehouse) (see inventory.ts).
 */
export const INVENTORY_ENTITY = 'ItemWarehouseInfo';

export const ENTITY_NAMES = [...Object.keys(SAP_ENTITIES), INVENTORY_ENTITY] as const;

/** The key of a record in a URL: `Orders(17)`, `BusinessPartners('O''Brien')` (quote doubled, then percent-encoded). */
export function keyPath(entity: SapEntity, key: string): string {
  if (entity.numeric) {
    if (!/^\d{1,10}$/.test(key)) throw new ConnectorError('permanent', 'invalid_key', `${entity.set} is keyed by ${entity.key}, a number; the linked id is not one`);
    return `${entity.set}(${key})`;
  }
  return `${entity.set}('${encodeURIComponent(key.replace(/'/g, "''"))}')`;
}
