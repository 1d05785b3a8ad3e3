// The measuring half of bench/feed.ts, in a plain node process on the built package (dist/), as a hub
// worker runs: the plain scan twice (the second counts), the feed twice (the second counts), the peak
// RSS sampled every 10 ms while it runs. Prints one JSON line. Usage: node bench/feed-measure.mjs <dir> <records>
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const [dir, records] = [process.argv[2], Number(process.argv[3])];
const dist = (path) => import(new URL(`../dist/${path}`, import.meta.url).href);
const [{ Store }, { KeyRing }, { parseCsv }, { runFileName }, { verifyFeedFile }, { fieldCatalog }, { loadPolicyFile }, { loadedSpec }, { DEFAULT_FEED_COLUMNS, feedColumn }, { owedReceivablePages }, { FeedService }, { runDir }, { pino }] = await Promise.all([
  dist('core/store/store.js'), dist('core/feeds/key-ring.js'), dist('core/feeds/lines.js'), dist('core/feeds/manifest.js'), dist('core/feeds/verify.js'), dist('core/model/spec-catalog.js'),
  dist('core/policy/load.js'), dist('openapi/app/spec.js'), dist('queues/feeds/columns.js'), dist('queues/feeds/owed.js'), dist('queues/feeds/service.js'), dist('queues/feeds/run.js'), import('pino'),
]);
const mb = (bytes) => Math.round(bytes / 1048576);
const cpuSeconds = (u) => (u.user + u.system) / 1e6;
const heapCap = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].find((a) => a.startsWith('--max-old-space-size='));

const store = await Store.open(undefined, dir);
try {
  const policy = loadPolicyFile(undefined, fieldCatalog(loadedSpec().document), randomBytes(32));
  const feed = { name: 'bench', receiver: 'finance', formats: ['csv'], columns: DEFAULT_FEED_COLUMNS.map(feedColumn), asOf: 'today', timeZone: 'UTC', delivery: {} };
  const keys = KeyRing.of(dir);
  keys.current(); // the key exists before the clock starts (a first run makes it once)
  const service = new FeedService({ store, policy, log: pino({ level: 'silent' }), dataDir: dir, feeds: new Map([['bench', feed]]), keys, prefix: 'bench' });
  const scan = async () => {
    let n = 0;
    for await (const page of owedReceivablePages(store)) for (const r of page) if (r.id) n++;
    return n;
  };
  await scan();
  let t = performance.now();
  let cpu = process.cpuUsage();
  const scanned = await scan();
  const scanSeconds = (performance.now() - t) / 1000;
  const scanCpu = cpuSeconds(process.cpuUsage(cpu));

  await service.run('bench', { asOf: '2026-12-03', origin: 'cli', by: 'bench' });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const load = loadavg();
  t = performance.now();
  cpu = process.cpuUsage();
  const result = await service.run('bench', { asOf: '2026-12-03', origin: 'cli', by: 'bench' });
  const feedSeconds = (performance.now() - t) / 1000;
  const feedCpu = cpuSeconds(process.cpuUsage(cpu));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);

  const csv = join(runDir(dir, 'bench', result.sequence), runFileName('bench', result.sequence, 'receivables.csv'));
  const rows = parseCsv(readFileSync(csv, 'utf8')).length - 1;
  const verified = (await verifyFeedFile(csv, new Map(keys.list().map((k) => [k.id, k.publicKey])))).every((l) => l.ok);
  console.log(JSON.stringify({
    scanRecordsPerSecond: Math.round(scanned / scanSeconds), scanSeconds: Number(scanSeconds.toFixed(3)), scanRecordsPerCpuSecond: Math.round(scanned / scanCpu),
    feedRecordsPerSecond: Math.round(result.records / feedSeconds), feedSeconds: Number(feedSeconds.toFixed(3)), feedRecordsPerCpuSecond: Math.round(result.records / feedCpu),
    peakRssMb: mb(peak), rssBeforeMb: mb(before), heapCapMb: heapCap ? Number(heapCap.split('=')[1]) : null,
    rows, customerTotals: result.customerTotals, verified, expected: records, loadAverage: load.map((l) => Number(l.toFixed(2))),
  }));
} finally {
  await store.close();
}
