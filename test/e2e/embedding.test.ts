import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_MODULES } from '../../connectors/registry.js';
import { deleteRedisPrefix } from '../helpers.js';
import { startAndWait, stop } from './process.js';

describe('a host express app embeds the built package and serves the hub under its own path', () => {
  let child: ChildProcess | undefined;
  let base = '';
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-embed-'));
  const prefix = `test-${randomUUID()}`;

  beforeAll(async () => {
    const started = await startAndWait(
      process.execPath,
      [new URL('./fixtures/host-app.mjs', import.meta.url).pathname],
      { HUB_DATA_DIR: dataDir, HUB_DB: '', HUB_ADMIN_PASSWORD: 'embedded-admin-pw', TEST_REDIS_PREFIX: prefix, HUB_CONFIG: '' },
      /LISTENING (http:\/\/\S+)/,
    );
    child = started.child;
    base = started.match[1] ?? '';
  }, 60_000);
  afterAll(async () => {
    await stop(child);
    await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API, the spec and the docs under /crm, next to the host routes', async () => {
    expect(await (await fetch(`${base}/host/ping`)).json()).toEqual({ host: 'alive' });
    expect((await fetch(`${base}/crm/healthz`)).status).toBe(200);
    const login = await fetch(`${base}/crm/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'embedded-admin-pw' }) });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const created = await fetch(`${base}/crm/api/v1/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ code: 'EMB-1', name: 'Embedded Customer', currency: 'EUR' }),
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location') ?? '';
    expect(location).toMatch(/^\/crm\/api\/v1\/customers\/[0-9a-f-]{36}$/);
    const read = await fetch(`${base}${location}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await read.json()) as { code: string }).code).toBe('EMB-1');
    const spec = (await (await fetch(`${base}/crm/openapi.json`)).json()) as { servers: { url: string }[] };
    expect(spec.servers).toEqual([{ url: '/crm' }]);
    expect((await fetch(`${base}/crm/docs/`)).status).toBe(200);
    // The host's other paths are not the hub's.
    expect((await fetch(`${base}/api/v1/customers`)).status).toBe(404);
  });

  it('exports the connector contract: the host writes a connector with ConnectorError and sees the registered modules', async () => {
    expect(await (await fetch(`${base}/host/connectors`)).json()).toEqual({
      // The built package's registry is the source's.
      types: CONNECTOR_MODULES.map((m) => m.type),
      error: { connectorError: true, hubError: true, code: 'connector_unreachable', kind: 'retryable' },
    });
    // The hub checks the host's connector like its own.
    const login = await fetch(`${base}/crm/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'embedded-admin-pw' }) });
    const { token } = (await login.json()) as { token: string };
    const check = await fetch(`${base}/crm/api/v1/sync/connectors/host_crm/check`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(check.status).toBe(200);
    expect(await check.json()).toEqual({ ok: false, checkedAt: expect.any(String), error: { code: 'connector_unreachable', message: 'host_crm is down for maintenance' } });
  });
});
