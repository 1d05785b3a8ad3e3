/**
 * Write-back and errors: a value the projection produced (mask, hash, ciphertext) sent back in a
 * write is refused and the stored value stays; a role that may read but not write gets 403 and
 * nothing changes; unique-key and validation errors echo neither the stored value nor the sent one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/model/entities.js';
import { bodyText, expectNoCanary, seedWorld, startPolicyHub, stored, type PolicyHub, type World } from './fixtures.js';

let h: PolicyHub;
let w: World;

beforeAll(async () => {
  h = await startPolicyHub({ validateResponses: true });
  w = await seedWorld(h, { users: ['ar', 'staff'] });
});
afterAll(async () => h?.close());

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown>; text: string };

describe('write-back of projected values', () => {
  it('ar_clerk reads the phone masked to its last four digits', async () => {
    const res = await h.api.get(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers);
    expect(res.status).toBe(200);
    expect(res.body.phone).toBe('***7001');
    expect(res.text).not.toContain(w.customers.repA['phone'] as string);
    for (const f of ['taxId', 'website', 'shippingAddress', 'industry', 'ownerId', 'teamId', 'kind', 'createdAt']) expect(res.body).not.toHaveProperty(f);
  });

  it.each<[string, JsonObject]>([
    ['a last4 mask', { phone: '***4567' }],
    ['a bare mask', { phone: '***' }],
    ['a masked email', { email: 'c***@hidden-mail.example' }],
    ['a short hash', { taxId: 'h1:3q2-7wAAAAAAAAAAAAAAAAA' }],
    ['a full-length hash', { website: 'h1:3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['a ciphertext', { website: 'enc1:QUJDRA==' }],
    ['a mask inside an address', { billingAddress: { line1: '***r 177', city: 'Canaryville1', country: 'DE' } }],
    ['a mask next to a legal change', { name: 'Renamed Ltd', phone: '***7001' }],
  ])('a sales rep writing back %s to its own customer gets 422 and nothing changes', async (_what, patch) => {
    const before = await stored(h, 'customer', w.customers.repA.id);
    const res = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send(patch)) as unknown as Res;
    expect(res.status, res.text).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectNoCanary(res.text, w.all, 'write-back refusal');
    expect(await stored(h, 'customer', w.customers.repA.id)).toEqual(before);
  });

  it('the same on create: a rep cannot create a customer with a masked phone', async () => {
    const res = await h.api.post('/api/v1/customers').set(w.users.repA.headers).send({ code: 'WB-1', name: 'Write back', currency: 'EUR', phone: '***7001' });
    expect(res.status).toBe(422);
    expect((await h.api.get('/api/v1/customers').query({ sort: 'code' }).set(h.admin)).body.items.map((c: JsonObject) => c['code'])).not.toContain('WB-1');
  });

  it('ar_clerk, who reads customers but may not write them, gets 403 (plain value) or 422 (its own mask sent back), and nothing changes', async () => {
    const before = await stored(h, 'customer', w.customers.repA.id);
    const shown = (await h.api.get(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers)).body as JsonObject;
    const plain = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers).send({ phone: '+49 30 1234567' })) as unknown as Res;
    expect(plain.status).toBe(403);
    const echo = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers).send({ phone: shown['phone'] })) as unknown as Res;
    expect([403, 422]).toContain(echo.status);
    const allowedLooking = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers).send({ creditLimit: '1.00' })) as unknown as Res;
    expect(allowedLooking.status).toBe(403);
    const del = (await h.api.delete(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers)) as unknown as Res;
    expect(del.status).toBe(403);
    for (const r of [plain, echo, allowedLooking, del]) expectNoCanary(r.text, w.all, 'ar_clerk refusal');
    expect(await stored(h, 'customer', w.customers.repA.id)).toEqual(before);
  });

  it('staff may not create or change customers at all', async () => {
    const before = await stored(h, 'customer', w.customers.repB.id);
    expect((await h.api.patch(`/api/v1/customers/${w.customers.repB.id}`).set(w.users.staff.headers).send({ name: 'Hijacked' })).status).toBe(403);
    const create = await h.api.post('/api/v1/customers').set(w.users.staff.headers).send({ code: 'ST-1', name: 'Staff made', currency: 'EUR' });
    expect(create.status).toBe(403);
    expect(await stored(h, 'customer', w.customers.repB.id)).toEqual(before);
  });

  it('a rep cannot move its own record out of its scope, nor create one for someone else', async () => {
    const before = await stored(h, 'customer', w.customers.repA.id);
    const move = await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send({ ownerId: w.users.repB.id });
    expect(move.status).toBe(403);
    const create = await h.api.post('/api/v1/customers').set(w.users.repA.headers).send({ code: 'FOR-B', name: 'For B', currency: 'EUR', ownerId: w.users.repB.id });
    expect(create.status).toBe(403);
    expect(await stored(h, 'customer', w.customers.repA.id)).toEqual(before);
  });
});

describe('errors echo no protected value', () => {
  it("a duplicate customer code (another rep's hidden customer) → 409 naming only the field", async () => {
    const res = (await h.api.post('/api/v1/customers').set(w.users.repA.headers).send({ code: 'CUST-2', name: 'Dup', currency: 'EUR', phone: '+49 30 9990001' })) as unknown as Res;
    expect(res.status).toBe(409);
    expect(res.body['errors']).toEqual([{ pointer: '/code', detail: expect.any(String) }]);
    expectNoCanary(res.text, [...w.all, w.customers.repB.id, w.users.repB.id, 'Visible Customer 2', '+49 30 9990001'], '409 body');
    // Changing its own code to the hidden one is the same 409, and the record stays.
    const before = await stored(h, 'customer', w.customers.repA.id);
    const patch = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send({ code: 'CUST-2' })) as unknown as Res;
    expect(patch.status).toBe(409);
    expectNoCanary(patch.text, [...w.all, w.customers.repB.id, 'Visible Customer 2'], '409 patch body');
    expect(await stored(h, 'customer', w.customers.repA.id)).toEqual(before);
  });

  it('a duplicate order number → 409 without the other order\'s data', async () => {
    const res = (await h.api
      .post('/api/v1/orders')
      .set(w.users.repA.headers)
      .send({ number: 'SO-2', customerId: w.customers.repA.id, orderDate: '2026-11-02', currency: 'EUR', lines: [{ productId: w.product.id, quantity: '1', unitPrice: '1.00' }] })) as unknown as Res;
    expect(res.status).toBe(409);
    expectNoCanary(res.text, [...w.all, w.orders.repB.id, w.customers.repB.id], '409 order body');
  });

  it.each<[string, JsonObject, number, string]>([
    ['creditLimit 12.3.4', { creditLimit: '12.3.4' }, 400, '12.3.4'],
    ['creditLimit with too many decimals', { creditLimit: '98765.123' }, 422, '98765.123'],
    ['creditLimit as exponent', { creditLimit: '9.87654e4' }, 400, '9.87654e4'],
    ['an invalid email', { email: 'not-an-email-CANARY-4242' }, 400, 'CANARY-4242'],
    ['a too long phone', { phone: `+49-${'7'.repeat(60)}` }, 400, '7'.repeat(41)],
    ['an unknown country', { billingAddress: { line1: 'Line CANARY-5151', city: 'City CANARY-5152', country: 'QQ' } }, 422, 'CANARY-515'],
    ['an unknown property', { secretColour: 'CANARY-6161' }, 400, 'CANARY-6161'],
    ['a wrong type', { taxId: 12345678901 }, 400, '12345678901'],
  ])('validation error on %s echoes no value', async (_n, patch, status, sent) => {
    const before = await stored(h, 'customer', w.customers.repA.id);
    const res = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send(patch)) as unknown as Res;
    expect(res.status, res.text).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bodyText(res)).not.toContain(sent);
    expectNoCanary(res.text, w.all, 'validation error');
    expect(await stored(h, 'customer', w.customers.repA.id)).toEqual(before);
  });

  it("errors on a hidden record's field are just 404: no field name, no value", async () => {
    const res = (await h.api.patch(`/api/v1/customers/${w.customers.repB.id}`).set(w.users.repA.headers).send({ creditLimit: '98765.123' })) as unknown as Res;
    expect(res.status).toBe(404);
    expect(res.body).not.toHaveProperty('errors');
    expect(res.text).not.toContain('creditLimit');
  });

  it('a refused write of a field the caller cannot see names only what the caller sent', async () => {
    // staff cannot see or write phone; the refusal may name /phone (sent by the caller) but no stored value.
    const res = (await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.staff.headers).send({ phone: '+1 555 0100' })) as unknown as Res;
    expect(res.status).toBe(403);
    expectNoCanary(res.text, w.all, 'staff write refusal');
    for (const hidden of ['taxId', 'email', 'creditLimit', 'paymentTerms', 'website']) expect(res.text).not.toContain(hidden);
  });
});
