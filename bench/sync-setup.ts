/**
 * Shared setup of the sync benchmarks (`backfill`, `incremental`, `memory`): command-line numbers,
 * a fresh MariaDB source database, a local HTTP batch sink, a mapping directory, a hub on a fresh
 * SQLite store and Redis prefix, an RSS sampler, and the backfill measurement itself (raw pipe, then
 * the hub). Replicates what the tests' helpers do (test/helpers.ts, test/integration/mappings/
 * fixtures.ts) so no benchmark imports test code.
 */
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type { RowDataPacket } from 'mysql2/promise';
import { pino } from 'pino';
import type { ConfigFileInput } from '../hub/config/schema.js';
import { createHub, type Hub } from '../hub/create-hub.js';
export * from './sync-util.js';
export * from './sync-peers.js';
import { ADMIN_PASSWORD, REDIS_URL, RssSampler, fmt, mb, processCpuMicros, processRss, sleep, until } from './sync-util.js';
import { measureStoreFloor, type StoreFloor } from './store-floor.js';
import { createDatabase, fillCustomers, startSink, syncMappings, sinkConnector, type SourceDatabase } from './sync-peers.js';
// ---------------------------------------------------------------- hub

export interface BenchHub {
  readonly hub: Hub;
  readonly prefix: string;
  readonly dataDir: string;
  /** The hub processes started from the built CLI (`hub worker` ×N or one `hub serve`); empty when the workers run in this process. */
  readonly processes: readonly ChildProcess[];
  /** The API of the `hub serve` process, when one was asked for. */
  readonly apiUrl: string | null;
  close(): Promise<void>;
}

/** Deletes every Redis key under `prefix:` (SCAN + DEL). */
export async function deleteRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export interface BenchHubOptions {
  /**
   * Where the workers run. 0 (default): in this process (createHub runWorkers). N > 0: in N `hub worker`
   * processes. 'serve': in one `hub serve` process (API and workers, as a one-process deployment runs).
   * Processes come from the built CLI (dist/) and share this process's store and Redis prefix; this
   * process then only requests and watches.
   */
  readonly workers?: number | 'serve';
  /** Build the API (its router and validators) in this process for `hub.listen`; default true. */
  readonly api?: boolean;
}

/**
 * Starts a hub on a fresh SQLite store (`<HUB_DATA_DIR>/hub.sqlite`, HUB_DB unset) and a fresh Redis
 * prefix, silent logger; its workers in this process or in processes of their own (`options.workers`).
 * `close()` stops it all and removes its data directory and keys.
 */
export async function startBenchHub(config: ConfigFileInput, env: Record<string, string> = {}, options: BenchHubOptions = {}): Promise<BenchHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
  const prefix = `bench-${randomUUID()}`;
  const workers = options.workers ?? 0;
  const hubEnv = { HUB_DATA_DIR: dataDir, REDIS_URL, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env };
  const hub = createHub({
    env: hubEnv,
    config,
    logger: pino({ level: process.env['HUB_BENCH_LOG'] ?? 'silent' }),
    redisPrefix: prefix,
    runWorkers: workers === 0,
    serveApi: options.api ?? true,
  });
  const processes: ChildProcess[] = [];
  let apiUrl: string | null = null;
  const stopProcesses = async () => {
    await Promise.all(processes.map((w) => (w.exitCode !== null || w.signalCode !== null ? undefined : new Promise<void>((r) => (w.once('exit', () => r()), w.kill('SIGTERM'))))));
  };
  try {
    await hub.start();
    if (workers !== 0) {
      // JSON is YAML: the hub processes read the same configuration from a file.
      const configFile = join(dataDir, 'hub.config.yaml');
      writeFileSync(configFile, JSON.stringify({ ...config, logging: { level: 'warn' } }));
      const bin = fileURLToPath(new URL('../dist/hub/cli/hub.js', import.meta.url));
      if (!existsSync(bin)) throw new Error(`hub processes need the built CLI (${bin}): run npm run build first`);
      const childEnv = { ...process.env, ...hubEnv, HUB_CONFIG: configFile, HUB_REDIS_PREFIX: prefix, HUB_HOST: '127.0.0.1', HUB_PORT: '0' };
      if (workers === 'serve') {
        const started = await startHubProcess(bin, ['serve'], childEnv, /serving on (http:\/\/\S+) /);
        processes.push(started.child);
        apiUrl = started.match[1]!;
      } else {
        for (let i = 0; i < workers; i++) processes.push((await startHubProcess(bin, ['worker'], childEnv, /worker running/)).child);
      }
    }
  } catch (error) {
    await stopProcesses();
    await hub.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    await deleteRedisPrefix(prefix).catch(() => 0);
    throw error;
  }
  return {
    hub,
    prefix,
    dataDir,
    processes,
    apiUrl,
    close: async () => {
      await stopProcesses();
      await hub.stop();
      await deleteRedisPrefix(prefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Writes whole lines to stderr, each with `prefix`, from chunks that may split lines. */
function linePrefixer(prefix: string): (text: string) => void {
  let pending = '';
  return (text) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line !== '') process.stderr.write(`${prefix}${line}\n`);
  };
}

/** Starts a hub CLI command and resolves once its stderr matches `ready`; its other output goes to this process's stderr. */
function startHubProcess(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  // HUB_BENCH_NODE_ARGS: extra Node options for the hub processes only (say --cpu-prof --cpu-prof-dir=/tmp/prof).
  const nodeArgs = (process.env['HUB_BENCH_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const echo = linePrefixer(`  [hub ${args[0]}] `);
  child.stdout!.on('data', (chunk: Buffer) => echo(chunk.toString()));
  return new Promise((resolve, reject) => {
    let seen = '';
    let isReady = false;
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`hub ${args.join(' ')} did not start within 60 s`))), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (isReady) return echo(text);
      seen += text;
      const match = ready.exec(seen);
      if (match) {
        isReady = true;
        clearTimeout(timer);
        resolve({ child, match });
      } else echo(text);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!isReady) reject(new Error(`hub ${args.join(' ')} exited (code ${code}) before it was ready`));
    });
  });
}

export interface BackfillOptions {
  readonly records: number;
  /** Rows per multi-row INSERT while filling the source table. */
  readonly insertBatch: number;
  /** Source page, sink batch and delivery batch size. */
  readonly page?: number;
  /** Skip the raw pipe (the memory bench measures the hub only, unless asked). */
  readonly raw?: boolean;
  /** Most time the hub may take (ms). */
  readonly timeoutMs?: number;
  /** Worker processes (`hub worker`); 0 (the default): the workers run in this process. */
  readonly workers?: number;
  /** Measure the store floor after the hub run (default: when the raw pipe runs). */
  readonly floor?: boolean;
  readonly log?: (line: string) => void;
}

export interface BackfillResult {
  readonly records: number;
  readonly fillSeconds: number;
  readonly raw: { readonly seconds: number; readonly recordsPerSecond: number; readonly peakRssMb: number; readonly cpuMicrosPerRecord: number } | null;
  readonly hub: {
    readonly seconds: number;
    /** Time until the run was done (read and ingested); delivery may still be going on. */
    readonly ingestSeconds: number;
    readonly recordsPerSecond: number;
    readonly ingestRecordsPerSecond: number;
    /** CPU time of this process (all threads) per record: less sensitive than wall time to a busy machine. */
    readonly cpuMicrosPerRecord: number;
    readonly peakRssMb: number;
    readonly peakHeapMb: number;
    /** Worker processes' RSS summed, peak (0 when the workers ran in this process). */
    readonly workersPeakRssMb: number;
    readonly workers: number;
    /** RSS with the hub started, just before the backfill request. */
    readonly startRssMb: number;
    readonly received: number;
    readonly distinct: number;
    readonly duplicates: number;
    readonly requests: number;
    readonly runState: string;
    readonly runDone: number;
    readonly runFailed: number;
    readonly links: number;
    readonly deadLetters: number;
  };
  readonly startRssMb: number;
  readonly ratio: number | null;
  /** The store's own statements for these records, nothing else (see store-floor.ts); null when not measured. */
  readonly floor: StoreFloor | null;
  /** The same on a MariaDB store (the multi-process deployment's). */
  readonly mysqlFloor: StoreFloor | null;
}

interface RawRow extends RowDataPacket {
  id: number;
  customer_no: string;
  name: string;
  currency: string;
  email: string | null;
  modified_at: Date;
}

/**
 * The baseline: keyset-page the source table and POST each page to the sink, one after the other,
 * with fetch. The same work the hub does minus the hub (no store, outbox, queues, links).
 */
async function rawPipe(db: SourceDatabase, sinkUrl: string, page: number): Promise<number> {
  let after: { m: Date; id: number } | undefined;
  let sent = 0;
  const cols = 'id, customer_no, name, currency, email, modified_at';
  for (;;) {
    const [rows] = after
      ? // The keyset condition in the form the hub's SQL connector writes (connectors/sql/dialect.ts): MariaDB
        // turns it into an index range; a row comparison `(modified_at, id) > (?, ?)` it does not, and
        // every page would scan the table from the start (quadratic: 5,400 records/s at 100,000 rows).
        await db.pool.query<RawRow[]>(`SELECT ${cols} FROM erp_customers WHERE modified_at >= ? AND (modified_at > ? OR (modified_at = ? AND id > ?)) ORDER BY modified_at, id LIMIT ${page}`, [after.m, after.m, after.m, after.id])
      : await db.pool.query<RawRow[]>(`SELECT ${cols} FROM erp_customers ORDER BY modified_at, id LIMIT ${page}`);
    if (rows.length === 0) break;
    const records = rows.map((r) => ({ customer_no: r.customer_no, name: r.name, currency: r.currency, email: r.email }));
    const res = await fetch(`${sinkUrl}/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    if (!res.ok) throw new Error(`sink answered ${res.status}`);
    const body = (await res.json()) as { results: unknown[] };
    if (body.results.length !== records.length) throw new Error('sink answered a short result list');
    sent += rows.length;
    const last = rows[rows.length - 1]!;
    after = { m: last.modified_at, id: last.id };
    if (rows.length < page) break;
  }
  return sent;
}

/**
 * Fills a fresh source table with `records` customers, runs the raw pipe (if asked), then a hub
 * backfill from the table into the hub and on to the sink, timed from the backfill request until
 * the run is done and the sink has every record. Cleans up everything it made.
 */
export async function measureBackfill(options: BackfillOptions): Promise<BackfillResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.records;
  const page = options.page ?? 500;
  const rss = new RssSampler(200);
  const startRssMb = mb(rss.peak);
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    const db = await createDatabase();
    cleanups.push(() => db.drop());
    const sink = await startSink();
    cleanups.push(() => sink.close());

    let t0 = performance.now();
    let lastReport = t0;
    await fillCustomers(db, n, options.insertBatch, (done) => {
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        log(`  … filled ${fmt(done)} of ${fmt(n)} rows (${fmt(done / ((now - t0) / 1000))} rows/s)`);
      }
    });
    const fillSeconds = (performance.now() - t0) / 1000;
    log(`  source: ${fmt(n)} rows in erp_customers (${db.name}), filled in ${fmt(fillSeconds, 1)} s with INSERTs of ${fmt(options.insertBatch)} rows`);

    let raw: BackfillResult['raw'] = null;
    if (options.raw !== false) {
      sink.reset(n);
      rss.reset();
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const sent = await rawPipe(db, sink.url, page);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (sent !== n || sink.distinct !== n) throw new Error(`raw pipe: sent ${sent}, sink has ${sink.distinct} distinct of ${n}`);
      raw = { seconds, recordsPerSecond: n / seconds, peakRssMb: mb(rss.peak), cpuMicrosPerRecord: (cpu.user + cpu.system) / n };
      log(`  raw pipe (keyset page ${page} → fetch POST ${page}, sequential): ${fmt(n)} records in ${fmt(seconds, 2)} s = ${fmt(raw.recordsPerSecond)} records/s; this process's CPU ${fmt(raw.cpuMicrosPerRecord, 1)} µs per record (RSS peak ${raw.peakRssMb} MB)`);
    }

    const files = syncMappings({ erp: true });
    cleanups.push(() => files.cleanup());
    const config: ConfigFileInput = {
      mappings: { dirs: [files.dir] },
      // The default ownership gives email to the hub alone; the ERP is the master of these customers.
      ownership: { fields: { customer: { email: ['hub', 'erp'] } } },
      connectors: {
        erp: { type: 'mysql', urlEnv: 'ERP_URL', tables: { customers: { table: 'erp_customers', key: ['customer_no'], watermark: 'modified_at', tieBreaker: 'id', columns: ['name', 'currency', 'email'] } } },
        sink: sinkConnector(sink.url, page),
      },
      sync: {
        sources: { erp: { entities: ['customer'], pollIntervalSeconds: 0, pageSize: page } },
        targets: { sink: { entities: ['customer'], receiver: 'erpnext', batchSize: page, concurrency: 2 } },
      },
    };
    const bench = await startBenchHub(config, { ERP_URL: db.url }, { workers: options.workers ?? 0, api: false });
    cleanups.push(() => bench.close());
    const { hub } = bench;
    sink.reset(n);
    await sleep(200);
    rss.reset();
    const hubStartRssMb = mb(rss.peak);

    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const workersCpu0 = bench.processes.map((w) => processCpuMicros(w.pid!));
    let workersRssPeak = 0;
    const sampleWorkers = () => {
      const total = bench.processes.reduce((sum, w) => sum + processRss(w.pid!), 0);
      if (total > workersRssPeak) workersRssPeak = total;
      return total;
    };
    const started = await hub.sync.runs.backfill('erp', 'customer', { direction: 'in', by: 'bench' });
    let ingestSeconds = 0;
    let run = started;
    let lastLog = t0;
    const timeoutMs = options.timeoutMs ?? Math.max(120_000, n * 2);
    await until(
      'the backfill to reach the sink',
      async () => {
        const now = performance.now();
        sampleWorkers();
        if (ingestSeconds === 0) {
          run = (await hub.sync.runs.get(started.id)) ?? run;
          if (run.state === 'done') ingestSeconds = (now - t0) / 1000;
          else if (run.state === 'failed' || run.state === 'cancelled') throw new Error(`the backfill run ended ${run.state}: ${run.message ?? ''}`);
        }
        if (now - lastLog > 10_000) {
          lastLog = now;
          log(`  … ${fmt((now - t0) / 1000, 0)} s: ingested ${fmt(run.done)}, sink has ${fmt(sink.distinct)} (RSS ${mb(rss.sample())} MB)`);
        }
        return ingestSeconds > 0 && sink.distinct >= n;
      },
      timeoutMs,
      100,
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const workersCpu = bench.processes.reduce((sum, w, i) => sum + processCpuMicros(w.pid!) - workersCpu0[i]!, 0);
    // The hub's CPU: this process's, plus its worker processes' when they run apart.
    const cpuMicrosPerRecord = (cpu.user + cpu.system + workersCpu) / n;
    const peakRssMb = mb(rss.peak);
    const workersPeakRssMb = mb(workersRssPeak);
    const peakHeapMb = mb(rss.heapPeak);
    run = (await hub.sync.runs.get(started.id)) ?? run;
    // Let the last batches save their id links before counting them.
    await sleep(300);
    const linksBySystem = countLinks(bench.dataDir);
    const linkCount = (linksBySystem['erp'] ?? 0) + (linksBySystem['sink'] ?? 0);
    const deadLetters = (await hub.sync.deadLetters.list({}, 1000)).length;
    const result: BackfillResult['hub'] = {
      seconds,
      ingestSeconds,
      recordsPerSecond: n / seconds,
      ingestRecordsPerSecond: n / ingestSeconds,
      cpuMicrosPerRecord,
      peakRssMb,
      peakHeapMb,
      workersPeakRssMb,
      workers: bench.processes.length,
      startRssMb: hubStartRssMb,
      received: sink.received,
      distinct: sink.distinct,
      duplicates: sink.duplicates,
      requests: sink.requests,
      runState: run.state,
      runDone: run.done,
      runFailed: run.failed,
      links: linkCount,
      deadLetters,
    };
    log(
      `  hub backfill (MariaDB → ingest → store + id links → outbox → relay → delivery → sink + id links): ${fmt(n)} records in ${fmt(seconds, 2)} s = ${fmt(result.recordsPerSecond)} records/s end to end; CPU ${fmt(cpuMicrosPerRecord, 1)} µs per record (${bench.processes.length > 0 ? `this process and ${bench.processes.length} worker process${bench.processes.length > 1 ? 'es' : ''}` : "this process, the workers in it"})`,
    );
    log(`    run done after ${fmt(ingestSeconds, 2)} s (${fmt(result.ingestRecordsPerSecond)} records/s read + ingested); sink: ${fmt(sink.received)} records in ${fmt(sink.requests)} requests, ${fmt(sink.duplicates)} duplicates; id links: erp ${fmt(linksBySystem['erp'] ?? 0)}, sink ${fmt(linksBySystem['sink'] ?? 0)} of ${fmt(n)} each; dead letters: ${deadLetters}; run ${run.state}, done ${fmt(run.done)}, failed ${run.failed}`);
    log(`    process RSS: ${startRssMb} MB before the fill, ${hubStartRssMb} MB with the hub started, peak ${peakRssMb} MB during the hub backfill (V8 heap used: peak ${peakHeapMb} MB)${bench.processes.length > 0 ? `; worker processes together: peak ${workersPeakRssMb} MB` : ''}`);
    let floor: StoreFloor | null = null;
    let mysqlFloor: StoreFloor | null = null;
    if (options.floor ?? options.raw !== false) {
      // The hub is idle now (everything delivered); its data directory goes when it closes.
      const say = (label: string, f: StoreFloor) =>
        log(
          `  store floor, ${label} (the hub store's own statements for the same ${fmt(n)} records and nothing else, transactions of ${page}): ${fmt(f.seconds, 2)} s = ${fmt(f.recordsPerSecond)} records/s` +
            ` (ingest writes ${fmt(f.parts.ingest, 2)} s, delivery reads ${fmt(f.parts.deliveryReads, 2)} s, delivery links ${fmt(f.parts.deliveryLinks, 2)} s)${raw ? `; no hub on this store can beat raw ÷ floor = ${(raw.seconds / f.seconds).toFixed(3)}` : ''}`,
        );
      floor = await measureStoreFloor(bench.dataDir, page);
      say('SQLite', floor);
      const storeDb = await createDatabase();
      try {
        mysqlFloor = await measureStoreFloor(bench.dataDir, page, storeDb.url);
        say('MariaDB', mysqlFloor);
      } finally {
        await storeDb.drop();
      }
    }
    return { records: n, fillSeconds, raw, hub: result, startRssMb, ratio: raw ? result.recordsPerSecond / raw.recordsPerSecond : null, floor, mysqlFloor };
  } finally {
    rss.stop();
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (error) {
        log(`  clean-up failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Id links per system, read from the hub's SQLite file through a read-only connection of its own. */
export function countLinks(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'hub.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT system, COUNT(*) AS n FROM hub_id_links GROUP BY system').all() as { system: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.system, r.n]));
  } finally {
    db.close();
  }
}
