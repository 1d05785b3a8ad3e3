import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../core/demo/seed.js';
import { startTestHub, type TestHub } from '../helpers.js';

interface EntityPermissions { entity: string; read: boolean; rows: string[]; fields: Record<string, string>; write: string[]; create: boolean; delete: boolean }

/** GET /api/v1/auth/me/permissions: what the caller's roles let it do, as clients need it to offer only allowed actions. */
describe('the caller\'s own permissions', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_DEMO: '1' } });
  }, 60_000);
  afterAll(async () => t?.close());

  const permissionsOf = async (username: string): Promise<Record<string, EntityPermissions>> => {
    const token = await t.login(username, DEMO_PASSWORD);
    const res = await t.api.get('/api/v1/auth/me/permissions').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return Object.fromEntries((res.body.entities as EntityPermissions[]).map((e) => [e.entity, e]));
  };

  it('tells the quality inspector it reads orders without prices and may change only delivery date and status', async () => {
    const p = await permissionsOf('inspector');
    expect(p['order']).toMatchObject({ read: true, rows: ['all'], create: false, delete: false });
    expect(p['order']!.write).toEqual(['deliveryDate', 'status']);
    expect(p['order']!.fields['deliveryDate']).toBe('allow');
    for (const hidden of ['total', 'subtotal', 'paymentTerms', 'lines.unitPrice']) expect(p['order']!.fields[hidden]).toBeUndefined();
    expect(p['receivable']).toMatchObject({ read: false, rows: [], fields: {}, write: [], create: false, delete: false });
  });

  it('tells a rep its rows are its own, the buyer that it sees no orders, and the AR clerk that phones are masked', async () => {
    expect((await permissionsOf('rep.anna'))['customer']).toMatchObject({ read: true, rows: ['own'], create: true, delete: false });
    expect((await permissionsOf('buyer'))['order']!.read).toBe(false);
    expect((await permissionsOf('ar.clerk'))['customer']!.fields['phone']).toBe('mask');
  });

  it('answers 401 without a credential', async () => {
    expect((await t.api.get('/api/v1/auth/me/permissions')).status).toBe(401);
  });
});

describe('the web UI session cookie', () => {
  let t: TestHub;
  let base: string;
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_DEMO: '1' }, config: { security: { allowedCidrs: [], trustedProxies: ['127.0.0.1', '::1'] } } });
    // Plain HTTP requests (no client-side cookie jar): each test sends exactly the cookies it names.
    base = (await t.hub.listen(0, '127.0.0.1')).url.replace(/\/$/, '');
  }, 60_000);
  afterAll(async () => t?.close());

  const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
    fetch(`${base}${path}`, { method: init.method ?? 'GET', headers: { 'content-type': 'application/json', ...init.headers }, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const session = async (headers: Record<string, string> = {}) => {
    const res = await call('/api/v1/auth/session', { method: 'POST', headers, body: { username: 'rep.anna', password: DEMO_PASSWORD } });
    expect(res.status).toBe(200);
    return res.headers.getSetCookie();
  };

  it('is Secure when a trusted proxy says the client came over HTTPS, and not otherwise', async () => {
    expect((await session({ 'X-Forwarded-Proto': 'https' }))[0]).toMatch(/; Secure; HttpOnly$/);
    expect((await session())[0]).not.toMatch(/Secure/);
  });

  it('refuses a request carrying two session cookies (one planted beside the user\'s own)', async () => {
    const mine = (await session())[0]!.split(';')[0]!;
    const res = await call('/api/v1/auth/me', { headers: { Cookie: `hub_session=planted; ${mine}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/several session cookies/);
  });

  it('ends the session on POST /auth/logout made with the cookie', async () => {
    const mine = (await session())[0]!.split(';')[0]!;
    expect((await call('/api/v1/auth/me', { headers: { Cookie: mine } })).status).toBe(200);
    expect((await call('/api/v1/auth/logout', { method: 'POST', headers: { Cookie: mine } })).status).toBe(204);
    expect((await call('/api/v1/auth/me', { headers: { Cookie: mine } })).status).toBe(401);
  });

  it('takes a write signed with the cookie from its own origin (default port or not), refuses another, and believes X-Forwarded-Host from a trusted proxy', async () => {
    const mine = (await session())[0]!.split(';')[0]!;
    const write = async (headers: Record<string, string>) =>
      (await call('/api/v1/customers', { method: 'POST', headers: { Cookie: mine, ...headers }, body: { code: `S-${Math.random().toString(36).slice(2, 8)}`, name: 'Origin Test', kind: 'company', status: 'active', currency: 'EUR' } })).status;
    const host = new URL(base).host;
    expect(await write({ Origin: base })).toBe(201);
    expect(await write({ Origin: 'https://evil.example' })).toBe(403);
    // The test's peer is 127.0.0.1, a trusted proxy here: its X-Forwarded-Host names the host the browser used.
    expect(await write({ 'X-Forwarded-Host': 'hub.example:443', Origin: 'https://hub.example' })).toBe(201);
    expect(await write({ 'X-Forwarded-Host': 'hub.example', Origin: `http://${host}` })).toBe(403);
  });
});
