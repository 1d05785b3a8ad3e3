import { HubApi } from './hub.js';
import type { Context, Scenario } from './scenario.js';
import { sleep, stopProcess } from './services.js';
import type { FaultMode } from './target.js';

/**
 * The fault scenarios. Each starts from the standard load (a backfill of every ERP row into the hub
 * and on to the target, the ERP changing names, API writers PATCHing phones of a hot set of records)
 * unless it says otherwise, injects its fault, and returns with the load stopped; the runner then
 * waits for convergence and compares.
 */

/** Kills (`signal`) one worker `times` times, `gapMs` apart, each replaced at once. */
async function killWorkers(ctx: Context, times: number, gapMs: number, signal: NodeJS.Signals, when: string): Promise<void> {
  for (let i = 0; i < times; i++) {
    const victim = ctx.hub.running('worker')[0];
    if (!victim) break;
    const run = await ctx.run().catch(() => undefined);
    ctx.note(`${signal} ${victim.name} ${when} (run ${run?.state} ${run?.done}/${run?.total}, target ${ctx.target.byCode.size} docs)`);
    await ctx.fault(`${signal} ${victim.name}`, () => ctx.replaceWorker(victim, signal));
    await sleep(gapMs);
  }
}

/** Lets the load run until the backfill is done and the target has `share` of the records. */
async function loadUntil(ctx: Context, share: number): Promise<void> {
  await ctx.runAt(1);
  await ctx.targetAt(share);
}

/** Waits up to `ms` for `probe`, noting (not failing) when it does not happen: the comparison judges. */
async function softly(ctx: Context, what: string, probe: () => Promise<void>): Promise<void> {
  try {
    await probe();
  } catch (error) {
    ctx.note(`${what}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The load runs until the backfill is done and the target has most records, or 90 s (then the comparison tells). */
async function loadOn(ctx: Context): Promise<void> {
  await softly(ctx, 'load', async () => {
    await ctx.runAt(1, 90_000);
    await ctx.targetAt(0.9, 90_000);
  });
}

/** `bursts` bursts of a target fault (`ms` long, `rate` of the requests), `gapMs` of normal service between them. */
async function targetBursts(ctx: Context, modes: readonly FaultMode[], rate: number, ms: number, gapMs: number): Promise<void> {
  for (const mode of modes) {
    await ctx.fault(`target ${mode} (${Math.round(rate * 100)} % of requests, ${ms / 1000} s)`, async () => {
      await ctx.target.setFault(mode, rate);
      await sleep(ms);
      await ctx.target.setFault('none');
    });
    ctx.note(`target counts: ${JSON.stringify(ctx.target.counts)}`);
    await sleep(gapMs);
  }
}

async function targetScenario(ctx: Context, modes: readonly FaultMode[], rate: number, ms: number): Promise<void> {
  await ctx.startLoad();
  await softly(ctx, 'start of delivery', () => ctx.targetAt(0.1, 60_000));
  await targetBursts(ctx, modes, rate, ms, 3000);
  await loadOn(ctx);
}

async function storeOutage(ctx: Context, how: 'kill' | 'shutdown'): Promise<void> {
  await ctx.startLoad();
  await softly(ctx, 'start of delivery', () => ctx.targetAt(0.2, 60_000));
  await ctx.fault(`hub store ${how === 'kill' ? 'SIGKILLed' : 'shut down cleanly'} for 6 s`, async () => {
    await (how === 'kill' ? ctx.services.store.kill() : ctx.services.store.shutdown());
    await sleep(6000);
    await ctx.services.store.start();
    // The status must also show the recovery: the observer keeps sampling a little after the restart.
    await sleep(2000);
  });
  await loadOn(ctx);
}

async function redisRestart(ctx: Context): Promise<void> {
  await ctx.startLoad();
  await softly(ctx, 'start of delivery', () => ctx.targetAt(0.2, 60_000));
  await ctx.fault(`Redis SIGKILLed and restarted after 4 s (${ctx.redis.aof ? 'AOF' : 'no persistence'})`, async () => {
    await ctx.redis.kill();
    await sleep(4000);
    await ctx.redis.start();
    await sleep(2000);
  });
  await loadOn(ctx);
}

/** Most scenarios carry a tenth of the run's records: the ERPNext-style target takes ≈ 100 records/s. */
const tenth = (n: number) => n / 10;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'worker-kill-backfill',
    summary: 'a worker SIGKILLed three times while the inbound backfill runs (mid-page), each replaced at once',
    visibility: 'informational',
    async run(ctx) {
      await ctx.startLoad();
      await softly(ctx, 'backfill under way', () => ctx.runAt(0.15, 60_000));
      await killWorkers(ctx, 3, 1500, 'SIGKILL', 'mid-backfill');
      await loadOn(ctx);
    },
  },
  {
    name: 'worker-kill-delivery',
    summary: 'a worker SIGKILLed three times with delivery batches in flight (the target answering writes after 30 ms), each replaced at once',
    visibility: 'informational',
    records: tenth,
    async run(ctx) {
      await ctx.startLoad();
      await softly(ctx, 'start of delivery', () => ctx.targetAt(0.1, 60_000));
      ctx.target.delayMs = 30;
      await killWorkers(ctx, 3, 2000, 'SIGKILL', 'mid-batch');
      ctx.target.delayMs = 0;
      await loadOn(ctx);
    },
  },
  {
    name: 'redis-restart',
    summary: 'the private Redis SIGKILLed mid-load and restarted empty (no persistence) 4 s later',
    visibility: 'required',
    records: tenth,
    run: redisRestart,
  },
  {
    name: 'redis-restart-aof',
    summary: 'the private Redis (appendonly yes, fsync every second) SIGKILLed mid-load and restarted from its AOF 4 s later',
    aof: true,
    visibility: 'required',
    records: tenth,
    run: redisRestart,
  },
  {
    name: 'store-outage-kill',
    summary: "the hub's MariaDB store SIGKILLed mid-delivery, restarted 6 s later (crash recovery)",
    visibility: 'required',
    records: tenth,
    run: (ctx) => storeOutage(ctx, 'kill'),
  },
  {
    name: 'store-outage-clean',
    summary: "the hub's MariaDB store shut down cleanly (mysqladmin shutdown) mid-delivery, restarted 6 s later",
    visibility: 'required',
    records: tenth,
    run: (ctx) => storeOutage(ctx, 'shutdown'),
  },
  {
    name: 'source-restart',
    summary: "the ERP's MariaDB SIGKILLed mid-backfill and again mid-poll, each time restarted 4 s later",
    visibility: 'required',
    records: tenth,
    async run(ctx) {
      await ctx.startLoad();
      await softly(ctx, 'backfill under way', () => ctx.runAt(0.3, 60_000));
      for (const when of ['mid-backfill', 'mid-poll']) {
        if (when === 'mid-poll') await softly(ctx, 'backfill done', () => ctx.runAt(1, 90_000));
        await ctx.fault(`ERP database SIGKILLed ${when}, down 4 s`, async () => {
          await ctx.services.erp.kill();
          await sleep(4000);
          await ctx.services.erp.start();
          await ctx.source.reconnect();
          await sleep(2000);
        });
      }
      await loadOn(ctx);
    },
  },
  {
    name: 'target-throttle',
    summary: 'the target answers 429 with Retry-After: 1 to 70 % of requests, in three bursts of 5 s',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['throttle', 'throttle', 'throttle'], 0.7, 5000),
  },
  {
    name: 'target-503-storm',
    summary: 'the target answers 503 to every request, in three storms of 6 s',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['unavailable', 'unavailable', 'unavailable'], 1, 6000),
  },
  {
    name: 'target-timeouts',
    summary: 'the target hangs on 30 % of requests (client timeout 2 s): bursts of never-applied and of applied-then-hung writes',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['hang', 'apply-then-hang', 'hang'], 0.3, 5000),
  },
  {
    name: 'target-resets',
    summary: 'the target applies 30 % of writes and then resets the connection, in three bursts of 5 s',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['apply-then-reset', 'apply-then-reset', 'apply-then-reset'], 0.3, 5000),
  },
  {
    name: 'target-malformed',
    summary: 'the target applies 30 % of writes and answers 200 with a cut JSON body or a body of the wrong shape, in three bursts of 5 s',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['malformed', 'malformed', 'malformed'], 0.3, 5000),
  },
  {
    name: 'target-write-faults',
    summary: 'resets after applying and malformed bodies after applying, alternating bursts of 4 s on 30 % of writes (the bounded vitest part)',
    visibility: 'required',
    records: tenth,
    run: (ctx) => targetScenario(ctx, ['apply-then-reset', 'malformed', 'apply-then-reset'], 0.3, 4000),
  },
  {
    name: 'target-down',
    summary: 'the target refuses connections for 25 s, longer than the retry budget (attempts 4, backoff 200 ms…1 s): dead letters allowed, then replayed',
    settings: { attempts: 4, backoffMs: 200, maxBackoffMs: 1000 },
    allowDeadLetters: true,
    visibility: 'required',
    records: tenth,
    async run(ctx) {
      await ctx.startLoad();
      await softly(ctx, 'start of delivery', () => ctx.targetAt(0.2, 60_000));
      await ctx.fault('target down (connection refused) for 25 s', async () => {
        await ctx.target.setFault('down');
        await sleep(25_000);
        await ctx.target.setFault('none');
      });
      await loadOn(ctx);
    },
  },
  {
    name: 'api-writers-backfill',
    summary: 'eight API writers PATCHing the same hot records (the first 2 %) as fast as they can while the backfill ingests them',
    visibility: 'informational',
    async run(ctx) {
      ctx.writers.setWriters(8, 5);
      await ctx.startLoad();
      await loadOn(ctx);
    },
  },
  {
    name: 'cold-start',
    summary: 'two `hub serve` and two `hub worker` started at the same moment on an empty store (migrations, first admin, schedulers), then the load',
    visibility: 'informational',
    records: tenth,
    customStart: true,
    async run(ctx) {
      const procs = await Promise.all([ctx.hub.spawn('serve'), ctx.hub.spawn('serve'), ctx.hub.spawn('worker'), ctx.hub.spawn('worker')]);
      const ready = await Promise.allSettled(procs.map((p) => ctx.hub.ready(p, 90_000)));
      ready.forEach((r, i) => ctx.note(`${procs[i]!.name}: ${r.status === 'fulfilled' ? 'ready' : `NOT ready: ${String(r.reason).split('\n').slice(0, 3).join(' ')}`}`));
      const failed = ready.filter((r) => r.status === 'rejected').length;
      if (failed) throw new Error(`${failed} of the 4 processes started at once did not come up`);
      await ctx.useApi(procs[0]!);
      // The second API must serve the same store: the same admin logs in there too.
      const other = new HubApi(procs[1]!.apiUrl!);
      await other.login();
      const [[{ n }]] = (await ctx.storePool.query(`SELECT COUNT(*) AS n FROM hub_users WHERE username = 'admin'`)) as unknown as [[{ n: number }]];
      ctx.note(`admin users in the store: ${n}`);
      if (Number(n) !== 1) throw new Error(`${n} admin users after a concurrent first start`);
      await ctx.startLoad();
      await loadOn(ctx);
    },
  },
  {
    name: 'sigterm-during-load',
    summary: 'SIGTERM to both workers at once mid-delivery (graceful stop within 20 s?), restarted; then SIGTERM to the API under the writers, restarted',
    visibility: 'informational',
    records: tenth,
    async run(ctx) {
      await ctx.startLoad();
      await softly(ctx, 'start of delivery', () => ctx.targetAt(0.3, 60_000));
      await ctx.fault('SIGTERM to every worker', async () => {
        const workers = ctx.hub.running('worker');
        const results = await Promise.all(workers.map((w) => stopProcess(w, 'SIGTERM', 20_000)));
        results.forEach((r, i) => ctx.note(`${workers[i]!.name} after SIGTERM: code ${r.code}, signal ${r.signal}${r.forced ? ', did NOT stop within 20 s (SIGKILLed)' : ''}`));
        await Promise.all(workers.map(() => ctx.hub.start('worker')));
      });
      await sleep(3000);
      await ctx.fault('SIGTERM to the API', async () => {
        const api = ctx.hub.running('api')[0]!;
        const r = await stopProcess(api, 'SIGTERM', 20_000);
        ctx.note(`${api.name} after SIGTERM: code ${r.code}, signal ${r.signal}${r.forced ? ', did NOT stop within 20 s (SIGKILLed)' : ''}`);
        await ctx.useApi(await ctx.hub.start('api'));
      });
      await loadOn(ctx);
    },
  },
];

export function selectScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...SCENARIOS];
  const picked = SCENARIOS.filter((s) => names.some((n) => s.name === n || s.name.startsWith(n) || s.name.includes(n)));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n || s.name.startsWith(n) || s.name.includes(n)));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return picked;
}
