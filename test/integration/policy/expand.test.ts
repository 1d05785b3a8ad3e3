/**
 * Related records at depth: `expand` brings records along projected for the same receiver at every
 * level. A custom policy adds a `collector` role that sees receivables and payments in full but
 * orders without prices and customers without contact data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/model/entities.js';
import {
  PRICE_FIELDS,
  allKeys,
  createUser,
  defaultPolicyObject,
  expectNoCanary,
  listAll,
  rolesConfig,
  seedWorld,
  startPolicyHub,
  writePolicy,
  type PolicyHub,
  type SeededUser,
  type World,
} from './fixtures.js';

let h: PolicyHub;
let w: World;
let collector: SeededUser;

beforeAll(async () => {
  const policy = defaultPolicyObject();
  policy['roles']['collector'] = {
    customer: { rows: 'all', read: { allow: ['code', 'name', 'currency', 'status'] } },
    order: { rows: 'all', read: { allow: ['$order.logistics'] } },
    receivable: { rows: 'all', read: { allow: ['$receivable.all'] } },
    payment: { rows: 'all', read: { allow: ['$payment.all'] } },
  };
  // Response validation off: orders without prices break the spec's OrderLine (see quality.test.ts).
  h = await startPolicyHub({ policyFile: writePolicy(policy, 'collector'), config: rolesConfig({ collector: 'Collects receivables; no prices, no contact data' }), validateResponses: true });
  w = await seedWorld(h, { users: ['ar', 'qual'] });
  collector = await createUser(h, 'user.collector', ['collector'], null);
});
afterAll(async () => h?.close());

const orderNoPrices = (o: unknown) => PRICE_FIELDS.filter((f) => allKeys(o).has(f));
const contactFields = ['phone', 'email', 'website', 'taxId', 'billingAddress', 'shippingAddress', 'creditLimit', 'paymentTerms', 'industry'];

describe('collector: receivables in full, related orders without prices, customers without contact data', () => {
  it('GET /receivables/{id}?expand=customer,order,order.customer projects every level for the collector', async () => {
    const r = w.receivables.repA;
    const res = await h.api.get(`/api/v1/receivables/${r.id}`).query({ expand: 'customer,order,order.customer' }).set(collector.headers);
    expect(res.status).toBe(200);
    // The receivable itself is fully visible (amount, balance…).
    expect(res.body).toMatchObject({ id: r.id, amount: r['amount'], balance: r['balance'], orderId: w.orders.repA.id });
    // Depth 1: the order, without prices.
    expect(res.body.order).toMatchObject({ id: w.orders.repA.id, number: 'SO-1' });
    expect(orderNoPrices(res.body.order)).toEqual([]);
    // Depth 2: the order's customer, without contact data.
    expect(res.body.order.customer).toEqual({ id: w.customers.repA.id, version: 1, code: 'CUST-1', name: 'Visible Customer 1', currency: 'EUR', status: 'active' });
    expect(res.body.customer).toEqual(res.body.order.customer);
    expectNoCanary(res.text, [...w.priceCanaries.repA, ...w.customerCanaries.repA, ...w.productCanaries], 'receivable at depth 2');
    for (const f of contactFields) expect(allKeys(res.body).has(f), f).toBe(false);
  });

  it('the same in the list, for every receivable', async () => {
    const items = await listAll(h, '/api/v1/receivables', collector.headers, { expand: 'order,order.customer,customer' });
    expect(items).toHaveLength(4);
    for (const item of items) {
      expect(item['order']).not.toBeNull();
      expect(orderNoPrices(item['order'])).toEqual([]);
      expect(Object.keys((item['order'] as JsonObject)['customer'] as JsonObject).sort()).toEqual(['code', 'currency', 'id', 'name', 'status', 'version']);
    }
    expectNoCanary(JSON.stringify(items), [...Object.values(w.priceCanaries).flat(), ...Object.values(w.customerCanaries).flat()], 'receivable list at depth 2');
  });

  it('payments: receivable.order at depth 2 without prices, receivable.customer without phone', async () => {
    const res = await h.api.get(`/api/v1/payments/${w.payments.repB.id}`).query({ expand: 'customer,receivable,receivable.order,receivable.customer' }).set(collector.headers);
    expect(res.status).toBe(200);
    expect(res.body.receivable).toMatchObject({ id: w.receivables.repB.id, amount: w.receivables.repB['amount'] });
    expect(res.body.receivable.order).toMatchObject({ id: w.orders.repB.id });
    expect(orderNoPrices(res.body.receivable.order)).toEqual([]);
    expect(res.body.receivable.customer).toMatchObject({ code: 'CUST-2' });
    expectNoCanary(res.text, [...w.priceCanaries.repB, ...w.customerCanaries.repB], 'payment at depth 2');
  });

  it('an expanded record equals the record read directly by the same caller', async () => {
    const res = await h.api.get(`/api/v1/receivables/${w.receivables.repC.id}`).query({ expand: 'order,customer' }).set(collector.headers);
    const order = await h.api.get(`/api/v1/orders/${w.orders.repC.id}`).set(collector.headers);
    const customer = await h.api.get(`/api/v1/customers/${w.customers.repC.id}`).set(collector.headers);
    expect(res.body.order).toEqual(order.body);
    expect(res.body.customer).toEqual(customer.body);
  });
});

describe('other receivers at depth', () => {
  it('ar_clerk sees order prices but the customer phone masked (last4) at depth 2, never in full', async () => {
    const res = await h.api.get(`/api/v1/receivables/${w.receivables.repA.id}`).query({ expand: 'order,order.customer' }).set(w.users.ar.headers);
    expect(res.status).toBe(200);
    expect(res.body.order).toMatchObject({ total: w.orders.repA['total'] });
    expect(res.body.order.customer.phone).toBe('***7001');
    expect(res.text).not.toContain(w.customers.repA['phone'] as string);
    for (const f of ['taxId', 'website', 'shippingAddress', 'industry', 'ownerId']) expect(res.body.order.customer).not.toHaveProperty(f);
  });

  it("a rep's own receivable pointing at another rep's order and customer expands both to null", async () => {
    const r = await h.api
      .post('/api/v1/receivables')
      .set(h.admin)
      .send({ number: 'INV-CROSS', customerId: w.customers.repB.id, orderId: w.orders.repB.id, ownerId: w.users.repA.id, teamId: w.teams.north, issueDate: '2026-11-03', dueDate: '2026-12-03', currency: 'EUR', amount: '10.00' });
    expect(r.status).toBe(201);
    const res = await h.api.get(`/api/v1/receivables/${r.body.id}`).query({ expand: 'customer,order,order.customer' }).set(w.users.repA.headers);
    expect(res.status).toBe(200);
    expect(res.body.customer).toBeNull();
    expect(res.body.order).toBeNull();
    expectNoCanary(res.text, [...w.priceCanaries.repB, ...w.customerCanaries.repB], 'cross-owner expand');
  });

  it('quality: an order with its customer at depth 1 carries neither prices nor phone', async () => {
    const res = await h.api.get(`/api/v1/orders/${w.orders.repC.id}`).query({ expand: 'customer' }).set(w.users.qual.headers);
    expect(res.status).toBe(200);
    expect(res.body.customer).toEqual({ id: w.customers.repC.id, version: 1, code: 'CUST-3', name: 'Visible Customer 3' });
    expect(orderNoPrices(res.body)).toEqual([]);
    expectNoCanary(res.text, w.notForQuality, 'quality order?expand=customer');
  });

  it.each(['order.customer.order', 'lines', 'order.lines', 'customer.phone', 'receivable'])('refuses expand=%s with 400 and no data', async (expand) => {
    const res = await h.api.get(`/api/v1/receivables/${w.receivables.repA.id}`).query({ expand }).set(collector.headers);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectNoCanary(res.text, w.all, `expand=${expand}`);
  });
});
