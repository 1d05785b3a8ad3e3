import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startMaintenance } from '../../queues/maintenance.js';
import { connectRedis } from '../../core/redis.js';
import { Store } from '../../core/store/store.js';
import { REDIS_URL, deleteRedisPrefix } from '../helpers.js';

const log = pino({ level: 'silent' });

describe('Redis at start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-redis-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts a private redis-server when nothing answers at the local default URL, and stops it with the hub', async () => {
    // Port 1 never has a Redis; treating it as "the local default" exercises the real start path.
    const lines: string[] = [];
    const handle = await connectRedis('redis://127.0.0.1:1', dataDir, { info: (_o, msg) => lines.push(msg) }, 'redis://127.0.0.1:1');
    expect(handle.private).toBe(true);
    expect(handle.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await handle.client.ping()).toBe('PONG');
    expect(lines[0]).toMatch(/started a private redis-server/);
    const url = handle.url;
    await handle.stop();
    await new Promise((r) => setTimeout(r, 300));
    await expect(connectRedis(url, dataDir, { info: () => undefined }, 'redis://elsewhere')).rejects.toThrow(/Redis did not answer/);
  });

  it('uses the Redis that answers', async () => {
    const handle = await connectRedis(REDIS_URL, dataDir, log);
    expect(handle.private).toBe(false);
    await handle.stop();
  });
});

describe('maintenance job on BullMQ', () => {
  it('purges expired sessions and old idempotency records through the job scheduler', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-maint-'));
    const prefix = `test-${randomUUID()}`;
    const store = await Store.open(`sqlite:${join(dataDir, 'hub.sqlite')}`, dataDir);
    const redis = await connectRedis(REDIS_URL, dataDir, log);
    try {
      await store.auth.createSession('expired', 'u1', '2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z');
      await store.auth.createSession('live', 'u1', '2020-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z');
      await store.idempotency.put('admin', 'old', { operation: 'createCustomer', requestHash: 'h', status: 201, response: '{}' }, '2020-01-01T00:00:00.000Z');
      const handle = await startMaintenance(redis.client, prefix, store, log, 200);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await store.auth.session('expired', '2019-01-01T00:00:00.000Z'))) await new Promise((r) => setTimeout(r, 100));
      await handle.close();
      expect(await store.auth.session('expired', '2019-01-01T00:00:00.000Z')).toBeUndefined();
      expect(await store.auth.session('live', '2026-01-01T00:00:00.000Z')).toBeDefined();
      expect(await store.idempotency.get('admin', 'old')).toBeUndefined();
    } finally {
      await redis.stop();
      await store.close();
      await deleteRedisPrefix(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
