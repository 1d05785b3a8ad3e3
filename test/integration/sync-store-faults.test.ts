import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { DeadLetterRepository } from '../../core/store/dead-letters-repository.js';
import { RecordRepository } from '../../core/store/records.js';
import { LinkRepository } from '../../core/store/links-repository.js';
import { ADMIN_PASSWORD, REDIS_URL, deleteRedisPrefix, freshStoreUrl } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { sinkFiles, until } from './sync-fixtures.js';

/**
 * The hub's own store failing during delivery (what a MySQL restart looks like to the driver: an
 * error with the socket code) is not the target's failure: the records wait on the queue, without
 * spending the target's few attempts, and all land once the store is back, with their links, no
 * dead letter, nothing twice; the fault shows in the status and the metrics while it lasts. The
 * fault suite (`npm run faults`) does the same to a real MariaDB it kills and restarts.
 */

const storeDown = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED', errno: -111 });

/** Makes the named repository methods fail like a store that is down while `down()` says so. */
function breakWhile(down: () => boolean, only?: 'deadLetters'): () => void {
  const patched: [object, string, unknown][] = [];
  const patch = (proto: object, method: string) => {
    const original = (proto as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
    patched.push([proto, method, original]);
    (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      if (down()) return Promise.reject(storeDown());
      return original.apply(this, args);
    };
  };
  if (only !== 'deadLetters') {
    patch(LinkRepository.prototype, 'save');
    patch(RecordRepository.prototype, 'getMany');
  }
  patch(DeadLetterRepository.prototype, 'add');
  return () => {
    for (const [proto, method, original] of patched) (proto as Record<string, unknown>)[method] = original;
  };
}

describe.sequential('sync engine: the hub store fails mid-delivery', () => {
  let server: Server;
  let hub: Hub;
  let prefix: string;
  let cleanup: () => Promise<void>;
  const held = new Map<string, number>();
  let refuse = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const records = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: { code: string }[] }).records;
        // Keyed by code, like an upsert by key: a record sent twice is held once, counted twice.
        const results = records.map((r) => {
          if (refuse.has(r.code)) return { error: 'ValidationError', status: 422 };
          held.set(r.code, (held.get(r.code) ?? 0) + 1);
          return { id: r.code };
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const place = await freshStoreUrl('sqlite');
    prefix = `test-${Math.random().toString(36).slice(2)}`;
    cleanup = place.cleanup;
    hub = createHub({
      env: { HUB_DB: place.url, HUB_DATA_DIR: place.dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD },
      logger: pino({ level: 'silent' }),
      redisPrefix: prefix,
      runWorkers: true,
      config: {
        mappings: { dirs: [mappingDir(sinkFiles({ currency: true }))] },
        connectors: { sink: { type: 'http', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000, entities: { customers: { batch: { path: '/batch', idField: 'id' } } } } },
        // Two attempts only: a store fault that spent them would dead-letter everything within a second.
        sync: { relayIntervalMs: 100, targets: { sink: { entities: ['customer'], receiver: 'finance', batchSize: 20, attempts: 2, backoffMs: 100, maxBackoffMs: 400 } } },
      },
    });
    await hub.start();
  });

  afterAll(async () => {
    await hub?.stop();
    await deleteRedisPrefix(prefix);
    await cleanup?.();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('keeps every record through a store outage longer than the retry budget: all land once, linked, no dead letter, the fault visible meanwhile', async () => {
    let down = false;
    const restore = breakWhile(() => down);
    try {
      const ids: string[] = [];
      // Half land before the outage; the rest are changed while the store fails under the workers.
      for (let i = 0; i < 30; i++) ids.push((await hub.records.create('customer', { code: `SO-${i}`, name: `Store Outage ${i}`, currency: 'EUR' })).record.id);
      await until('the first records delivered', () => (held.size >= 30 ? true : undefined));
      // The outage starts between the target's answer and the link save for the next batches.
      for (let i = 30; i < 60; i++) ids.push((await hub.records.create('customer', { code: `SO-${i}`, name: `Store Outage ${i}`, currency: 'EUR' })).record.id);
      down = true;
      for (let i = 0; i < 60; i += 7) await hub.store.transaction(async (tx) => { await hub.records.update('customer', ids[i]!, { name: `Changed ${i}` }, undefined, tx); }).catch(() => undefined);

      // While it lasts: the status says so (stats live in Redis, which is up), and so do the metrics.
      const seen = await until('the fault in the status', async () => {
        const s = (await hub.sync.status()).find((c) => c.id === 'sink');
        const e = s?.entities.find((x) => x.entity === 'customer');
        return e?.lastErrorCode === 'store_unavailable' && (e.counts.deferred ?? 0) > 0 ? s : undefined;
      }, 15_000);
      expect(seen.state).toBe('degraded');
      const app = express().use(hub.router);
      const metrics = (await supertest(app).get('/metrics')).text;
      expect(metrics).toMatch(/hub_sync_records_total\{[^}]*outcome="deferred"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/hub_sync_deferred_records\{[^}]*system="sink"[^}]*\} [1-9]/);
      // Longer than two attempts with 100–400 ms backoff would ever wait.
      await new Promise((r) => setTimeout(r, 3000));
      down = false;

      await until('every record at the target with its link', async () => ((await hub.store.links.count('sink', 'customer')) === 60 && held.size === 60 ? true : undefined), 30_000);
      const letters = await hub.store.deadLetters.list({ target: 'sink' }, 100);
      expect(letters).toEqual([]);
      // Every changed record reached the target in its latest state.
      await until('the changes delivered', async () => {
        const links = await hub.store.links.byHub('sink', 'customer', ids);
        return ids.every((id) => links.get(id)?.outHash) ? true : undefined;
      });
      await until('the status clear again', async () => {
        const e = (await hub.sync.status()).find((c) => c.id === 'sink')?.entities.find((x) => x.entity === 'customer');
        return e?.lastSuccessAt && e.lastErrorAt && e.lastSuccessAt > e.lastErrorAt ? true : undefined;
      });
    } finally {
      restore();
    }
  });

  it('a dead letter that cannot be written while the store is down is written once it is back: the refused record is never dropped', async () => {
    // Only the dead-letter write fails: the delivery reaches the target, which refuses the record.
    let down = true;
    const restore = breakWhile(() => down, 'deadLetters');
    try {
      refuse = new Set(['DL-1']);
      const created = (await hub.records.create('customer', { code: 'DL-1', name: 'Refused Record', currency: 'EUR' })).record;
      await until('the refusal seen and deferred', async () => {
        const e = (await hub.sync.status()).find((c) => c.id === 'sink')?.entities.find((x) => x.entity === 'customer');
        return e?.lastErrorCode === 'store_unavailable' ? true : undefined;
      }, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await hub.store.deadLetters.list({ target: 'sink', state: 'open' }, 10)).toEqual([]);
      down = false;
      const letter = await until('the dead letter', async () => (await hub.store.deadLetters.list({ target: 'sink', state: 'open' }, 10)).find((l) => l.recordId === created.id), 20_000);
      expect(letter).toMatchObject({ errorCode: 'rejected', payload: { code: 'DL-1' } });
    } finally {
      refuse = new Set();
      restore();
    }
  });
});
