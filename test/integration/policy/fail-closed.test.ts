/**
 * Fail closed: a policy that does not parse or does not check stops createHub with a ConfigError
 * listing every problem (nothing is opened, nothing listens); a policy without a rule for an entity
 * denies that entity outright.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub } from '../../../hub/create-hub.js';
import { ConfigError } from '../../../core/errors.js';
import { ADMIN_PASSWORD, REDIS_URL } from '../../helpers.js';
import {
  POLICY_SECRET,
  createUser,
  defaultPolicyObject,
  defaultPolicyText,
  expectNoCanary,
  headerNames,
  problemShape,
  startPolicyHub,
  writePolicy,
  type PolicyHub,
  type SeededUser,
} from './fixtures.js';

/** createHub with a policy file, in a fresh data dir; returns the error it throws (or fails). */
function createHubError(policyFile: string): { error: ConfigError; dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-policy-fail-'));
  let error: unknown;
  try {
    createHub({
      env: { HUB_DB: `sqlite:${join(dataDir, 'hub.sqlite')}`, HUB_DATA_DIR: dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_POLICY_SECRET: POLICY_SECRET },
      config: { policy: { file: policyFile } },
      logger: pino({ level: 'silent' }),
      redisPrefix: 'test-policy-never-started',
      runWorkers: false,
    });
  } catch (e) {
    error = e;
  }
  expect(error, 'createHub accepted a broken policy').toBeInstanceOf(ConfigError);
  return { error: error as ConfigError, dataDir };
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function expectRefused(policyFile: string, expected: { pointer?: RegExp; detail: RegExp }[]): ConfigError {
  const { error, dataDir } = createHubError(policyFile);
  dirs.push(dataDir);
  expect(error.code).toBe('config_invalid');
  for (const want of expected) {
    expect(error.errors.some((p) => want.detail.test(p.detail) && (!want.pointer || want.pointer.test(p.pointer))), `${JSON.stringify(error.errors)} lacks ${want.detail}`).toBe(true);
  }
  // Nothing was opened: no store file in the data dir.
  expect(existsSync(join(dataDir, 'hub.sqlite'))).toBe(false);
  expect(readdirSync(dataDir).filter((f) => f.startsWith('hub.sqlite'))).toEqual([]);
  return error;
}

describe('a broken policy stops the hub before anything starts', () => {
  it('YAML syntax error', () => {
    const text = defaultPolicyText().replace('roles:\n', 'roles:\n  quality: [unclosed\n');
    // Listed with every other configuration problem: the pointer names the policy file, the detail the YAML error.
    const file = writePolicy(text, 'syntax');
    const error = expectRefused(file, [{ detail: /./ }]);
    expect(error.errors.some((p) => p.pointer === file || p.pointer.includes('policy'))).toBe(true);
  });

  it('duplicate keys (a second, broader rule for the same role) are an error, not last-wins', () => {
    const text = defaultPolicyText().replace('  auditor: {}\n', '  auditor: {}\n  staff:\n    order: { rows: all, read: { allow: [$order.prices] } }\n');
    expectRefused(writePolicy(text, 'dup'), [{ detail: /unique/i }]);
  });

  it('an unknown field name', () => {
    const p = defaultPolicyObject();
    p['roles']['quality']['order']['read']['allow'].push('margin');
    expectRefused(writePolicy(p, 'unknown-field'), [{ pointer: /roles\/quality\/order\/read\/allow/, detail: /order has no field margin/ }]);
  });

  it('an unknown nested field name', () => {
    const p = defaultPolicyObject();
    p['roles']['staff']['customer']['read']['allow'].push('billingAddress.geo');
    expectRefused(writePolicy(p, 'unknown-nested'), [{ detail: /customer has no field billingAddress\.geo/ }]);
  });

  it('an unknown field set', () => {
    const p = defaultPolicyObject();
    p['roles']['staff']['customer']['read']['allow'].push('$customer.everything');
    expectRefused(writePolicy(p, 'unknown-set'), [{ pointer: /roles\/staff\/customer\/read\/allow/, detail: /unknown field set \$customer\.everything/ }]);
  });

  it('a writable field that is not readable in plain form', () => {
    const p = defaultPolicyObject();
    p['roles']['ar_clerk']['customer']['write'] = ['phone'];
    expectRefused(writePolicy(p, 'write-masked'), [{ pointer: /roles\/ar_clerk\/customer\/write/, detail: /phone is writable but not readable in plain form/ }]);
    const q = defaultPolicyObject();
    q['roles']['staff']['customer']['write'] = ['creditLimit'];
    expectRefused(writePolicy(q, 'write-hidden'), [{ detail: /creditLimit is writable but not readable/ }]);
  });

  it.each<[string, (p: Record<string, any>) => void, RegExp]>([
    ['a misspelt entity', (p) => (p['roles']['quality']['orders'] = p['roles']['quality']['order']), /orders/],
    ['an unknown mask kind', (p) => (p['roles']['ar_clerk']['customer']['read']['mask'] = { phone: 'last5' }), /./],
    ['an unknown row scope', (p) => (p['roles']['staff']['customer']['rows'] = 'everyone'), /./],
    ['an unknown top-level key', (p) => (p['defaults'] = { allow: 'all' }), /defaults/],
    ['a where-filter on a role', (p) => (p['roles']['staff']['customer']['rows'] = { where: { field: 'status', in: ['active'] } }), /where-filters are for targets/],
    ['a field given two actions', (p) => (p['roles']['ar_clerk']['customer']['read']['hash'] = ['phone']), /more than one action/],
    ['encrypt without a public key', (p) => (p['targets']['finance']['entities']['customer']['read']['encrypt'] = ['phone']), /publicKey/],
    ['a wrong version', (p) => (p['version'] = 2), /./],
  ])('%s', (_name, change, detail) => {
    const p = defaultPolicyObject();
    change(p);
    expectRefused(writePolicy(p, 'bad'), [{ detail }]);
  });

  it('every problem at once', () => {
    const p = defaultPolicyObject();
    p['roles']['quality']['order']['read']['allow'].push('margin');
    p['roles']['staff']['customer']['read']['allow'].push('$nope');
    p['roles']['staff']['customer']['write'] = ['phone'];
    const error = expectRefused(writePolicy(p, 'many'), [{ detail: /order has no field margin/ }, { detail: /unknown field set \$nope/ }, { detail: /phone is writable but not readable/ }]);
    expect(error.message).toMatch(/3 problems/);
  });

  it('a missing policy file', () => {
    expectRefused(join(tmpdir(), 'no-such-policy-file.yaml'), [{ detail: /ENOENT|no such file/i }]);
  });
});

describe('an entity without a rule is closed', () => {
  let h: PolicyHub;
  let quality: SeededUser;
  let orderId: string;
  let customerId: string;
  const PRICE = '4242.17';

  beforeAll(async () => {
    const p = defaultPolicyObject();
    delete p['roles']['quality']['order'];
    delete p['roles']['quality']['customer'];
    h = await startPolicyHub({ policyFile: writePolicy(p, 'no-order-for-quality'), validateResponses: true });
    quality = await createUser(h, 'closed.quality', ['quality'], null);
    customerId = (await h.api.post('/api/v1/customers').set(h.admin).send({ code: 'CL-1', name: 'Closed', currency: 'EUR', phone: '+49 30 4242001' })).body.id;
    const product = await h.api.post('/api/v1/products').set(h.admin).send({ sku: 'CL-SKU', name: 'Closed', currency: 'EUR' });
    orderId = (
      await h.api
        .post('/api/v1/orders')
        .set(h.admin)
        .send({ number: 'CL-SO', customerId, orderDate: '2026-11-02', currency: 'EUR', lines: [{ productId: product.body.id, quantity: '1', unitPrice: PRICE }] })
    ).body.id;
  });
  afterAll(async () => h?.close());

  it('403 on the list and on any id, existing or not, alike; writes too', async () => {
    const list = await h.api.get('/api/v1/orders').set(quality.headers);
    expect(list.status).toBe(403);
    expect(list.body).not.toHaveProperty('items');
    const existing = await h.api.get(`/api/v1/orders/${orderId}`).set(quality.headers);
    const missing = await h.api.get('/api/v1/orders/no-such-order').set(quality.headers);
    expect(existing.status).toBe(403);
    expect(problemShape(existing as never)).toEqual(problemShape(missing as never));
    expect(headerNames(existing)).toEqual(headerNames(missing));
    const write = await h.api.patch(`/api/v1/orders/${orderId}`).set(quality.headers).send({ status: 'shipped' });
    expect(write.status).toBe(403);
    for (const r of [list, existing, missing, write]) expectNoCanary(r.text, [PRICE, '+49 30 4242001', 'CL-SO'], 'closed entity');
    expect((await h.api.get(`/api/v1/orders/${orderId}`).set(h.admin)).body.status).toBe('draft');
  });

  it('customers closed too, and products (still granted) stay open', async () => {
    expect((await h.api.get(`/api/v1/customers/${customerId}`).set(quality.headers)).status).toBe(403);
    expect((await h.api.get('/api/v1/products').set(quality.headers)).status).toBe(200);
  });
});
