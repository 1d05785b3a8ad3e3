import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startAndWait, stop } from './process.js';

const run = promisify(execFile);
const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;

describe('`hub serve` from the built package', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-serve-'));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz within 30 s, prints the generated admin password once, and serves a spec that lints clean', async () => {
    const started = Date.now();
    const s = await startAndWait(process.execPath, [HUB_BIN, 'serve'], { HUB_PORT: '0', HUB_DATA_DIR: dataDir, HUB_DB: '', HUB_ADMIN_PASSWORD: '', HUB_CONFIG: '', HUB_DEMO: '0' }, /serving on (http:\/\/\S+) /, 30_000);
    child = s.child;
    const base = s.match[1] ?? '';
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(Date.now() - started).toBeLessThan(30_000);
    const password = /generated password: (\S+)/.exec(s.output())?.[1];
    expect(password).toBeTruthy();
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    expect(login.status).toBe(200);
    // Log lines are JSON and never carry the token.
    const { token } = (await login.json()) as { token: string };
    expect(s.output()).not.toContain(token);

    const spec = await (await fetch(`${base}/openapi.json`)).text();
    const file = join(dataDir, `served-${randomUUID()}.json`);
    writeFileSync(file, spec);
    const { stdout } = await run('npx', ['--no-install', 'redocly', 'lint', '--format', 'json', file], { maxBuffer: 16 * 1024 * 1024 });
    expect(JSON.parse(stdout.slice(stdout.indexOf('{'))).totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 90_000);

  it('with HUB_DEMO=1 loads the demo data set, whose users show the permission policy at once', async () => {
    const demoDir = mkdtempSync(join(tmpdir(), 'hub-demo-'));
    const s = await startAndWait(process.execPath, [HUB_BIN, 'serve'], { HUB_PORT: '0', HUB_DATA_DIR: demoDir, HUB_DB: '', HUB_ADMIN_PASSWORD: 'demo-admin-password', HUB_CONFIG: '', HUB_DEMO: '1' }, /serving on (http:\/\/\S+) /, 60_000);
    try {
      const base = s.match[1] ?? '';
      const login = async (username: string, password: string) => {
        const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
        expect(res.status).toBe(200);
        return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
      };
      const get = async (path: string, headers: Record<string, string>) => (await fetch(`${base}${path}`, { headers })).json() as Promise<{ items: Record<string, unknown>[]; nextCursor: string | null; id?: string }>;
      const admin = await login('admin', 'demo-admin-password');
      expect((await get('/api/v1/customers?limit=500', admin)).items.length).toBeGreaterThanOrEqual(250);

      // The demo users show the policy at once: a rep sees only their own customers…
      const anna = await login('rep.anna', 'demo-password-2026');
      const me = (await get('/api/v1/auth/me', anna)) as unknown as { id: string };
      const annas = (await get('/api/v1/customers?limit=500', anna)).items;
      expect(annas.length).toBeGreaterThan(0);
      expect(annas.length).toBeLessThan(250);
      expect(annas.every((c) => c['ownerId'] === me.id)).toBe(true);
      // …the inspector sees orders without prices, the buyer none at all.
      const inspector = await login('inspector', 'demo-password-2026');
      const orders = (await get('/api/v1/orders?limit=20&sort=-orderDate', inspector)).items;
      expect(orders).toHaveLength(20);
      expect(orders.some((o) => 'total' in o || 'paymentTerms' in o)).toBe(false);
      expect(orders[0]?.['deliveryDate'] ?? orders[1]?.['deliveryDate']).toBeTruthy();
      const buyer = await login('buyer', 'demo-password-2026');
      expect((await fetch(`${base}/api/v1/orders`, { headers: buyer })).status).toBe(403);
    } finally {
      await stop(s.child);
      rmSync(demoDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to start with one clear line per configuration problem', async () => {
    const result = await run(process.execPath, [HUB_BIN, 'serve'], { env: { ...process.env, HUB_PORT: 'x', REDIS_URL: 'http://nope', HUB_CONFIG: '' } }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toContain('HUB_PORT: must be an integer port');
    expect((result as { stderr: string }).stderr).toContain('REDIS_URL: must be redis://');
  });

  it('says where it looked for Redis when none answers and it may not start one', async () => {
    const result = await run(process.execPath, [HUB_BIN, 'serve'], { env: { ...process.env, HUB_PORT: '0', HUB_DATA_DIR: dataDir, REDIS_URL: 'redis://127.0.0.1:1', HUB_CONFIG: '' } }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toMatch(/Redis did not answer at redis:\/\/127\.0\.0\.1:1/);
  });
});
