import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, deleteRedisPrefix, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, sinkFiles, startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * What an operator sees of a source, and what the hub does by itself when its queues are lost: the
 * lag is how far behind the source the hub may be (small while the source is quiet, not the time
 * since the last change); a backfill that stopped moving shows as stalled and is continued from its
 * checkpoint; when Redis loses the hub's keys (a restart without persistence), polling comes back
 * and changes still arrive at the hub and the target.
 */

describe.sequential('sync recovery and what the status shows', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  let peer: JsonPeer;
  const held = new Map<string, number>();
  let tick = 0;
  const stamp = () => new Date(Date.UTC(2026, 5, 1, 0, 0, 0, ++tick * 10));
  const insert = (no: string, name: string) => erp.query('INSERT INTO erp_customers (customer_no, name, currency, modified_at) VALUES (?, ?, ?, ?)', [no, name, 'EUR', stamp()]);
  const source = async () => (await t.hub.sync.status()).find((c) => c.id === 'erp')!;

  beforeAll(async () => {
    peer = await startJsonPeer((_req, body, reply) => {
      const records = (body as { records: { code: string }[] }).records;
      for (const r of records) held.set(r.code, (held.get(r.code) ?? 0) + 1);
      reply(200, { results: records.map((r) => ({ id: r.code })) });
    });
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
    await erp.query(`CREATE TABLE erp_customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
      currency CHAR(3), modified_at DATETIME(3) NOT NULL, INDEX (modified_at, id))`);
    for (let i = 0; i < 20; i++) await insert(`R-${i}`, `Recovery ${i}`);
    t = await startTestHub({
      workers: true,
      env: { ERP_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir({ ...customerSourceFiles('erp'), ...sinkFiles() })] },
        connectors: {
          erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } },
          sink: { type: 'http', baseUrl: peer.url, entities: { customers: { batch: { path: '/batch', idField: 'id' } } } },
        },
        sync: { relayIntervalMs: 100, sources: { erp: { entities: ['customer'], pollIntervalSeconds: 1 } }, targets: { sink: { entities: ['customer'], receiver: 'finance' } } },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await erp?.end();
    await db?.drop();
    await peer?.close();
  });

  it('shows the lag as how far behind the source the hub may be: small while the source is quiet, not growing', async () => {
    await until('every row at the target', () => (held.size === 20 ? true : undefined));
    const lag = await until('a lag', async () => (await source()).entities.find((e) => e.direction === 'in')?.lagSeconds ?? undefined);
    expect(lag).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 4000));
    const later = (await source()).entities.find((e) => e.direction === 'in')!;
    // Polled every second and caught up each time: still a few seconds at most, four seconds later.
    expect(later.lagSeconds).toBeLessThan(5);
  });

  it('shows a backfill that stopped moving as stalled, and continues it from its checkpoint', async () => {
    const id = randomUUID();
    const long = new Date(Date.now() - 5 * 60_000).toISOString();
    // A run whose chain of jobs was lost (its worker and its queue gone): running, untouched for five minutes.
    await t.hub.store.runs.create({ id, kind: 'backfill', connector: 'erp', entity: 'customer', direction: 'in', since: null, createdBy: 'test', createdAt: long });
    await t.hub.store.runs.update(id, { state: 'running', startedAt: long }, long);
    const seen = await source();
    expect(seen.state).toBe('stalled');
    expect(seen.runs.find((r) => r.id === id)).toMatchObject({ state: 'running', stalled: true });
    const done = await until('the run continued and finished', async () => {
      const r = await t.hub.sync.runs.get(id);
      return r?.state === 'done' ? r : undefined;
    }, 20_000);
    expect(done.done).toBe(20);
    await until('the connector no longer stalled', async () => ((await source()).state !== 'stalled' ? true : undefined));
  });

  it('when Redis loses the hub\'s keys, polling comes back and new changes reach the hub and the target, nothing sent twice', async () => {
    const before = new Map(held);
    await deleteRedisPrefix(t.prefix);
    await insert('R-NEW', 'After The Loss');
    await until('the new row at the target', () => (held.has('R-NEW') ? true : undefined), 30_000);
    const runner = t.hub.sync.sources.get('erp')!;
    expect((await runner.queue.getJobSchedulers()).map((s) => s.key)).toContain('poll:customer');
    // And one ingest at a time per source, as before the loss.
    expect(await runner.queue.getGlobalConcurrency()).toBe(1);
    // The relay handed the outbox over again; the target already had those records: skipped, not resent.
    for (const [code, n] of before) expect(held.get(code)).toBe(n);
    expect(held.get('R-NEW')).toBe(1);
  });
});
