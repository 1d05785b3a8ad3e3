/**
 * Round trips through the default ERPNext mappings: a canonical record is projected for the
 * mapping's target (as delivery does), mapped outbound, sent through JSON (as it travels to and
 * from ERPNext), and mapped inbound with the reverse id links. Every canonical field both mappings
 * cover must come back unchanged (decimals compared as numbers, the customer name trimmed).
 *
 * Every canonical field path is classified below as round-tripped or not, with the reason, so a
 * field added to the model (or to a mapping) makes this file fail until someone says which it is.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../core/errors.js';
import { currencyScale } from '../../core/model/codes.js';
import { sameNumber, scaleOf } from '../../core/model/decimal.js';
import type { EntityName, JsonObject, JsonValue } from '../../core/model/entities.js';
import { checkRecord, type ReferenceChecker } from '../../core/model/validate.js';
import { STRUCTURAL_FIELDS, fieldPaths } from '../../core/policy/catalog.js';
import type { Receiver } from '../../core/policy/engine.js';
import { loadPolicyFile } from '../../core/policy/load.js';
import { MappingError, type CompiledMapping, type InboundMapping, type MappingContext, type OutboundMapping } from '../../mappings/engine/compile.js';
import { defaultMappingDirs } from '../../connectors/registry.js';
import { loadMappings } from '../../mappings/engine/load.js';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../../core/model/spec-catalog.js';
import { loadSpec } from '../../openapi/app/spec.js';

const document = loadSpec().document;
const catalog = fieldCatalog(document);
const policy = loadPolicyFile(undefined, catalog, Buffer.from('s'.repeat(32)));
const registry = loadMappings([], { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map() }, defaultMappingDirs());

function mapping(name: string): CompiledMapping {
  const m = registry.get(name);
  if (!m) throw new Error(`no mapping ${name}`);
  return m;
}
function outMapping(name: string): OutboundMapping {
  const m = mapping(name);
  if (m.direction !== 'out') throw new Error(`${name} is not outbound`);
  return m;
}
function inMapping(name: string): InboundMapping {
  const m = mapping(name);
  if (m.direction !== 'in') throw new Error(`${name} is not inbound`);
  return m;
}

/** The receiver delivery projects for: the mapping's target. */
function targetOf(m: CompiledMapping): Receiver {
  return { kind: 'target', roles: [m.target.replace(/^target:/, '')], userId: null, teamId: null, subtree: new Set() };
}

// ---------------------------------------------------------------- id links

const CUSTOMER_ID = '6f1c2a9e-3b5d-4c8e-9a01-1d2e3f405162';
const CUSTOMER_2_ID = '0b7e6d5c-4a39-4817-8f26-5e4d3c2b1a09';
const CUSTOMER_3_ID = 'a9b8c7d6-e5f4-4321-8765-0fedcba98765';
const PRODUCT_IDS = {
  bolt: '11111111-2222-4333-8444-555555555501',
  drill: '11111111-2222-4333-8444-555555555502',
  tape: '11111111-2222-4333-8444-555555555503',
  glove: '11111111-2222-4333-8444-555555555504',
  cable: '11111111-2222-4333-8444-555555555505',
} as const;
const SKUS: Record<keyof typeof PRODUCT_IDS, string> = { bolt: 'BOLT-M8X40-A2', drill: 'DRL-18V-BL', tape: 'TAPE-50-PVC', glove: 'GLV-GRIP-XL', cable: 'CBL-NYM-3X1.5' };

/** hub id → ERPNext name, per entity: a customer's ERPNext name is its code, an Item's its sku. */
const hubToErp = new Map<string, string>([
  [`customer:${CUSTOMER_ID}`, 'CUST-0001'],
  [`customer:${CUSTOMER_2_ID}`, 'CUST-0002'],
  [`customer:${CUSTOMER_3_ID}`, 'CUST-0003'],
  ...Object.entries(PRODUCT_IDS).map(([k, id]) => [`product:${id}`, SKUS[k as keyof typeof SKUS]] as [string, string]),
]);
const erpToHub = new Map([...hubToErp].map(([key, external]) => {
  const [entity = '', id = ''] = key.split(':');
  return [`${entity}:${external}`, id] as [string, string];
}));
const outLinks: MappingContext = { link: (entity, id) => hubToErp.get(`${entity}:${id}`) };
const inLinks: MappingContext = { link: (entity, id) => erpToHub.get(`${entity}:${id}`) };
const noLinks: MappingContext = { link: () => undefined };

const refs: ReferenceChecker = {
  missing: async () => new Set(),
  productSku: async (id) => {
    const key = Object.entries(PRODUCT_IDS).find(([, v]) => v === id)?.[0] as keyof typeof SKUS | undefined;
    return key ? SKUS[key] : undefined;
  },
};
const modelRules = { quotaOrderTypes: ['standard', 'repeat'] };

// ---------------------------------------------------------------- round trip and comparison

interface Trip {
  projected: JsonObject;
  payload: JsonObject;
  back: JsonObject;
}

/** Projects for the outbound mapping's target, maps out, sends through JSON, maps back in. */
function roundTrip(entity: EntityName, outName: string, inName: string, record: JsonObject): Trip {
  const out = outMapping(outName);
  const inbound = inMapping(inName);
  expect([out.entity, out.direction, inbound.entity, inbound.direction]).toEqual([entity, 'out', entity, 'in']);
  expect(inbound.connector).toBe(out.connector);
  const projected = policy.project(targetOf(out), entity, record);
  if (!projected) throw new Error(`${out.target} does not receive this ${entity}`);
  const payload = JSON.parse(JSON.stringify(out.map(projected, outLinks))) as JsonObject;
  const back = JSON.parse(JSON.stringify(inbound.map(payload, inLinks))) as JsonObject;
  return { projected, payload, back };
}

type Kind = 'same' | 'trimmed' | 'decimal';

/** Asserts that `field` came back as it left (absent stays absent, null stays null). */
function expectKept(source: JsonObject, back: JsonObject, field: string, kind: Kind, at = ''): void {
  const label = `${at}${field}`;
  expect(Object.hasOwn(back, field), `${label} present`).toBe(Object.hasOwn(source, field));
  const want = source[field];
  const got = back[field];
  if (kind === 'decimal' && typeof want === 'string' && typeof got === 'string') {
    expect(sameNumber(got, want), `${label}: ${got} vs ${want}`).toBe(true);
  } else if (kind === 'trimmed' && typeof want === 'string') {
    expect(got, label).toBe(want.trim());
  } else {
    expect(got, label).toEqual(want);
  }
}

/** Every canonical field path of an entity, with structures named by their sub-fields. */
function allPaths(entity: EntityName): string[] {
  return fieldPaths(catalog, entity).sort();
}

// ---------------------------------------------------------------- customers

/** Canonical customer fields both ERPNext mappings cover, and how they compare. */
const CUSTOMER_KEPT: Readonly<Record<string, Kind>> = {
  code: 'same', name: 'trimmed', kind: 'same', taxId: 'same', currency: 'same', phone: 'same', email: 'same', website: 'same', industry: 'same', status: 'same',
};
/** Canonical customer fields that do not come back from ERPNext, and why. */
const CUSTOMER_NOT_KEPT: Readonly<Record<string, string>> = {
  id: 'hub identity; ERPNext knows the customer by its code, the id link carries the pair',
  version: 'hub concurrency version',
  createdAt: 'hub-maintained', updatedAt: 'hub-maintained',
  'billingAddress.country': 'sent only as a territory (DE→Germany, AT→Austria, CH→Switzerland, US→United States, else "All Territories"), which is lossy and not read back',
  ...Object.fromEntries(['line1', 'line2', 'city', 'region', 'postalCode'].map((f) => [`billingAddress.${f}`, 'addresses are separate Address doctypes in ERPNext; not mapped'])),
  ...Object.fromEntries(['line1', 'line2', 'city', 'region', 'postalCode', 'country'].map((f) => [`shippingAddress.${f}`, 'addresses are separate Address doctypes in ERPNext; not mapped'])),
  ownerId: 'hub-internal; the erpnext target may not see it', teamId: 'hub-internal; the erpnext target may not see it',
  creditLimit: 'the erpnext target may read and write it, but neither mapping covers it (ERPNext keeps it in the credit_limits child table): a gap',
  paymentTerms: 'the erpnext target may not see it',
};

const customers: Record<string, JsonObject> = {
  'German company, unicode name with leading/trailing spaces and NBSP': {
    id: CUSTOMER_ID, version: 7, createdAt: '2025-02-03T08:15:00.000Z', updatedAt: '2026-01-12T16:40:05.123Z',
    code: 'CUST-0001', name: '  Müller & Söhne Maschinenbau GmbH\u00a0 ', kind: 'company', taxId: 'DE811907980',
    phone: '+49 40 555 0101', email: 'einkauf@mueller-soehne.de', website: 'https://mueller-soehne.de',
    billingAddress: { line1: 'Große Elbstraße 145', line2: null, city: 'Hamburg', region: 'HH', postalCode: '22767', country: 'DE' },
    shippingAddress: { line1: 'Lagerweg 3', line2: 'Tor 2', city: 'Hamburg', region: 'HH', postalCode: '21107', country: 'DE' },
    industry: 'Manufacturing', ownerId: 'usr-rep-1', teamId: 'team-north', creditLimit: '250000.00', paymentTerms: 'NET30', currency: 'EUR', status: 'active',
  },
  'inactive person, ideographic trailing space, optional fields null or absent': {
    id: CUSTOMER_2_ID, version: 1, createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z',
    code: 'CUST-0002', name: 'Zoë Ångström-Łukasiewicz\u3000', kind: 'person', taxId: null, phone: null, email: 'zoe@example.com',
    billingAddress: null, creditLimit: null, currency: 'CHF', status: 'inactive',
  },
  'Japanese company, no kind, no address, JPY': {
    id: CUSTOMER_3_ID, version: 2, createdAt: '2026-04-10T01:02:03.000Z', updatedAt: '2026-04-11T01:02:03.000Z',
    code: 'CUST-0003', name: '株式会社テスト工業 ', phone: '+81 3-1234-5678', website: null, industry: '製造業', currency: 'JPY', status: 'active',
  },
};

describe('erpnext customer: inbound ∘ outbound', () => {
  it('classifies every canonical customer field as round-tripped or not', () => {
    expect([...Object.keys(CUSTOMER_KEPT), ...Object.keys(CUSTOMER_NOT_KEPT)].sort()).toEqual(allPaths('customer'));
  });

  it.each(Object.entries(customers))('keeps every field the source owns: %s', (_label, customer) => {
    const { projected, payload, back } = roundTrip('customer', 'erpnext.customer.out', 'erpnext.customer.in', customer);
    // What the erpnext target may not see never reaches the payload.
    expect(Object.keys(projected).filter((k) => ['ownerId', 'teamId', 'paymentTerms', 'shippingAddress', 'createdAt', 'updatedAt'].includes(k))).toEqual([]);
    expect(JSON.stringify(payload)).not.toContain('usr-rep-1');
    for (const [field, kind] of Object.entries(CUSTOMER_KEPT)) expectKept(customer, back, field, kind);
    // Nothing comes back that the source did not have.
    expect(Object.keys(back).filter((k) => !Object.hasOwn(CUSTOMER_KEPT, k))).toEqual([]);
  });

  it('sends the ERPNext Customer body', () => {
    const customer = customers['German company, unicode name with leading/trailing spaces and NBSP'] ?? {};
    const { payload } = roundTrip('customer', 'erpnext.customer.out', 'erpnext.customer.in', customer);
    expect(payload).toStrictEqual({
      custom_hub_code: 'CUST-0001',
      customer_name: 'Müller & Söhne Maschinenbau GmbH',
      customer_type: 'Company',
      customer_group: 'Commercial',
      territory: 'Germany',
      tax_id: 'DE811907980',
      default_currency: 'EUR',
      mobile_no: '+49 40 555 0101',
      email_id: 'einkauf@mueller-soehne.de',
      website: 'https://mueller-soehne.de',
      industry: 'Manufacturing',
      disabled: 0,
    });
  });

  it('sends null for a null field, omits an absent one, and falls back to "All Territories"', () => {
    const { payload } = roundTrip('customer', 'erpnext.customer.out', 'erpnext.customer.in', customers['inactive person, ideographic trailing space, optional fields null or absent'] ?? {});
    expect(payload).toStrictEqual({
      custom_hub_code: 'CUST-0002', customer_name: 'Zoë Ångström-Łukasiewicz', customer_type: 'Individual', customer_group: 'Commercial',
      territory: 'All Territories', tax_id: null, default_currency: 'CHF', mobile_no: null, email_id: 'zoe@example.com', disabled: 1,
    });
  });

  it('refuses a kind outside the value map, naming the field and not the value', () => {
    const customer = { ...(customers['German company, unicode name with leading/trailing spaces and NBSP'] ?? {}), kind: 'cooperative' };
    const error = caught(() => outMapping('erpnext.customer.out').map(policy.project(targetOf(mapping('erpnext.customer.out')), 'customer', customer)!, outLinks));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ mapping: 'erpnext.customer.out', field: 'customer_type' });
    expect(error.message).toBe('erpnext.customer.out: customer_type: map: value is not in the value map');
    expect(error.message).not.toContain('cooperative');
  });

  it('refuses an ERPNext customer_type or disabled value outside the inbound value maps', () => {
    const body = { name: 'CUST-9', customer_name: 'X', customer_type: 'Government', disabled: 0 };
    const kind = caught(() => inMapping('erpnext.customer.in').map(body, inLinks));
    expect(kind).toMatchObject({ name: 'MappingError', mapping: 'erpnext.customer.in', field: 'kind' });
    expect(kind.message).not.toContain('Government');
    const status = caught(() => inMapping('erpnext.customer.in').map({ ...body, customer_type: 'Company', disabled: 2 }, inLinks));
    expect(status).toMatchObject({ name: 'MappingError', field: 'status' });
    expect(status.message).toBe('erpnext.customer.in: status: map: value is not in the value map');
  });
});

// ---------------------------------------------------------------- products

const PRODUCT_KEPT: Readonly<Record<string, Kind>> = {
  sku: 'same', name: 'same', description: 'same', uom: 'same', listPrice: 'decimal', cost: 'decimal', active: 'same', currency: 'same',
};
const PRODUCT_NOT_KEPT: Readonly<Record<string, string>> = {
  id: 'hub identity; the Item is known by its item_code (the sku)', version: 'hub concurrency version',
  createdAt: 'hub-maintained', updatedAt: 'hub-maintained',
};

const product = (key: keyof typeof PRODUCT_IDS, fields: JsonObject): JsonObject => ({
  id: PRODUCT_IDS[key], version: 3, createdAt: '2025-11-20T10:00:00.000Z', updatedAt: '2026-02-01T09:30:00.000Z', sku: SKUS[key], currency: 'EUR', ...fields,
});
const products: Record<string, JsonObject> = {
  'each, both prices, unicode description': product('bolt', { name: 'Sechskantschraube M8×40 A2', description: 'DIN 933 — Edelstahl, 100 Stück', uom: 'EA', listPrice: '12.50', cost: '7.25', active: true }),
  'kilogram, inactive, null description and cost': product('tape', { name: 'Isolierband', description: null, uom: 'KG', listPrice: '0.99', cost: null, active: false }),
  'metre, large price, no description': product('cable', { name: 'NYM-J 3×1,5 mm²', uom: 'M', listPrice: '1234567.89', cost: '1000', active: true }),
  'litre, integer price': product('glove', { name: 'Reiniger', description: 'Konzentrat', uom: 'L', listPrice: '20', cost: '0.01', active: true }),
};

describe('erpnext product: inbound ∘ outbound', () => {
  it('classifies every canonical product field as round-tripped or not', () => {
    expect([...Object.keys(PRODUCT_KEPT), ...Object.keys(PRODUCT_NOT_KEPT)].sort()).toEqual(allPaths('product'));
  });

  it.each(Object.entries(products))('keeps every field the source owns: %s', (_label, p) => {
    const { payload, back } = roundTrip('product', 'erpnext.product.out', 'erpnext.product.in', p);
    for (const [field, kind] of Object.entries(PRODUCT_KEPT)) expectKept(p, back, field, kind);
    expect(Object.keys(back).filter((k) => !Object.hasOwn(PRODUCT_KEPT, k))).toEqual([]);
    // Prices travel as JSON numbers and come back with the currency's two decimals.
    expect(typeof payload['standard_rate']).toBe('number');
    expect(scaleOf(String(back['listPrice']))).toBe(2);
  });

  it('sends the ERPNext Item body', () => {
    const { payload } = roundTrip('product', 'erpnext.product.out', 'erpnext.product.in', products['each, both prices, unicode description'] ?? {});
    expect(payload).toStrictEqual({
      item_code: 'BOLT-M8X40-A2', item_name: 'Sechskantschraube M8×40 A2', item_group: 'Products', description: 'DIN 933 — Edelstahl, 100 Stück',
      stock_uom: 'Nos', is_stock_item: 1, standard_rate: 12.5, valuation_rate: 7.25, disabled: 0,
    });
  });

  // Known limits, asserted so that a change to either is noticed.
  it('does not round-trip a unit of measure outside EA/KG/M/L: both directions fall back (to Nos, then EA)', () => {
    const { payload, back } = roundTrip('product', 'erpnext.product.out', 'erpnext.product.in', product('bolt', { name: 'Stundensatz', uom: 'H', listPrice: '95.00', active: true }));
    expect([payload['stock_uom'], back['uom']]).toEqual(['Nos', 'EA']);
  });

  it('does not round-trip a product currency other than EUR: it is not sent, and comes back as EUR', () => {
    const { payload, back } = roundTrip('product', 'erpnext.product.out', 'erpnext.product.in', product('bolt', { name: 'Bolt', uom: 'EA', listPrice: '13.90', currency: 'USD', active: true }));
    expect(payload['standard_rate']).toBe(13.9);
    expect(back['currency']).toBe('EUR');
    expect(back['listPrice']).toBe('13.90');
  });
});

// ---------------------------------------------------------------- orders

const ORDER_KEPT: Readonly<Record<string, Kind>> = {
  number: 'same', customerId: 'same', orderDate: 'same', deliveryDate: 'same', currency: 'same', paymentTerms: 'same',
};
const LINE_KEPT: Readonly<Record<string, Kind>> = {
  productId: 'same', sku: 'same', description: 'same', quantity: 'decimal', unitPrice: 'decimal', discount: 'decimal',
};
const ORDER_NOT_KEPT: Readonly<Record<string, string>> = {
  id: 'hub identity; the Sales Order is known by its number', version: 'hub concurrency version',
  createdAt: 'hub-maintained', updatedAt: 'hub-maintained',
  ownerId: 'hub-internal; visible to the erpnext target but not mapped', teamId: 'hub-internal; visible to the erpnext target but not mapped',
  type: 'hub order type; not mapped', countsTowardQuota: 'derived by the hub from type',
  status: 'not sent (the connector\'s submitOrders decides docstatus); erpnext.order.in maps ERPNext\'s status of a submitted order (To Bill → shipped, Completed → invoiced …), which a round trip of a payload does not carry',
  'lines.taxRate': 'not mapped in either direction (ERPNext keeps taxes in a taxes table / item tax templates): an inbound order gets taxRate 0',
  'lines.lineTotal': 'not sent (ERPNext computes amount), recomputed by the hub from quantity × unitPrice × (1 − discount)',
  subtotal: 'not sent (ERPNext computes net_total), recomputed by the hub', taxTotal: 'not sent (ERPNext computes its taxes), recomputed by the hub (from taxRate, which is lost)',
  total: 'not sent (ERPNext computes grand_total), recomputed by the hub',
};

/** A complete order as the hub stores it: derived fields (line totals, subtotal, tax, total) computed by the model rules. */
async function storedOrder(fields: JsonObject): Promise<JsonObject> {
  const order: JsonObject = { id: 'f3e2d1c0-b9a8-4765-8432-10fedcba9876', version: 4, createdAt: '2026-05-14T07:00:00.000Z', updatedAt: '2026-05-15T12:30:00.000Z', ownerId: 'usr-rep-1', teamId: 'team-north', type: 'standard', status: 'confirmed', ...fields };
  await checkRecord('order', order, refs, modelRules);
  return order;
}

let eurOrder: JsonObject = {};
/** Orders by currency: EUR (2 decimals), JPY (0) and KWD (3), so unit prices of every scale travel. */
const orders: Record<string, JsonObject> = {};

beforeAll(async () => {
  eurOrder = await storedOrder({
    number: 'SO-2026-00042', customerId: CUSTOMER_ID, orderDate: '2026-05-14', deliveryDate: '2026-06-03', currency: 'EUR', paymentTerms: '2/10 NET 30',
    lines: [
      { productId: PRODUCT_IDS.bolt, sku: SKUS.bolt, description: 'Sechskantschraube M8×40 — Edelstahl A2', quantity: '2.500', unitPrice: '10.00', discount: '5', taxRate: '19' },
      { productId: PRODUCT_IDS.drill, sku: SKUS.drill, description: 'Akku-Bohrschrauber 18 V, „Profi“', quantity: '1', unitPrice: '1299.99', discount: '12.5', taxRate: '19' },
      { productId: PRODUCT_IDS.tape, sku: SKUS.tape, description: null, quantity: '12', unitPrice: '0.35', discount: '0', taxRate: '7' },
      { productId: PRODUCT_IDS.glove, sku: SKUS.glove, description: 'Handschuhe Grip XL', quantity: '0.125', unitPrice: '45.50', taxRate: '19' },
    ],
  });
  orders['EUR'] = eurOrder;
  orders['JPY'] = await storedOrder({
    number: 'SO-2026-00043', customerId: CUSTOMER_3_ID, orderDate: '2026-05-20', deliveryDate: null, currency: 'JPY', paymentTerms: null,
    lines: [
      { productId: PRODUCT_IDS.cable, quantity: '100', unitPrice: '1500', discount: '10', taxRate: '10' },
      { productId: PRODUCT_IDS.drill, description: 'ドリル', quantity: '3', unitPrice: '38000', discount: '0', taxRate: '10' },
      { productId: PRODUCT_IDS.bolt, quantity: '1000', unitPrice: '12', discount: '2.5', taxRate: '8' },
    ],
  });
  orders['KWD'] = await storedOrder({
    number: 'SO-2026-00044', customerId: CUSTOMER_2_ID, orderDate: '2026-05-21', deliveryDate: '2026-05-21', currency: 'KWD', paymentTerms: 'Prepaid',
    lines: [
      { productId: PRODUCT_IDS.tape, quantity: '4', unitPrice: '1.235', discount: '0', taxRate: '0' },
      { productId: PRODUCT_IDS.glove, description: 'قفازات', quantity: '2', unitPrice: '12.500', discount: '5', taxRate: '5' },
      { productId: PRODUCT_IDS.cable, quantity: '7.5', unitPrice: '0.125', discount: '33.3333', taxRate: '0' },
    ],
  });
});
const CURRENCIES = ['EUR', 'JPY', 'KWD'];
const orderIn = (currency: string): JsonObject => {
  const o = orders[currency];
  if (!o) throw new Error(`no ${currency} order`);
  return o;
};

const linesOf = (o: JsonObject): JsonObject[] => (o['lines'] as JsonValue[]).map((l) => l as JsonObject);

describe('erpnext order: inbound ∘ outbound', () => {
  it('classifies every canonical order field as round-tripped or not', () => {
    const kept = [...Object.keys(ORDER_KEPT), ...Object.keys(LINE_KEPT).map((f) => `lines.${f}`)];
    expect([...kept, ...Object.keys(ORDER_NOT_KEPT)].sort()).toEqual(allPaths('order'));
    expect([...STRUCTURAL_FIELDS].every((f) => Object.hasOwn(ORDER_NOT_KEPT, f))).toBe(true);
  });

  it.each(CURRENCIES)('keeps every field the source owns (%s order)', (currency) => {
    const order = orderIn(currency);
    expect(linesOf(order).length).toBeGreaterThanOrEqual(3);
    const { back } = roundTrip('order', 'erpnext.order.out', 'erpnext.order.in', order);
    for (const [field, kind] of Object.entries(ORDER_KEPT)) expectKept(order, back, field, kind);
    expect(Object.keys(back).filter((k) => k !== 'lines' && !Object.hasOwn(ORDER_KEPT, k))).toEqual([]);
    const sent = linesOf(order);
    const got = linesOf(back);
    expect(got).toHaveLength(sent.length);
    sent.forEach((line, i) => {
      for (const [field, kind] of Object.entries(LINE_KEPT)) expectKept(line, got[i] ?? {}, field, kind, `lines[${i}].`);
      expect(Object.keys(got[i] ?? {}).filter((k) => !Object.hasOwn(LINE_KEPT, k))).toEqual([]);
    });
  });

  it.each(CURRENCIES)('comes back as an order the hub accepts, with the same line totals and subtotal but without tax (%s)', async (currency) => {
    const order = orderIn(currency);
    const { back } = roundTrip('order', 'erpnext.order.out', 'erpnext.order.in', order);
    const scale = currencyScale(currency);
    for (const line of linesOf(back)) expect(scaleOf(String(line['unitPrice'])), 'unitPrice fits the currency').toBeLessThanOrEqual(scale);
    const candidate: JsonObject = { ...back, type: 'standard' };
    await expect(checkRecord('order', candidate, refs, modelRules).catch((e: unknown) => Promise.reject(e instanceof UnprocessableError ? e.errors : e))).resolves.toBeUndefined();
    expect(linesOf(candidate).map((l) => l['lineTotal'])).toEqual(linesOf(order).map((l) => l['lineTotal']));
    expect(candidate['subtotal']).toBe(order['subtotal']);
    // lines.taxRate is not mapped: the recomputed order has no tax, so its total is the subtotal.
    expect(linesOf(candidate).every((l) => l['taxRate'] === '0')).toBe(true);
    expect(candidate['taxTotal']).toBe((0).toFixed(scale));
    expect(order['taxTotal']).not.toBe(candidate['taxTotal']);
  });

  it('sends the ERPNext Sales Order body with JSON numbers', () => {
    expect([eurOrder['subtotal'], eurOrder['taxTotal'], eurOrder['total']]).toEqual(['1171.13', '222.00', '1393.13']);
    const { payload } = roundTrip('order', 'erpnext.order.out', 'erpnext.order.in', eurOrder);
    expect(payload).toStrictEqual({
      custom_hub_code: 'SO-2026-00042',
      customer: 'CUST-0001',
      transaction_date: '2026-05-14',
      delivery_date: '2026-06-03',
      currency: 'EUR',
      payment_terms_template: '2/10 NET 30',
      items: [
        { item_code: 'BOLT-M8X40-A2', description: 'Sechskantschraube M8×40 — Edelstahl A2', qty: 2.5, price_list_rate: 10, discount_percentage: 5 },
        { item_code: 'DRL-18V-BL', description: 'Akku-Bohrschrauber 18 V, „Profi“', qty: 1, price_list_rate: 1299.99, discount_percentage: 12.5 },
        { item_code: 'TAPE-50-PVC', description: null, qty: 12, price_list_rate: 0.35, discount_percentage: 0 },
        { item_code: 'GLV-GRIP-XL', description: 'Handschuhe Grip XL', qty: 0.125, price_list_rate: 45.5, discount_percentage: 0 },
      ],
    });
  });

  it('refuses an order whose customer has no id link yet, naming the field and not the id', () => {
    const projected = policy.project(targetOf(mapping('erpnext.order.out')), 'order', eurOrder)!;
    const error = caught(() => outMapping('erpnext.order.out').map(projected, noLinks));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ mapping: 'erpnext.order.out', field: 'customer' });
    expect(error.message).toBe('erpnext.order.out: customer: the customer it refers to has no id link in this system yet');
    expect(error.message).not.toContain(CUSTOMER_ID);
  });

  it('refuses an inbound order line whose item has no id link yet, naming the line field and not the item code', () => {
    const payload = outMapping('erpnext.order.out').map(policy.project(targetOf(mapping('erpnext.order.out')), 'order', eurOrder)!, outLinks);
    const onlyCustomer: MappingContext = { link: (entity, id) => (entity === 'customer' ? inLinks.link(entity, id) : undefined) };
    const error = caught(() => inMapping('erpnext.order.in').map(payload, onlyCustomer));
    expect(error).toBeInstanceOf(MappingError);
    expect(error).toMatchObject({ mapping: 'erpnext.order.in', field: 'lines.productId' });
    expect(error.message).toBe('erpnext.order.in: lines.productId: the product it refers to has no id link in this system yet');
    expect(error.message).not.toContain(SKUS.bolt);
  });
});

function caught(fn: () => unknown): Error & Partial<MappingError> {
  try {
    fn();
  } catch (error) {
    return error as Error & Partial<MappingError>;
  }
  throw new Error('expected an error');
}

describe('ERPNext discounts are never applied twice', () => {
  const link: MappingContext = { link: (entity, id) => (entity === 'customer' ? 'hub-c1' : `hub-${id}`) };
  const so = (item: Record<string, unknown>) => ({ name: 'SO-1', customer: 'CUST-1', transaction_date: '2026-11-02', currency: 'EUR', items: [{ item_code: 'SKU-1', qty: 2, ...item }] });

  it('takes the list price and the discount when ERPNext sends a list price', () => {
    const line = (inMapping('erpnext.order.in').map(so({ price_list_rate: 100, discount_percentage: 10, rate: 90, amount: 180 }), link)['lines'] as Record<string, unknown>[])[0];
    expect(line).toMatchObject({ unitPrice: '100', discount: '10' });
  });

  it('takes the (already discounted) rate with no discount when there is no list price', () => {
    const line = (inMapping('erpnext.order.in').map(so({ rate: 90, discount_percentage: 10, amount: 180 }), link)['lines'] as Record<string, unknown>[])[0];
    expect(line).toMatchObject({ unitPrice: '90', discount: '0' });
  });
});
