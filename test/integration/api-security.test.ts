import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers.js';

describe('authentication, API keys and the audit trail', () => {
  let t: TestHub;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await startTestHub({ config: { auth: { tokenTtlSeconds: 3600, loginThrottle: { maxFailures: 3, windowSeconds: 60 } } } });
    admin = { Authorization: `Bearer ${t.adminToken}` };
  });
  afterAll(async () => t?.close());

  it('refuses requests without a valid bearer credential', async () => {
    expect((await t.api.get('/api/v1/customers')).status).toBe(401);
    const bad = await t.api.get('/api/v1/customers').set('Authorization', 'Bearer hubt_nonsense');
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer');
    expect((await t.api.get('/api/v1/customers').set('Authorization', 'Basic YWRtaW46eA==')).status).toBe(401);
  });

  it('creates users whose password is never returned, and lets them log in and out', async () => {
    const created = await t.api.post('/api/v1/users').set(admin).send({ username: 'rep.anna', displayName: 'Anna Rep', roles: ['sales_rep'], password: 'anna-secret-password' });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('anna-secret-password');
    expect(created.body).not.toHaveProperty('password');
    const token = await t.login('rep.anna', 'anna-secret-password');
    const me = await t.api.get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);
    expect(me.body).toMatchObject({ username: 'rep.anna', roles: ['sales_rep'], type: 'user' });
    // Non-admins cannot administer users.
    expect((await t.api.get('/api/v1/users').set('Authorization', `Bearer ${token}`)).status).toBe(403);
    expect((await t.api.post('/api/v1/auth/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
    expect((await t.api.get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('refuses a user with an unknown role and changes nothing', async () => {
    const res = await t.api.post('/api/v1/users').set(admin).send({ username: 'ghost', displayName: 'Ghost', roles: ['wizard'], password: 'ghost-password-123' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].pointer).toBe('/roles/0');
    const list = await t.api.get('/api/v1/users').query({ q: 'ghost' }).set(admin);
    expect(list.body.items).toEqual([]);
  });

  it('throttles repeated failed logins per user and address with 429, even for the right password', async () => {
    await t.api.post('/api/v1/users').set(admin).send({ username: 'victim', displayName: 'Victim', roles: ['staff'], password: 'victim-password-123' });
    for (let i = 0; i < 3; i++) {
      expect((await t.api.post('/api/v1/auth/login').send({ username: 'victim', password: `wrong-${i}` })).status).toBe(401);
    }
    const blocked = await t.api.post('/api/v1/auth/login').send({ username: 'victim', password: 'victim-password-123' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Other users are not affected.
    expect((await t.api.post('/api/v1/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
  });

  it('counts a login attempt before checking the password, so a parallel burst cannot outrun the throttle', async () => {
    expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'burst', displayName: 'Burst', roles: ['staff'], password: 'burst-password-123' })).status).toBe(201);
    const login = (password: string) => Promise.resolve(t.api.post('/api/v1/auth/login').send({ username: 'burst', password }));
    const wrong = Array.from({ length: 20 }, (_, i) => login(`wrong-guess-${i}`));
    // Once the burst is past the limit (the first 429 is back) the right password comes in, while
    // the first guesses are still in their password check.
    const limitReached = new Promise<void>((resolve) => wrong.forEach((p) => void p.then((r) => r.status === 429 && resolve())));
    await Promise.race([limitReached, Promise.all(wrong)]);
    const right = await login('burst-password-123');
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    // maxFailures is 3: three guesses are checked (401), every other one is refused unchecked.
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.body).not.toHaveProperty('token');
  });

  it('issues API keys whose secret is shown once and stops accepting them when revoked', async () => {
    const created = await t.api.post('/api/v1/api-keys').set(admin).send({ name: 'erp-bridge', roles: ['sales_director'] });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^hubk_/);
    const key = { Authorization: `Bearer ${secret}` };
    expect((await t.api.get('/api/v1/customers').set(key)).status).toBe(200);
    const list = await t.api.get('/api/v1/api-keys').set(admin);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body.items[0]).toMatchObject({ name: 'erp-bridge', prefix: secret.slice(0, 11) });
    expect(list.body.items[0].lastUsedAt).not.toBeNull();
    expect((await t.api.delete(`/api/v1/api-keys/${created.body.id}`).set(admin)).status).toBe(204);
    expect((await t.api.get('/api/v1/customers').set(key)).status).toBe(401);
  });

  it('audits logins and changes with field names but never values, for admins and auditors only', async () => {
    await t.api.post('/api/v1/auth/login').send({ username: 'admin', password: 'not-the-password' });
    const c = await t.api.post('/api/v1/customers').set(admin).send({ code: 'AUD-1', name: 'Secretive Ltd', phone: '+44 20 7946 0991', currency: 'GBP' });
    await t.api.patch(`/api/v1/customers/${c.body.id}`).set(admin).send({ email: 'ceo@secretive.example' });
    await t.api.get(`/api/v1/customers/${c.body.id}`).set(admin);

    const audit = await t.api.get('/api/v1/audit').query({ entity: 'customer', limit: 50 }).set(admin);
    expect(audit.status).toBe(200);
    const actions = audit.body.items.map((r: { action: string }) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['customer.create', 'customer.update', 'customer.read']));
    const create = audit.body.items.find((r: { action: string }) => r.action === 'customer.create');
    expect(create).toMatchObject({ actor: 'admin', actorType: 'user', outcome: 'success', status: 201, recordIds: [c.body.id], fields: ['code', 'currency', 'name', 'phone'] });
    expect(create.sourceIp).toMatch(/127\.0\.0\.1|::1/);
    const update = audit.body.items.find((r: { action: string }) => r.action === 'customer.update');
    expect(update.fields).toEqual(['email']);

    const logins = await t.api.get('/api/v1/audit').query({ action: 'auth.login' }).set(admin);
    const outcomes = logins.body.items.map((r: { outcome: string }) => r.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['success', 'failure']));

    const everything = JSON.stringify((await t.api.get('/api/v1/audit').query({ limit: 500 }).set(admin)).body);
    for (const value of ['Secretive Ltd', '+44 20 7946 0991', 'ceo@secretive.example', 'not-the-password', ADMIN_PASSWORD, 'victim-password-123', 'anna-secret-password']) {
      expect(everything).not.toContain(value);
    }

    const auditorUser = await t.api.post('/api/v1/users').set(admin).send({ username: 'aud', displayName: 'Auditor', roles: ['auditor'], password: 'auditor-password-1' });
    expect(auditorUser.status).toBe(201);
    const auditor = await t.login('aud', 'auditor-password-1');
    expect((await t.api.get('/api/v1/audit').set('Authorization', `Bearer ${auditor}`)).status).toBe(200);
    const rep = await t.login('rep.anna', 'anna-secret-password');
    expect((await t.api.get('/api/v1/audit').set('Authorization', `Bearer ${rep}`)).status).toBe(403);
  });

  it('shows admins the effective policy of a receiver, and no one else', async () => {
    const res = await t.api.get('/api/v1/policies/effective').query({ receiver: 'role:quality' }).set(admin);
    expect(res.status).toBe(200);
    const order = res.body.entities.find((e: { entity: string }) => e.entity === 'order');
    expect(order.rows).toBe('all');
    const decisions = Object.fromEntries(order.fields.map((f: { field: string; action: string }) => [f.field, f.action]));
    expect(decisions).toMatchObject({ deliveryDate: 'allow', 'lines.quantity': 'allow', 'lines.unitPrice': 'deny', total: 'deny', paymentTerms: 'deny' });
    expect(order.write.sort()).toEqual(['deliveryDate', 'status']);
    expect((await t.api.get('/api/v1/policies/effective').query({ receiver: 'role:nobody' }).set(admin)).status).toBe(404);
    expect((await t.api.get('/api/v1/policies/effective').query({ receiver: 'quality' }).set(admin)).status).toBe(400);
    const rep = await t.login('rep.anna', 'anna-secret-password');
    expect((await t.api.get('/api/v1/policies/effective').query({ receiver: 'role:quality' }).set('Authorization', `Bearer ${rep}`)).status).toBe(403);
  });

  it('publishes the spec and offline interactive docs', async () => {
    const spec = await t.api.get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    const docs = await t.api.get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    const init = await t.api.get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('../openapi.json');
    const bundle = await t.api.get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
  });

  it('serves the web UI at / with its CSP and answers /api/v1 with an index of links; unknown API paths are a problem+json 404 naming the path', async () => {
    const root = await t.api.get('/');
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toMatch(/^text\/html/);
    expect(root.headers['content-security-policy']).toContain("script-src 'self'");
    expect(root.headers['x-content-type-options']).toBe('nosniff');
    const script = /<script[^>]*src="\.\/(assets\/[^"]+\.js)"/.exec(root.text)?.[1];
    expect(script).toBeDefined();
    const asset = await t.api.get(`/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    for (const path of ['/api/v1', '/api/v1/']) {
      const index = await t.api.get(path);
      expect(index.status, path).toBe(200);
      expect(index.headers['content-type']).toMatch(/^application\/json/);
      expect(index.body.links).toEqual({ docs: '/docs/', openapi: '/openapi.json', health: '/healthz' });
      expect(index.body.collections).toMatchObject({ customers: '/api/v1/customers', orders: '/api/v1/orders', inventory: '/api/v1/inventory' });
    }
    for (const link of Object.values((await t.api.get('/api/v1')).body.collections as Record<string, string>)) {
      expect((await t.api.get(link).set(admin)).status, link).toBe(200);
    }
    const unknown = await t.api.get('/api/v1/no-such-thing/here').set(admin);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.body.detail).toContain('/api/v1/no-such-thing/here');
    expect(unknown.body.errors).toEqual([{ pointer: '/path', detail: expect.stringContaining('/api/v1/no-such-thing/here') }]);
  });

  it('answers health, readiness and metrics', async () => {
    expect((await t.api.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { store: { ok: true }, redis: { ok: true } } });
    const metrics = await t.api.get('/metrics');
    expect(metrics.text).toMatch(/hub_http_requests_total\{operation="getCustomer",method="GET",status="200"\}/);
  });
});

describe('a hub mounted under a path', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ mountPath: '/crm' });
  });
  afterAll(async () => t?.close());

  it('serves the web UI under its mount point (with the slash its relative links need) and links from its own mount point', async () => {
    const root = await t.api.get('/crm');
    expect(root.status).toBe(301);
    expect(root.headers['location']).toBe('/crm/');
    const page = await t.api.get('/crm/');
    expect(page.status).toBe(200);
    const script = /<script[^>]*src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect((await t.api.get(`/crm/${script}`)).status).toBe(200);
    const login = await t.api.post('/crm/api/v1/auth/session').send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.headers['set-cookie']?.[0]).toMatch(/; Path=\/crm;/);
    const index = await t.api.get('/crm/api/v1/');
    expect(index.status).toBe(200);
    expect(index.body.links.openapi).toBe('/crm/openapi.json');
    expect(index.body.collections.customers).toBe('/crm/api/v1/customers');
    const unknown = await t.api.get('/crm/api/v1/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('/crm/api/v1/nothing');
  });
});

describe('IP restriction', () => {
  let direct: TestHub;
  let proxied: TestHub;

  beforeAll(async () => {
    direct = await startTestHub({ config: { security: { allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'], trustedProxies: [] } }, env: {} }).catch(async (e) => {
      throw e;
    });
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('refuses a request from outside allowedCidrs even with a forged X-Forwarded-For, and audits it', async () => {
    const res = await direct.api.get('/api/v1/customers').set('X-Forwarded-For', '10.1.2.3').set('Authorization', `Bearer ${direct.adminToken}`);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await direct.api.get('/openapi.json').set('X-Forwarded-For', '10.1.2.3')).status).toBe(403);
    // Health probes stay reachable.
    expect((await direct.api.get('/healthz')).status).toBe(200);
    const denied = await direct.hub.store.audit.list({ limit: 10, action: 'access.denied' });
    expect(denied.length).toBeGreaterThan(0);
    expect(denied[0]).toMatchObject({ outcome: 'denied', status: 403 });
    expect(denied[0]?.sourceIp).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    // The test hub's own admin login comes from 127.0.0.1 (the trusted proxy) with no header: allow the proxy's range too.
    proxied = await startTestHub({ config: { security: { allowedCidrs: ['10.0.0.0/8', '127.0.0.1/32', '::1/128'], trustedProxies: ['127.0.0.1', '::1'] } } });
    const auth = { Authorization: `Bearer ${proxied.adminToken}` };
    expect((await proxied.api.get('/api/v1/customers').set(auth).set('X-Forwarded-For', '10.1.2.3')).status).toBe(200);
    const outside = await proxied.api.get('/api/v1/customers').set(auth).set('X-Forwarded-For', '192.0.2.7');
    expect(outside.status).toBe(403);
    // The client is the right-most untrusted hop: a forged left-most entry does not help.
    expect((await proxied.api.get('/api/v1/customers').set(auth).set('X-Forwarded-For', '10.9.9.9, 192.0.2.7')).status).toBe(403);
    const denied = await proxied.hub.store.audit.list({ limit: 10, action: 'access.denied' });
    expect(denied[0]?.sourceIp).toBe('192.0.2.7');
  });
});
