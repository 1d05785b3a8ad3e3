import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAPPE_KEY, FRAPPE_SECRET, FrappeFake } from '../fixtures/frappe-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * ERPNext as a target, through the engine: the built-in CRM's customers, products and orders are
 * delivered by the ERPNext connector with its default mappings to the local Frappe fake (naming series,
 * child rows replaced unless sent by name, docstatus rules, primary contacts). A record created and then
 * updated twice is one document in ERPNext: the id link and the lookup field (`custom_hub_code`) keep
 * every later write on it; lines keep their rows; the customer's e-mail reaches its primary contact.
 * A submitted order (submitOrders) that the hub changes lands as a dead letter naming
 * UpdateAfterSubmitError, without a value and without touching the document.
 */

interface Ctx {
  readonly frappe: FrappeFake;
  t: TestHub;
}

async function startHub(ctx: Ctx, extra: Record<string, unknown>): Promise<void> {
  await ctx.frappe.start();
  ctx.t = await startTestHub({
    workers: true,
    env: { ERPNEXT_API_KEY: FRAPPE_KEY, ERPNEXT_API_SECRET: FRAPPE_SECRET },
    config: {
      connectors: { erpnext: { type: 'erpnext', baseUrl: ctx.frappe.url, apiKeyEnv: 'ERPNEXT_API_KEY', apiSecretEnv: 'ERPNEXT_API_SECRET', timeZone: 'UTC', ...extra } },
      sync: { relayIntervalMs: 100, targets: { erpnext: { entities: ['customer', 'product', 'order'], backoffMs: 50, attempts: 3 } } },
    },
  });
}

const quiet = async (t: TestHub) => {
  const target = t.hub.sync.targets.get('erpnext')!;
  await until('deliveries to finish', async () => ((await target.depth()).oldestMs === null ? true : undefined));
};

async function seed(t: TestHub): Promise<{ customer: string; order: string; bolt: string; nut: string }> {
  const admin = { Authorization: `Bearer ${t.adminToken}` };
  const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-100', name: 'Acme GmbH', kind: 'company', currency: 'EUR', email: 'info@acme.example', phone: '+49 30 1000' });
  expect(customer.status).toBe(201);
  const bolt = (await t.api.post('/api/v1/products').set(admin).send({ sku: 'BOLT-M8', name: 'Bolt M8', currency: 'EUR', listPrice: '2.50' })).body.id as string;
  const nut = (await t.api.post('/api/v1/products').set(admin).send({ sku: 'NUT-M8', name: 'Nut M8', currency: 'EUR', listPrice: '0.40' })).body.id as string;
  const order = await t.api
    .post('/api/v1/orders')
    .set(admin)
    .send({ number: 'SO-100', customerId: customer.body.id, orderDate: '2026-11-20', currency: 'EUR', lines: [{ productId: bolt, quantity: '10', unitPrice: '2.50' }, { productId: nut, quantity: '20', unitPrice: '0.40' }] });
  expect(order.status).toBe(201);
  return { customer: customer.body.id as string, order: order.body.id as string, bolt, nut };
}

async function patch(t: TestHub, path: string, body: Record<string, unknown>): Promise<void> {
  const admin = { Authorization: `Bearer ${t.adminToken}` };
  const res = await t.api.patch(path).set(admin).set('If-Match', '*').send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe.sequential('ERPNext as a target: one document per record, however often it changes', () => {
  const ctx: Ctx = { frappe: new FrappeFake(), t: undefined as unknown as TestHub };

  beforeAll(() => startHub(ctx, {}), 60_000);
  afterAll(async () => {
    await ctx.t?.close();
    await ctx.frappe.close();
  });

  it('creates, then updates twice: one Customer, one Sales Order (lines updated in their rows), one primary Contact', async () => {
    const { frappe } = ctx;
    const t = ctx.t;
    const ids = await seed(t);
    await until('the order in ERPNext', async () => (frappe.table('Sales Order').size === 1 ? true : undefined));
    await quiet(t);
    const [customerName] = [...frappe.table('Customer').keys()];
    const [orderName] = [...frappe.table('Sales Order').keys()];
    const rows = () => (frappe.table('Sales Order').get(orderName!)!['items'] as { name: string; item_code: string; qty: number }[]).map((r) => [r.name, r.item_code, r.qty]);
    const firstRows = rows();
    expect(firstRows.map((r) => r.slice(1))).toEqual([['BOLT-M8', 10], ['NUT-M8', 20]]);
    expect(frappe.table('Sales Order').get(orderName!)).toMatchObject({ docstatus: 0, custom_hub_code: 'SO-100', customer: customerName });

    await patch(t, `/api/v1/customers/${ids.customer}`, { name: 'Acme GmbH & Co. KG' });
    await patch(t, `/api/v1/orders/${ids.order}`, { lines: [{ productId: ids.bolt, quantity: '12', unitPrice: '2.50' }, { productId: ids.nut, quantity: '20', unitPrice: '0.40' }] });
    await quiet(t);
    await patch(t, `/api/v1/customers/${ids.customer}`, { email: 'sales@acme.example' });
    await patch(t, `/api/v1/orders/${ids.order}`, { lines: [{ productId: ids.bolt, quantity: '12', unitPrice: '2.50' }, { productId: ids.nut, quantity: '25', unitPrice: '0.40' }] });
    await until('the second changes in ERPNext', async () => (frappe.table('Customer').get(customerName!)?.['email_id'] === 'sales@acme.example' && rows()[1]?.[2] === 25 ? true : undefined));
    await quiet(t);

    expect(frappe.table('Customer').size).toBe(1);
    expect(frappe.table('Sales Order').size).toBe(1);
    expect(frappe.table('Contact').size).toBe(1);
    expect(frappe.table('Customer').get(customerName!)).toMatchObject({ customer_name: 'Acme GmbH & Co. KG', email_id: 'sales@acme.example', mobile_no: '+49 30 1000', custom_hub_code: 'C-100' });
    // The same two rows, updated in place: their names (which delivery notes and invoices link to) kept.
    expect(rows()).toEqual([[firstRows[0]![0], 'BOLT-M8', 12], [firstRows[1]![0], 'NUT-M8', 25]]);
    expect(await t.hub.store.deadLetters.count({ state: 'open' })).toBe(0);
  });
});

describe.sequential('ERPNext as a target with submitOrders: a submitted order ERPNext will not change', () => {
  const ctx: Ctx = { frappe: new FrappeFake(), t: undefined as unknown as TestHub };

  beforeAll(() => startHub(ctx, { submitOrders: true }), 60_000);
  afterAll(async () => {
    await ctx.t?.close();
    await ctx.frappe.close();
  });

  it('is created submitted; a change of a line is a dead letter naming UpdateAfterSubmitError and what to do, and the document stays as it was', async () => {
    const { frappe } = ctx;
    const t = ctx.t;
    const ids = await seed(t);
    await until('the order in ERPNext', async () => (frappe.table('Sales Order').size === 1 ? true : undefined));
    await quiet(t);
    const [orderName] = [...frappe.table('Sales Order').keys()];
    const before = frappe.table('Sales Order').get(orderName!)!;
    expect(before).toMatchObject({ docstatus: 1, status: 'To Deliver and Bill' });

    await patch(t, `/api/v1/orders/${ids.order}`, { lines: [{ productId: ids.bolt, quantity: '11', unitPrice: '2.50' }, { productId: ids.nut, quantity: '20', unitPrice: '0.40' }] });
    await until('a dead letter', async () => ((await t.hub.store.deadLetters.count({ state: 'open', target: 'erpnext' })) > 0 ? true : undefined));
    const [letter] = await t.hub.store.deadLetters.list({ state: 'open', target: 'erpnext' }, 10);
    expect(letter).toMatchObject({ entity: 'order', errorCode: 'update_after_submit' });
    expect(letter!.errorMessage).toContain('UpdateAfterSubmitError');
    expect(letter!.errorMessage).toContain('amendSubmittedOrders');
    expect(letter!.errorMessage).not.toMatch(/SO-100|Acme|10\.0|11/);
    expect(frappe.table('Sales Order').size).toBe(1);
    expect(frappe.table('Sales Order').get(orderName!)!.modified).toBe(before.modified);
  });
});
