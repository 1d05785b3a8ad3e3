/**
 * Mapping benchmark: `npm run bench -- mapping`.
 *
 * Runs compiled mappings the way delivery does (on records already projected for the mapping's
 * target): a 25-column customer mapping for a fictitious `benchsql` connector (plain copies, trim,
 * upper/lower, value maps, decimal with scale, minor units by the record's currency, a Europe/Berlin
 * timestamp, address concatenation, const, default, when) and its inbound counterpart, and the
 * default ERPNext order mappings on a 10-line order. Customer out and order out are compared with
 * hand-written functions producing the same output (checked once, before timing). The policy
 * projection of the same customer for the bench target is timed too, as a share of the mapping
 * cost. The last line printed is one JSON object with the figures.
 */
import { benchCustomerId, benchProductId, benchSku, makeBenchOrder } from './orders.js';
import { deepStrictEqual } from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { currencyScale, isCurrency } from '../core/model/codes.js';
import type { EntityName, JsonObject } from '../core/model/entities.js';
import { STRUCTURAL_FIELDS, fieldPaths } from '../core/policy/catalog.js';
import { PolicyEngine, type Projected, type Receiver } from '../core/policy/engine.js';
import { DEFAULT_POLICY_PATH } from '../core/policy/load.js';
import type { CompiledMapping, MappingContext } from '../mappings/engine/compile.js';
import { defaultMappingDirs } from '../connectors/registry.js';
import { loadMappings } from '../mappings/engine/load.js';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../core/model/spec-catalog.js';
import { loadSpec } from '../openapi/app/spec.js';
import { describe, environment, measureAll, type CaseResult } from './harness.js';
import { completeCustomer } from '../test/fixtures/customers.js';

const GOAL = 200_000;
const POOL = 64;
const LINES = 10;
const TARGET = 'benchsql';
const BERLIN = 'Europe/Berlin';

// ---------------------------------------------------------------- the bench connector

const SCHEMA = `
connector: ${TARGET}
links: [customer]
entities:
  customers:
    fields:
      code: { type: string, required: true }
      name: { type: string, required: true }
      search_name: { type: string }
      kind: { type: string, enum: [C, P] }
      tax_id: { type: string }
      phone: { type: string }
      email: { type: string }
      website: { type: string }
      billing_line1: { type: string }
      billing_city: { type: string }
      billing_postcode: { type: string }
      billing_country: { type: string }
      billing_address: { type: string }
      shipping_address: { type: string }
      ship_to_country: { type: string }
      industry: { type: string }
      owner_id: { type: string }
      team_id: { type: string }
      credit_limit: { type: decimal }
      credit_limit_minor: { type: integer }
      payment_terms: { type: string }
      currency: { type: string, required: true }
      is_active: { type: integer, enum: ['0', '1'] }
      created_local: { type: string }
      source_system: { type: string }
`;

const CUSTOMER_OUT = `
name: ${TARGET}.customer.out
connector: ${TARGET}
entity: customer
direction: out
externalEntity: customers
fields:
  code: { from: code }
  name: { from: name, transforms: [trim] }
  search_name: { from: name, transforms: [trim, upper] }
  kind: { from: kind, transforms: [{ map: { values: { company: C, person: P } } }] }
  tax_id: { from: taxId, transforms: [upper] }
  phone: { from: phone }
  email: { from: email, transforms: [lower] }
  website: { from: website }
  billing_line1: { from: billingAddress.line1 }
  billing_city: { from: billingAddress.city }
  billing_postcode: { from: billingAddress.postalCode }
  billing_country: { from: billingAddress.country, default: DE }
  billing_address:
    from: billingAddress.line1
    transforms: [{ concat: { with: [billingAddress.line2, billingAddress.postalCode, billingAddress.city, billingAddress.country], separator: ', ' } }]
  shipping_address:
    from: shippingAddress.line1
    transforms: [{ concat: { with: [shippingAddress.line2, shippingAddress.postalCode, shippingAddress.city, shippingAddress.region, shippingAddress.country], separator: ', ' } }]
  ship_to_country:
    when: { field: shippingAddress.country, exists: true }
    then: { from: shippingAddress.country }
    else: { from: billingAddress.country }
  industry: { from: industry, transforms: [{ default: { value: Unknown } }] }
  owner_id: { from: ownerId }
  team_id: { from: teamId }
  credit_limit: { from: creditLimit, transforms: [{ decimal: { scale: 2 } }] }
  credit_limit_minor: { from: creditLimit, transforms: [{ toMinorUnits: { currencyField: currency } }] }
  payment_terms: { from: paymentTerms, default: NET30 }
  currency: { from: currency, transforms: [upper] }
  is_active: { from: status, transforms: [{ map: { values: { active: 1, inactive: 0 } } }] }
  created_local: { from: createdAt, transforms: [{ formatDate: { format: 'yyyy-MM-dd HH:mm:ss', timeZone: ${BERLIN} } }] }
  source_system: { const: hub }
`;

const CUSTOMER_IN = `
name: ${TARGET}.customer.in
connector: ${TARGET}
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: code }
  name: { from: name, transforms: [trim] }
  kind: { from: kind, transforms: [{ map: { values: { C: company, P: person } } }] }
  taxId: { from: tax_id }
  phone: { from: phone }
  email: { from: email, transforms: [lower] }
  website: { from: website }
  industry: { from: industry }
  ownerId: { from: owner_id }
  teamId: { from: team_id }
  creditLimit: { from: credit_limit_minor, transforms: [{ fromMinorUnits: { currencyField: currency } }] }
  paymentTerms: { from: payment_terms }
  currency: { from: currency, transforms: [trim, upper] }
  status: { from: is_active, transforms: [{ map: { values: { '1': active, '0': inactive } } }] }
`;

/** Columns of the bench customer table (the outbound mapping writes every one). */
const COLUMNS = 25;

// ---------------------------------------------------------------- records

// ---------------------------------------------------------------- hand-written baselines

type Rec = Readonly<Record<string, unknown>>;
const NUMERIC = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Exactly `scale` decimals, half-up, on the decimal text (no binary floats); never "-0.00". */
function fixed(text: string, scale: number): string {
  const m = NUMERIC.exec(text);
  if (!m || text.length > 100 || (m[2] === '' && !m[3])) throw new Error('not a decimal');
  const sign = m[1] === '-' ? '-' : '';
  const int = m[2] || '0';
  const frac = m[3] ?? '';
  let out: string;
  if (frac.length <= scale) out = scale === 0 ? int : `${int}.${frac.padEnd(scale, '0')}`;
  else {
    let units = BigInt(int + frac.slice(0, scale));
    if (frac.charCodeAt(scale) >= 53) units += 1n; // half-up on the first dropped digit
    const digits = units.toString().padStart(scale + 1, '0');
    out = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return sign && /[1-9]/.test(out) ? sign + out : out;
}

/** Integer count of minor units; refuses more decimals than the currency has. */
function minorUnits(text: string, currency: unknown): number {
  if (typeof currency !== 'string' || !isCurrency(currency)) throw new Error('no currency');
  const scale = currencyScale(currency);
  const m = NUMERIC.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new Error('not a decimal');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > scale) throw new Error('too many decimals');
  const n = Number((m[2] || '0') + frac.padEnd(scale, '0'));
  if (!Number.isSafeInteger(n)) throw new Error('unsafe');
  return n === 0 ? 0 : m[1] === '-' ? -n : n;
}

/** A decimal string as a JSON number, refused beyond 15 significant digits. */
function toNumber(text: string): number {
  const m = NUMERIC.exec(text);
  if (!m || (m[2] === '' && !m[3])) throw new Error('not a decimal');
  // Significant digits: from the first non-zero digit to the last one.
  let first = -1;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 48 && c <= 57) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const point = text.indexOf('.');
  if (first >= 0 && last - first + 1 - (point > first && point < last ? 1 : 0) > 15) throw new Error('too precise');
  const n = Number(text);
  return n === 0 ? 0 : n;
}

const berlin = new Intl.DateTimeFormat('sv-SE', { timeZone: BERLIN, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

function joinParts(separator: string, ...parts: unknown[]): string | null | undefined {
  let out = '';
  let any = false;
  for (const p of parts) {
    if (p === null || p === undefined || p === '') continue;
    out = any ? out + separator + String(p) : String(p);
    any = true;
  }
  if (any) return out;
  return parts[0] === null || parts[0] === undefined ? (parts[0] as null | undefined) : '';
}

const KIND: Readonly<Record<string, string>> = { company: 'C', person: 'P' };
const ACTIVE: Readonly<Record<string, number>> = { active: 1, inactive: 0 };

/** The bench customer mapping, written by hand. */
function handWrittenCustomerOut(r: Rec): Record<string, unknown> {
  const b = r['billingAddress'] as Rec | null | undefined;
  const s = r['shippingAddress'] as Rec | null | undefined;
  const name = r['name'] as string | null | undefined;
  const trimmed = typeof name === 'string' ? name.trim() : name;
  const kind = r['kind'] as string | null | undefined;
  const taxId = r['taxId'] as string | null | undefined;
  const email = r['email'] as string | null | undefined;
  const credit = r['creditLimit'] as string | null | undefined;
  const status = r['status'] as string | null | undefined;
  const industry = r['industry'];
  const terms = r['paymentTerms'];
  const shipCountry = s ? s['country'] : undefined;
  const billCountry = b ? b['country'] : undefined;
  const created = r['createdAt'] as string | null | undefined;
  const out: Record<string, unknown> = {
    code: r['code'],
    name: trimmed,
    search_name: typeof trimmed === 'string' ? trimmed.toUpperCase() : trimmed,
    kind: kind === null || kind === undefined ? kind : KIND[kind],
    tax_id: typeof taxId === 'string' ? taxId.toUpperCase() : taxId,
    phone: r['phone'],
    email: typeof email === 'string' ? email.toLowerCase() : email,
    website: r['website'],
    billing_line1: b ? b['line1'] : undefined,
    billing_city: b ? b['city'] : undefined,
    billing_postcode: b ? b['postalCode'] : undefined,
    billing_country: billCountry ?? 'DE',
    billing_address: b ? joinParts(', ', b['line1'], b['line2'], b['postalCode'], b['city'], b['country']) : undefined,
    shipping_address: s ? joinParts(', ', s['line1'], s['line2'], s['postalCode'], s['city'], s['region'], s['country']) : undefined,
    ship_to_country: shipCountry !== undefined && shipCountry !== null ? shipCountry : billCountry,
    industry: industry === null || industry === undefined || industry === '' ? 'Unknown' : industry,
    owner_id: r['ownerId'],
    team_id: r['teamId'],
    credit_limit: typeof credit === 'string' ? fixed(credit, 2) : credit,
    credit_limit_minor: typeof credit === 'string' ? minorUnits(credit, r['currency']) : credit,
    payment_terms: terms ?? 'NET30',
    currency: typeof r['currency'] === 'string' ? r['currency'].toUpperCase() : r['currency'],
    is_active: status === null || status === undefined ? status : ACTIVE[status],
    created_local: typeof created === 'string' ? berlin.format(new Date(created)) : created,
    source_system: 'hub',
  };
  for (const k in out) if (out[k] === undefined) delete out[k];
  return out;
}

/** erpnext.order.out, written by hand. */
function handWrittenOrderOut(r: Rec, ctx: MappingContext): Record<string, unknown> {
  const num = (v: unknown): unknown => (typeof v === 'string' ? toNumber(v) : v);
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) out[k] = v;
  };
  put('custom_hub_code', r['number']);
  const customerId = r['customerId'];
  if (customerId !== undefined && customerId !== null) {
    const linked = ctx.link('customer', String(customerId));
    if (linked === undefined) throw new Error('erpnext.order.out: customer: no id link');
    out['customer'] = linked;
  } else put('customer', customerId);
  put('transaction_date', r['orderDate']);
  put('delivery_date', r['deliveryDate']);
  put('currency', r['currency']);
  put('payment_terms_template', r['paymentTerms']);
  const lines = r['lines'];
  if (Array.isArray(lines)) {
    out['items'] = lines.map((l: Rec | null) => {
      if (!l || typeof l !== 'object') return null;
      const item: Record<string, unknown> = {};
      if (l['sku'] !== undefined) item['item_code'] = l['sku'];
      if (l['description'] !== undefined) item['description'] = l['description'];
      if (l['quantity'] !== undefined) item['qty'] = num(l['quantity']);
      if (l['unitPrice'] !== undefined) item['price_list_rate'] = num(l['unitPrice']);
      if (l['discount'] !== undefined) item['discount_percentage'] = num(l['discount']);
      return item;
    });
  } else put('items', lines);
  // No totals: ERPNext computes them (the default mapping does not send them).
  return out;
}

// ---------------------------------------------------------------- run

/** Something cheap read from every result, so no mapping can be skipped. */
const touch = (r: Record<string, unknown>): number => {
  const items = r['items'] ?? r['lines'];
  return Array.isArray(items) ? items.length : 1;
};

function required<D extends 'in' | 'out'>(registry: { get(name: string): CompiledMapping | undefined }, name: string, direction: D): Extract<CompiledMapping, { direction: D }> {
  const m = registry.get(name);
  if (!m || m.direction !== direction) throw new Error(`mapping ${name} (${direction}) did not load`);
  return m as Extract<CompiledMapping, { direction: D }>;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function run(): void {
  const document = loadSpec().document;
  const catalog = fieldCatalog(document);
  const secret = Buffer.from('b'.repeat(32));

  // The default policy plus a bench target that receives every customer field path (address
  // sub-fields named one by one) except the structural id/version, which travel anyway.
  const customerPaths = fieldPaths(catalog, 'customer').filter((p) => !STRUCTURAL_FIELDS.has(p));
  const policyData = parseYaml(readFileSync(DEFAULT_POLICY_PATH, 'utf8'), { maxAliasCount: 1000 }) as { targets: Record<string, unknown> };
  policyData.targets[TARGET] = { entities: { customer: { rows: 'all', read: { allow: customerPaths } } } };
  const policy = PolicyEngine.load(policyData, catalog, secret, 'bench');

  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-mapping-'));
  let registry;
  try {
    writeFileSync(join(dir, 'schema.yaml'), SCHEMA);
    writeFileSync(join(dir, 'customer.out.yaml'), CUSTOMER_OUT);
    writeFileSync(join(dir, 'customer.in.yaml'), CUSTOMER_IN);
    registry = loadMappings([dir], { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map() }, defaultMappingDirs());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const customerOut = required(registry, `${TARGET}.customer.out`, 'out');
  const customerIn = required(registry, `${TARGET}.customer.in`, 'in');
  const orderOut = required(registry, 'erpnext.order.out', 'out');
  const orderIn = required(registry, 'erpnext.order.in', 'in');

  const receiver = (m: CompiledMapping): Receiver => ({ kind: 'target', roles: [m.target.replace(/^target:/, '')], userId: null, teamId: null, subtree: new Set() });
  const project = (m: CompiledMapping, entity: EntityName, r: JsonObject): Projected => {
    const p = policy.project(receiver(m), entity, r);
    if (!p) throw new Error(`${m.target} does not receive the bench ${entity}`);
    return p;
  };

  // Id links as delivery has them (hub id → ERPNext name and back).
  const out = new Map<string, string>();
  const back = new Map<string, string>();
  for (let c = 0; c < 17; c++) {
    out.set(`customer:${benchCustomerId(c)}`, `CUST-${String(c).padStart(4, '0')}`);
    back.set(`customer:CUST-${String(c).padStart(4, '0')}`, benchCustomerId(c));
  }
  for (let p = 0; p < 500; p++) back.set(`product:${benchSku(p)}`, benchProductId(p));
  const outLinks: MappingContext = { link: (entity, id) => out.get(`${entity}:${id}`) };
  const inLinks: MappingContext = { link: (entity, id) => back.get(`${entity}:${id}`) };

  const customers = Array.from({ length: POOL }, (_, n) => completeCustomer(n));
  const customersProjected = customers.map((c) => project(customerOut, 'customer', c));
  const customerRows = customersProjected.map((c) => JSON.parse(JSON.stringify(customerOut.map(c, outLinks))) as JsonObject);
  const orders = Array.from({ length: POOL }, (_, n) => makeBenchOrder(n, { lines: LINES }));
  const ordersProjected = orders.map((o) => project(orderOut, 'order', o));
  const orderBodies = ordersProjected.map((o) => JSON.parse(JSON.stringify(orderOut.map(o, outLinks))) as JsonObject);

  // Correctness, once, before timing.
  const sample = customersProjected[0]!;
  const paths = fieldPaths(catalog, 'customer').length;
  const columns = new Set(customerRows.flatMap((r) => Object.keys(r))).size;
  if (columns !== COLUMNS) throw new Error(`the bench customer rows have ${columns} columns, expected ${COLUMNS}`);
  if (Object.keys(sample).length !== Object.keys(customers[0] ?? {}).length) throw new Error('the bench target does not see the whole customer');
  for (let i = 0; i < POOL; i++) {
    const c = customersProjected[i]!;
    const o = ordersProjected[i]!;
    deepStrictEqual(handWrittenCustomerOut(c), customerOut.map(c, outLinks), 'hand-written customer mapping differs from the compiled one');
    deepStrictEqual(handWrittenOrderOut(o, outLinks), orderOut.map(o, outLinks), 'hand-written order mapping differs from the compiled one');
    const inbound = customerIn.map(customerRows[i] ?? {}, inLinks);
    const source = customers[i] ?? {};
    if (inbound['code'] !== source['code'] || inbound['creditLimit'] !== source['creditLimit'] || inbound['status'] !== source['status']) throw new Error('customer round trip lost a field');
    const lines = orderIn.map(orderBodies[i] ?? {}, inLinks)['lines'];
    if (!Array.isArray(lines) || lines.length !== LINES) throw new Error('order round trip lost lines');
  }

  const env = environment();
  console.log(`mapping: customer with ${paths} field paths (${customerPaths.length} besides id and version) → ${COLUMNS} ${TARGET} columns; ${LINES}-line order through erpnext.order.out/in; pool of ${POOL} records; node ${env.node}, ${env.cpus} CPUs`);
  console.log('  customer columns: plain copies, trim, upper/lower, value maps, decimal scale 2, toMinorUnits by currency, formatDate Europe/Berlin, 2 address concats, const, default, when');
  console.log('  records are projected for the mapping\'s target before timing (as delivery does); the projection is timed on its own');

  const mask = POOL - 1;
  const at = <T>(list: readonly T[], i: number): T => list[i & mask] as T;
  const results: CaseResult[] = measureAll(
    [
      { name: 'customerOut', label: `compiled ${TARGET}.customer.out (25 columns)`, fn: (i) => touch(customerOut.map(at(customersProjected, i), outLinks)) },
      { name: 'customerOutHandWritten', label: 'hand-written customer out (baseline)', fn: (i) => touch(handWrittenCustomerOut(at(customersProjected, i))) },
      { name: 'customerIn', label: `compiled ${TARGET}.customer.in (14 fields)`, fn: (i) => touch(customerIn.map(at(customerRows, i), inLinks)) },
      { name: 'orderOut', label: `compiled erpnext.order.out (${LINES} lines)`, fn: (i) => touch(orderOut.map(at(ordersProjected, i), outLinks)) },
      { name: 'orderOutHandWritten', label: 'hand-written order out (baseline)', fn: (i) => touch(handWrittenOrderOut(at(ordersProjected, i), outLinks)) },
      { name: 'orderIn', label: `compiled erpnext.order.in (${LINES} lines)`, fn: (i) => touch(orderIn.map(at(orderBodies, i), inLinks)) },
      { name: 'customerProjection', label: `policy projection of the customer for ${TARGET}`, fn: (i) => touch(project(customerOut, 'customer', at(customers, i))) },
    ],
    { rounds: 5, roundSeconds: 0.5 },
  );
  for (const r of results) console.log(describe(r, 'records'));

  const rate = (name: string): number => results.find((r) => r.name === name)?.perSecond ?? 0;
  const rps: Record<string, number> = {};
  for (const name of ['customerOut', 'customerIn', 'orderOut', 'orderIn', 'customerProjection']) rps[name] = Math.round(rate(name));
  const handWritten = { customerOut: Math.round(rate('customerOutHandWritten')), orderOut: Math.round(rate('orderOutHandWritten')) };
  const ratio = {
    customerOut: Number((rate('customerOut') / rate('customerOutHandWritten')).toFixed(3)),
    orderOut: Number((rate('orderOut') / rate('orderOutHandWritten')).toFixed(3)),
  };
  // Cost per record is 1/rate, so projection cost ÷ mapping cost = mapping rate ÷ projection rate.
  const projectionShare = rate('customerOut') / rate('customerProjection');
  const projectionShareOfHandWritten = rate('customerOutHandWritten') / rate('customerProjection');
  const customerRate = rps['customerOut'] ?? 0;

  console.log(`  compiled ÷ hand-written throughput: customer out ${ratio.customerOut.toFixed(3)}, order out ${ratio.orderOut.toFixed(3)} (aim: ≥ 0.5, i.e. within 2×): ${ratio.customerOut >= 0.5 && ratio.orderOut >= 0.5 ? 'met' : 'NOT met'}`);
  console.log(`  projection adds ${pct(projectionShare)} to the mapping of the same customer (policy issue: at most 25%): ${projectionShare <= 0.25 ? 'met' : 'NOT met'}; against the hand-written mapping it would add ${pct(projectionShareOfHandWritten)}`);
  console.log(`  goal ${GOAL.toLocaleString('en-US')} customers/s (customer out, one core): ${customerRate >= GOAL ? 'met' : 'NOT met'}`);
  console.log(
    JSON.stringify({
      bench: 'mapping',
      recordsPerSecond: rps,
      handWritten,
      ratio,
      projectionShareOfMapping: Number(projectionShare.toFixed(3)),
      projectionShareOfHandWritten: Number(projectionShareOfHandWritten.toFixed(3)),
      goal: GOAL,
      meetsGoal: customerRate >= GOAL,
      node: env.node,
      cpus: env.cpus,
    }),
  );
}
