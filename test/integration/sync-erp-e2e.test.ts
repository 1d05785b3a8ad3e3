import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../core/demo/seed.js';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { BcFake } from '../fixtures/bc-fake.js';
import { ODOO_API_KEY, ODOO_DB, OdooFake } from '../fixtures/odoo-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * End to end across two ERPs, each behind a local fake that follows its system's documented
 * semantics: the demo data set (customers, products, orders made in the hub) is delivered to an
 * Odoo (the sales ERP: the default policy's `odoo` receiver, prices included) and to a Business
 * Central that runs the warehouse (bound to the policy's `warehouse_erp` receiver, which never sees a
 * price). Stock comes back from Business Central and receivables from Odoo. What is checked is what
 * the users care about: every demo customer and order arrives once in each system (none twice, also
 * after a second relay pass), lines as many as in the hub, no price, discount or total in any
 * request the warehouse got, and the stock levels and open receivables the ERPs hold land in the hub
 * exactly.
 */

/** The warehouse's own view of customers, products and orders: what `warehouse_erp` may read (no prices). */
const WAREHOUSE_MAPPINGS: Record<string, string> = {
  'customer.out.yaml': `
name: businesscentral.customer.out
connector: businesscentral
entity: customer
direction: out
externalEntity: customers
fields:
  number: { from: code }
  displayName: { from: name, transforms: [trim] }
`,
  'product.out.yaml': `
name: businesscentral.product.out
connector: businesscentral
entity: product
direction: out
externalEntity: items
fields:
  number: { from: sku }
  displayName: { from: name }
  baseUnitOfMeasureCode: { from: uom, transforms: [{ map: { values: { EA: PCS, H: HOUR, KG: KG, M: M, L: L, BOX: BOX, SET: SET }, fallback: PCS } }] }
`,
  'order.out.yaml': `
name: businesscentral.order.out
connector: businesscentral
entity: order
direction: out
externalEntity: salesOrders
fields:
  externalDocumentNumber: { from: number }
  customerId: { lookup: { entity: customer, from: customerId } }
  orderDate: { from: orderDate }
  requestedDeliveryDate: { when: { field: deliveryDate, exists: true }, then: { from: deliveryDate } }
  currencyCode: { from: currency }
  salesOrderLines:
    each: lines
    fields:
      lineType: { const: Item }
      lineObjectNumber: { from: sku }
      quantity: { from: quantity, transforms: [toNumber] }
`,
};

const PRICE_KEYS = /"(unitPrice|unitCost|discountPercent|discountAmount|amountExcludingTax|totalAmountIncludingTax|totalAmountExcludingTax|price_unit|list_price)"/;

/** Starts the hub; a configuration it refuses fails the suite with every problem named. */
async function startTestHubOrSay(options: Parameters<typeof startTestHub>[0]): Promise<TestHub> {
  try {
    return await startTestHub(options);
  } catch (e) {
    const problems = (e as { errors?: { pointer: string; detail: string }[] }).errors;
    throw problems ? new Error(problems.map((p) => `${p.pointer}: ${p.detail}`).join('\n')) : e;
  }
}

describe.sequential('end to end: demo data to an Odoo and a Business Central, stock and receivables back', () => {
  const odoo = new OdooFake();
  const bc = new BcFake();
  const mappingDir = mkdtempSync(join(tmpdir(), 'hub-e2e-mappings-'));
  let t: TestHub;
  let demo: { customers: number; products: number; orders: number };
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    for (const [file, text] of Object.entries(WAREHOUSE_MAPPINGS)) writeFileSync(join(mappingDir, file), text);
    await Promise.all([odoo.start(), bc.start()]);
    t = await startTestHubOrSay({
      workers: true,
      env: { ODOO_API_KEY, ...bc.env() },
      config: {
        mappings: { dirs: [mappingDir] },
        connectors: {
          odoo: { type: 'odoo', baseUrl: odoo.url, protocol: 'json2', database: ODOO_DB, apiKeyEnv: 'ODOO_API_KEY', timeoutMs: 5000 },
          businesscentral: bc.config() as never,
        },
        sync: {
          relayIntervalMs: 100,
          targets: {
            odoo: { entities: ['customer', 'product', 'order'], backoffMs: 50, attempts: 10 },
            businesscentral: { entities: ['customer', 'product', 'order'], receiver: 'warehouse_erp', backoffMs: 50, attempts: 10 },
          },
          sources: {
            odoo: { entities: ['receivable'], pollIntervalSeconds: 0 },
            businesscentral: { entities: ['inventory'], pollIntervalSeconds: 0 },
          },
        },
      },
    });
    // The demo data set, small: made through the record service, so every record goes out through the outbox.
    demo = await seedDemo(t.hub.store, t.hub.records, t.hub.auth, { scale: 0.03 });
  }, 120_000);


  afterAll(async () => {
    await t?.close();
    await Promise.all([odoo.close(), bc.close()]);
    rmSync(mappingDir, { recursive: true, force: true });
  });

  const settled = async (target: string) => until(`deliveries to ${target} to finish`, async () => ((await t.hub.sync.targets.get(target)!.depth()).oldestMs === null ? true : undefined), 90_000, 200);
  const poll = async (source: string, entity: EntityName) => {
    const runner = t.hub.sync.sources.get(source)!;
    await runner.pollNow(entity);
    await until(`${source} ${entity} polled`, async () => {
      const c = await runner.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const hubAll = async (path: string) => (await t.api.get(path).query({ limit: 500 }).set(auth())).body.items as Record<string, unknown>[];
  /** The open dead letters of a target, as the console lists them (entity, code, message). */
  const openDeadLetters = async (target: string) =>
    ((await t.api.get('/api/v1/sync/dead-letters').query({ target, state: 'open' }).set(auth())).body.items as Record<string, unknown>[]).map((d) => `${d['entity']} ${d['direction']} ${d['errorCode']}: ${d['errorMessage'] ?? d['message']}`);

  it('delivers every demo customer, product and order once to each ERP', async () => {
    expect(demo.customers).toBeGreaterThanOrEqual(8);
    expect(demo.orders).toBeGreaterThanOrEqual(12);
    const orders = await hubAll('/api/v1/orders');
    const customers = await hubAll('/api/v1/customers');
    await until('every order in both ERPs', () =>
      odoo.records('sale.order').length >= orders.length && bc.records('salesOrders').length >= orders.length ? true : undefined, 120_000, 200);
    await settled('odoo');
    await settled('businesscentral');
    expect(await openDeadLetters('odoo')).toEqual([]);
    expect(await openDeadLetters('businesscentral')).toEqual([]);

    // Customers: one partner / one BC customer per hub customer, found by the hub's code.
    const partners = odoo.records('res.partner').filter((p) => !p['parent_id']);
    expect(partners.map((p) => p['ref']).sort()).toEqual(customers.map((c) => c['code']).sort());
    expect(bc.records('customers').map((c) => c['number']).sort()).toEqual(customers.map((c) => c['code']).sort());

    // Orders: once each, with as many lines as the hub's order.
    const byNumber = new Map(orders.map((o) => [o['number'] as string, o]));
    const odooOrders = odoo.records('sale.order');
    expect(odooOrders.map((o) => o['client_order_ref']).sort()).toEqual([...byNumber.keys()].sort());
    for (const o of odooOrders) expect(odoo.orm.linesOf(o['id'] as number)).toHaveLength((byNumber.get(o['client_order_ref'] as string)!['lines'] as unknown[]).length);
    const bcOrders = bc.records('salesOrders');
    expect(bcOrders.map((o) => o['externalDocumentNumber']).sort()).toEqual([...byNumber.keys()].sort());
    for (const o of bcOrders) expect(bc.orderLines(o['id'] as string)).toHaveLength((byNumber.get(o['externalDocumentNumber'] as string)!['lines'] as unknown[]).length);
  });

  it('sends prices to the sales ERP and never to the warehouse', async () => {
    // The sales ERP has the hub's prices on its lines.
    const order = (await hubAll('/api/v1/orders')).find((o) => (o['lines'] as { unitPrice?: string }[]).some((l) => Number(l.unitPrice) > 0))!;
    const odooOrder = odoo.records('sale.order').find((o) => o['client_order_ref'] === order['number'])!;
    const firstLine = (order['lines'] as { unitPrice: string }[])[0]!;
    expect(odoo.orm.linesOf(odooOrder['id'] as number)[0]).toMatchObject({ price_unit: Number(firstLine.unitPrice) });
    // The warehouse: no request the hub made carries a price, a discount or an amount.
    const sent = bc.requests.filter((r) => r.method !== 'GET');
    expect(sent.length).toBeGreaterThan(0);
    for (const r of sent) expect(JSON.stringify(r.body ?? null)).not.toMatch(PRICE_KEYS);
    // Nor any of the hub's list prices, as a value anywhere.
    const products = await hubAll('/api/v1/products');
    const body = JSON.stringify(sent.map((r) => r.body));
    for (const p of products) if (Number(p['listPrice']) >= 10) expect(body).not.toContain(String(Number(p['listPrice'])));
  });

  it('does not deliver twice: an outbound backfill and later edits update the documents in place', async () => {
    const counts = () => ({ partners: odoo.records('res.partner').length, odooOrders: odoo.records('sale.order').length, bcCustomers: bc.records('customers').length, bcOrders: bc.records('salesOrders').length });
    const before = counts();
    for (const target of ['odoo', 'businesscentral']) {
      for (const entity of ['customer', 'order']) {
        const res = await t.api.post(`/api/v1/sync/connectors/${target}/backfill`).set(auth()).send({ entity, direction: 'out' });
        expect(res.status).toBe(202);
        await until(`the ${target} ${entity} backfill`, async () => {
          const run = (await t.api.get(`/api/v1/sync/runs/${res.body.id}`).set(auth())).body;
          expect(['failed', 'cancelled']).not.toContain(run.state);
          return run.state === 'done' ? true : undefined;
        }, 60_000, 200);
      }
    }
    const customer = (await hubAll('/api/v1/customers'))[0]!;
    const order = (await hubAll('/api/v1/orders')).find((o) => o['status'] === 'confirmed' || o['status'] === 'draft') ?? (await hubAll('/api/v1/orders'))[0]!;
    const edit = async (path: string, body: Record<string, unknown>) => {
      const current = await t.api.get(path).set(auth());
      const res = await t.api.patch(path).set(auth()).set('If-Match', current.headers['etag'] as string).send(body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await edit(`/api/v1/customers/${customer['id']}`, { name: `${customer['name']} (renamed)` });
    await edit(`/api/v1/orders/${order['id']}`, { deliveryDate: '2027-01-15' });
    await until('the edits in both ERPs', () => {
      const partner = odoo.records('res.partner').find((p) => p['ref'] === customer['code']);
      const bcCustomer = bc.byNumber('customers', customer['code'] as string);
      const bcOrder = bc.records('salesOrders').find((o) => o['externalDocumentNumber'] === order['number']);
      return partner?.['name'] === `${customer['name']} (renamed)` && bcCustomer?.['displayName'] === `${customer['name']} (renamed)` && bcOrder?.['requestedDeliveryDate'] === '2027-01-15' ? true : undefined;
    }, 60_000, 200);
    await settled('odoo');
    await settled('businesscentral');
    expect(counts()).toEqual(before);
  });

  it('brings the warehouse stock back from Business Central, exactly', async () => {
    const products = await hubAll('/api/v1/products');
    const [a, b] = products.filter((p) => bc.byNumber('items', p['sku'] as string)) as [Record<string, unknown>, Record<string, unknown>];
    bc.postStock(a['sku'] as string, 120.5);
    bc.postStock(a['sku'] as string, -20.25);
    bc.postStock(b['sku'] as string, 7);
    await poll('businesscentral', 'inventory');
    const level = async (productId: unknown) => (await t.api.get('/api/v1/inventory').query({ productId: productId as string }).set(auth())).body.items as Record<string, unknown>[];
    expect(await level(a['id'])).toEqual(expect.arrayContaining([expect.objectContaining({ warehouse: 'ALL', onHand: '100.25' })]));
    expect(await level(b['id'])).toEqual(expect.arrayContaining([expect.objectContaining({ warehouse: 'ALL', onHand: '7' })]));
  });

  it('brings the open receivables back from Odoo, linked to the hub customers the hub delivered', async () => {
    const customers = await hubAll('/api/v1/customers');
    const partner = (code: unknown) => odoo.records('res.partner').find((p) => p['ref'] === code)!;
    const [c1, c2] = customers as [Record<string, unknown>, Record<string, unknown>];
    const move = (name: string, who: Record<string, unknown>, total: number, residual: number) => {
      const p = partner(who['code']);
      return {
        name, move_type: 'out_invoice', state: 'posted', posted_before: true, partner_id: p['id'], commercial_partner_id: p['id'], invoice_date: '2026-10-01', invoice_date_due: '2026-10-31', currency_id: 1,
        amount_untaxed: total, amount_tax: 0, amount_total: total, amount_residual: residual, amount_total_in_currency_signed: total, payment_state: residual === 0 ? 'paid' : residual < total ? 'partial' : 'not_paid',
      };
    };
    odoo.insert('account.move', move('INV/2026/E2E01', c1, 1190.45, 1190.45));
    odoo.insert('account.move', move('INV/2026/E2E02', c2, 300.3, 100.1));
    await poll('odoo', 'receivable');
    const found = async (number: string) => (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [number]))[0];
    expect(await found('INV/2026/E2E01')).toMatchObject({ customerId: c1['id'], amount: '1190.45', balance: '1190.45' });
    expect(await found('INV/2026/E2E02')).toMatchObject({ customerId: c2['id'], amount: '300.3', balance: '100.10', status: 'partially_paid' });
    expect(await openDeadLetters('odoo')).toEqual([]);
  });
});
