import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createPool, type Pool } from 'mysql2/promise';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, createTestDatabase } from '../helpers.js';
import { FIXTURES, Sink, dumpOnFailure, freePort, kill, mark, procs, sleep, start, timeline, until, useDistSnapshot, type Proc } from '../fixtures/sync/processes.js';

/**
 * The sync engine across real processes: `hub serve --no-workers` (the API) and `hub worker`
 * processes from dist/, sharing a MariaDB hub store and Redis, delivering to a MySQL table and to
 * an HTTP batch endpoint served here. Concurrency (several writers, two workers), a worker killed
 * with deliveries in flight, and an inbound backfill whose worker is killed half-way.
 *
 * The CLI has no Redis key prefix setting (always `hub`), so the processes get a Redis logical
 * database of their own (an empty one among 9–15), flushed before and after. The processes run a
 * snapshot of dist/ (build first: `npm run build`). Child output is kept per test and printed, with
 * a timeline, when a test fails; the timeline is printed at the end in any case.
 */

const ADMIN_PASSWORD = 'sync-processes-admin-pw';
const TARGETS = ['erp_sql', 'crm_http'] as const;
const BACKFILL_ROWS = 20_000;
const PAGE_SIZE = 500;

interface Customer {
  id: string;
  code: string;
  name: string;
  phone: string | null;
  status: string;
  version: number;
}

describe.sequential('sync engine across real processes (API, two workers, MariaDB store, Redis)', () => {
  const sink = new Sink();
  let hubDb: { url: string; drop: () => Promise<void> } | undefined;
  let extDb: { url: string; drop: () => Promise<void> } | undefined;
  let hubPool: Pool;
  let extPool: Pool;
  let redis: Redis;
  let redisUrl = '';
  let dataDir = '';
  let configAll = '';
  let configSourceOnly = '';
  let base = '';
  let token = '';
  let api: Proc | undefined;
  let workers: Proc[] = [];
  let workerCount = 0;
  const queues = new Map<string, Queue>();

  const env = (config: string): Record<string, string> => ({
    HUB_CONFIG: config,
    HUB_DB: hubDb!.url,
    HUB_DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_HOST: '127.0.0.1',
    HUB_DEMO: '0',
    ERP_SQL_URL: extDb!.url,
    SRC_SQL_URL: extDb!.url,
  });
  const startWorker = (config = configAll) => {
    const name = `worker${++workerCount}`;
    return start(name, ['worker'], env(config), /hub: worker running/);
  };

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  /**
   * Failed API writes (status and problem title): the test records each one and asserts at the end
   * that there were none, softly, so the sync guarantees are still checked after an API failure.
   */
  const apiFailures: string[] = [];
  const create = async (body: Record<string, unknown>): Promise<{ id: string }> => {
    for (let attempt = 1; ; attempt++) {
      const res = await call('POST', '/api/v1/customers', body);
      if (res.status === 201) return res.body;
      apiFailures.push(`POST ${String(body['code'])}: ${res.status} ${String(res.body?.title ?? '')} (${String(res.body?.instance ?? '')})`);
      if (attempt >= 5) throw new Error(`create ${String(body['code'])} failed 5 times: ${apiFailures.slice(-5).join('; ')}`);
    }
  };

  const mysqlRows = async (prefix: string) =>
    (await extPool.query('SELECT code, name, phone, status FROM crm_customers WHERE code LIKE ? ORDER BY code', [`${prefix}%`]))[0] as { code: string; name: string; phone: string | null; status: string }[];

  /** Outbox relayed, every delivery queue empty, and neither target changed for `quietMs`. */
  async function quiescence(prefix: string, timeoutMs: number, quietMs = 2000): Promise<void> {
    let lastMysql = '';
    let stableSince = Date.now();
    await until(
      'quiescence',
      async () => {
        const [[{ maxId }]] = (await hubPool.query('SELECT COALESCE(MAX(id), 0) AS maxId FROM hub_outbox')) as unknown as [[{ maxId: number }]];
        const cursor = Number((await redis.get('hub:relay:cursor')) ?? 0);
        let busy = cursor < Number(maxId);
        for (const q of queues.values()) {
          const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
          if (Object.values(c).some((n) => n > 0)) busy = true;
        }
        // The hub's own view: every target's queue empty.
        const status = await call('GET', '/api/v1/sync/connectors');
        if (status.status !== 200) throw new Error(`GET /api/v1/sync/connectors: ${status.status} ${JSON.stringify(status.body)}`);
        for (const c of status.body.items) {
          const q = c.queue as { waiting: number; active: number; delayed: number } | null;
          if (q && q.waiting + q.active + q.delayed > 0) busy = true;
        }
        const snapshot = JSON.stringify(await mysqlRows(prefix));
        if (snapshot !== lastMysql || busy || Date.now() - sink.lastChangeAt < quietMs) {
          lastMysql = snapshot;
          stableSince = Date.now();
          return undefined;
        }
        return Date.now() - stableSince >= quietMs ? true : undefined;
      },
      timeoutMs,
      200,
    );
    mark(`quiescent (${prefix})`);
  }

  const openDeadLetters = async () => (await hubPool.query(`SELECT target, entity, record_id, error_code, error_message FROM hub_dead_letters WHERE state = 'open'`))[0] as Record<string, unknown>[];

  beforeAll(async () => {
    mark('beforeAll');
    // A Redis logical database nobody uses: the CLI always uses the key prefix `hub`.
    const probe = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    let db = -1;
    for (let n = 9; n <= 15 && db < 0; n++) {
      await probe.select(n);
      if ((await probe.dbsize()) === 0 && (await probe.set('sync-processes:claim', randomUUID(), 'EX', 600, 'NX')) === 'OK') db = n;
    }
    probe.disconnect();
    if (db < 0) throw new Error('no empty Redis logical database among 9–15');
    redisUrl = `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`;
    redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    await redis.flushdb();
    await redis.set('sync-processes:claim', 'in use', 'EX', 600);
    for (const t of TARGETS) queues.set(t, new Queue(`deliver.${t}`, { connection: redis, prefix: 'hub' }));

    hubDb = await createTestDatabase();
    extDb = await createTestDatabase();
    hubPool = createPool({ uri: hubDb.url, connectionLimit: 2 });
    extPool = createPool({ uri: extDb.url, connectionLimit: 2 });
    await extPool.query(`CREATE TABLE crm_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, code VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL, phone VARCHAR(40), status VARCHAR(16),
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);
    await extPool.query(`CREATE TABLE src_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL, currency CHAR(3) NOT NULL, status VARCHAR(16),
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);

    const sinkPort = await sink.listen();
    dataDir = mkdtempSync(join(tmpdir(), 'hub-sync-processes-'));
    useDistSnapshot(dataDir);
    const connectors = {
      erp_sql: { type: 'mysql', urlEnv: 'ERP_SQL_URL', tables: { customers: { table: 'crm_customers', key: ['code'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'phone', 'status'] } } },
      crm_http: { type: 'http', baseUrl: `http://127.0.0.1:${sinkPort}`, timeoutMs: 10_000, entities: { customers: { batch: { path: '/batch', idField: 'code', statusField: 'status' } } } },
      src_sql: { type: 'mysql', urlEnv: 'SRC_SQL_URL', tables: { src_customers: { table: 'src_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency', 'status'] } } },
    };
    const target = { entities: ['customer'], batchSize: 50, jobLockSeconds: 2, backoffMs: 100, maxBackoffMs: 2000 };
    const source = { src_sql: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: PAGE_SIZE, jobLockSeconds: 3 } };
    const common = { logging: { level: 'warn' }, mappings: { dirs: [join(FIXTURES, 'mappings')] }, connectors };
    configAll = join(dataDir, 'hub.all.yaml');
    writeFileSync(configAll, toYaml({ ...common, sync: { relayIntervalMs: 100, targets: { erp_sql: { ...target, receiver: 'erpnext' }, crm_http: { ...target, receiver: 'erpnext' } }, sources: source } }));
    // The backfill's workers deliver nowhere: 20,000 ingested customers would otherwise go out to both targets too.
    configSourceOnly = join(dataDir, 'hub.source.yaml');
    writeFileSync(configSourceOnly, toYaml({ ...common, sync: { relayIntervalMs: 100, sources: source } }));

    // The backfill's 20,000 source rows, in multi-row inserts, while the API starts.
    const seeding = (async () => {
      for (let from = 0; from < BACKFILL_ROWS; from += 2000) {
        const values = Array.from({ length: 2000 }, (_, k) => [`BF-${String(from + k).padStart(5, '0')}`, `Backfilled ${from + k}`, 'EUR', (from + k) % 7 === 0 ? 'inactive' : 'active']);
        await extPool.query('INSERT INTO src_customers (customer_no, name, currency, status) VALUES ?', [values]);
      }
    })();
    seeding.catch(() => undefined); // awaited below; not unhandled if the start fails first
    const port = await freePort();
    api = await start('api', ['serve', '--no-workers'], { ...env(configAll), HUB_PORT: String(port) }, /serving on (http:\/\/\S+) /);
    base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    token = ((await login.json()) as { token: string }).token;
    workers = await Promise.all([startWorker(), startWorker()]);
    await seeding;
  }, 90_000);

  afterAll(async () => {
    mark('afterAll');
    // Every child, even after a failure: SIGKILL what does not stop on SIGTERM.
    await Promise.all(procs.map((p) => kill(p, 'SIGTERM').catch(() => p.child.kill('SIGKILL'))));
    for (const q of queues.values()) await q.close().catch(() => undefined);
    await redis?.flushdb().catch(() => undefined);
    redis?.disconnect();
    await hubPool?.end().catch(() => undefined);
    await extPool?.end().catch(() => undefined);
    await hubDb?.drop().catch(() => undefined);
    await extDb?.drop().catch(() => undefined);
    await sink.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.stderr.write(`sync-processes timeline:\n  ${timeline.join('\n  ')}\n`);
  }, 60_000);

  it('concurrent writers through the API, two workers: each target ends with exactly the latest state of every customer, once', async () => {
    dumpOnFailure();
    const started = Date.now();
    const WRITERS = 4;
    const COUNT = 50;
    const codes = Array.from({ length: COUNT }, (_, i) => `S1-${String(i).padStart(3, '0')}`);
    const ids: string[] = [];
    const stats = { creates: 0, patches: 0, preconditionFailed: 0 };
    apiFailures.length = 0;
    const rnd = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;

    // Watches the outbox as the relay does (rows with an id above the last one seen): an id that
    // shows up after a higher one was already visible committed out of id order.
    const outbox = { seen: new Set<number>(), max: 0, late: [] as { id: number; recordId: string; version: number; visibleAfter: number }[], stop: false };
    const [[{ floor }]] = (await hubPool.query('SELECT COALESCE(MAX(id), 0) AS floor FROM hub_outbox')) as unknown as [[{ floor: number }]];
    const watcher = (async () => {
      while (!outbox.stop) {
        const [rows] = (await hubPool.query('SELECT id, record_id, version FROM hub_outbox WHERE id > ? ORDER BY id', [Number(floor)])) as unknown as [{ id: number; record_id: string; version: number }[]];
        const maxBefore = outbox.max;
        for (const r of rows) {
          const id = Number(r.id);
          if (outbox.seen.has(id)) continue;
          outbox.seen.add(id);
          if (id < maxBefore) outbox.late.push({ id, recordId: r.record_id, version: Number(r.version), visibleAfter: maxBefore });
          outbox.max = Math.max(outbox.max, id);
        }
        await sleep(5);
      }
    })();

    try {
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          for (let i = w; i < COUNT; i += WRITERS) {
            ids[i] = (await create({ code: codes[i], name: `Customer ${i}`, currency: 'EUR', phone: `+49 30 ${i}`, status: 'active' })).id;
            stats.creates++;
          }
        }),
      );
      mark('scenario 1: 50 customers created');
      const writeUntil = Date.now() + 5000;
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          let n = 0;
          while (Date.now() < writeUntil) {
            const id = rnd(ids);
            const patch: Record<string, string> = {};
            for (const f of ['name', 'phone', 'status'] as const) {
              if (Math.random() < 0.5) continue;
              patch[f] = f === 'name' ? `Name w${w} #${n++} ${randomUUID().slice(0, 6)}` : f === 'phone' ? `+49 ${Math.floor(Math.random() * 1e9)}` : rnd(['active', 'inactive']);
            }
            if (Object.keys(patch).length === 0) patch['name'] = `Name w${w} #${n++}`;
            const res = await call('PATCH', `/api/v1/customers/${id}`, patch);
            if (res.status === 200) stats.patches++;
            else if (res.status === 412) stats.preconditionFailed++;
            else apiFailures.push(`PATCH: ${res.status} ${String(res.body?.title ?? '')} (${String(res.body?.instance ?? '')})`);
          }
        }),
      );
    } finally {
      await sleep(500);
      outbox.stop = true;
      await watcher;
    }
    mark(`scenario 1: writers done (${JSON.stringify(stats)}; outbox ids seen ${outbox.seen.size}, visible out of id order ${outbox.late.length}; failed API writes: ${JSON.stringify(apiFailures)})`);
    expect(stats.patches).toBeGreaterThan(30);

    await quiescence('S1-', 45_000);
    const latest = new Map<string, Customer>();
    for (const id of ids) {
      const res = await call('GET', `/api/v1/customers/${id}`);
      expect(res.status).toBe(200);
      latest.set(res.body.code, res.body);
    }
    const project = (c: { code: unknown; name: unknown; phone?: unknown; status: unknown }) => ({ code: c.code, name: c.name, phone: c.phone ?? null, status: c.status });
    const expected = [...latest.values()].map(project).sort((a, b) => String(a.code).localeCompare(String(b.code)));

    const rows = await mysqlRows('S1-');
    const received = sink.withPrefix('S1-');
    const lastReceived = [...received.entries()].map(([code, r]) => project({ ...r.last, code } as Customer)).sort((a, b) => String(a.code).localeCompare(String(b.code)));
    // On a mismatch: what the outbox holds for those customers, and whether their last change became visible out of id order.
    const stale = expected.filter((e) => JSON.stringify(rows.find((r) => r.code === e.code) ? project(rows.find((r) => r.code === e.code)!) : null) !== JSON.stringify(e) || JSON.stringify(lastReceived.find((r) => r.code === e.code) ?? null) !== JSON.stringify(e));
    for (const e of stale) {
      const c = latest.get(String(e.code))!;
      const [events] = (await hubPool.query('SELECT id, version, created_at FROM hub_outbox WHERE record_id = ? ORDER BY id', [c.id])) as unknown as [{ id: number; version: number }[]];
      const late = outbox.late.filter((l) => l.recordId === c.id);
      // The delivery jobs that named this customer (kept after completion): were any queued after its last change?
      const jobs = (await queues.get('erp_sql')!.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'], 0, 5000)).filter((j) => j.data.ids.includes(c.id));
      const lastJob = Math.max(0, ...jobs.map((j) => j.timestamp));
      mark(
        `scenario 1: STALE ${String(e.code)} v${c.version} (changed ${String((c as unknown as { updatedAt: string }).updatedAt)}): mysql ${JSON.stringify(rows.find((r) => r.code === e.code))}, http ${JSON.stringify(received.get(String(e.code))?.last)}; ` +
          `outbox [id, version] ${JSON.stringify(events.map((x) => [Number(x.id), Number(x.version)]))}; visible out of id order: ${JSON.stringify(late)}; ` +
          `erp_sql delivery jobs naming it: ${jobs.length}, the last queued ${lastJob ? new Date(lastJob).toISOString() : 'never'}`,
      );
    }

    // MySQL: exactly one row per customer, with the latest state.
    expect(rows.map((r) => r.code)).toEqual(codes);
    expect.soft(rows, 'MySQL target rows vs the latest API state').toEqual(expected);
    // HTTP: one record per customer code, each created once, the last one received equal to the latest state.
    expect([...received.keys()].sort()).toEqual(codes);
    expect([...received.values()].filter((r) => r.creates !== 1)).toEqual([]);
    expect.soft(lastReceived, 'HTTP target records vs the latest API state').toEqual(expected);
    // Ids linked once per target, nothing dead-lettered.
    for (const t of TARGETS) {
      const [links] = (await hubPool.query('SELECT COUNT(*) AS n, COUNT(DISTINCT external_id) AS ext FROM hub_id_links WHERE `system` = ? AND entity = ? AND external_id LIKE ?', [t, 'customer', 'S1-%'])) as unknown as [[{ n: number; ext: number }]];
      expect({ target: t, n: Number(links[0].n), ext: Number(links[0].ext) }).toEqual({ target: t, n: COUNT, ext: COUNT });
    }
    expect(await openDeadLetters()).toEqual([]);
    // Concurrent writes through the API must not fail (a 412 for a lost race is fine; a 500 is not).
    expect.soft(apiFailures, 'API writes that failed under concurrency').toEqual([]);
    mark(`scenario 1 done in ${((Date.now() - started) / 1000).toFixed(1)} s; HTTP receipts ${[...received.values()].reduce((s, r) => s + r.receipts, 0)}`);
  }, 90_000);

  it('a worker SIGKILLed with deliveries in flight: a new worker takes over, every customer lands exactly once per target', async () => {
    dumpOnFailure();
    const started = Date.now();
    const COUNT = 1000;
    const codes = Array.from({ length: COUNT }, (_, i) => `S2-${String(i).padStart(4, '0')}`);
    // The test holds the relay's lease while the customers are written (one relay at a time holds it;
    // the others stand by), so the outbox is then handed over at once, in full batches of 50.
    await redis.set('hub:relay:lease', 'sync-processes-test', 'PX', 120_000);
    await sleep(300);
    let next = 0;
    apiFailures.length = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < COUNT) {
          const i = next++;
          await create({ code: codes[i], name: `Crash ${i}`, currency: 'EUR', phone: `+1 555 ${i}`, status: 'active' });
        }
      }),
    );
    mark('scenario 2: 1000 customers created');
    sink.delayMs = 300;
    const batchesBefore = sink.batches;
    await redis.del('hub:relay:lease');
    // In flight: the sink has taken some batches, far from all.
    await until('deliveries in flight', async () => (sink.batches - batchesBefore >= 3 ? true : undefined), 30_000, 10);
    const atKill = { httpKeys: sink.withPrefix('S2-').size, mysqlRows: (await mysqlRows('S2-')).length };
    await kill(workers[0]!, 'SIGKILL');
    mark(`scenario 2: killed ${workers[0]!.name} at ${JSON.stringify(atKill)}`);
    expect(atKill.httpKeys).toBeLessThan(COUNT);
    workers = [workers[1]!, await startWorker()];

    await quiescence('S2-', 60_000);
    const received = sink.withPrefix('S2-');
    expect(received.size).toBe(COUNT);
    expect([...received.keys()].sort()).toEqual(codes);
    // Each key created once; upserts of the same key again (a redelivery after the kill) are allowed.
    expect([...received.entries()].filter(([, r]) => r.creates !== 1).map(([k]) => k)).toEqual([]);
    const rows = await mysqlRows('S2-');
    expect(rows.length).toBe(COUNT);
    expect(new Set(rows.map((r) => r.code)).size).toBe(COUNT);
    expect(rows.every((r, i) => r.name === `Crash ${Number(r.code.slice(3))}` && r.code === codes[i])).toBe(true);
    for (const t of TARGETS) {
      const [links] = (await hubPool.query('SELECT COUNT(*) AS n, COUNT(DISTINCT hub_id) AS hub FROM hub_id_links WHERE `system` = ? AND entity = ? AND external_id LIKE ?', [t, 'customer', 'S2-%'])) as unknown as [[{ n: number; hub: number }]];
      expect({ target: t, n: Number(links[0].n), hub: Number(links[0].hub) }).toEqual({ target: t, n: COUNT, hub: COUNT });
    }
    expect(await openDeadLetters()).toEqual([]);
    expect.soft(apiFailures, 'API writes that failed under concurrency').toEqual([]);
    const redelivered = [...received.values()].filter((r) => r.receipts > 1).length;
    mark(`scenario 2 done in ${((Date.now() - started) / 1000).toFixed(1)} s; ${redelivered} keys received more than once`);
    sink.delayMs = 0;
  }, 120_000);

  it('a backfill whose worker is SIGKILLed half-way resumes from its checkpoint in another worker', async () => {
    dumpOnFailure();
    const started = Date.now();
    // The delivering workers stop: they read this source too, and would deliver the 20,000 customers.
    await Promise.all(workers.map((w) => kill(w, 'SIGTERM')));
    // A worker that reads the source (and delivers nowhere); the backfill is asked of the API process.
    workers = [await startWorker(configSourceOnly)];
    const asked = await call('POST', '/api/v1/sync/connectors/src_sql/backfill', { entity: 'customer', direction: 'in' });
    expect(asked.status, JSON.stringify(asked.body)).toBeLessThan(300);
    const runId = String(asked.body.id);
    mark(`scenario 3: backfill ${runId} started (${asked.status} ${asked.body.state})`);
    // Progress as the API shows it, sampled alongside.
    const percents: (number | null)[] = [];
    let watching = true;
    const progressWatcher = (async () => {
      while (watching) {
        const r = await call('GET', `/api/v1/sync/runs/${runId}`).catch(() => undefined);
        if (r?.status === 200) percents.push(r.body.progress?.percent ?? null);
        await sleep(500);
      }
    })();
    const readRun = async () => {
      const [rows] = (await hubPool.query('SELECT state, total, done, failed, checkpoint FROM hub_sync_runs WHERE id = ?', [runId])) as unknown as [{ state: string; total: number | null; done: number; failed: number; checkpoint: string | null }[]];
      const r = rows[0]!;
      return { state: r.state, total: r.total === null ? null : Number(r.total), done: Number(r.done), failed: Number(r.failed), checkpoint: r.checkpoint };
    };
    const samples: { t: number; state: string; done: number; total: number | null }[] = [];
    const atKill = await until(
      'the run between 30% and 80%',
      async () => {
        const r = await readRun();
        samples.push({ t: Date.now() - started, state: r.state, done: r.done, total: r.total });
        if (r.state === 'done') throw new Error(`the backfill finished before the kill: ${JSON.stringify(samples.slice(-5))}`);
        return r.total && r.done >= r.total * 0.3 && r.done <= r.total * 0.8 ? r : undefined;
      },
      90_000,
      50,
    );
    await kill(workers[0]!, 'SIGKILL');
    const afterKill = await readRun();
    mark(`scenario 3: killed ${workers[0]!.name} at done ${atKill.done}/${atKill.total} (after the kill: ${afterKill.done})`);
    workers = [await startWorker(configSourceOnly)];

    let resumed = false;
    const final = await until(
      'the run done',
      async () => {
        const r = await readRun();
        samples.push({ t: Date.now() - started, state: r.state, done: r.done, total: r.total });
        if (!resumed && r.done > afterKill.done) {
          resumed = true;
          mark(`scenario 3: resumed (done ${r.done})`);
        }
        return r.state === 'done' || r.state === 'failed' || r.state === 'cancelled' ? r : undefined;
      },
      150_000,
      250,
    );
    watching = false;
    await progressWatcher;
    mark(`scenario 3: run ${final.state} at done ${final.done} (failed ${final.failed}); API percents ${JSON.stringify(percents.filter((p, i) => i === 0 || p !== percents[i - 1]))}`);
    expect(final.state).toBe('done');
    expect(final.failed).toBe(0);
    // The hub holds every source row once.
    const [[count]] = (await hubPool.query(`SELECT COUNT(*) AS n, COUNT(DISTINCT code) AS codes FROM hub_customers WHERE code LIKE 'BF-%' AND deleted_at IS NULL`)) as unknown as [[{ n: number; codes: number }]];
    expect({ n: Number(count.n), codes: Number(count.codes) }).toEqual({ n: BACKFILL_ROWS, codes: BACKFILL_ROWS });
    // Progress was visible: a total from the start, `done` rising in steps.
    expect(atKill.total).toBe(BACKFILL_ROWS);
    const before = samples.filter((s) => s.t <= samples.find((x) => x.done === atKill.done)!.t).map((s) => s.done);
    expect(new Set(before).size).toBeGreaterThanOrEqual(2);
    expect(samples.every((s, i) => i === 0 || s.done >= samples[i - 1]!.done)).toBe(true);
    const shown = percents.filter((p): p is number => p !== null);
    expect(new Set(shown.filter((p) => p > 0 && p < 100)).size).toBeGreaterThanOrEqual(2);
    expect(shown.every((p, i) => i === 0 || p >= shown[i - 1]!)).toBe(true);
    // Resumed from the checkpoint: at most the page in flight at the kill is read again (a restart
    // from 0 would count atKill.done twice).
    expect(final.done).toBeGreaterThanOrEqual(BACKFILL_ROWS);
    expect(final.done).toBeLessThanOrEqual(BACKFILL_ROWS + 2 * PAGE_SIZE);
    expect(atKill.done).toBeGreaterThan(2 * PAGE_SIZE);
    expect(final.done).toBeLessThan(BACKFILL_ROWS + atKill.done);
    mark(`scenario 3 done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 240_000);
});
