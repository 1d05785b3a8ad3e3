/**
 * Backfill benchmark: `npm run bench -- backfill [--records N]` (default 100,000).
 *
 * A fresh MariaDB database holds `erp_customers` (N rows); a local HTTP sink takes `POST /batch`.
 * Raw pipe first (the baseline): keyset pages of 500 read with mysql2 and POSTed to the sink with
 * fetch, one after the other. Then the hub: a SQLite store, workers on, `erp` a MySQL source and
 * `sink` an HTTP batch target; `hub.sync.runs.backfill('erp', 'customer')` is timed until the run is done
 * and the sink has all N records (read, ingest into the store with id links, outbox, relay,
 * projection, mapping, delivery, id links back). Then the store floor (bench/store-floor.ts): the
 * store's own statements for the same records and nothing else, on SQLite and on MariaDB; raw ÷ floor
 * is the best hub ÷ raw ratio any hub on that store could reach on this machine. Prints the rates,
 * hub ÷ raw (goal ≥ 0.5) and the process RSS peak; the last line is one JSON object with the figures.
 */
import { environment } from './harness.js';
import { fmt, measureBackfill, numberArg } from './sync-setup.js';

const GOAL_RATIO = 0.5;

export async function run(): Promise<void> {
  const records = Math.round(numberArg('records', 100_000));
  const workers = Math.round(numberArg('workers', 0, true));
  const env = environment();
  const where = workers > 0 ? `workers in ${workers} \`hub worker\` process${workers > 1 ? 'es' : ''}` : 'workers in the benchmark process';
  console.log(`backfill: ${fmt(records)} customers MariaDB → hub (SQLite store, ${where}) → HTTP batch sink; pages and batches of 500; node ${env.node}, ${env.cpus} CPUs`);
  const r = await measureBackfill({ records, insertBatch: 2000, workers });
  const ratio = r.ratio ?? 0;
  const cpuRatio = r.raw ? r.raw.cpuMicrosPerRecord / r.hub.cpuMicrosPerRecord : 0;
  const complete = r.hub.distinct === records && r.hub.runState === 'done';
  console.log(`  hub ÷ raw: ${ratio.toFixed(3)} (goal ≥ ${GOAL_RATIO}): ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'}; every record delivered: ${complete ? 'yes' : 'NO'}`);
  console.log(`  CPU of this process per record, raw ÷ hub: ${cpuRatio.toFixed(3)} (the same ratio by CPU time instead of wall time; steadier on a shared machine)`);
  console.log(
    JSON.stringify({
      name: 'backfill',
      figures: {
        records,
        hubRecordsPerSecond: Math.round(r.hub.recordsPerSecond),
        hubSeconds: Number(r.hub.seconds.toFixed(2)),
        ingestRecordsPerSecond: Math.round(r.hub.ingestRecordsPerSecond),
        hubCpuMicrosPerRecord: Math.round(r.hub.cpuMicrosPerRecord),
        cpuRatio: Number(cpuRatio.toFixed(3)),
        workers,
        workersPeakRssMb: r.hub.workersPeakRssMb,
        peakRssMb: r.hub.peakRssMb,
        delivered: r.hub.distinct,
        duplicates: r.hub.duplicates,
        idLinks: r.hub.links,
        deadLetters: r.hub.deadLetters,
        // The store's own statements alone (bench/store-floor.ts): raw ÷ floor bounds hub ÷ raw on that store.
        storeFloor: {
          sqliteRecordsPerSecond: Math.round(r.floor?.recordsPerSecond ?? 0),
          sqliteBestRatio: r.raw && r.floor ? Number((r.raw.seconds / r.floor.seconds).toFixed(3)) : null,
          mariadbRecordsPerSecond: Math.round(r.mysqlFloor?.recordsPerSecond ?? 0),
          mariadbBestRatio: r.raw && r.mysqlFloor ? Number((r.raw.seconds / r.mysqlFloor.seconds).toFixed(3)) : null,
        },
        goalRatio: GOAL_RATIO,
        meetsGoal: ratio >= GOAL_RATIO && complete,
        node: env.node,
        cpus: env.cpus,
      },
      baseline: { rawRecordsPerSecond: Math.round(r.raw?.recordsPerSecond ?? 0), rawSeconds: Number((r.raw?.seconds ?? 0).toFixed(2)), rawCpuMicrosPerRecord: Math.round(r.raw?.cpuMicrosPerRecord ?? 0) },
      ratio: Number(ratio.toFixed(3)),
    }),
  );
}
