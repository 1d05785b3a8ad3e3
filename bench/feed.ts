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
 * Both are measured by bench/feed-measure.mjs in a fresh node process on the built package (dist/,
 * as a hub worker runs: the seeding's memory and a TypeScript loader's are not the feed's). Reports
 * records/s of both (and per CPU second, what an idle core would do), the measuring process's peak
 * RSS (goal < 200 MB) and the machine's load average; checks the result (row count, signature). Goal ≥ 100,000 records/s.
 * The last line is one JSON object with the figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTITIES, type StoredRecord } from '../core/model/entities.js';
import { Store } from '../core/store/store.js';
import { environment } from './harness.js';

/** What bench/feed-measure.mjs prints (its last line). */
interface Measured {
  readonly scanRecordsPerSecond: number;
  readonly scanSeconds: number;
  readonly scanRecordsPerCpuSecond: number;
  readonly feedRecordsPerSecond: number;
  readonly feedSeconds: number;
  readonly feedRecordsPerCpuSecond: number;
  readonly peakRssMb: number;
  readonly rssBeforeMb: number;
  readonly heapCapMb: number | null;
  readonly rows: number;
  readonly customerTotals: number;
  readonly verified: boolean;
  readonly loadAverage: number[];
}

/** The V8 heap cap this process runs under (bench/run.ts sets it), for the measuring process too. */
function heapArgs(): string[] {
  return [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((a) => a.startsWith('--max-old-space-size='));
}

const GOAL_RECORDS_PER_SECOND = 100_000;
const GOAL_RSS_MB = 200;
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'USD', 'CHF', 'JPY'];

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 1) throw new Error(`--${name} must be a positive number`);
  return Math.round(v);
}

const fmt = (n: number): string => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);

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
    console.log(`  seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; measuring in a fresh node process on the built package (dist/, as a hub worker runs: no TypeScript loader, whose memory is not the feed's)`);
    const child = spawnSync(process.execPath, [...heapArgs(), fileURLToPath(new URL('./feed-measure.mjs', import.meta.url)), dir, String(records)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`the measuring process failed (${child.status}): ${child.stdout}`);
    const m = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as Measured;
    const meets = m.feedRecordsPerSecond >= GOAL_RECORDS_PER_SECOND && m.peakRssMb < GOAL_RSS_MB && m.rows === records && m.verified;
    console.log(`  baseline (the same scan, parse only): ${fmt(m.scanRecordsPerSecond)} records/s (${m.scanSeconds.toFixed(2)} s; ${fmt(m.scanRecordsPerCpuSecond)} records per CPU second)`);
    console.log(`  feed (scan, project, age, CSV, SHA-256, sign, archive): ${fmt(m.feedRecordsPerSecond)} records/s (${m.feedSeconds.toFixed(2)} s; goal ≥ ${fmt(GOAL_RECORDS_PER_SECOND)}): ${m.feedRecordsPerSecond >= GOAL_RECORDS_PER_SECOND ? 'met' : 'NOT met'}; ${(m.feedRecordsPerSecond / m.scanRecordsPerSecond).toFixed(2)} × the plain scan; ${fmt(m.feedRecordsPerCpuSecond)} records per CPU second`);
    console.log(`  peak RSS of the process ${m.peakRssMb} MB (goal < ${GOAL_RSS_MB} MB; ${m.rssBeforeMb} MB before the measured run, V8 heap cap ${m.heapCapMb ?? 'none'}): ${m.peakRssMb < GOAL_RSS_MB ? 'met' : 'NOT met'}`);
    console.log(`  ${fmt(m.rows)} rows, ${fmt(m.customerTotals)} customer totals, signature ${m.verified ? 'verified' : 'NOT verified'}; load average ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min) on ${env.cpus} CPUs`);
    const { scanRecordsPerSecond, scanSeconds, scanRecordsPerCpuSecond, ...figures } = m;
    console.log(
      JSON.stringify({
        name: 'feed',
        figures: { records, customers, ...figures, goalRecordsPerSecond: GOAL_RECORDS_PER_SECOND, goalRssMb: GOAL_RSS_MB, meetsGoal: meets, node: env.node, cpus: env.cpus },
        baseline: { scanRecordsPerSecond, scanSeconds, scanRecordsPerCpuSecond },
        ratio: Number((m.feedRecordsPerSecond / scanRecordsPerSecond).toFixed(3)),
      }),
    );
    if (!meets) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
