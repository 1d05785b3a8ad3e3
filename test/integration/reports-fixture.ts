/**
 * A small sales organisation for the report tests, built through the API as an administrator, with
 * figures chosen so that every expectation in the tests can be added up by hand:
 *
 *   Sales ─┬─ North ── =Key Accounts        (the team name starts with "=": the CSV formula guard)
 *          └─ South
 *
 *   director (sales_director, Sales)   lead (team_lead, North)   anna (sales_rep, North)
 *   clara (sales_rep, Key Accounts)    dave (sales_rep, South)   inspector (quality)
 *   clerk (ar_clerk)   staff (staff)   collector (sees receivables without customer or team)
 *   peeker (sales_rep + a role that sees every receivable's balance masked)
 *
 * Receivables, aged as of 2026-06-30 (issued 2026-01-01):
 *   R1 anna  C1 EUR 100.00            due 07-15   current      100.00
 *   R2 anna  C1 EUR 200.00 paid 50    due 06-10   20 days      150.00
 *   R9 anna  C1 EUR  10.00            due 05-31   30 days       10.00
 *   R3 anna  C4 CHF  80.00            due 04-15   76 days       80.00
 *   R10 anna C3 EUR   5.00            due 07-31   current        5.00  (dave's customer: anna sees no label)
 *   R4 clara C2 EUR 1000.00           due 05-01   60 days     1000.00
 *   R5 clara C2 EUR 300.00 paid 300   due 05-01   paid: left out
 *   R6 dave  C3 EUR 500.00            due 01-31   150 days     500.00
 *   R7 dave  C3 EUR  40.00 written off due 01-01  left out
 *   R8 dave  C3 EUR  60.00            due 06-30   due today: current 60.00
 *
 * Orders (quota types: standard, repeat), June 2026:
 *   O1 anna  C1 EUR standard 100.00  06-05      O2 anna  C1 EUR sample  10.00  06-10
 *   O3 anna  C4 CHF standard  50.00  06-30      O4 clara C2 EUR repeat 1000.00 06-01
 *   O5 clara C2 EUR standard 999.00  06-15 cancelled: left out
 *   O6 dave  C3 EUR special  300.00  06-20      O7 dave C3 EUR standard 200.00 07-01 (outside)
 *   O8 dave  C3 EUR standard   7.00  05-31 (outside)
 */
import { expect } from 'vitest';
import type { ConfigFileInput } from '../../hub/config/schema.js';
import { DEFAULT_ROLES } from '../../hub/config/schema.js';
import type { TestHub } from '../helpers.js';
import { defaultPolicyObject, writePolicy } from './policy/fixtures.js';

export const PASSWORD = 'report-user-password';
export const USERS = ['director', 'lead', 'anna', 'clara', 'dave', 'inspector', 'clerk', 'staff', 'collector', 'peeker'] as const;
export type UserName = (typeof USERS)[number];

export interface World {
  readonly teams: Record<'sales' | 'north' | 'keys' | 'south', string>;
  readonly users: Record<UserName, string>;
  readonly customers: Record<'c1' | 'c2' | 'c3' | 'c4', string>;
  readonly tokens: Record<UserName, Record<string, string>>;
}

/** The hub configuration: the business time zone, and a policy with the two extra roles. */
export function reportConfig(): ConfigFileInput {
  const policy = defaultPolicyObject();
  policy['roles']['collector'] = {
    receivable: { rows: 'all', read: { allow: ['number', 'ownerId', 'issueDate', 'dueDate', 'currency', 'amount', 'paidAmount', 'balance', 'status'] } },
  };
  policy['roles']['peek'] = {
    receivable: { rows: 'all', read: { allow: ['number', 'customerId', 'ownerId', 'teamId', 'issueDate', 'dueDate', 'currency', 'amount', 'paidAmount', 'status'], mask: { balance: 'redact' } } },
  };
  return {
    finance: { timeZone: 'Europe/Berlin' },
    roles: { ...DEFAULT_ROLES, collector: 'Collections (no customer)', peek: 'Sees balances masked' },
    policy: { file: writePolicy(policy, 'reports') },
  };
}

export async function buildWorld(t: TestHub): Promise<World> {
  const admin = { Authorization: `Bearer ${t.adminToken}` };
  const post = async (path: string, body: object): Promise<string> => {
    const res = await t.api.post(path).set(admin).send(body);
    expect(res.status, `${path} ${res.text}`).toBe(201);
    return String(res.body.id);
  };
  const sales = await post('/api/v1/teams', { name: 'Sales' });
  const north = await post('/api/v1/teams', { name: 'North', parentTeamId: sales });
  const keys = await post('/api/v1/teams', { name: '=Key Accounts', parentTeamId: north });
  const south = await post('/api/v1/teams', { name: 'South', parentTeamId: sales });
  const teams = { sales, north, keys, south };
  const user = (username: UserName, displayName: string, roles: string[], teamId?: string) =>
    post('/api/v1/users', { username, displayName, roles, password: PASSWORD, ...(teamId ? { teamId } : {}) });
  const users = {
    director: await user('director', 'Thomas Brandt', ['sales_director'], sales),
    lead: await user('lead', 'Katrin Vogel', ['team_lead'], north),
    anna: await user('anna', 'Anna Keller', ['sales_rep'], north),
    clara: await user('clara', 'Clara Becker', ['sales_rep'], keys),
    dave: await user('dave', 'Dave Miller', ['sales_rep'], south),
    inspector: await user('inspector', 'Petra Lang', ['quality']),
    clerk: await user('clerk', 'Sabine Krüger', ['ar_clerk']),
    staff: await user('staff', 'Lena Fischer', ['staff']),
    collector: await user('collector', 'Carl Collins', ['collector']),
    peeker: await user('peeker', 'Pia Peek', ['sales_rep', 'peek'], north),
  };
  const own = (u: 'anna' | 'clara' | 'dave') => ({ ownerId: users[u], teamId: u === 'anna' ? north : u === 'clara' ? keys : south });
  const customers = {
    c1: await post('/api/v1/customers', { code: 'C-1', name: 'Müller, Maschinenbau "Nord" GmbH', currency: 'EUR', ...own('anna') }),
    c2: await post('/api/v1/customers', { code: 'C-2', name: 'Becker Key AG', currency: 'EUR', ...own('clara') }),
    c3: await post('/api/v1/customers', { code: 'C-3', name: 'Huber Süd KG', currency: 'EUR', ...own('dave') }),
    c4: await post('/api/v1/customers', { code: 'C-4', name: 'Zürich Franken AG', currency: 'CHF', ...own('anna') }),
  };
  const receivable = (number: string, u: 'anna' | 'clara' | 'dave', customer: keyof typeof customers, currency: string, amount: string, dueDate: string, extra: object = {}) =>
    post('/api/v1/receivables', { number, customerId: customers[customer], ...own(u), issueDate: '2026-01-01', dueDate, currency, amount, ...extra });
  await receivable('R1', 'anna', 'c1', 'EUR', '100.00', '2026-07-15');
  await receivable('R2', 'anna', 'c1', 'EUR', '200.00', '2026-06-10', { paidAmount: '50.00' });
  await receivable('R9', 'anna', 'c1', 'EUR', '10.00', '2026-05-31');
  await receivable('R3', 'anna', 'c4', 'CHF', '80.00', '2026-04-15');
  await receivable('R10', 'anna', 'c3', 'EUR', '5.00', '2026-07-31');
  await receivable('R4', 'clara', 'c2', 'EUR', '1000.00', '2026-05-01');
  await receivable('R5', 'clara', 'c2', 'EUR', '300.00', '2026-05-01', { paidAmount: '300.00' });
  await receivable('R6', 'dave', 'c3', 'EUR', '500.00', '2026-01-31');
  await receivable('R7', 'dave', 'c3', 'EUR', '40.00', '2026-01-01', { status: 'written_off' });
  await receivable('R8', 'dave', 'c3', 'EUR', '60.00', '2026-06-30');
  const product = await post('/api/v1/products', { sku: 'P-1', name: 'Pump', currency: 'EUR' });
  const order = (number: string, u: 'anna' | 'clara' | 'dave', customer: keyof typeof customers, currency: string, type: string, total: string, orderDate: string, status = 'confirmed') =>
    post('/api/v1/orders', { number, customerId: customers[customer], ...own(u), type, status, orderDate, currency, lines: [{ productId: product, quantity: '1', unitPrice: total }] });
  await order('O1', 'anna', 'c1', 'EUR', 'standard', '100.00', '2026-06-05');
  await order('O2', 'anna', 'c1', 'EUR', 'sample', '10.00', '2026-06-10');
  await order('O3', 'anna', 'c4', 'CHF', 'standard', '50.00', '2026-06-30');
  await order('O4', 'clara', 'c2', 'EUR', 'repeat', '1000.00', '2026-06-01');
  await order('O5', 'clara', 'c2', 'EUR', 'standard', '999.00', '2026-06-15', 'cancelled');
  await order('O6', 'dave', 'c3', 'EUR', 'special', '300.00', '2026-06-20');
  await order('O7', 'dave', 'c3', 'EUR', 'standard', '200.00', '2026-07-01');
  await order('O8', 'dave', 'c3', 'EUR', 'standard', '7.00', '2026-05-31');
  const tokens = {} as Record<UserName, Record<string, string>>;
  for (const name of USERS) tokens[name] = { Authorization: `Bearer ${await t.login(name, PASSWORD)}` };
  return { teams, users, customers, tokens };
}

type Figures = { currency: string; count: number; buckets: Record<string, string>; total: string };

/** A currency line of the aging, compactly: `EUR 3: 100.00 160.00 0.00 0.00 0.00 = 260.00`. */
export function agingLine(c: Figures): string {
  const b = c.buckets;
  return `${c.currency} ${c.count}: ${b['current']} ${b['d1_30']} ${b['d31_60']} ${b['d61_90']} ${b['over_90']} = ${c.total}`;
}

type Sales = { currency: string; quota: { count: number; total: string }; other: { count: number; total: string } };

/** A currency line of sales performance, compactly: `EUR quota 1/100.00 other 1/10.00`. */
export function salesLine(c: Sales): string {
  return `${c.currency} quota ${c.quota.count}/${c.quota.total} other ${c.other.count}/${c.other.total}`;
}
