import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { ADMIN_PASSWORD, REDIS_URL, createTestDatabase, deleteRedisPrefix } from '../helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mappingDir } from './mappings/fixtures.js';
import { sinkFiles } from './sync-fixtures.js';

/**
 * A per-target rate limit holds across every worker: two hubs (as two worker processes would) share
 * the MySQL store and Redis, both deliver to the same target, and the target never sees more upsert
 * calls per window than configured.
 */

const FILES = sinkFiles();

describe('per-target rate limit across workers', () => {
  let server: Server;
  let db: { url: string; drop: () => Promise<void> };
  const hubs: Hub[] = [];
  const dirs: string[] = [];
  const prefix = `test-${randomUUID()}`;
  const hits: number[] = [];
  const codes = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push(Date.now());
        const records = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: { code: string }[] }).records;
        for (const r of records) codes.add(r.code);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: records.map((r) => ({ id: r.code })) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    db = await createTestDatabase();
    const mappings = mappingDir(FILES);
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'hub-rate-'));
      dirs.push(dataDir);
      const hub = createHub({
        env: { HUB_DB: db.url, HUB_DATA_DIR: dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_POLICY_SECRET: 'a-policy-secret-for-tests-only-0123456789' },
        logger: pino({ level: 'silent' }),
        redisPrefix: prefix,
        runWorkers: true,
        config: {
          mappings: { dirs: [mappings] },
          connectors: { sink: { type: 'http', baseUrl: `http://127.0.0.1:${port}`, entities: { customers: { batch: { path: '/batch', idField: 'id' } } } } },
          sync: { relayIntervalMs: 100, targets: { sink: { entities: ['customer'], receiver: 'finance', batchSize: 1, concurrency: 4, rateLimit: { max: 2, perSeconds: 1 } } } },
        },
      });
      await hub.start();
      hubs.push(hub);
    }
  });

  afterAll(async () => {
    for (const h of hubs) await h.stop();
    await deleteRedisPrefix(prefix);
    await db?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('never exceeds 2 upsert calls per second however many workers deliver', async () => {
    const [a] = hubs;
    await a!.store.transaction(async (tx) => {
      for (let i = 0; i < 8; i++) await a!.records.create('customer', { code: `RL-${i}`, name: `Limited ${i}`, currency: 'EUR' }, tx);
    });
    const end = Date.now() + 20_000;
    while (codes.size < 8 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(codes.size).toBe(8);
    hits.sort((x, y) => x - y);
    expect(hits.length).toBe(8);
    // Fixed one-second windows of 2 calls: any 5 calls in a row span more than two windows.
    for (let i = 0; i + 4 < hits.length; i++) expect(hits[i + 4]! - hits[i]!).toBeGreaterThanOrEqual(1000);
    expect(hits[7]! - hits[0]!).toBeGreaterThanOrEqual(2500);
  });
});
