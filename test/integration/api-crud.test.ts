import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, startTestHub, type TestHub } from '../helpers.js';

const customerInput = {
  code: 'C-1001',
  name: 'Müller Maschinenbau GmbH',
  kind: 'company',
  taxId: 'DE811907980',
  phone: '+49 89 1234567',
  email: 'einkauf@mueller-maschinenbau.de',
  billingAddress: { line1: 'Industriestraße 5', city: 'München', postalCode: '80331', country: 'DE' },
  creditLimit: '50000.00',
  paymentTerms: 'NET30',
  currency: 'EUR',
};

describe.each(STORE_KINDS)('API create, read, conditional update and delete (%s store)', (kind) => {
  let t: TestHub;
  let auth: Record<string, string>;
  let productId: string;

  beforeAll(async () => {
    t = await startTestHub({ store: kind });
    auth = { Authorization: `Bearer ${t.adminToken}` };
    const product = await t.api.post('/api/v1/products').set(auth).send({ sku: 'SKU-1', name: 'Hydraulic pump', listPrice: '199.90', cost: '120.00', currency: 'EUR' });
    expect(product.status).toBe(201);
    productId = product.body.id;
  });
  afterAll(async () => t?.close());

  it('creates, reads, updates with If-Match, refuses a stale If-Match with 412, and deletes a customer', async () => {
    const created = await t.api.post('/api/v1/customers').set(auth).send(customerInput);
    expect(created.status).toBe(201);
    expect(created.headers['location']).toBe(`/api/v1/customers/${created.body.id}`);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.body).toMatchObject({ ...customerInput, version: 1, status: 'active' });

    const read = await t.api.get(`/api/v1/customers/${created.body.id}`).set(auth);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers['etag']).toBe('"1"');

    const updated = await t.api.patch(`/api/v1/customers/${created.body.id}`).set(auth).set('If-Match', '"1"').send({ phone: '+49 89 7654321', taxId: null });
    expect(updated.status).toBe(200);
    expect(updated.body.version).toBe(2);
    expect(updated.body.phone).toBe('+49 89 7654321');
    expect(updated.body).not.toHaveProperty('taxId');
    expect(updated.headers['etag']).toBe('"2"');

    const stale = await t.api.patch(`/api/v1/customers/${created.body.id}`).set(auth).set('If-Match', '"1"').send({ phone: '+1 555 0100' });
    expect(stale.status).toBe(412);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.body.errors[0].pointer).toBe('/header/If-Match');
    const after = await t.api.get(`/api/v1/customers/${created.body.id}`).set(auth);
    expect(after.body.phone).toBe('+49 89 7654321');

    const staleDelete = await t.api.delete(`/api/v1/customers/${created.body.id}`).set(auth).set('If-Match', '"1"');
    expect(staleDelete.status).toBe(412);
    const deleted = await t.api.delete(`/api/v1/customers/${created.body.id}`).set(auth).set('If-Match', '"2"');
    expect(deleted.status).toBe(204);
    expect((await t.api.get(`/api/v1/customers/${created.body.id}`).set(auth)).status).toBe(404);

    // The code of a deleted customer can be used again.
    const again = await t.api.post('/api/v1/customers').set(auth).send(customerInput);
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(created.body.id);
  });

  it('compares If-Match strongly against the tags it issued: other or weak tags are 412, * and lists work; problems carry no ETag', async () => {
    const created = await t.api.post('/api/v1/customers').set(auth).send({ ...customerInput, code: 'TAGS-1' });
    const url = `/api/v1/customers/${created.body.id}`;
    expect(created.headers['etag']).toBe('"1"');
    for (const tag of ['"abc"', 'W/"1"', '"1.0"', '"01x"', 'W/"1", "7"']) {
      const res = await t.api.patch(url).set(auth).set('If-Match', tag).send({ phone: '+49 89 0000000' });
      expect(res.status, `If-Match: ${tag} → ${res.text}`).toBe(412);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors[0].pointer).toBe('/header/If-Match');
      expect(res.headers['etag'], 'a problem has no ETag').toBeUndefined();
      expect((await t.api.delete(url).set(auth).set('If-Match', tag)).status).toBe(412);
    }
    const malformed = await t.api.patch(url).set(auth).set('If-Match', 'version-1').send({ phone: '+49 89 0000000' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers['etag']).toBeUndefined();
    expect((await t.api.get(url).set(auth)).body.version).toBe(1);

    const any = await t.api.patch(url).set(auth).set('If-Match', '*').send({ phone: '+49 89 1111111' });
    expect(any.status).toBe(200);
    expect(any.headers['etag']).toBe('"2"');
    const listed = await t.api.patch(url).set(auth).set('If-Match', 'W/"2", "9", "2"').send({ phone: '+49 89 2222222' });
    expect(listed.status).toBe(200);
    expect(listed.headers['etag']).toBe('"3"');
    const read = await t.api.get(url).set(auth);
    expect(read.headers['etag']).toBe('"3"');
    expect((await t.api.get(url).set(auth).set('If-None-Match', '"3"')).status).toBe(304);

    const missing = await t.api.patch('/api/v1/customers/no-such-id').set(auth).set('If-Match', '*').send({ phone: '+49 89 3333333' });
    expect(missing.status).toBe(404);
    expect(missing.headers['etag']).toBeUndefined();
    expect((await t.api.get('/api/v1/nowhere').set(auth)).headers['etag']).toBeUndefined();
    expect((await t.api.delete(url).set(auth).set('If-Match', '*')).status).toBe(204);
  });

  it('applies concurrent PATCHes and a DELETE without If-Match to the latest version: no 412 for a header never sent', async () => {
    const created = await t.api.post('/api/v1/customers').set(auth).send({ ...customerInput, code: 'RACE-1' });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    // Eight writers at once, each changing its own field or value: every one must land.
    const patches = [
      { phone: '+49 30 1000001' },
      { email: 'race@example.com' },
      { website: 'https://race.example.com' },
      { industry: 'Machinery' },
      { creditLimit: '75000.00' },
      { paymentTerms: 'NET60' },
      { name: 'Race Condition GmbH' },
      { shippingAddress: { line1: 'Lagerweg 2', city: 'Berlin', country: 'DE' } },
    ];
    const results = await Promise.all(patches.map((p) => t.api.patch(`/api/v1/customers/${id}`).set(auth).send(p)));
    expect(results.map((r) => r.status)).toEqual(patches.map(() => 200));
    const versions = results.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const final = await t.api.get(`/api/v1/customers/${id}`).set(auth);
    expect(final.body.version).toBe(9);
    expect(final.body).toMatchObject({ phone: '+49 30 1000001', email: 'race@example.com', website: 'https://race.example.com', industry: 'Machinery', creditLimit: '75000.00', paymentTerms: 'NET60', name: 'Race Condition GmbH' });
    expect(final.body.shippingAddress).toEqual({ line1: 'Lagerweg 2', city: 'Berlin', country: 'DE' });
    expect(final.body.billingAddress).toEqual(customerInput.billingAddress);

    // A DELETE racing PATCHes, without If-Match, deletes the latest version.
    const [del, ...more] = await Promise.all([
      t.api.delete(`/api/v1/customers/${id}`).set(auth),
      ...[1, 2, 3].map((i) => t.api.patch(`/api/v1/customers/${id}`).set(auth).send({ phone: `+49 30 200000${i}` })),
    ]);
    expect(del?.status).toBe(204);
    for (const r of more) expect([200, 404]).toContain(r.status);
    expect((await t.api.get(`/api/v1/customers/${id}`).set(auth)).status).toBe(404);
  });

  it('creates an order whose totals the hub computes in decimal, and recomputes them when lines change', async () => {
    const customer = await t.api.post('/api/v1/customers').set(auth).send({ ...customerInput, code: 'C-2001' });
    const order = await t.api
      .post('/api/v1/orders')
      .set(auth)
      .send({
        number: 'SO-1',
        customerId: customer.body.id,
        orderDate: '2026-11-02',
        deliveryDate: '2026-11-20',
        currency: 'EUR',
        lines: [
          { productId, quantity: '3', unitPrice: '0.10', taxRate: '19' },
          { productId, quantity: '1.5', unitPrice: '199.90', discount: '10', taxRate: '7' },
        ],
      });
    expect(order.status).toBe(201);
    // 3 × 0.10 = 0.30 exactly (a float would give 0.30000000000000004); 1.5 × 199.90 × 0.9 = 269.865 → 269.87
    expect(order.body.lines.map((l: { lineTotal: string; sku: string }) => [l.lineTotal, l.sku])).toEqual([
      ['0.30', 'SKU-1'],
      ['269.87', 'SKU-1'],
    ]);
    expect(order.body).toMatchObject({ subtotal: '270.17', taxTotal: '18.95', total: '289.12', countsTowardQuota: true, status: 'draft', type: 'standard' });

    const changed = await t.api
      .patch(`/api/v1/orders/${order.body.id}`)
      .set(auth)
      .set('If-Match', order.headers['etag'] as string)
      .send({ lines: [{ productId, quantity: '2', unitPrice: '10.00' }], type: 'sample' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ subtotal: '20.00', taxTotal: '0.00', total: '20.00', countsTowardQuota: false, version: 2 });

    const list = await t.api.get('/api/v1/orders').query({ customerId: customer.body.id }).set(auth);
    expect(list.status).toBe(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([order.body.id]);
  });

  it('pages through a list with an opaque cursor, sorted, without gaps or repeats', async () => {
    for (let i = 0; i < 7; i++) {
      const res = await t.api.post('/api/v1/customers').set(auth).send({ ...customerInput, code: `P-${i}`, name: `Pager ${String.fromCharCode(71 - i)}` });
      expect(res.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } = await t.api
        .get('/api/v1/customers')
        .query({ q: 'pager', sort: '-name', limit: 3, ...(cursor ? { cursor } : {}) })
        .set(auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c) => c.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Pager G', 'Pager F', 'Pager E', 'Pager D', 'Pager C', 'Pager B', 'Pager A']);
  });

  it('gives the same result once for a repeated Idempotency-Key and refuses the key with another body', async () => {
    const body = { ...customerInput, code: 'IDEM-1' };
    const first = await t.api.post('/api/v1/customers').set(auth).set('Idempotency-Key', 'key-1').send(body);
    const second = await t.api.post('/api/v1/customers').set(auth).set('Idempotency-Key', 'key-1').send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const other = await t.api.post('/api/v1/customers').set(auth).set('Idempotency-Key', 'key-1').send({ ...body, name: 'Another' });
    expect(other.status).toBe(422);
    expect(other.body.errors[0].pointer).toBe('/header/Idempotency-Key');
    const list = await t.api.get('/api/v1/customers').query({ q: 'IDEM-1' }).set(auth);
    expect(list.body.items).toHaveLength(1);
  });
});
