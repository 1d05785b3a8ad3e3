import { loadPolicyFile } from '../../../core/policy/load.js';
import { defaultMappingDirs } from '../../../connectors/registry.js';
import { loadMappings } from '../../../mappings/engine/load.js';
import type { CustomTransform } from '../../../mappings/engine/transforms.js';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../../../core/model/spec-catalog.js';
import { loadSpec } from '../../../openapi/app/spec.js';

export const document = loadSpec().document;
export const catalog = fieldCatalog(document);
export const policy = loadPolicyFile(undefined, catalog, Buffer.from('m'.repeat(32)));

export { mappingDir } from '../../fixtures/files.js';

export function load(dirs: string[], custom: Record<string, CustomTransform> = {}) {
  return loadMappings(dirs, { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map(Object.entries(custom)) }, defaultMappingDirs());
}

/** A warehouse system that receives orders without prices (the default policy's warehouse_erp target). */
export const WAREHOUSE_SCHEMA = `
connector: warehouse_erp
links: [customer, product, order]
entities:
  orders:
    fields:
      order_no: { type: string, required: true }
      customer_ref: { type: string }
      due: { type: string }
      state: { type: string }
      lines:
        type: array
        fields:
          sku: { type: string, required: true }
          qty: { type: number }
`;

export const WAREHOUSE_ORDER_OUT = `
name: warehouse.order.out
connector: warehouse_erp
entity: order
direction: out
externalEntity: orders
fields:
  order_no: { from: number }
  customer_ref: { from: customerId }
  due: { from: deliveryDate, transforms: [{ formatDate: { format: "dd.MM.yyyy" } }] }
  state: { from: status, transforms: [upper] }
  lines:
    each: lines
    fields:
      sku: { from: sku }
      qty: { from: quantity, transforms: [toNumber] }
`;
