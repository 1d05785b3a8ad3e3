/**
 * Query oracles: filtering, sorting, searching and paging must not let a caller learn a value the
 * policy hides from them. A query on a field the caller cannot see in plain form is refused with
 * 400 problem+json (no items, no cursor, no canary); a query on fields they can see still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/model/entities.js';
import { bodyText, expectNoCanary, seedWorld, startPolicyHub, type Headers, type PolicyHub, type World } from './fixtures.js';

let h: PolicyHub;
let w: World;

beforeAll(async () => {
  // Response validation off: quality's orders (no unitPrice) break the spec's OrderLine (see quality.test.ts).
  h = await startPolicyHub({ validateResponses: true });
  w = await seedWorld(h, { users: ['qual', 'staff', 'ar', 'repA'] });
});
afterAll(async () => h?.close());

type Res = { status: number; headers: Record<string, string>; body: Record<string, unknown>; text: string };

async function get(path: string, headers: Headers, query: Record<string, string>): Promise<Res> {
  return (await h.api.get(path).query(query).set(headers)) as unknown as Res;
}

/** A refused query: 400 problem+json naming the parameter, with no list data and no canary. */
function expectRefused(res: Res, pointer: string): void {
  expect(res.status, res.text).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).not.toHaveProperty('items');
  expect(res.body).not.toHaveProperty('nextCursor');
  expect(res.body).not.toHaveProperty('count');
  expect((res.body['errors'] as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
  expectNoCanary(bodyText(res), w.all, `400 body for ${pointer}`);
}

describe('filter oracle (quality on orders)', () => {
  it('still filters, sorts and searches orders by fields quality can see', async () => {
    const byCustomer = await get('/api/v1/orders', w.users.qual.headers, { customerId: w.customers.repB.id, sort: 'number' });
    expect(byCustomer.status).toBe(200);
    expect((byCustomer.body['items'] as JsonObject[]).map((o) => o['id'])).toEqual([w.orders.repB.id]);
    const byStatus = await get('/api/v1/orders', w.users.qual.headers, { status: 'draft', sort: '-number' });
    expect(byStatus.status).toBe(200);
    expect((byStatus.body['items'] as JsonObject[]).map((o) => o['number'])).toEqual(['SO-4', 'SO-3', 'SO-2', 'SO-1']);
    const none = await get('/api/v1/orders', w.users.qual.headers, { status: 'shipped' });
    expect(none.body['items']).toEqual([]);
    const search = await get('/api/v1/orders', w.users.qual.headers, { q: 'SO-1', sort: 'orderDate' });
    expect((search.body['items'] as JsonObject[]).map((o) => o['number'])).toEqual(['SO-1']);
    for (const res of [byCustomer, byStatus, search]) expectNoCanary(res.text, w.notForQuality, 'quality order list');
  });

  it.each([
    ['sort by total', { sort: 'total' }, '/query/sort'],
    ['sort by -subtotal', { sort: '-subtotal' }, '/query/sort'],
    ['sort by paymentTerms', { sort: 'paymentTerms' }, '/query/sort'],
    ['filter by total', { total: '100.00' }, '/query/total'],
    ['filter by paymentTerms', { paymentTerms: 'NET-CANARY-O1' }, '/query/paymentTerms'],
    ['filter by unitPrice', { unitPrice: '3331.17' }, '/query/unitPrice'],
  ])('refuses %s with 400 and returns no list data', async (_name, query, pointer) => {
    expectRefused(await get('/api/v1/orders', w.users.qual.headers, query), pointer);
  });

  it('a refused filter does not become a partial answer when combined with an allowed one', async () => {
    expectRefused(await get('/api/v1/orders', w.users.qual.headers, { status: 'draft', sort: 'total' }), '/query/sort');
  });
});

describe('sort and filter oracle (staff sees only customer code and name)', () => {
  it.each([
    ['sort=status', { sort: 'status' }, '/query/sort'],
    ['sort=-status', { sort: '-status' }, '/query/sort'],
    ['sort=createdAt', { sort: 'createdAt' }, '/query/sort'],
    ['sort=-updatedAt', { sort: '-updatedAt' }, '/query/sort'],
    ['status filter', { status: 'active' }, '/query/status'],
    ['ownerId filter', { ownerId: 'anyone' }, '/query/ownerId'],
    ['teamId filter', { teamId: 'anyteam' }, '/query/teamId'],
    ['updatedSince', { updatedSince: '2020-01-01T00:00:00Z' }, '/query/updatedSince'],
    ['q (search covers email and taxId)', { q: 'Visible' }, '/query/q'],
    ['a visible sort combined with a hidden filter', { sort: 'name', status: 'inactive' }, '/query/status'],
  ])('%s → 400', async (_name, query, pointer) => {
    expectRefused(await get('/api/v1/customers', w.users.staff.headers, query), pointer);
  });

  it('sorting by what staff can see works and shows only code and name', async () => {
    for (const sort of ['name', '-name', 'code', '-code']) {
      const res = await get('/api/v1/customers', w.users.staff.headers, { sort });
      expect(res.status).toBe(200);
      const items = res.body['items'] as JsonObject[];
      expect(items).toHaveLength(4);
      for (const c of items) expect(Object.keys(c).sort()).toEqual(['code', 'id', 'name', 'version']);
      expectNoCanary(res.text, w.all, `staff list sort=${sort}`);
    }
    const names = ((await get('/api/v1/customers', w.users.staff.headers, { sort: '-code' })).body['items'] as JsonObject[]).map((c) => c['code']);
    expect(names).toEqual(['CUST-4', 'CUST-3', 'CUST-2', 'CUST-1']);
  });
});

describe('search oracle', () => {
  it.each([
    ['phone digits', '7777001'],
    ['a tax id', 'DE777000111'],
    ['an email', 'canary.mail1@hidden-mail.example'],
    ['a credit limit', '91771.11'],
  ])('quality searching customers for %s is refused (search covers fields it cannot see)', async (_n, q) => {
    expectRefused(await get('/api/v1/customers', w.users.qual.headers, { q }), '/query/q');
  });

  it('ar_clerk (email visible, taxId hidden) cannot search customers either', async () => {
    expectRefused(await get('/api/v1/customers', w.users.ar.headers, { q: 'DE7770001' }), '/query/q');
  });

  it.each([['a unit price', 'lines.0.unitPrice'], ['a total', 'total'], ['payment terms', 'paymentTerms'], ['a discount', 'lines.0.discount'], ['a tax rate', 'lines.0.taxRate']])(
    'quality searching orders for %s gets no hit (order search covers the number only)',
    async (what, path) => {
      const value = String(path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], w.orders.repA));
      expect(w.priceCanaries.repA).toContain(value);
      const res = await get('/api/v1/orders', w.users.qual.headers, { q: value });
      expect(res.status).not.toBe(400);
      if (res.status === 200) expect(res.body['items']).toEqual([]);
      expectNoCanary(res.text, w.all, `quality order search for ${what}`);
      // The admin gets no hit either: the hidden value is simply not searchable.
      const admin = await get('/api/v1/orders', h.admin, { q: value });
      expect(admin.body['items']).toEqual([]);
    },
  );

  it('a rep may search their own customers (all search fields visible) but finds no other rep\'s record', async () => {
    const own = await get('/api/v1/customers', w.users.repA.headers, { q: 'DE777000111' });
    expect(own.status).toBe(200);
    expect((own.body['items'] as JsonObject[]).map((c) => c['id'])).toEqual([w.customers.repA.id]);
    for (const q of ['DE777000112', '7777002', 'canary.mail2', 'Visible Customer 2']) {
      const other = await get('/api/v1/customers', w.users.repA.headers, { q });
      expect(other.status).toBe(200);
      expect(other.body['items']).toEqual([]);
      expectNoCanary(other.text, w.customerCanaries.repB, `repA search ${q}`);
    }
  });
});

describe('paging oracle: the cursor and the default order', () => {
  function decode(cursor: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  it('a cursor issued to staff carries no value of a field staff cannot see (default sort is updatedAt)', async () => {
    const res = await get('/api/v1/customers', w.users.staff.headers, { limit: '1' });
    expect(res.status).toBe(200);
    const first = (res.body['items'] as JsonObject[])[0] as JsonObject;
    expect(first).not.toHaveProperty('updatedAt');
    const cursor = res.body['nextCursor'] as string;
    expect(cursor).toEqual(expect.any(String));
    const admin = await get(`/api/v1/customers/${String(first['id'])}`, h.admin, {});
    const hiddenUpdatedAt = admin.body['updatedAt'] as string;
    // The cursor is base64url JSON: whatever it holds, the caller can read.
    expect(JSON.stringify(decode(cursor)), 'the cursor reveals the hidden updatedAt').not.toContain(hiddenUpdatedAt);
  });

  it('a forged cursor does not let staff split customers by their hidden updatedAt', async () => {
    // Make the customers' updatedAt differ clearly: touch customer 3 and 4 later.
    await new Promise((r) => setTimeout(r, 20));
    const mid = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    for (const o of ['repC', 'qrep'] as const) {
      const res = await h.api.patch(`/api/v1/customers/${w.customers[o].id}`).set(h.admin).send({ website: `https://touched-${o}.hidden.example` });
      expect(res.status).toBe(200);
    }
    const forged = Buffer.from(JSON.stringify({ s: 'updatedAt', v: mid, i: '' })).toString('base64url');
    const res = await get('/api/v1/customers', w.users.staff.headers, { cursor: forged });
    const after = res.status === 200 ? (res.body['items'] as JsonObject[]).map((c) => c['id']).sort() : null;
    const partition = [w.customers.repC.id, w.customers.qrep.id].sort();
    // Either the cursor is refused, or the answer does not follow the hidden timestamps.
    expect(after, 'a forged cursor partitions customers by their hidden updatedAt').not.toEqual(partition);
  });
});
