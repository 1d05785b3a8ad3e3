import { createPool, type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES } from '../../core/model/entities.js';
import { createTestDatabase, startTestHub, type TestHub } from '../helpers.js';
import { mappingDir } from './mappings/fixtures.js';
import { customerSourceFiles, sinkFiles, startJsonPeer, until, type JsonPeer } from './sync-fixtures.js';

/**
 * Backfills in one process: inbound from a MySQL table (all, or from a point in time), with
 * progress and cancellation; outbound to an HTTP target under a rate limit that holds across the
 * target's jobs; deletes propagated to a target that allows them.
 */

const FILES = { ...customerSourceFiles('erp'), ...sinkFiles() };

describe.sequential('backfill, rate limit and deletes', () => {
  let t: TestHub;
  let db: { url: string; drop: () => Promise<void> };
  let erp: Pool;
  let peer: JsonPeer;
  const posts: { at: number; codes: string[] }[] = [];
  const deletes: string[] = [];
  const received = new Set<string>();
  const ROWS = 2500;

  beforeAll(async () => {
    peer = await startJsonPeer((req, body, reply) => {
      if (req.method === 'DELETE') {
        deletes.push(decodeURIComponent(req.url!.split('/').pop()!));
        return reply(204);
      }
      const records = (body as { records: { code: string }[] }).records;
      posts.push({ at: Date.now(), codes: records.map((r) => r.code) });
      for (const r of records) received.add(r.code);
      reply(200, { results: records.map((r) => ({ id: r.code })) });
    });
    db = await createTestDatabase();
    erp = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
    await erp.query(`CREATE TABLE erp_customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
      currency CHAR(3), modified_at DATETIME(3) NOT NULL, INDEX (modified_at, id))`);
    // Half the rows in 2025, half in 2026: a backfill "since 2026" reads only the second half.
    for (let i = 0; i < ROWS; i += 500) {
      const values = Array.from({ length: 500 }, (_, k) => {
        const n = i + k;
        return [`B-${String(n).padStart(5, '0')}`, `Backfilled ${n}`, 'EUR', new Date(Date.UTC(n < ROWS / 2 ? 2025 : 2026, 0, 1, 0, 0, n % 60))];
      });
      await erp.query('INSERT INTO erp_customers (customer_no, name, currency, modified_at) VALUES ?', [values]);
    }
    t = await startTestHub({
      workers: true,
      env: { ERP_URL: db.url },
      config: {
        mappings: { dirs: [mappingDir(FILES)] },
        connectors: {
          erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency'] } } },
          sink: { type: 'http', baseUrl: peer.url, entities: { customers: { batch: { path: '/batch', idField: 'id' }, delete: { path: '/customers' } } } },
        },
        sync: {
          relayIntervalMs: 100,
          sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: 200 } },
          targets: { sink: { entities: ['customer'], receiver: 'finance', batchSize: 100, deletes: true } },
        },
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await erp?.end();
    await db?.drop();
    await peer?.close();
  });

  const count = () => t.hub.store.records.count(ENTITIES.customer);

  it('refuses bad requests naming the field', async () => {
    await expect(t.hub.sync.runs.backfill('erp', 'customer', { since: 'last week', by: 'admin' })).rejects.toMatchObject({ status: 422, errors: [{ pointer: '/since' }] });
    await expect(t.hub.sync.runs.backfill('erp', 'order', { direction: 'in', by: 'admin' })).rejects.toMatchObject({ status: 422, errors: [{ pointer: '/entity' }] });
    await expect(t.hub.sync.runs.backfill('nowhere', 'customer', { by: 'admin' })).rejects.toMatchObject({ status: 404 });
    expect(await count()).toBe(0);
  });

  it('backfills from a point in time: only the rows stamped since then, with progress', async () => {
    const run = await t.hub.sync.runs.backfill('erp', 'customer', { since: '2026-01-01T00:00:00Z', by: 'admin' });
    expect(run).toMatchObject({ kind: 'backfill', direction: 'in', state: 'queued', since: '2026-01-01T00:00:00Z' });
    const done = await until('the run to finish', async () => {
      const r = await t.hub.sync.runs.get(run.id);
      return r?.state === 'done' ? r : undefined;
    });
    expect(done.progress).toMatchObject({ done: ROWS / 2, total: ROWS / 2, percent: 100, etaSeconds: 0 });
    expect(done.progress.recordsPerSecond).toBeGreaterThan(0);
    expect(await count()).toBe(ROWS / 2);
  });

  it('backfills everything; what is already in the hub is not duplicated', async () => {
    const run = await t.hub.sync.runs.backfill('erp', 'customer', { by: 'admin' });
    const done = await until('the run to finish', async () => {
      const r = await t.hub.sync.runs.get(run.id);
      return r?.state === 'done' ? r : undefined;
    });
    expect(done.progress.done).toBe(ROWS);
    expect(await count()).toBe(ROWS);
    expect(await t.hub.store.links.count('erp', 'customer')).toBe(ROWS);
    // Everything ingested also went on to the target.
    await until('the sink to receive every customer', () => (received.size === ROWS ? true : undefined));
    const counts = (await t.hub.sync.stats.get('erp', 'customer', 'in')).counts;
    expect(counts.created).toBe(ROWS);
    expect(counts.unchanged).toBe(ROWS / 2);
  });

  it('cancels a run: it stops and stays cancelled', async () => {
    const run = await t.hub.sync.runs.backfill('erp', 'customer', { by: 'admin' });
    const cancelled = await t.hub.sync.runs.cancel(run.id);
    expect(cancelled.state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.hub.sync.runs.get(run.id))?.state).toBe('cancelled');
    await expect(t.hub.sync.runs.cancel(run.id)).rejects.toMatchObject({ status: 409 });
  });

  it('an outbound backfill sends every hub record again without duplicating, and honours the rate limit across jobs', async () => {
    const before = posts.length;
    const run = await t.hub.sync.runs.backfill('sink', 'customer', { direction: 'out', by: 'admin' });
    expect(run.direction).toBe('out');
    await until('the run to finish', async () => ((await t.hub.sync.runs.get(run.id))?.state === 'done' ? true : undefined));
    await until('the queue to drain', async () => ((await t.hub.sync.targets.get('sink')!.depth()).oldestMs === null ? true : undefined));
    // Unchanged since the last delivery: skipped by content hash, nothing re-sent.
    expect(posts.length).toBe(before);
    expect(received.size).toBe(ROWS);
  });

  it('propagates a delete to a target that allows deletes', async () => {
    const [victim] = (await t.hub.store.records.list(ENTITIES.customer, { limit: 1 })).items;
    await t.hub.records.remove('customer', victim!.id, undefined);
    await until('the delete at the target', () => (deletes.includes(String(victim!['code'])) ? true : undefined));
    // The sink sees the delete before the hub reads its answer and drops the link.
    await until('the link dropped', async () => ((await t.hub.store.links.externalIds('sink', 'customer', [victim!.id])).size === 0 ? true : undefined));
  });
});
