import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../core/auth/auth-service.js';
import { LoginThrottle, type ThrottleRedis } from '../../core/auth/throttle.js';
import { DEFAULT_ROLES } from '../../hub/config/schema.js';
import { DEMO_PASSWORD, seedDemo, type DemoSummary } from '../../core/demo/seed.js';
import { ENTITIES, type RecordKind, type StoredRecord } from '../../core/model/entities.js';
import { RecordService } from '../../core/records/service.js';
import type { ListPosition } from '../../core/store/records.js';
import { Store } from '../../core/store/store.js';

/** Just enough of Redis for the login throttle (which seeding never touches). */
function memoryRedis(): ThrottleRedis {
  const values = new Map<string, number>();
  return {
    // The throttle's one script: count an attempt, answer [count, ms left in the window].
    eval: async (_script, _keys, key) => {
      const n = (values.get(String(key)) ?? 0) + 1;
      values.set(String(key), n);
      return [n, 900_000];
    },
    del: async (key) => (values.delete(key) ? 1 : 0),
  };
}

const KIND_OF: Readonly<Record<keyof DemoSummary, RecordKind>> = {
  teams: 'team', users: 'user', customers: 'customer', contacts: 'contact', products: 'product',
  inventory: 'inventory', orders: 'order', receivables: 'receivable', payments: 'payment',
};

async function all(store: Store, kind: RecordKind): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let after: ListPosition | undefined;
  do {
    const page = await store.records.list(ENTITIES[kind], { limit: 200, ...(after ? { after } : {}) });
    out.push(...page.items);
    after = page.next;
  } while (after);
  return out;
}

const TODAY = '2026-11-01';

describe('demo data seed', () => {
  let dir: string;
  let store: Store;
  let records: RecordService;
  let auth: AuthService;
  let summary: DemoSummary;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-demo-'));
    store = await Store.open('sqlite:' + join(dir, 'hub.sqlite'), dir);
    records = new RecordService(store, { quotaOrderTypes: ['standard', 'repeat'] });
    const throttle = new LoginThrottle(memoryRedis(), 'test:', 5, 900);
    auth = new AuthService(store, records, throttle, { tokenTtlSeconds: 3600, roles: Object.keys(DEFAULT_ROLES) });
    summary = await seedDemo(store, records, auth, { scale: 0.05, today: TODAY });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates some of every kind, and the summary matches the store', async () => {
    for (const [key, kind] of Object.entries(KIND_OF) as [keyof DemoSummary, RecordKind][]) {
      expect(summary[key], key).toBeGreaterThan(0);
      expect(await store.records.count(ENTITIES[kind]), key).toBe(summary[key]);
    }
    expect(summary.teams).toBe(7);
    expect(summary.users).toBe(13); // every role but admin; four reps and two team leads
  });

  it('gives every sales rep customers, and users the demo password', async () => {
    const users = await all(store, 'user');
    const reps = users.filter((u) => Array.isArray(u['roles']) && u['roles'].includes('sales_rep'));
    expect(reps.map((u) => u['username']).sort()).toEqual(['rep.anna', 'rep.ben', 'rep.clara', 'rep.dave']);
    const customers = await all(store, 'customer');
    for (const rep of reps) {
      const owned = customers.filter((c) => c['ownerId'] === rep.id);
      expect(owned.length, String(rep['username'])).toBeGreaterThan(0);
      for (const c of owned) expect(c['teamId']).toBe(rep['teamId']);
    }
    const login = await auth.login('rep.anna', DEMO_PASSWORD, '127.0.0.1');
    expect(login.user['username']).toBe('rep.anna');
  });

  it('writes orders whose totals add up and receivables whose balances add up', async () => {
    const orders = await all(store, 'order');
    for (const o of orders) {
      expect(Number(o['total'])).toBeCloseTo(Number(o['subtotal']) + Number(o['taxTotal']), 2);
      expect(String(o['deliveryDate']) >= String(o['orderDate'])).toBe(true);
    }
    const receivables = await all(store, 'receivable');
    for (const r of receivables) {
      const [amount, paid, balance] = [Number(r['amount']), Number(r['paidAmount']), Number(r['balance'])];
      expect(balance).toBeCloseTo(amount - paid, 2);
      expect(String(r['dueDate']) >= String(r['issueDate'])).toBe(true);
      if (r['status'] === 'paid') expect(paid).toBe(amount);
      if (r['status'] === 'partially_paid') expect(paid > 0 && paid < amount).toBe(true);
      if (r['status'] === 'open') expect(paid).toBe(0);
      // The stored status is the payment state; overdue is a view as of a date, never stored.
      expect(['open', 'partially_paid', 'paid', 'written_off']).toContain(r['status']);
    }
    // As of the seed's day, some unpaid invoices are past due (shown overdue); none was issued after it.
    const owed = receivables.filter((r) => r['status'] === 'open' || r['status'] === 'partially_paid');
    expect(owed.some((r) => String(r['dueDate']) < TODAY)).toBe(true);
    expect(Math.max(...receivables.map((r) => Date.parse(String(r['issueDate']))))).toBeLessThanOrEqual(Date.parse(TODAY));
    const payments = await all(store, 'payment');
    const paidByReceivable = new Map<string, number>();
    for (const p of payments) paidByReceivable.set(String(p['receivableId']), (paidByReceivable.get(String(p['receivableId'])) ?? 0) + Math.round(Number(p['amount']) * 100));
    for (const r of receivables) expect(paidByReceivable.get(r.id) ?? 0).toBe(Math.round(Number(r['paidAmount']) * 100));
  });

  it('does nothing when customers exist', async () => {
    const again = await seedDemo(store, records, auth, { scale: 0.05 });
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
    expect(await store.records.count(ENTITIES.customer)).toBe(summary.customers);
  });
});
