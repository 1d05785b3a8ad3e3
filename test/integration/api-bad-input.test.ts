import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../core/model/entities.js';
import { startTestHub, type TestHub } from '../helpers.js';

const customer = { code: 'C-1', name: 'Acme AG', currency: 'EUR', billingAddress: { line1: 'Bahnhofstrasse 1', city: 'Zürich', country: 'CH' } };

interface Case {
  name: string;
  method: 'post' | 'patch' | 'get';
  path: (ids: { customerId: string; productId: string }) => string;
  body?: (ids: { customerId: string; productId: string }) => unknown;
  raw?: string;
  query?: Record<string, string>;
  status: number;
  pointer: string;
}

const order = (ids: { customerId: string; productId: string }, extra: Record<string, unknown> = {}, line: Record<string, unknown> = {}) => ({
  number: 'SO-BAD',
  customerId: ids.customerId,
  orderDate: '2026-11-02',
  currency: 'EUR',
  lines: [{ productId: ids.productId, quantity: '2', unitPrice: '10.00', taxRate: '19', ...line }],
  ...extra,
});

const cases: Case[] = [
  { name: 'malformed JSON', method: 'post', path: () => '/api/v1/customers', raw: '{"code": "C-9", "name": ', status: 400, pointer: '/body' },
  { name: 'a wrong type', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', name: 42 }), status: 400, pointer: '/name' },
  { name: 'an unknown property', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', colour: 'red' }), status: 400, pointer: '/colour' },
  { name: 'an unknown nested property', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', billingAddress: { ...customer.billingAddress, floor: 3 } }), status: 400, pointer: '/billingAddress/floor' },
  { name: 'a missing required field', method: 'post', path: () => '/api/v1/customers', body: () => ({ code: 'C-9', currency: 'EUR' }), status: 400, pointer: '/name' },
  { name: 'an invalid cursor', method: 'get', path: () => '/api/v1/customers', query: { cursor: 'not-a-cursor' }, status: 400, pointer: '/query/cursor' },
  { name: 'a limit over 500', method: 'get', path: () => '/api/v1/customers', query: { limit: '501' }, status: 400, pointer: '/query/limit' },
  { name: 'an unknown query parameter', method: 'get', path: () => '/api/v1/customers', query: { colour: 'red' }, status: 400, pointer: '/query/colour' },
  { name: 'a sort on an unsortable field', method: 'get', path: () => '/api/v1/customers', query: { sort: 'phone' }, status: 400, pointer: '/query/sort' },
  { name: 'a decimal with two points', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', creditLimit: '12.3.4' }), status: 400, pointer: '/creditLimit' },
  { name: 'a decimal in exponent form', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', creditLimit: '1e5' }), status: 400, pointer: '/creditLimit' },
  { name: 'money as a JSON number', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', creditLimit: 12.5 }), status: 400, pointer: '/creditLimit' },
  { name: 'more decimals than EUR allows', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', creditLimit: '10.125' }), status: 422, pointer: '/creditLimit' },
  { name: 'decimals on a JPY amount', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', currency: 'JPY', creditLimit: '1000.5' }), status: 422, pointer: '/creditLimit' },
  { name: 'an unknown currency', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', currency: 'XYZ' }), status: 422, pointer: '/currency' },
  { name: 'an unknown country', method: 'post', path: () => '/api/v1/customers', body: () => ({ ...customer, code: 'C-9', billingAddress: { ...customer.billingAddress, country: 'XX' } }), status: 422, pointer: '/billingAddress/country' },
  { name: 'an impossible date', method: 'post', path: () => '/api/v1/orders', body: (ids) => order(ids, { orderDate: '2026-02-30' }), status: 400, pointer: '/orderDate' },
  { name: 'a line total that does not add up', method: 'post', path: () => '/api/v1/orders', body: (ids) => order(ids, {}, { lineTotal: '25.00' }), status: 422, pointer: '/lines/0/lineTotal' },
  { name: 'an order total that does not add up', method: 'post', path: () => '/api/v1/orders', body: (ids) => order(ids, { subtotal: '20.00', taxTotal: '3.80', total: '24.00' }), status: 422, pointer: '/total' },
  { name: 'a customer id that does not exist', method: 'post', path: () => '/api/v1/orders', body: (ids) => order(ids, { customerId: 'no-such-customer' }), status: 422, pointer: '/customerId' },
  { name: 'a balance that does not add up', method: 'post', path: () => '/api/v1/receivables', body: (ids) => ({ number: 'INV-1', customerId: ids.customerId, issueDate: '2026-11-01', dueDate: '2026-12-01', currency: 'EUR', amount: '100.00', paidAmount: '40.00', balance: '50.00' }), status: 422, pointer: '/balance' },
  { name: 'a duplicate natural key', method: 'post', path: () => '/api/v1/customers', body: () => customer, status: 409, pointer: '/code' },
  { name: 'a patch with an unknown property', method: 'patch', path: (ids) => `/api/v1/customers/${ids.customerId}`, body: () => ({ name: 'Renamed', colour: 'red' }), status: 400, pointer: '/colour' },
  { name: 'a patch with an invalid decimal', method: 'patch', path: (ids) => `/api/v1/customers/${ids.customerId}`, body: () => ({ name: 'Renamed', creditLimit: '1,000.00' }), status: 400, pointer: '/creditLimit' },
  { name: 'a patch that clears a required field', method: 'patch', path: (ids) => `/api/v1/customers/${ids.customerId}`, body: () => ({ name: null }), status: 400, pointer: '/name' },
  { name: 'an invalid If-Match', method: 'patch', path: (ids) => `/api/v1/customers/${ids.customerId}`, body: () => ({ name: 'Renamed' }), status: 400, pointer: '/header/If-Match' },
];

describe('bad input is refused with problem+json naming the field, and changes nothing', () => {
  let t: TestHub;
  let auth: Record<string, string>;
  const ids = { customerId: '', productId: '' };

  async function snapshot() {
    const store = t.hub.store;
    const counts = await Promise.all(Object.values(ENTITIES).map((d) => store.records.count(d)));
    const outbox = await store.outbox.after(0, 100_000);
    const c = await store.records.get(ENTITIES.customer, ids.customerId);
    return { counts, outbox: outbox.length, customer: c };
  }

  beforeAll(async () => {
    t = await startTestHub();
    auth = { Authorization: `Bearer ${t.adminToken}` };
    ids.customerId = (await t.api.post('/api/v1/customers').set(auth).send(customer)).body.id;
    ids.productId = (await t.api.post('/api/v1/products').set(auth).send({ sku: 'SKU-1', name: 'Valve', currency: 'EUR' })).body.id;
  });
  afterAll(async () => t?.close());

  it.each(cases)('$name → $status at $pointer', async (c) => {
    const before = await snapshot();
    let req = t.api[c.method](c.path(ids)).set(auth);
    if (c.query) req = req.query(c.query);
    if (c.name === 'an invalid If-Match') req = req.set('If-Match', 'version-1');
    const res = c.raw !== undefined ? await req.set('Content-Type', 'application/json').send(c.raw) : c.body ? await req.send(c.body(ids) as object) : await req;
    expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: c.status, title: expect.any(String), detail: expect.any(String) });
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(c.pointer);
    expect(await snapshot()).toEqual(before);
  });

  // Names of Object.prototype members must be looked up as nothing, never as a property of every object.
  const BUILT_IN_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
  const expandPaths = (ids: { customerId: string; orderId: string; contactId: string }) => [
    '/api/v1/contacts',
    `/api/v1/contacts/${ids.contactId}`,
    '/api/v1/orders',
    `/api/v1/orders/${ids.orderId}`,
    '/api/v1/receivables',
    '/api/v1/payments',
  ];

  it.each(BUILT_IN_NAMES.flatMap((name) => [name, `customer.${name}`]))('expand=%s is a 400 naming the expand parameter on every entity that expands, never a 500', async (name) => {
    const contact = await t.api.post('/api/v1/contacts').set(auth).send({ customerId: ids.customerId, firstName: 'Ada', lastName: 'Expand' });
    const ord = await t.api.post('/api/v1/orders').set(auth).send(order(ids, { number: `SO-EXP-${Math.random().toString(36).slice(2, 8)}` }));
    expect([contact.status, ord.status]).toEqual([201, 201]);
    for (const path of expandPaths({ customerId: ids.customerId, orderId: ord.body.id, contactId: contact.body.id })) {
      const res = await t.api.get(path).query({ expand: name }).set(auth);
      expect(res.status, `${path}?expand=${name}: ${res.text}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/query/expand');
    }
    // A nested name on an entity whose relation has relations of its own.
    const nested = await t.api.get('/api/v1/payments').query({ expand: `receivable.${name}` }).set(auth);
    expect(nested.status, nested.text).toBe(400);
    expect(nested.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/query/expand');
  });

  it.each(BUILT_IN_NAMES)('%s as a sort field, query parameter, path segment, policy receiver or body key is a 4xx problem, never a 500', async (name) => {
    const before = await snapshot();
    const sort = await t.api.get('/api/v1/customers').query({ sort: name }).set(auth);
    expect(sort.status, sort.text).toBe(400);
    expect(sort.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/query/sort');
    const descending = await t.api.get('/api/v1/orders').query({ sort: `-${name}` }).set(auth);
    expect(descending.status, descending.text).toBe(400);
    const param = await t.api.get(`/api/v1/customers?${encodeURIComponent(name)}=1`).set(auth);
    expect(param.status, param.text).toBe(400);
    for (const path of [`/api/v1/${name}`, `/api/v1/${name}/x/lineage`, `/api/v1/mappings/${name}/preview`]) {
      const res = path.endsWith('preview') ? await t.api.post(path).set(auth).send({ record: {} }) : await t.api.get(path).set(auth);
      expect([400, 404], `${path}: ${res.text}`).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    for (const path of [`/api/v1/sync/connectors/${name}/backfill`]) {
      const res = await t.api.post(path).set(auth).send({ entity: 'customer' });
      expect([400, 404], `${path}: ${res.text}`).toContain(res.status);
    }
    const webhook = await t.api.post(`/api/v1/webhooks/${name}`).set('Content-Type', 'application/json').send('{"entity":"x","records":[]}');
    expect([400, 401, 404], webhook.text).toContain(webhook.status);
    const policy = await t.api.get('/api/v1/policies/effective').query({ receiver: `role:${name}` }).set(auth);
    expect([400, 404], policy.text).toContain(policy.status);
    const body = await t.api.post('/api/v1/customers').set(auth).set('Content-Type', 'application/json').send(`{"code":"C-PROTO","name":"Proto","currency":"EUR","${name}":{"x":1}}`);
    expect(body.status, body.text).toBe(400);
    expect(body.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(`/${name}`);
    expect(await snapshot()).toEqual(before);
  });

  it('lists every problem of a request at once', async () => {
    const res = await t.api.post('/api/v1/customers').set(auth).send({ code: 'C-7', name: 7, currency: 'EUR', creditLimit: 1, colour: 'red' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/creditLimit', '/name']);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const before = await snapshot();
    const res = await t.api.post('/api/v1/customers').set(auth).send({ ...customer, code: 'C-BIG', name: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors[0].pointer).toBe('/body');
    expect(await snapshot()).toEqual(before);
  });

  it('answers unknown resources with 404 and wrong methods with 405, as problem+json', async () => {
    const missing = await t.api.get('/api/v1/customers/does-not-exist').set(auth);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const nowhere = await t.api.get('/api/v1/nothing-here').set(auth);
    expect(nowhere.status).toBe(404);
    const wrong = await t.api.put('/api/v1/customers').set(auth).send({});
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('GET, POST');
  });
});
