import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from 'mysql2/promise';
import { pino } from 'pino';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFileInput } from '../../hub/config/schema.js';
import { createHub, type Hub } from '../../hub/create-hub.js';
import { REDIS_URL, createTestDatabase, deleteRedisPrefix } from '../helpers.js';
import { FIXTURES, Sink, dumpOnFailure, kill, procs, start, timeline, until, useDistSnapshot } from '../fixtures/sync/processes.js';

/**
 * Two `hub worker` processes on one embedded (SQLite) store: one ingests a backfill while the other
 * delivers and saves id links, both writing the same file. With deferred transactions this failed
 * (SQLITE_BUSY_SNAPSHOT: a transaction that read before the other process committed could not
 * write), and every failed link save re-sent its batch: thousands of duplicates and dead letters.
 * The processes run a snapshot of dist/ (build first: `npm run build`).
 */

const ROWS = 3_000;
const ADMIN_PASSWORD = 'sqlite-processes-admin-pw';

describe.sequential('two worker processes on one SQLite store', () => {
  const sink = new Sink();
  const prefix = `test-sqlite-procs-${randomUUID()}`;
  let src: { url: string; drop: () => Promise<void> } | undefined;
  let pool: Pool | undefined;
  let dataDir = '';
  let hub: Hub | undefined;
  const workerOutput: string[] = [];

  beforeAll(async () => {
    src = await createTestDatabase();
    pool = createPool({ uri: src.url, connectionLimit: 2 });
    await pool.query(`CREATE TABLE src_customers (
      id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_no VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL, currency CHAR(3) NOT NULL, status VARCHAR(16),
      modified_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX (modified_at, id))`);
    for (let from = 0; from < ROWS; from += 1000) {
      const values = Array.from({ length: 1000 }, (_, k) => [`SQ-${String(from + k).padStart(5, '0')}`, `SQLite backfilled ${from + k}`, 'EUR', 'active']);
      await pool.query('INSERT INTO src_customers (customer_no, name, currency, status) VALUES ?', [values]);
    }
    const sinkPort = await sink.listen();
    dataDir = mkdtempSync(join(tmpdir(), 'hub-sqlite-processes-'));
    useDistSnapshot(dataDir);

    const config = {
      logging: { level: 'warn' },
      mappings: { dirs: [join(FIXTURES, 'mappings')] },
      connectors: {
        crm_http: { type: 'http', baseUrl: `http://127.0.0.1:${sinkPort}`, timeoutMs: 10_000, entities: { customers: { batch: { path: '/batch', idField: 'code', statusField: 'status' } } } },
        src_sql: { type: 'mysql', urlEnv: 'SRC_SQL_URL', tables: { src_customers: { table: 'src_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency', 'status'] } } },
      },
      sync: {
        relayIntervalMs: 100,
        targets: { crm_http: { entities: ['customer'], receiver: 'erpnext', batchSize: 100, concurrency: 2 } },
        sources: { src_sql: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: 250 } },
      },
    } satisfies ConfigFileInput;
    const configFile = join(dataDir, 'hub.yaml');
    writeFileSync(configFile, toYaml(config));
    const env = { HUB_CONFIG: configFile, HUB_DATA_DIR: dataDir, REDIS_URL, HUB_REDIS_PREFIX: prefix, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, HUB_DEMO: '0', SRC_SQL_URL: src.url };
    // This process requests the backfill and reads the store; the two workers do the work.
    hub = createHub({ env, config, logger: pino({ level: 'silent' }), redisPrefix: prefix, runWorkers: false, serveApi: false });
    await hub.start();
    for (const name of ['worker1', 'worker2']) {
      const proc = await start(name, ['worker'], env, /hub: worker running/);
      proc.child.stdout!.on('data', (c: Buffer) => workerOutput.push(c.toString()));
      proc.child.stderr!.on('data', (c: Buffer) => workerOutput.push(c.toString()));
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => kill(p, 'SIGTERM').catch(() => p.child.kill('SIGKILL'))));
    await hub?.stop().catch(() => undefined);
    await deleteRedisPrefix(prefix).catch(() => undefined);
    await pool?.end().catch(() => undefined);
    await src?.drop().catch(() => undefined);
    await sink.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    process.stderr.write(`sync-processes-sqlite timeline:\n  ${timeline.join('\n  ')}\n`);
  }, 60_000);

  it('ingest in one process and delivery in the other: every customer lands once, every link is saved, nothing fails', async () => {
    dumpOnFailure();
    const run = await hub!.sync.runs.backfill('src_sql', 'customer', { by: 'test' });
    const done = await until('the backfill run to finish', async () => {
      const r = await hub!.sync.runs.get(run.id);
      if (r?.state === 'failed' || r?.state === 'cancelled') throw new Error(`run ended ${r.state}: ${r.message ?? ''}`);
      return r?.state === 'done' ? r : undefined;
    }, 120_000);
    expect(done).toMatchObject({ done: ROWS, failed: 0 });
    await until('every customer at the target', async () => (sink.withPrefix('SQ-').size === ROWS ? true : undefined), 120_000);
    await until('every delivery link saved', async () => ((await hub!.store.links.count('crm_http', 'customer')) === ROWS ? true : undefined), 30_000);

    expect(await hub!.store.links.count('src_sql', 'customer')).toBe(ROWS);
    expect(await hub!.store.deadLetters.count({ state: 'open' })).toBe(0);
    // Each customer sent once: a failed link save would have sent its batch again.
    const receipts = [...sink.withPrefix('SQ-').values()].reduce((n, r) => n + r.receipts, 0);
    expect(receipts).toBe(ROWS);
    const output = workerOutput.join('');
    expect(output).not.toMatch(/SQLITE_BUSY|delivery job failed|ingest job failed/);
  }, 240_000);
});
