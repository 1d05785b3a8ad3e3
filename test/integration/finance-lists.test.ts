import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessDate } from '../../core/finance/aging.js';
import { ENTITIES } from '../../core/model/entities.js';
import { DEFAULT_ROLES } from '../../hub/config/schema.js';
import { expectDocumented } from '../contract/spec-support.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { defaultPolicyObject, writePolicy } from './policy/fixtures.js';

const TZ = 'Pacific/Kiritimati'; // UTC+14: "today" here is often not today in UTC
const addDays = (date: string, n: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * A receivable's status follows its payments (stored, computed on write) and its due date (a view
 * as of today in the business time zone, on read and in the status filter); the lists finance and
 * sales work with filter by date ranges. Each under the same policy as every other filter.
 */
describe('receivable status and the finance lists', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  let glimpse: Record<string, string>;
  let today: string;
  const ids: Record<string, string> = {};
  let customer: string;

  beforeAll(async () => {
    const policy = defaultPolicyObject();
    // Sees a receivable's status but not its due date.
    policy['roles']['glimpse'] = { receivable: { rows: 'all', read: { allow: ['number', 'status', 'amount', 'paidAmount', 'balance', 'currency'] } }, order: { rows: 'all', read: { allow: ['number', 'status'] } } };
    t = await startTestHub({ config: { finance: { timeZone: TZ }, roles: { ...DEFAULT_ROLES, glimpse: 'Status only' }, policy: { file: writePolicy(policy, 'glimpse') } } });
    admin = { Authorization: `Bearer ${t.adminToken}` };
    expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'glimpse', displayName: 'G', roles: ['glimpse'], password: 'glimpse-password-1' })).status).toBe(201);
    glimpse = { Authorization: `Bearer ${await t.login('glimpse', 'glimpse-password-1')}` };
    today = businessDate(new Date(), TZ);
    customer = (await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-FIN', name: 'Finance AG', currency: 'EUR' })).body.id;
    const receivable = async (name: string, due: number, paid: string, extra: object = {}) => {
      const res = await t.api.post('/api/v1/receivables').set(admin).send({ number: name, customerId: customer, issueDate: addDays(today, -200), dueDate: addDays(today, due), currency: 'EUR', amount: '100.00', paidAmount: paid, ...extra });
      expect(res.status, res.text).toBe(201);
      ids[name] = res.body.id;
    };
    await receivable('A-overdue', -10, '0');
    await receivable('B-overdue-part', -1, '40.00');
    await receivable('C-due-today', 0, '0');
    await receivable('D-part', 5, '40.00');
    await receivable('E-paid', -40, '100.00');
    await receivable('F-written-off', -100, '0', { status: 'written_off' });
    await receivable('G-said-overdue', 20, '0', { status: 'overdue' });
  });
  afterAll(async () => t?.close());

  const numbers = async (query: Record<string, string>, who = admin): Promise<string[]> => {
    const res = await t.api.get('/api/v1/receivables').query({ sort: 'number', ...query }).set(who);
    expectDocumented(res, 'listReceivables', 200);
    return res.body.items.map((r: { number: string }) => r.number);
  };

  it('stores the payment state, whatever was sent, and shows overdue on read when something is owed past the due date', async () => {
    const stored = async (name: string) => (await t.hub.store.records.get(ENTITIES.receivable, ids[name]!))?.['status'];
    expect(await Promise.all(['A-overdue', 'B-overdue-part', 'C-due-today', 'D-part', 'E-paid', 'F-written-off', 'G-said-overdue'].map(stored))).toEqual(['open', 'partially_paid', 'open', 'partially_paid', 'paid', 'written_off', 'open']);
    const shown = Object.fromEntries((await t.api.get('/api/v1/receivables').query({ limit: 50 }).set(admin)).body.items.map((r: { number: string; status: string }) => [r.number, r.status]));
    expect(shown).toEqual({ 'A-overdue': 'overdue', 'B-overdue-part': 'overdue', 'C-due-today': 'open', 'D-part': 'partially_paid', 'E-paid': 'paid', 'F-written-off': 'written_off', 'G-said-overdue': 'open' });
    expect((await t.api.get(`/api/v1/receivables/${ids['A-overdue']}`).set(admin)).body.status).toBe('overdue');
    // The finance target's projection (what leaves the hub for it) carries the stored payment state, not a view of one day.
    const record = await t.hub.store.records.get(ENTITIES.receivable, ids['A-overdue']!);
    expect(t.hub.policy.project({ kind: 'target', roles: ['finance'], userId: null, teamId: null, subtree: new Set() }, 'receivable', record!)?.['status']).toBe('open');
  });

  it('the status filter selects what the reader sees: the overdue view, the not-yet-due open ones, and so on, paging in SQL', async () => {
    expect(await numbers({ status: 'overdue' })).toEqual(['A-overdue', 'B-overdue-part']);
    expect(await numbers({ status: 'open' })).toEqual(['C-due-today', 'G-said-overdue']);
    expect(await numbers({ status: 'partially_paid' })).toEqual(['D-part']);
    expect(await numbers({ status: 'paid' })).toEqual(['E-paid']);
    expect(await numbers({ status: 'written_off' })).toEqual(['F-written-off']);
    const first = await t.api.get('/api/v1/receivables').query({ status: 'overdue', sort: 'dueDate', limit: 1 }).set(admin);
    expect(first.body.items.map((r: { number: string }) => r.number)).toEqual(['A-overdue']);
    const second = await t.api.get('/api/v1/receivables').query({ status: 'overdue', sort: 'dueDate', limit: 1, cursor: first.body.nextCursor }).set(admin);
    expect(second.body).toEqual({ items: [expect.objectContaining({ number: 'B-overdue-part', status: 'overdue' })], nextCursor: null });
  });

  it('a payment moves the stored state; a write-off stays until a write names another status; "paid" with a balance left is refused', async () => {
    const patch = async (name: string, body: object) => t.api.patch(`/api/v1/receivables/${ids[name]}`).set(admin).send(body);
    expect((await patch('B-overdue-part', { paidAmount: '100.00' })).body).toMatchObject({ status: 'paid', balance: '0.00' });
    expect((await patch('F-written-off', { dueDate: addDays(today, -90) })).body.status).toBe('written_off');
    expect((await patch('F-written-off', { status: 'open' })).body.status).toBe('overdue');
    const refused = await patch('A-overdue', { status: 'paid' });
    expectDocumented(refused, 'updateReceivable', 422);
    expect(refused.body.errors).toEqual([{ pointer: '/status', detail: 'cannot be paid while a balance is open' }]);
    // Reverting a payment takes a paid receivable back to open (the stored "paid" is not carried over).
    expect((await patch('E-paid', { paidAmount: '0' })).body.status).toBe('overdue');
    await patch('B-overdue-part', { paidAmount: '40.00' });
    await patch('E-paid', { paidAmount: '100.00' });
    await patch('F-written-off', { status: 'written_off' });
  });

  it('a related receivable brought along by expand shows the same status', async () => {
    const payment = await t.api.post('/api/v1/payments').set(admin).send({ customerId: customer, receivableId: ids['A-overdue'], date: today, amount: '1.00', currency: 'EUR' });
    const res = await t.api.get(`/api/v1/payments/${payment.body.id}`).query({ expand: 'receivable' }).set(admin);
    expect(res.body.receivable.status).toBe('overdue');
    await t.api.delete(`/api/v1/payments/${payment.body.id}`).set(admin);
  });

  it('a reader who may not see the due date sees the payment state, and may filter only by the settled statuses', async () => {
    expect(await numbers({ status: 'paid' }, glimpse)).toEqual(['E-paid']);
    const items = (await t.api.get('/api/v1/receivables').query({ sort: 'number' }).set(glimpse)).body.items as { number: string; status: string }[];
    expect(items.find((r) => r.number === 'A-overdue')?.status).toBe('open');
    for (const status of ['overdue', 'open', 'partially_paid']) {
      const res = await t.api.get('/api/v1/receivables').query({ status }).set(glimpse);
      expectDocumented(res, 'listReceivables', 400);
      expect(res.body.errors).toEqual([{ pointer: '/query/status', detail: 'refers to a field you cannot see in plain form' }]);
    }
    const range = await t.api.get('/api/v1/receivables').query({ dueDateFrom: today }).set(glimpse);
    expectDocumented(range, 'listReceivables', 400);
    expect(range.body.errors).toEqual([{ pointer: '/query/dueDateFrom', detail: 'refers to a field you cannot see in plain form' }]);
    const orders = await t.api.get('/api/v1/orders').query({ orderDateTo: today }).set(glimpse);
    expectDocumented(orders, 'listOrders', 400);
    expect(orders.body.errors[0].pointer).toBe('/query/orderDateTo');
  });

  describe('date ranges, inclusive at both ends', () => {
    beforeAll(async () => {
      const product = (await t.api.post('/api/v1/products').set(admin).send({ sku: 'P-RANGE', name: 'Range', currency: 'EUR' })).body.id;
      for (const [number, orderDate] of [['SO-0301', '2026-03-01'], ['SO-0315', '2026-03-15'], ['SO-0331', '2026-03-31'], ['SO-0401', '2026-04-01']]) {
        expect((await t.api.post('/api/v1/orders').set(admin).send({ number, customerId: customer, orderDate, currency: 'EUR', lines: [{ productId: product, quantity: '1', unitPrice: '1.00' }] })).status).toBe(201);
      }
      for (const date of ['2026-05-01', '2026-05-02', '2026-05-03']) {
        expect((await t.api.post('/api/v1/payments').set(admin).send({ customerId: customer, date, amount: '1.00', currency: 'EUR', reference: `pay ${date}` })).status).toBe(201);
      }
    });

    it('orders by orderDate, receivables by dueDate (beside status), payments by date', async () => {
      const orders = async (q: Record<string, string>) => (await t.api.get('/api/v1/orders').query({ sort: 'orderDate', ...q }).set(admin)).body.items.map((o: { number: string }) => o.number);
      expect(await orders({ orderDateFrom: '2026-03-01', orderDateTo: '2026-03-31' })).toEqual(['SO-0301', 'SO-0315', 'SO-0331']);
      expect(await orders({ orderDateFrom: '2026-03-15' })).toEqual(['SO-0315', 'SO-0331', 'SO-0401']);
      expect(await orders({ orderDateTo: '2026-03-01' })).toEqual(['SO-0301']);
      expect(await orders({ orderDateFrom: '2026-03-02', orderDateTo: '2026-03-02' })).toEqual([]);
      expect(await numbers({ dueDateFrom: addDays(today, -10), dueDateTo: today })).toEqual(['A-overdue', 'B-overdue-part', 'C-due-today']);
      expect(await numbers({ dueDateTo: addDays(today, -10), status: 'overdue' })).toEqual(['A-overdue']);
      const payments = await t.api.get('/api/v1/payments').query({ dateFrom: '2026-05-02', dateTo: '2026-05-03', sort: 'date' }).set(admin);
      expectDocumented(payments, 'listPayments', 200);
      expect(payments.body.items.map((p: { date: string }) => p.date)).toEqual(['2026-05-02', '2026-05-03']);
    });

    it('refuses a date that is no calendar date (400) and a start after the end (422), naming the parameter', async () => {
      const cases: [string, string, Record<string, string>, number, string][] = [
        ['/api/v1/orders', 'listOrders', { orderDateFrom: '2026-02-30' }, 400, '/query/orderDateFrom'],
        ['/api/v1/orders', 'listOrders', { orderDateTo: '03/31/2026' }, 400, '/query/orderDateTo'],
        ['/api/v1/receivables', 'listReceivables', { dueDateFrom: '2026-13-01' }, 400, '/query/dueDateFrom'],
        ['/api/v1/payments', 'listPayments', { dateTo: 'yesterday' }, 400, '/query/dateTo'],
        ['/api/v1/orders', 'listOrders', { orderDateFrom: '2026-04-01', orderDateTo: '2026-03-01' }, 422, '/query/orderDateFrom'],
        ['/api/v1/receivables', 'listReceivables', { dueDateFrom: '2026-04-02', dueDateTo: '2026-04-01' }, 422, '/query/dueDateFrom'],
        ['/api/v1/payments', 'listPayments', { dateFrom: '2026-05-03', dateTo: '2026-05-02' }, 422, '/query/dateFrom'],
      ];
      for (const [path, op, query, status, pointer] of cases) {
        const res = await t.api.get(path).query(query).set(admin);
        expectDocumented(res, op, status);
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(query)).toEqual([pointer]);
      }
    });
  });
});
