/**
 * Incremental sync benchmark: `npm run bench -- incremental [--seconds S] [--rate W] [--customers C]`
 * (defaults 10 s, 200 writes/s, 200 customers).
 *
 * A hub (SQLite store, workers on) delivers customers to a local HTTP batch sink (batchSize 200).
 * The hub runs as `hub serve` (API and workers in one process, from the built CLI in dist/) while this
 * process is the client and the sink, as in a deployment; `--in-process` runs all three in this one
 * process instead (the hub then shares its event loop with the client and the sink).
 * C customers are created through the API and delivered first. Then, for S seconds,
 * the bench changes one customer's name every 1/W s through the real HTTP API (`hub.listen` on
 * 127.0.0.1, admin logged in with POST /api/v1/auth/login, PATCH /api/v1/customers/{id}), the
 * customers in turn; each write is scheduled on its own time (setTimeout pacing, open loop: a slow
 * answer does not delay the next write). The sink notes when each (customer, name) arrives.
 *
 * Latency of a write = sink receipt time − the time its PATCH response arrived (performance.now()
 * in this one process; the commit happened before the response was sent, so this under-states the
 * commit → receipt time by at most the response's trip back, and is negative when the record reached
 * the sink before the client had the answer). Receipt − the time just before the PATCH was sent is
 * printed too, as an upper bound. A write overtaken by a later write of the same customer before
 * delivery is "superseded" (the hub delivers the latest state once), not missing.
 *
 * Baseline: single-record POST /batch round trips straight to the sink, paced the same way.
 */
import { environment } from './harness.js';
import { ADMIN_PASSWORD, fmt, numberArg, percentile, processCpuMicros, sinkConnector, sleep, startBenchHub, startSink, syncMappings, until, type SinkRecord } from './sync-setup.js';

const GOAL_P50_MS = 20;
const GOAL_P99_MS = 100;

interface Stats {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
}

function stats(values: readonly number[]): Stats {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: s.length, p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN), min: r(s[0] ?? NaN), mean: r(sum / Math.max(1, s.length)) };
}

const line = (label: string, s: Stats) =>
  `  ${label.padEnd(52)} p50 ${fmt(s.p50, 1).padStart(7)}  p90 ${fmt(s.p90, 1).padStart(7)}  p99 ${fmt(s.p99, 1).padStart(7)}  max ${fmt(s.max, 1).padStart(7)}  min ${fmt(s.min, 1).padStart(6)} ms  (n=${fmt(s.count)})`;

/** Runs `write(i)` for i = 0 … total-1, write i at start + i × interval, without waiting for earlier writes. */
async function paced(total: number, intervalMs: number, write: (i: number) => Promise<void>): Promise<{ lateMaxMs: number }> {
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let lateMaxMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    lateMaxMs = Math.max(lateMaxMs, performance.now() - due);
    pending.push(write(i));
  }
  await Promise.all(pending);
  return { lateMaxMs };
}

export async function run(): Promise<void> {
  const seconds = numberArg('seconds', 10);
  const rate = numberArg('rate', 200);
  const customers = Math.round(numberArg('customers', 200));
  const writes = Math.round(seconds * rate);
  const interval = 1000 / rate;
  // Default: the hub runs as `hub serve` in a process of its own (API and workers, as deployed), this
  // process is the client and the target. --in-process: all of it in this one process.
  const inProcess = process.argv.includes('--in-process');
  const env = environment();
  console.log(
    `incremental: ${fmt(writes)} API writes (PATCH name) over ${seconds} s at ${rate}/s across ${customers} customers → hub (SQLite store; ${inProcess ? 'hub, client and sink in this one process' : '`hub serve` process; client and sink in this process'}) → HTTP batch sink (batchSize 200); node ${env.node}, ${env.cpus} CPUs`,
  );

  // Receipt time per write, by sequence number (the name ends in "#<seq>").
  const receivedAt = new Float64Array(writes).fill(NaN);
  const baselineAt = new Float64Array(writes).fill(NaN);
  let mode: 'hub' | 'baseline' = 'hub';
  const onRecords = (records: readonly SinkRecord[], at: number) => {
    const into = mode === 'hub' ? receivedAt : baselineAt;
    for (const r of records) {
      const name = typeof r.name === 'string' ? r.name : '';
      const hash = name.lastIndexOf('#');
      if (hash < 0) continue;
      const seq = Number(name.slice(hash + 1));
      if (Number.isInteger(seq) && seq >= 0 && seq < writes && Number.isNaN(into[seq]!)) into[seq] = at;
    }
  };
  const sink = await startSink(onRecords);
  const files = syncMappings({ erp: false });
  const bench = await startBenchHub(
    {
      mappings: { dirs: [files.dir] },
      connectors: { sink: sinkConnector(sink.url, 200) },
      sync: { targets: { sink: { entities: ['customer'], receiver: 'erpnext', batchSize: 200, concurrency: 2 } } },
    },
    {},
    inProcess ? {} : { workers: 'serve', api: false },
  );
  try {
    const { hub } = bench;
    const base = bench.apiUrl ?? (await hub.listen(0, '127.0.0.1')).url;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

    sink.reset(customers);
    const ids: string[] = [];
    const t0 = performance.now();
    for (let k = 1; k <= customers; k++) {
      const res = await fetch(`${base}/api/v1/customers`, { method: 'POST', headers, body: JSON.stringify({ code: `C${String(k).padStart(8, '0')}`, name: `Incremental customer ${k}`, currency: 'EUR', email: `buyer.${k}@example.com` }) });
      if (res.status !== 201) throw new Error(`creating customer ${k} failed: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { id: string }).id);
    }
    await until('the first delivery of every customer', () => sink.distinct >= customers, 60_000, 20);
    console.log(`  setup: ${customers} customers created through the API and delivered in ${fmt(performance.now() - t0)} ms`);

    // A few warm-up writes (first requests compile validators, open keep-alive sockets); not counted.
    for (let w = 0; w < 20; w++) {
      const res = await fetch(`${base}/api/v1/customers/${ids[w % customers]}`, { method: 'PATCH', headers, body: JSON.stringify({ name: `Warm-up ${w}` }) });
      if (res.status !== 200) throw new Error(`warm-up PATCH failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    await sleep(500);

    const sentAt = new Float64Array(writes).fill(NaN);
    const answeredAt = new Float64Array(writes).fill(NaN);
    const failures: string[] = [];
    const ok = new Uint8Array(writes);
    sink.reset(customers);
    mode = 'hub';
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const hubPid = bench.processes[0]?.pid;
    const hubCpu0 = hubPid ? processCpuMicros(hubPid) : 0;
    const { lateMaxMs } = await paced(writes, interval, async (i) => {
      const id = ids[i % customers]!;
      const body = JSON.stringify({ name: `Incremental customer ${(i % customers) + 1} #${i}` });
      sentAt[i] = performance.now();
      try {
        const res = await fetch(`${base}/api/v1/customers/${id}`, { method: 'PATCH', headers, body });
        answeredAt[i] = performance.now();
        if (res.status !== 200) failures.push(`${res.status}`);
        else ok[i] = 1;
        await res.arrayBuffer();
      } catch (error) {
        failures.push((error as Error).message);
      }
    });
    const writeSeconds = (performance.now() - (sentAt[0] ?? 0)) / 1000;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerWrite = (cpu.user + cpu.system) / 1000 / writes;
    const hubCpuMsPerWrite = hubPid ? (processCpuMicros(hubPid) - hubCpu0) / 1000 / writes : cpuMsPerWrite;
    // Every successful write reached the sink, or was superseded by a later write of the same customer that did.
    const settled = () => {
      for (let i = writes - 1; i >= Math.max(0, writes - customers); i--) if (ok[i] && Number.isNaN(receivedAt[i]!)) return false;
      return true;
    };
    await until('the last writes to reach the sink', settled, 15_000, 20).catch(() => undefined);
    await sleep(300);

    const latency: number[] = [];
    const upper: number[] = [];
    const api: number[] = [];
    let delivered = 0;
    let superseded = 0;
    let missing = 0;
    const lastReceivedFor = new Float64Array(customers).fill(-1);
    for (let i = writes - 1; i >= 0; i--) {
      const k = i % customers;
      if (!Number.isNaN(answeredAt[i]!)) api.push(answeredAt[i]! - sentAt[i]!);
      if (!Number.isNaN(receivedAt[i]!)) {
        delivered++;
        latency.push(receivedAt[i]! - answeredAt[i]!);
        upper.push(receivedAt[i]! - sentAt[i]!);
        if (lastReceivedFor[k]! < 0) lastReceivedFor[k] = i;
      } else if (!ok[i]) continue; // the write failed: nothing to deliver
      else if (lastReceivedFor[k]! > i) superseded++;
      else missing++;
    }
    const hubLatency = stats(latency);
    const hubUpper = stats(upper);
    const apiStats = stats(api);
    console.log(`  writes: ${fmt(writes)} sent in ${fmt(writeSeconds, 2)} s (pacing: at most ${fmt(lateMaxMs, 1)} ms late), ${failures.length} failed${failures.length ? ` (${[...new Set(failures)].slice(0, 3).join(', ')})` : ''}`);
    // Event-loop utilisation near 100% means the one JavaScript thread is saturated (latency then grows with the backlog).
    // CPU time counts every thread (GC helpers too) and is higher per write at low rates, where every write is a delivery of its own.
    if (hubPid) {
      console.log(`  while writing: hub process CPU ${fmt(hubCpuMsPerWrite, 2)} ms per write, all threads (API + relay + delivery); this process (client + sink): event loop busy ${fmt(elu * 100, 0)}%, CPU ${fmt(cpuMsPerWrite, 2)} ms per write`);
    } else {
      console.log(`  this process while writing: event loop busy ${fmt(elu * 100, 0)}% of the time; CPU ${fmt(cpuMsPerWrite, 2)} ms per write, all threads (API + relay + delivery + sink + client)`);
    }
    console.log(`  sink: ${fmt(delivered)} writes delivered, ${fmt(superseded)} superseded by a later write of the same customer, ${fmt(missing)} missing; ${fmt(sink.received)} records in ${fmt(sink.requests)} requests`);
    console.log(line('PATCH round trip (send → response)', apiStats));
    console.log(line('hub: PATCH response → sink receipt (reported)', hubLatency));
    console.log(line('hub: PATCH sent → sink receipt (upper bound)', hubUpper));

    // Baseline: a single-record POST straight to the sink, paced the same way.
    mode = 'baseline';
    sink.reset(customers);
    const rawSent = new Float64Array(writes).fill(NaN);
    const rawAnswered = new Float64Array(writes).fill(NaN);
    await paced(writes, interval, async (i) => {
      const body = JSON.stringify({ records: [{ customer_no: `C${String((i % customers) + 1).padStart(8, '0')}`, name: `Incremental customer ${(i % customers) + 1} #${i}`, currency: 'EUR' }] });
      rawSent[i] = performance.now();
      const res = await fetch(`${sink.url}/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      rawAnswered[i] = performance.now();
    });
    const rawRoundTrip: number[] = [];
    const rawToReceipt: number[] = [];
    for (let i = 0; i < writes; i++) {
      rawRoundTrip.push(rawAnswered[i]! - rawSent[i]!);
      if (!Number.isNaN(baselineAt[i]!)) rawToReceipt.push(baselineAt[i]! - rawSent[i]!);
    }
    const rawStats = stats(rawRoundTrip);
    console.log(line('baseline: raw POST /batch round trip', rawStats));
    console.log(line('baseline: raw POST sent → sink receipt', stats(rawToReceipt)));

    const meets = hubLatency.p50 < GOAL_P50_MS && hubLatency.p99 < GOAL_P99_MS && missing === 0 && failures.length === 0;
    console.log(`  goal p50 < ${GOAL_P50_MS} ms and p99 < ${GOAL_P99_MS} ms, nothing missing: ${meets ? 'met' : 'NOT met'}; hub p50 ÷ raw round-trip p50: ${fmt(hubLatency.p50 / rawStats.p50, 1)}×`);
    console.log(
      JSON.stringify({
        name: 'incremental',
        figures: {
          writes,
          seconds,
          writesPerSecond: rate,
          customers,
          delivered,
          superseded,
          missing,
          failedWrites: failures.length,
          latencyMs: hubLatency,
          upperBoundLatencyMs: hubUpper,
          patchRoundTripMs: apiStats,
          topology: inProcess ? 'one process' : 'hub serve process',
          eventLoopUtilization: Number(elu.toFixed(3)),
          cpuMsPerWrite: Number(cpuMsPerWrite.toFixed(3)),
          hubCpuMsPerWrite: Number(hubCpuMsPerWrite.toFixed(3)),
          goal: { p50Ms: GOAL_P50_MS, p99Ms: GOAL_P99_MS },
          meetsGoal: meets,
          node: env.node,
          cpus: env.cpus,
        },
        baseline: { rawRoundTripMs: rawStats },
        ratio: Number((hubLatency.p50 / rawStats.p50).toFixed(2)),
      }),
    );
  } finally {
    await bench.close().catch((e: unknown) => console.log(`  clean-up failed: ${(e as Error).message}`));
    await sink.close();
    files.cleanup();
  }
}
