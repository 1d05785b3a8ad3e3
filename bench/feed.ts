/**
 * Feed benchmark: `npm run bench -- feed [--records N] [--customers C]` (default 100,000 and 10,000).
 *
 * N open receivables of C customers in a fresh SQLite store (seeded with multi-row INSERTs in
 * transactions of 5,000), then, in the same run:
 *   baseline  the plain scan a feed starts from: every owed receivable read page by page (2,000) in
 *             id order (one keyset scan per status, merged) and parsed, nothing else;
 *   feed      a full run of the default feed as CSV: the same scan, each receivable and its customer
 *             projected for the `finance` receiver, aged, written as a CSV line, hashed as written,
 *             the per-customer totals per currency, the signature (node-rsa, RSA-SHA256 PKCS#1 v1.5
 *             over the streamed SHA-256), the sequence transaction, the archive and the signed manifest.
 * Both are measured in a fresh process (the seeding's memory is not the feed's). Reports records/s of
 * both, the measuring process's peak RSS (goal < 200 MB) and the machine's load average; checks the result (row count, signature). Goal ≥ 100,000 records/s.
 * The last line is one JSON object with the figures.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { KeyRing } from '../core/feeds/key-ring.js';
import { parseCsv } from '../core/feeds/lines.js';
import { runFileName } from '../core/feeds/manifest.js';
import { verifyFeedFile } from '../core/feeds/verify.js';
import { ENTITIES, type StoredRecord } from '../core/model/entities.js';
import { fieldCatalog } from '../core/model/spec-catalog.js';
import { loadPolicyFile } from '../core/policy/load.js';
import { Store } from '../core/store/store.js';
import { loadedSpec } from '../openapi/app/spec.js';
import { DEFAULT_FEED_COLUMNS, feedColumn } from '../queues/feeds/columns.js';
import type { FeedConfig } from '../queues/feeds/config.js';
import { owedReceivablePages } from '../queues/feeds/owed.js';
import { FeedService } from '../queues/feeds/service.js';
import { runDir } from '../queues/feeds/run.js';
import { environment } from './harness.js';

const GOAL_RECORDS_PER_SECOND = 100_000;
const GOAL_RSS_MB = 200;
const AS_OF = '2026-12-03';
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'CHF', 'JPY'];

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 1) throw new Error(`--${name} must be a positive number`);
  return Math.round(v);
}

const fmt = (n: number): string => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);
const mb = (bytes: number): number => Math.round(bytes / 1048576);
const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/** A day number as YYYY-MM-DD. */
const day = (offset: number): string => new Date(Date.UTC(2026, 11, 3) + offset * 86_400_000).toISOString().slice(0, 10);

export async function seed(store: Store, records: number, customers: number): Promise<void> {
  const now = new Date().toISOString();
  const meta = (id: string) => ({ id, version: 1, createdAt: now, updatedAt: now });
  for (let start = 0; start < customers; start += 5000) {
    const page: StoredRecord[] = [];
    for (let i = start; i < Math.min(customers, start + 5000); i++) {
      page.push({ ...meta(`cus_${String(i).padStart(8, '0')}`), code: `C-${i}`, name: i % 97 === 0 ? `=SUM(A${i})` : `Customer ${i}, Ltd.`, kind: 'company', currency: CURRENCIES[i % CURRENCIES.length]!, phone: `+49 30 ${1000000 + i}`, email: `ap${i}@example.com`, status: 'active' });
    }
    await store.transaction((tx) => tx.records.insertMany(ENTITIES.customer, page));
  }
  for (let start = 0; start < records; start += 5000) {
    const page: StoredRecord[] = [];
    for (let i = start; i < Math.min(records, start + 5000); i++) {
      const currency = CURRENCIES[i % CURRENCIES.length]!;
      const amount = currency === 'JPY' ? String(1000 + (i % 90_000)) : `${100 + (i % 9000)}.${String(i % 100).padStart(2, '0')}`;
      const partial = i % 7 === 0;
      const paid = partial ? (currency === 'JPY' ? '100' : '50.00') : currency === 'JPY' ? '0' : '0.00';
      const balance = currency === 'JPY' ? String(Number(amount) - Number(paid)) : (Number(amount) - Number(paid)).toFixed(2);
      const due = (i % 200) - 120;
      page.push({
        ...meta(`rec_${String(i).padStart(8, '0')}`),
        number: `INV-${String(i).padStart(8, '0')}`,
        customerId: `cus_${String(i % customers).padStart(8, '0')}`,
        orderId: null,
        ownerId: null,
        teamId: null,
        issueDate: day(due - 30),
        dueDate: day(due),
        currency,
        amount,
        paidAmount: paid,
        balance,
        status: due < 0 ? 'overdue' : partial ? 'partially_paid' : 'open',
      });
    }
    await store.transaction((tx) => tx.records.insertMany(ENTITIES.receivable, page));
  }
}

export async function run(): Promise<void> {
  const records = numberArg('records', 100_000);
  const customers = numberArg('customers', 10_000);
  const measureIn = process.argv.indexOf('--measure-in');
  if (measureIn > 0) return measure(process.argv[measureIn + 1]!, records, customers);
  const env = environment();
  console.log(`feed: ${fmt(records)} open receivables of ${fmt(customers)} customers in SQLite → aged, projected for finance, signed CSV feed; node ${env.node}, ${env.cpus} CPUs`);
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-feed-'));
  try {
    const store = await Store.open(undefined, dir);
    const t = performance.now();
    try {
      await seed(store, records, customers);
    } finally {
      await store.close();
    }
    console.log(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; measuring in a fresh process (its RSS is the feed's, not the seeding's)`);
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, 'feed', ...process.argv.slice(3), '--measure-in', dir], { stdio: 'inherit' });
    process.exitCode = child.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(dir: string, records: number, customers: number): Promise<void> {
  const env = environment();
  const store = await Store.open(undefined, dir);
  try {
    const catalog = fieldCatalog(loadedSpec().document);
    const policy = loadPolicyFile(undefined, catalog, randomBytes(32));
    const feed: FeedConfig = { name: 'bench', receiver: 'finance', formats: ['csv'], columns: DEFAULT_FEED_COLUMNS.map(feedColumn), asOf: 'today', timeZone: 'UTC', delivery: {} };
    const keys = KeyRing.of(dir);
    keys.current(); // the key exists before the clock starts (a first run makes it once)
    const service = new FeedService({ store, policy, log: pino({ level: 'silent' }), dataDir: dir, feeds: new Map([['bench', feed]]), keys, prefix: 'bench' });
    const scan = async (): Promise<number> => {
      let n = 0;
      for await (const page of owedReceivablePages(store)) for (const r of page) if (r.id) n++;
      return n;
    };
    // Each path runs twice and the second run counts (JIT warm, page cache warm).
    await scan();
    let t = performance.now();
    let cpu = process.cpuUsage();
    const scanned = await scan();
    const baselineSeconds = (performance.now() - t) / 1000;
    const baselineCpu = cpuSeconds(process.cpuUsage(cpu));

    await service.run('bench', { asOf: AS_OF, origin: 'cli', by: 'bench' });
    const startRss = process.memoryUsage().rss;
    let peak = startRss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const load = loadavg();
    t = performance.now();
    cpu = process.cpuUsage();
    const result = await service.run('bench', { asOf: AS_OF, origin: 'cli', by: 'bench' });
    const feedSeconds = (performance.now() - t) / 1000;
    const feedCpu = cpuSeconds(process.cpuUsage(cpu));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);

    const csv = join(runDir(dir, 'bench', result.sequence!), runFileName('bench', result.sequence!, 'receivables.csv'));
    const rows = parseCsv(readFileSync(csv, 'utf8')).length - 1;
    const verified = (await verifyFeedFile(csv, new Map(keys.list().map((k) => [k.id, k.publicKey])))).every((l) => l.ok);
    const feedRate = result.records / feedSeconds;
    const baselineRate = scanned / baselineSeconds;
    const meets = feedRate >= GOAL_RECORDS_PER_SECOND && mb(peak) < GOAL_RSS_MB && rows === records && verified;
    console.log(`  baseline (the same scan, parse only): ${fmt(baselineRate)} records/s (${baselineSeconds.toFixed(2)} s; ${fmt(scanned / baselineCpu)} records per CPU second)`);
    console.log(`  feed (scan, project, age, CSV, SHA-256, sign, archive): ${fmt(feedRate)} records/s (${feedSeconds.toFixed(2)} s; goal ≥ ${fmt(GOAL_RECORDS_PER_SECOND)}): ${feedRate >= GOAL_RECORDS_PER_SECOND ? 'met' : 'NOT met'}; ${(feedRate / baselineRate).toFixed(2)} × the plain scan; ${fmt(result.records / feedCpu)} records per CPU second (${feedCpu.toFixed(2)} s of CPU: what an idle core would take)`);
    console.log(`  peak RSS of the process ${mb(peak)} MB (goal < ${GOAL_RSS_MB} MB; ${mb(startRss)} MB before the measured run): ${mb(peak) < GOAL_RSS_MB ? 'met' : 'NOT met'}`);
    console.log(`  ${fmt(rows)} rows, ${fmt(result.customerTotals)} customer totals, signature ${verified ? 'verified' : 'NOT verified'}; load average ${load.map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
    console.log(
      JSON.stringify({
        name: 'feed',
        figures: { records, customers, feedRecordsPerSecond: Math.round(feedRate), feedSeconds: Number(feedSeconds.toFixed(3)), feedCpuSeconds: Number(feedCpu.toFixed(3)), feedRecordsPerCpuSecond: Math.round(result.records / feedCpu), peakRssMb: mb(peak), rssBeforeMb: mb(startRss), rows, customerTotals: result.customerTotals, verified, loadAverage: load.map((l) => Number(l.toFixed(2))), goalRecordsPerSecond: GOAL_RECORDS_PER_SECOND, goalRssMb: GOAL_RSS_MB, meetsGoal: meets, node: env.node, cpus: env.cpus },
        baseline: { scanRecordsPerSecond: Math.round(baselineRate), scanSeconds: Number(baselineSeconds.toFixed(3)), scanCpuSeconds: Number(baselineCpu.toFixed(3)) },
        ratio: Number((feedRate / baselineRate).toFixed(3)),
      }),
    );
    if (!meets) process.exitCode = 1;
  } finally {
    await store.close();
  }
}
