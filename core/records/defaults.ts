import type { JsonObject, RecordKind } from '../model/entities.js';

/** Values a new record takes when the caller leaves the field out. */
export const CREATE_DEFAULTS: Readonly<Partial<Record<RecordKind, Readonly<JsonObject>>>> = Object.freeze({
  customer: { kind: 'company', status: 'active' },
  product: { uom: 'EA', active: true },
  inventory: { reserved: '0' },
  order: { type: 'standard', status: 'draft' },
  receivable: { paidAmount: '0', status: 'open' },
  user: { roles: [], active: true },
});
