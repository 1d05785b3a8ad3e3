/**
 * Memory benchmark: `npm run bench -- memory [--records N] [--raw]` (default 1,000,000).
 *
 * The backfill of `bench/backfill.ts` (shared code in bench/sync-setup.ts) at a large size: N
 * customers in MariaDB (multi-row INSERTs of 5,000), read by the hub, ingested into its SQLite store
 * and delivered to the local HTTP batch sink. Reports the process RSS peak during the hub backfill
 * (sampled every 200 ms; goal < 300 MB), the V8 heap peak, and records/s end to end. The sink runs
 * in this process too (it marks records in a bitmap: ~N bytes). `--raw` runs the raw keyset + POST
 * pipe first as in the backfill bench (its figures are the baseline); without it the baseline is the
 * RSS with the hub started, before the backfill. The last line is one JSON object with the figures.
 * bench/run.ts runs it under a V8 heap cap of 160 MB (`--heap-mb N` to change, 0 for none), the
 * setting the README recommends for worker processes.
 */
import { environment } from './harness.js';
import { fmt, measureBackfill, numberArg } from './sync-setup.js';

const GOAL_RSS_MB = 300;

function heapCapMb(): number | null {
  const flag = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)].reverse().find((a) => a.startsWith('--max-old-space-size='));
  return flag ? Number(flag.slice('--max-old-space-size='.length)) : null;
}

export async function run(): Promise<void> {
  const records = Math.round(numberArg('records', 1_000_000));
  const raw = process.argv.includes('--raw');
  const env = environment();
  console.log(`memory: backfill of ${fmt(records)} customers MariaDB → hub (SQLite store) → HTTP batch sink, RSS sampled every 200 ms; node ${env.node}, ${env.cpus} CPUs`);
  const r = await measureBackfill({ records, insertBatch: 5000, raw, floor: false, timeoutMs: Math.max(600_000, records * 5) });
  const h = r.hub;
  const complete = h.distinct === records && h.runState === 'done';
  const meets = h.peakRssMb < GOAL_RSS_MB;
  console.log(`  peak RSS ${h.peakRssMb} MB (goal < ${GOAL_RSS_MB} MB): ${meets ? 'met' : 'NOT met'}; growth over the started hub: ${h.peakRssMb - h.startRssMb} MB; ${fmt(h.recordsPerSecond)} records/s end to end; every record delivered: ${complete ? 'yes' : 'NO'}`);
  console.log(
    JSON.stringify({
      name: 'memory',
      figures: {
        records,
        peakRssMb: h.peakRssMb,
        peakHeapMb: h.peakHeapMb,
        hubStartedRssMb: h.startRssMb,
        rssGrowthMb: h.peakRssMb - h.startRssMb,
        hubRecordsPerSecond: Math.round(h.recordsPerSecond),
        hubSeconds: Number(h.seconds.toFixed(1)),
        ingestRecordsPerSecond: Math.round(h.ingestRecordsPerSecond),
        hubCpuMicrosPerRecord: Math.round(h.cpuMicrosPerRecord),
        fillSeconds: Number(r.fillSeconds.toFixed(1)),
        delivered: h.distinct,
        duplicates: h.duplicates,
        idLinks: h.links,
        deadLetters: h.deadLetters,
        // The V8 old-space cap this process ran under (bench/run.ts sets 160 unless told otherwise), null: none.
        heapCapMb: heapCapMb(),
        goalRssMb: GOAL_RSS_MB,
        meetsGoal: meets && complete,
        node: env.node,
        cpus: env.cpus,
      },
      baseline: r.raw ? { rawRecordsPerSecond: Math.round(r.raw.recordsPerSecond), rawPeakRssMb: r.raw.peakRssMb } : { hubStartedRssMb: h.startRssMb },
      ratio: r.raw ? Number((r.ratio ?? 0).toFixed(3)) : Number((h.peakRssMb / GOAL_RSS_MB).toFixed(3)),
    }),
  );
}
