/**
 * Logs and audit: after a scenario that reads, writes, refuses and fails on canary-laden records as
 * every role, no canary (stored or sent) and no password appears in the debug log or the audit trail.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { expectNoCanary, seedWorld, startPolicyHub, USER_KEYS, type PolicyHub, type World } from './fixtures.js';

let h: PolicyHub;
let w: World;
const lines: string[] = [];
/** Canary values only ever sent in requests (refused or accepted), never stored by the seed. */
const SENT = ['+49 30 9990001', 'WRONG-PASSWORD-CANARY-1', 'CANARY-SENT-EMAIL@x.example', '98765.123', 'CANARY-SENT-REF-77', '+49 30 6660042', 'NET-CANARY-NEW-9'];

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  // Response validation on: quality's order reads then fail with a 500, which exercises the error log.
  h = await startPolicyHub({ logger: pino({ level: 'debug' }, stream), validateResponses: true });
  w = await seedWorld(h);

  const paths = (o: keyof World['orders']) => [
    '/api/v1/customers',
    `/api/v1/customers/${w.customers[o].id}`,
    '/api/v1/orders?expand=customer',
    `/api/v1/orders/${w.orders[o].id}?expand=customer`,
    '/api/v1/receivables?expand=order,order.customer,customer',
    `/api/v1/receivables/${w.receivables[o].id}?expand=order,order.customer`,
    '/api/v1/payments?expand=receivable,customer',
    `/api/v1/payments/${w.payments[o].id}`,
    '/api/v1/products',
    `/api/v1/products/${w.product.id}`,
    // refused queries
    '/api/v1/customers?q=7777001',
    '/api/v1/customers?sort=status',
    '/api/v1/orders?sort=total',
  ];
  for (const key of USER_KEYS) {
    for (const owner of ['repA', 'repB'] as const) for (const p of paths(owner)) await h.api.get(p).set(w.users[key].headers);
  }
  // Refused and failing writes carrying values.
  await h.api.post('/api/v1/customers').set(w.users.repA.headers).send({ code: 'CUST-2', name: 'Dup', currency: 'EUR', phone: '+49 30 9990001' });
  await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send({ creditLimit: '98765.123' });
  await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.repA.headers).send({ phone: '***7001', email: 'CANARY-SENT-EMAIL@x.example' });
  await h.api.patch(`/api/v1/customers/${w.customers.repA.id}`).set(w.users.ar.headers).send({ phone: '+49 30 6660042' });
  await h.api.patch(`/api/v1/orders/${w.orders.repA.id}`).set(w.users.qual.headers).send({ total: '1.00' });
  await h.api.patch(`/api/v1/customers/${w.customers.repB.id}`).set(w.users.repA.headers).send({ paymentTerms: 'NET-CANARY-NEW-9' });
  await h.api.post('/api/v1/payments').set(w.users.staff.headers).send({ customerId: w.customers.repA.id, date: '2026-11-05', amount: '1.00', currency: 'EUR', reference: 'CANARY-SENT-REF-77' });
  // Accepted writes of protected values.
  await h.api.patch(`/api/v1/orders/${w.orders.repA.id}`).set(w.users.repA.headers).send({ paymentTerms: 'NET-CANARY-NEW-9' });
  await h.api.patch(`/api/v1/customers/${w.customers.repC.id}`).set(h.admin).send({ phone: '+49 30 6660042' });
  // A failed login with a canary password.
  await h.api.post('/api/v1/auth/login').send({ username: 'user.repa', password: 'WRONG-PASSWORD-CANARY-1' });
  await h.api.post('/api/v1/auth/login').send({ username: 'user.repa', password: w.users.repA.password });
});
afterAll(async () => h?.close());

describe('no canary in logs or audit', () => {
  it('the scenario actually produced request logs, including a failed request', () => {
    const text = lines.join('');
    expect(lines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(200);
    expect(text).toContain('"status":403');
    expect(text).toContain('"status":400');
    expect(text).toContain('"status":409');
    expect(text).toContain('"status":422');
  });

  it('the debug log holds no stored or sent canary and no password', () => {
    const text = lines.join('');
    expectNoCanary(text, [...w.all, ...SENT, ...w.passwords], 'the log');
  });

  it('the audit trail holds no stored or sent canary and no password, only field names', async () => {
    const everything: unknown[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: unknown[]; nextCursor: string | null } } = await h.api
        .get('/api/v1/audit')
        .query({ limit: 500, ...(cursor ? { cursor } : {}) })
        .set(h.admin);
      expect(res.status).toBe(200);
      everything.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(everything.length).toBeGreaterThan(200);
    const text = JSON.stringify(everything);
    expectNoCanary(text, [...w.all, ...SENT, ...w.passwords], 'the audit trail');
    // The refused quality write is audited by field name.
    const refused = (everything as { action: string; actor: string; fields: string[]; outcome: string }[]).find((r) => r.action === 'order.update' && r.actor === 'user.qual');
    expect(refused).toMatchObject({ fields: ['total'], outcome: 'denied' });
  });

  it('an auditor sees the same trail, equally free of canaries', async () => {
    const res = await h.api.get('/api/v1/audit').query({ limit: 500 }).set(w.users.auditor.headers);
    expect(res.status).toBe(200);
    expectNoCanary(res.text, [...w.all, ...SENT, ...w.passwords], 'the audit trail (auditor)');
  });
});
