/**
 * References as an oracle: a write that points a record at a record the caller may not see must be
 * answered exactly like one that points at a record that does not exist (same status, same problem
 * body but for the request id), and must write nothing. Otherwise a sales rep could create contacts
 * or orders under other reps' customers, and learn which customer ids exist by trying.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type JsonObject } from '../../../core/model/entities.js';
import { defaultPolicyObject, problemShape, seedWorld, startPolicyHub, stored, writePolicy, type Headers, type PolicyHub, type World } from './fixtures.js';

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown>; text: string };

async function counts(h: PolicyHub): Promise<number[]> {
  const store = h.hub.store;
  return Promise.all(Object.values(ENTITIES).map((d) => store.records.count(d)));
}

/** Sends the same write twice, once naming a hidden record and once a missing one; both must read alike. */
async function expectSameRefusal(h: PolicyHub, send: (ref: string) => Promise<Res>, hiddenId: string, pointer: string): Promise<void> {
  const before = await counts(h);
  const outboxBefore = (await h.hub.store.outbox.after(0, 100_000)).length;
  const hidden = await send(hiddenId);
  const missing = await send('no-such-record-0001');
  expect(hidden.status, hidden.text).toBe(422);
  expect(hidden.body['errors']).toEqual([{ pointer, detail: expect.stringMatching(/does not exist/) }]);
  expect(problemShape(hidden)).toEqual(problemShape(missing));
  expect(hidden.text).not.toContain(hiddenId);
  expect(await counts(h)).toEqual(before);
  expect((await h.hub.store.outbox.after(0, 100_000)).length).toBe(outboxBefore);
}

describe('a reference to a record the caller may not see reads as a missing one (default policy)', () => {
  let h: PolicyHub;
  let w: World;
  let rep: Headers;

  beforeAll(async () => {
    h = await startPolicyHub();
    w = await seedWorld(h, { users: ['lead'] });
    rep = w.users.repA.headers;
  });
  afterAll(async () => h?.close());

  it('a rep cannot see another rep\'s customer', async () => {
    expect((await h.api.get(`/api/v1/customers/${w.customers.repC.id}`).set(rep)).status).toBe(404);
  });

  it('creating a contact under a hidden customer: 422 like a missing customer, nothing written', async () => {
    await expectSameRefusal(
      h,
      async (customerId) => (await h.api.post('/api/v1/contacts').set(rep).send({ customerId, firstName: 'Eve', lastName: 'Probe' })) as unknown as Res,
      w.customers.repC.id,
      '/customerId',
    );
  });

  it('creating an order for a hidden customer: 422 like a missing customer, nothing written', async () => {
    await expectSameRefusal(
      h,
      async (customerId) =>
        (await h.api
          .post('/api/v1/orders')
          .set(rep)
          .send({ number: 'SO-PROBE', customerId, orderDate: '2026-11-02', currency: 'EUR', lines: [{ productId: w.product.id, quantity: '1', unitPrice: '10.00' }] })) as unknown as Res,
      w.customers.repB.id,
      '/customerId',
    );
  });

  it('a team lead cannot reach outside the subtree either', async () => {
    await expectSameRefusal(
      h,
      async (customerId) => (await h.api.post('/api/v1/contacts').set(w.users.lead.headers).send({ customerId, firstName: 'Lea', lastName: 'Probe', teamId: w.teams.north })) as unknown as Res,
      w.customers.repC.id,
      '/customerId',
    );
  });

  it('moving an own order or contact to a hidden customer by PATCH: 422 like a missing one, the record unchanged', async () => {
    const order = w.orders.repA.id;
    const before = await stored(h, 'order', order);
    await expectSameRefusal(h, async (customerId) => (await h.api.patch(`/api/v1/orders/${order}`).set(rep).send({ customerId })) as unknown as Res, w.customers.repC.id, '/customerId');
    expect(await stored(h, 'order', order)).toEqual(before);

    const contact = await h.api.post('/api/v1/contacts').set(rep).send({ customerId: w.customers.repA.id, firstName: 'Own', lastName: 'Contact' });
    expect(contact.status).toBe(201);
    const contactBefore = await stored(h, 'contact', contact.body.id);
    await expectSameRefusal(h, async (customerId) => (await h.api.patch(`/api/v1/contacts/${contact.body.id}`).set(rep).send({ customerId })) as unknown as Res, w.customers.repB.id, '/customerId');
    expect(await stored(h, 'contact', contact.body.id)).toEqual(contactBefore);
  });

  it('references the caller sees, and those the record already held, still work', async () => {
    const ok = await h.api.post('/api/v1/contacts').set(rep).send({ customerId: w.customers.repA.id, firstName: 'Fine', lastName: 'Contact' });
    expect(ok.status).toBe(201);
    // An admin gives repA's contact another rep's customer; repA may still edit the contact's other fields.
    expect((await h.api.patch(`/api/v1/contacts/${ok.body.id}`).set(h.admin).send({ customerId: w.customers.repC.id })).status).toBe(200);
    const renamed = await h.api.patch(`/api/v1/contacts/${ok.body.id}`).set(rep).send({ title: 'Buyer' });
    expect(renamed.status, renamed.text).toBe(200);
  });
});

describe('scoped products: an order line naming a product the caller may not see', () => {
  let h: PolicyHub;
  let w: World;

  beforeAll(async () => {
    // Sales reps lose the product catalogue; orders stay theirs to write.
    const policy = defaultPolicyObject();
    delete (policy['roles'] as Record<string, JsonObject>)['sales_rep']!['product'];
    h = await startPolicyHub({ policyFile: writePolicy(policy, 'no-products-for-reps') });
    w = await seedWorld(h, { users: [] });
  });
  afterAll(async () => h?.close());

  it('answers like a missing product, with no sku looked up, and writes nothing', async () => {
    await expectSameRefusal(
      h,
      async (productId) =>
        (await h.api
          .post('/api/v1/orders')
          .set(w.users.repA.headers)
          .send({ number: 'SO-LINE-PROBE', customerId: w.customers.repA.id, orderDate: '2026-11-02', currency: 'EUR', lines: [{ productId, sku: 'WRONG-SKU', quantity: '1', unitPrice: '10.00' }] })) as unknown as Res,
      w.product.id,
      '/lines/0/productId',
    );
  });
});
