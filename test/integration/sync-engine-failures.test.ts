import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { ADMIN_PASSWORD, REDIS_URL, deleteRedisPrefix, freshStoreUrl } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { sinkFiles, until } from './sync-fixtures.js';

/**
 * A failing HTTP target: 429 with Retry-After, 503 storms (the circuit breaker), timeouts and one
 * refused record in a batch; the good records land, the bad one is a dead letter holding the
 * projected payload, and a replay after the fix delivers the record's current state. A canary in
 * a field the target's policy denies reaches no request, dead letter, log line or metric.
 */


type Behaviour = (records: { code: string; name: string }[], n: number) => { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

interface Received {
  at: number;
  status: number;
  codes: string[];
  body: string;
}


const ok: Behaviour = (records) => ({ status: 200, body: { results: records.map((r) => ({ id: r.code })) } });

describe.sequential('sync engine: a failing HTTP target', () => {
  let server: Server;
  let hub: Hub;
  let prefix: string;
  let cleanup: () => Promise<void>;
  let behaviour: Behaviour = ok;
  let requests: Received[] = [];
  const landed = new Map<string, string>();
  const logs: string[] = [];
  const CANARY = 'CANARY-7f3a';

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const records = (JSON.parse(body) as { records: { code: string; name: string }[] }).records;
        const answer = behaviour(records, requests.length);
        requests.push({ at: Date.now(), status: answer.status, codes: records.map((r) => r.code), body });
        if (answer.status === 200) {
          const results = (answer.body as { results: { id?: string; error?: string }[] }).results;
          results.forEach((r, i) => {
            if (r.id) landed.set(records[i]!.code, records[i]!.name);
          });
        }
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
          res.end(JSON.stringify(answer.body ?? { error: 'Unavailable' }));
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const place = await freshStoreUrl('sqlite');
    prefix = `test-${Math.random().toString(36).slice(2)}`;
    cleanup = place.cleanup;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    hub = createHub({
      env: { HUB_DB: place.url, HUB_DATA_DIR: place.dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD },
      logger: pino({ level: 'debug' }, sink),
      redisPrefix: prefix,
      runWorkers: true,
      config: {
        mappings: { dirs: [mappingDir(sinkFiles({ currency: true }))] },
        connectors: { sink: { type: 'http', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 400, entities: { customers: { batch: { path: '/batch', idField: 'id' } } } } },
        sync: { relayIntervalMs: 100, targets: { sink: { entities: ['customer'], receiver: 'finance', batchSize: 50, attempts: 6, backoffMs: 100, maxBackoffMs: 2000, breaker: { failures: 3, cooldownSeconds: 1.5 } } } },
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

  beforeEach(() => {
    requests = [];
    behaviour = ok;
  });

  const create = async (code: string, name: string) =>
    (await hub.records.create('customer', { code, name, currency: 'EUR', phone: `+49 ${CANARY}` })).record;

  it('honours 429 Retry-After, then delivers', async () => {
    behaviour = (records, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : ok(records, n));
    await create('R-1', 'Rate Limited');
    await until('delivery after the 429', () => (landed.has('R-1') ? true : undefined));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries timeouts and 503s with backoff, and delivers once the target answers', async () => {
    behaviour = (records, n) => (n === 0 ? { ...ok(records, n), delayMs: 1500 } : n === 1 ? { status: 503 } : ok(records, n));
    await create('T-1', 'Timed Out');
    await until('delivery after a timeout and a 503', () => (requests.some((r) => r.status === 200 && r.codes.includes('T-1') && r !== requests[0]) ? true : undefined));
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect((await hub.store.deadLetters.list({ state: 'open' }, 10)).filter((l) => l.recordId)).toHaveLength(0);
  });

  it('opens the circuit breaker in a 503 storm, sends nothing while open, probes after the cool-down and closes', async () => {
    let storm = true;
    behaviour = (records) => (storm ? { status: 503 } : ok(records, 0));
    const target = hub.sync.targets.get('sink')!;
    for (let i = 0; i < 3; i++) await create(`S-${i}`, `Storm ${i}`);
    const opened = await until('the breaker to open', async () => ((await target.breaker.status()).state === 'open' ? await target.breaker.status() : undefined));
    expect(opened.retryAt).not.toBeNull();
    const status = await hub.sync.status();
    expect(status.find((s) => s.id === 'sink')).toMatchObject({ state: 'paused', breaker: { state: 'open' } });
    const during = requests.length;
    await new Promise((r) => setTimeout(r, 900));
    // While open (cool-down 1.5 s) no request reaches the target.
    expect(requests.length).toBe(during);
    storm = false;
    await until('all storm records delivered', () => (['S-0', 'S-1', 'S-2'].every((c) => landed.has(c)) ? true : undefined));
    // The sink records a batch before its response reaches the hub; the breaker closes once the hub reads it.
    await until('the breaker to close', async () => ((await target.breaker.status()).state === 'closed' ? true : undefined));
    expect(await target.breaker.status()).toMatchObject({ state: 'closed', failures: 0, retryAt: null });
  });

  it('dead-letters the one record a batch refuses with its projected payload; the others land; replay after the fix delivers the current state', async () => {
    let refuse = true;
    behaviour = (records) => ({
      status: 200,
      body: { results: records.map((r) => (refuse && r.code === 'B-2' ? { error: 'ValidationError', status: 422 } : { id: r.code })) },
    });
    // One transaction: the three records travel in one batch.
    await hub.store.transaction(async (tx) => {
      for (const [code, name] of [['B-1', 'Batch One'], ['B-2', 'Batch Two'], ['B-3', 'Batch Three']]) {
        await hub.records.create('customer', { code: code!, name: name!, currency: 'EUR', phone: `+49 ${CANARY}`, email: `canary.${CANARY.toLowerCase()}@example.com` }, tx);
      }
    });
    const letter = await until('the dead letter', async () => (await hub.store.deadLetters.list({ state: 'open', target: 'sink' }, 10)).find((l) => l.errorCode !== 'retries_exhausted' && (l.payload as { code?: string }).code === 'B-2'));
    expect(landed.has('B-1') && landed.has('B-3')).toBe(true);
    expect(letter.payload).toEqual({ code: 'B-2', name: 'Batch Two', currency: 'EUR' });
    expect(letter.attempts).toBe(1);
    expect(letter.errorMessage).not.toContain('Batch Two');

    // Refused again on a later change: the same open letter is brought up to date, not a second one made.
    await hub.records.update('customer', letter.recordId, { name: 'Batch Two Again' }, undefined);
    await until('the letter updated', async () => ((await hub.store.deadLetters.get(letter.id))?.payload['name'] === 'Batch Two Again' ? true : undefined));
    expect((await hub.store.deadLetters.list({ state: 'open', target: 'sink' }, 10)).filter((l) => l.recordId === letter.recordId)).toHaveLength(1);

    // The fix: the target accepts it now; the replay sends the record's current state.
    refuse = false;
    const replayed = await hub.sync.deadLetters.replay([letter.id], 'admin');
    expect(replayed).toEqual([letter.id]);
    await until('the replayed record', () => (landed.get('B-2') === 'Batch Two Again' ? true : undefined));
    expect((await hub.store.deadLetters.get(letter.id))?.state).toBe('replayed');
    expect(await hub.sync.deadLetters.replay([letter.id], 'admin')).toEqual([]);
  });

  it('settles a dead letter when a later delivery of the same record goes through (nothing left open that has landed)', async () => {
    let refuse = true;
    behaviour = (records) => ({ status: 200, body: { results: records.map((r) => (refuse && r.code === 'L-1' ? { error: 'ValidationError', status: 422 } : { id: r.code })) } });
    const created = await hub.records.create('customer', { code: 'L-1', name: 'Later One', currency: 'EUR' }, undefined);
    const letter = await until('the dead letter', async () => (await hub.store.deadLetters.list({ state: 'open', target: 'sink' }, 50)).find((l) => l.recordId === created.record.id));
    refuse = false;
    await hub.records.update('customer', created.record.id, { name: 'Later One Fixed' }, undefined);
    await until('the later delivery', () => (landed.get('L-1') === 'Later One Fixed' ? true : undefined));
    const settled = await until('the letter settled', async () => {
      const l = await hub.store.deadLetters.get(letter.id);
      return l?.state === 'delivered' ? l : undefined;
    });
    expect(settled).toMatchObject({ state: 'delivered', resolvedBy: 'delivery' });
  });

  it('never lets the canary of a denied field reach the target, a dead letter, a log line or a metric', async () => {
    const all = requests.map((r) => r.body).join('\n');
    expect(all.toLowerCase()).not.toContain(CANARY.toLowerCase());
    const letters = await hub.store.deadLetters.list({}, 1000);
    expect(JSON.stringify(letters)).not.toContain(CANARY);
    expect(logs.join('').toLowerCase()).not.toContain(CANARY.toLowerCase());
    expect(logs.length).toBeGreaterThan(0);
    const app = express();
    app.use(hub.router);
    const metrics = await supertest(app).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('hub_sync_records_total');
    expect(metrics.text).not.toContain(CANARY);
    expect(metrics.text.toLowerCase()).not.toContain(CANARY.toLowerCase());
    const status = await hub.sync.status();
    expect(JSON.stringify(status)).not.toContain(CANARY);
    expect(status[0]?.entities[0]?.counts.delivered).toBeGreaterThan(0);
  });
});
