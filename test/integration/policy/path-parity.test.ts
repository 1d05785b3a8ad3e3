/**
 * Path parity: for the same record and caller, GET by id, the list item and the expanded copy all
 * equal what the policy engine itself projects — built independently here from the same policy
 * file and the same secret (given in HUB_POLICY_SECRET, or read from <dataDir>/policy-secret).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityName, JsonObject } from '../../../core/model/entities.js';
import type { PolicyEngine } from '../../../core/policy/engine.js';
import { loadPolicyFile } from '../../../core/policy/load.js';
import { fieldCatalog } from '../../../core/model/spec-catalog.js';
import { loadSpec } from '../../../openapi/app/spec.js';
import {
  POLICY_SECRET,
  createUser,
  defaultPolicyObject,
  listAll,
  receiverOf,
  rolesConfig,
  seedWorld,
  startPolicyHub,
  stored,
  writePolicy,
  type PolicyHub,
  type SeededUser,
  type UserKey,
  type World,
} from './fixtures.js';

const catalog = fieldCatalog(loadSpec().document);
const PLURAL: Record<string, EntityName> = { customers: 'customer', orders: 'order', receivables: 'receivable', payments: 'payment', products: 'product' };

async function expectParity(h: PolicyHub, engine: PolicyEngine, user: SeededUser, plural: string, expand?: string): Promise<number> {
  const entity = PLURAL[plural] as EntityName;
  const receiver = await receiverOf(h, user.token);
  const list = await listAll(h, `/api/v1/${plural}`, user.headers, expand ? { expand } : {});
  for (const item of list) {
    const id = String(item['id']);
    const record = await stored(h, entity, id);
    const fromEngine = engine.project(receiver, entity, record);
    expect(fromEngine, `${user.username} ${entity} ${id}`).toBeDefined();
    const got = await h.api.get(`/api/v1/${plural}/${id}`).query(expand ? { expand } : {}).set(user.headers);
    expect(got.status).toBe(200);
    expect(got.body, `${user.username} list item = GET ${plural}/${id}`).toEqual(item);
    const { customer, order, receivable, ...own } = got.body as JsonObject;
    expect(own, `${user.username} GET ${plural}/${id} = engine.project`).toEqual(fromEngine);
    // Expanded relations are the engine's projection of the related record (or null).
    for (const [rel, relEntity, key] of [['customer', 'customer', 'customerId'], ['order', 'order', 'orderId'], ['receivable', 'receivable', 'receivableId']] as const) {
      if (!(rel in got.body)) continue;
      const relId = record[key];
      const related = typeof relId === 'string' ? await stored(h, relEntity, relId) : undefined;
      const expected = related && fromEngine && (fromEngine as JsonObject)[key] === relId ? (engine.project(receiver, relEntity, related) ?? null) : null;
      const shown = { ...(got.body[rel] as JsonObject | null) } as JsonObject | null;
      // Depth 2 (order.customer…) is compared in expand.test.ts; here depth 1.
      if (shown && typeof shown === 'object') for (const k of ['customer', 'order']) delete shown[k];
      expect(got.body[rel] === null ? null : shown, `${user.username} ${plural}/${id} expanded ${rel}`).toEqual(expected);
    }
  }
  // Records the engine refuses are not in the list, and answer 404 by id.
  return list.length;
}

describe('API = engine (HUB_POLICY_SECRET)', () => {
  let h: PolicyHub;
  let w: World;
  let engine: PolicyEngine;

  beforeAll(async () => {
    // Response validation off: quality's orders (no unitPrice) break the spec's OrderLine (see quality.test.ts).
    h = await startPolicyHub({ validateResponses: true });
    w = await seedWorld(h, { users: ['qual', 'ar', 'lead', 'staff', 'purch'] });
    engine = loadPolicyFile(undefined, catalog, Buffer.from(POLICY_SECRET, 'utf8'));
  });
  afterAll(async () => h?.close());

  const cases: [UserKey, string, string | undefined, number][] = [
    ['repA', 'orders', 'customer', 1],
    ['repA', 'customers', undefined, 1],
    ['repA', 'receivables', 'customer,order,order.customer', 1],
    ['repA', 'payments', 'customer,receivable', 1],
    ['qual', 'orders', 'customer', 4],
    ['qual', 'customers', undefined, 4],
    ['qual', 'products', undefined, 1],
    ['ar', 'customers', undefined, 4],
    ['ar', 'orders', 'customer', 4],
    ['ar', 'receivables', 'order,order.customer,customer', 4],
    ['ar', 'payments', 'receivable,receivable.order,customer', 4],
    ['lead', 'orders', 'customer', 2],
    ['lead', 'customers', undefined, 2],
    ['qrep', 'orders', 'customer', 4],
    ['qrep', 'customers', undefined, 4],
    ['staff', 'customers', undefined, 4],
    ['purch', 'products', undefined, 1],
  ];
  it.each(cases)('%s: %s (expand=%s)', async (key, plural, expand, count) => {
    expect(await expectParity(h, engine, w.users[key], plural, expand)).toBe(count);
  });

  it('records outside the scope are absent from the engine and answer 404', async () => {
    const receiver = await receiverOf(h, w.users.repA.token);
    const other = await stored(h, 'order', w.orders.repB.id);
    expect(engine.project(receiver, 'order', other)).toBeUndefined();
    expect((await h.api.get(`/api/v1/orders/${other.id}`).set(w.users.repA.headers)).status).toBe(404);
  });
});

describe('API = engine, hashed fields, secret from <dataDir>/policy-secret', () => {
  let h: PolicyHub;
  let analyst: SeededUser;
  let policyFile: string;

  beforeAll(async () => {
    const p = defaultPolicyObject();
    // A role that may join on website and industry without reading them (both fit the spec as h1: strings).
    p['roles']['analyst'] = { customer: { rows: 'all', read: { allow: ['code', 'name'], hash: ['website', 'industry'] } } };
    policyFile = writePolicy(p, 'analyst');
    h = await startPolicyHub({ policyFile, config: rolesConfig({ analyst: 'Joins on hashed customer data' }), env: { HUB_POLICY_SECRET: '' }, validateResponses: true });
    analyst = await createUser(h, 'user.analyst', ['analyst'], null);
    for (const n of [1, 2]) {
      const res = await h.api.post('/api/v1/customers').set(h.admin).send({ code: `AN-${n}`, name: `Analysed ${n}`, currency: 'EUR', website: 'https://same-site.hidden.example', industry: `CANARY-IND-${n}` });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => h?.close());

  it('the hashes the API shows are the engine\'s under the generated secret, equal for equal values', async () => {
    const secret = Buffer.from(readFileSync(join(h.dataDir, 'policy-secret'), 'utf8').trim(), 'utf8');
    const engine = loadPolicyFile(policyFile, catalog, secret);
    expect(await expectParity(h, engine, analyst, 'customers')).toBe(2);
    const items = await listAll(h, '/api/v1/customers', analyst.headers, { sort: 'code' });
    expect(items.map((c) => c['website'])).toEqual([items[0]?.['website'], items[0]?.['website']]);
    expect(items[0]?.['website']).toMatch(/^h1:/);
    expect(items[0]?.['industry']).not.toBe(items[1]?.['industry']);
    expect(JSON.stringify(items)).not.toContain('same-site');
    expect(JSON.stringify(items)).not.toContain('CANARY-IND');
    // An engine under another secret does not agree.
    const other = loadPolicyFile(policyFile, catalog, Buffer.from(POLICY_SECRET, 'utf8'));
    const receiver = await receiverOf(h, analyst.token);
    const record = await stored(h, 'customer', String(items[0]?.['id']));
    expect((other.project(receiver, 'customer', record) as JsonObject)['website']).not.toBe(items[0]?.['website']);
  });
});
