import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { compare, targetFingerprint, type Comparison } from './compare.js';
import { ErpSource } from './erp-source.js';
import { HubApi, HubProcesses, writeHubConfig, type HubProcess, type HubSettings } from './hub.js';
import { ApiWriters } from './load.js';
import { Observer, type FaultWindow } from './observe.js';
import { PrivateMariadb, PrivateRedis, sleep, until } from './services.js';
import { TargetFake } from './target.js';

/**
 * One scenario's life: fresh databases (hub store on the store server, ERP table on the ERP
 * server), a fresh Redis prefix, the target fake, hub processes; the scenario's own steps (load and
 * faults); then convergence and the record-by-record comparison.
 */

/** The private servers of a run, started once and shared by the scenarios (each with its own databases). */
export class Services {
  readonly store: PrivateMariadb;
  readonly erp: PrivateMariadb;
  private readonly redises = new Map<boolean, PrivateRedis>();
  constructor(readonly root: string) {
    this.store = new PrivateMariadb(root, 'store-mariadb');
    this.erp = new PrivateMariadb(root, 'erp-mariadb');
  }

  async start(): Promise<void> {
    await Promise.all([this.store.start(), this.erp.start()]);
  }

  /** The private Redis without persistence, or the one with an append-only file; started on first use. */
  async redis(aof: boolean): Promise<PrivateRedis> {
    let r = this.redises.get(aof);
    if (!r) {
      r = new PrivateRedis(this.root, aof ? 'redis-aof' : 'redis', aof);
      this.redises.set(aof, r);
    }
    if (!r.running()) await r.start();
    return r;
  }

  /** Restarts whatever a scenario left stopped. */
  async heal(): Promise<void> {
    if (!this.store.running()) await this.store.start();
    if (!this.erp.running()) await this.erp.start();
    for (const r of this.redises.values()) if (!r.running()) await r.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.store.shutdown(), this.erp.shutdown(), ...[...this.redises.values()].map((r) => r.stop())]);
  }
}

export interface Scenario {
  readonly name: string;
  /** One line: what it does. */
  readonly summary: string;
  /** Records for a run sized `n` (default n). */
  readonly records?: (n: number) => number;
  readonly settings?: HubSettings;
  /** Redis with an append-only file. */
  readonly aof?: boolean;
  /** Open dead letters are expected (the target down longer than the retry budget); they are then replayed. */
  readonly allowDeadLetters?: boolean;
  /** `required`: the fault must show in the status API, readyz or metrics while it lasts. */
  readonly visibility: 'required' | 'informational';
  /** Starts the hub processes itself (default: `hub serve --no-workers` and two `hub worker`). */
  readonly customStart?: boolean;
  run(ctx: Context): Promise<void>;
}

export interface ScenarioResult {
  readonly name: string;
  readonly records: number;
  readonly comparison: Comparison | null;
  /** After replaying the dead letters (scenarios that expect them). */
  readonly afterReplay: Comparison | null;
  readonly convergeSeconds: number | null;
  readonly converged: boolean;
  readonly seen: string;
  readonly signals: string[];
  readonly visible: boolean | null;
  readonly visibility: 'required' | 'informational';
  readonly allowDeadLetters: boolean;
  readonly failures: string[];
  readonly notes: string[];
  readonly seconds: number;
  readonly logDir: string;
}

export class Context {
  readonly source: ErpSource;
  readonly target = new TargetFake();
  readonly observer: Observer;
  readonly writers: ApiWriters;
  readonly notes: string[] = [];
  hub!: HubProcesses;
  api: HubApi | undefined;
  redis!: PrivateRedis;
  storePool!: Pool;
  runId: string | undefined;
  private redisClient: Redis | undefined;
  private readonly t0 = Date.now();

  constructor(readonly services: Services, readonly scenario: Scenario, readonly records: number, readonly dir: string, readonly prefix: string, readonly storeDb: string, readonly log: (line: string) => void) {
    this.source = new ErpSource(services.erp, `erp_${prefix.replace(/-/g, '_')}`);
    this.observer = new Observer(() => this.api);
    this.writers = new ApiWriters(() => this.api, () => this.hotIds());
  }

  note(text: string): void {
    const line = `${((Date.now() - this.t0) / 1000).toFixed(1)}s ${text}`;
    this.notes.push(line);
    this.log(`    ${line}`);
  }

  async setup(): Promise<void> {
    this.redis = await this.services.redis(this.scenario.aof ?? false);
    await this.services.store.createDatabase(this.storeDb);
    await this.source.create(this.records);
    await this.target.listen();
    this.storePool = this.services.store.pool(this.storeDb, 2);
    const config = writeHubConfig(
      { dir: this.dir, storeUrl: this.services.store.url(this.storeDb), redisUrl: this.redis.url, prefix: this.prefix, erpUrl: this.source.url, targetUrl: this.target.url },
      this.scenario.settings,
    );
    this.hub = new HubProcesses({ dir: this.dir, storeUrl: this.services.store.url(this.storeDb), redisUrl: this.redis.url, prefix: this.prefix, erpUrl: this.source.url, targetUrl: this.target.url }, config);
  }

  /** The default layout: the API alone and two workers. */
  async startHub(workers = 2): Promise<void> {
    const api = await this.hub.start('api');
    await Promise.all(Array.from({ length: workers }, () => this.hub.start('worker')));
    await this.useApi(api);
  }

  async useApi(p: HubProcess): Promise<void> {
    const api = new HubApi(p.apiUrl!);
    await api.login();
    this.api = api;
  }

  /** The codes the writers aim at: the first 2 % of the records (at least 20), those the hub holds so far. */
  private async hotIds(): Promise<Map<string, string>> {
    const hot = Math.max(20, Math.floor(this.records * 0.02));
    const [rows] = await this.storePool.query<RowDataPacket[]>(`SELECT id, code FROM hub_customers WHERE code <= ? AND deleted_at IS NULL`, [`C${String(hot).padStart(6, '0')}`]);
    return new Map(rows.map((r) => [String(r['code']), String(r['id'])]));
  }

  /** Asks the API for an inbound backfill of the ERP's customers (retried while the API is not ready). */
  async backfill(): Promise<string> {
    const id = await until('the backfill request', async () => {
      const res = await this.api!.call('POST', '/api/v1/sync/connectors/erp/backfill', { entity: 'customer', direction: 'in' });
      if (res.status >= 300) throw new Error(`backfill: ${res.status} ${JSON.stringify(res.body)}`);
      return String(res.body.id);
    }, 30_000, 500);
    this.runId = id;
    this.note(`backfill ${id} requested`);
    return id;
  }

  /** The backfill run as the store holds it. */
  async run(): Promise<{ state: string; done: number; total: number | null } | undefined> {
    if (!this.runId) return undefined;
    const [rows] = await this.storePool.query<RowDataPacket[]>('SELECT state, done, total FROM hub_sync_runs WHERE id = ?', [this.runId]);
    const r = rows[0];
    return r ? { state: String(r['state']), done: Number(r['done']), total: r['total'] === null ? null : Number(r['total']) } : undefined;
  }

  /** The standard load: a backfill of every record, the ERP changing names, the API writers. */
  async startLoad(): Promise<void> {
    await this.backfill();
    this.source.startMutating();
    this.writers.start();
  }

  async stopLoad(): Promise<void> {
    await Promise.all([this.source.stopMutating(), this.writers.stop()]);
    this.note(`load stopped: ERP updates ${this.source.stats.updates} (${this.source.stats.failed} failed), API PATCHes ${this.writers.statusSummary()}`);
  }

  /** Waits until the backfill has ingested `share` of the records. */
  async runAt(share: number, ms = 300_000): Promise<void> {
    await until(`the backfill at ${Math.round(share * 100)} %`, async () => {
      const r = await this.run().catch(() => undefined);
      if (r?.state === 'done' || (r && r.done >= share * this.records)) return true;
      return undefined;
    }, ms, 100);
  }

  /** Waits until the target holds `share` of the records. */
  async targetAt(share: number, ms = 300_000): Promise<void> {
    await until(`the target at ${Math.round(share * 100)} %`, () => (this.target.byCode.size >= share * this.records ? true : undefined), ms, 100);
  }

  /** Runs `body` as a fault window: the observer tells what the status showed meanwhile. */
  async fault<T>(label: string, body: () => Promise<T>): Promise<T> {
    const w: FaultWindow = this.observer.faultStart(label);
    this.note(`fault: ${label}`);
    try {
      return await body();
    } finally {
      this.observer.faultEnd(w);
      this.note(`fault over: ${label}`);
    }
  }

  /** Starts a worker in place of `p` after killing it with `signal`. */
  async replaceWorker(p: HubProcess, signal: NodeJS.Signals): Promise<HubProcess> {
    const { stopProcess } = await import('./services.js');
    const r = await stopProcess(p, signal);
    this.note(`${p.name} ${signal}: exit code ${r.code}, signal ${r.signal}${r.forced ? ' (forced with SIGKILL after the grace time)' : ''}`);
    return this.hub.start('worker');
  }

  redisKey(): Redis {
    this.redisClient ??= new Redis(this.redis.url, { maxRetriesPerRequest: 1, lazyConnect: false, retryStrategy: () => 500 });
    return this.redisClient;
  }

  /**
   * Quiet: no backfill queued or running, the relay past the last outbox row, every delivery queue
   * empty, and neither the hub's customers nor the target's documents changed for `quietMs`. Once
   * quiet, `isClean` (the comparison) decides: clean ends the wait; otherwise the wait goes on while
   * things may still move (a dead worker's job is taken up only after its lock expires), until the
   * system has been quiet for `stuckMs` or `timeoutMs` passed. Returns when it went quiet (its last
   * change) and whether it was clean then.
   */
  async converge(timeoutMs: number, isClean: () => Promise<boolean>, quietMs = 5000, stuckMs = 45_000): Promise<{ at: number | null; clean: boolean }> {
    let last = '';
    let since = Date.now();
    let checkedAt = 0;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      let busy = '';
      let hubPrint = '';
      try {
        // A run that stays queued or running without progress is stuck, not busy: it shows in the print.
        const [[runs]] = (await this.storePool.query(`SELECT COUNT(*) AS n, COALESCE(SUM(done), 0) AS done FROM hub_sync_runs WHERE state IN ('queued', 'running')`)) as unknown as [[{ n: number; done: number }]];
        const [[h]] = (await this.storePool.query('SELECT COUNT(*) AS n, MAX(updated_at) AS u, (SELECT COALESCE(MAX(id), 0) FROM hub_outbox) AS o FROM hub_customers')) as unknown as [[{ n: number; u: string; o: number }]];
        hubPrint = `${h.n}:${h.u}:${runs.n}:${runs.done}`;
        const cursor = Number((await this.redisKey().get(`${this.prefix}:relay:cursor`)) ?? 0);
        if (cursor < Number(h.o)) busy ||= 'relay';
        const status = await this.api!.call('GET', '/api/v1/sync/connectors', undefined, 5000);
        if (status.status !== 200) busy ||= `status ${status.status}`;
        else for (const c of status.body.items as any[]) if (c.queue && c.queue.waiting + c.queue.active + c.queue.delayed > 0) busy ||= 'queue';
      } catch (error) {
        busy = `error ${(error as Error).message.slice(0, 60)}`;
      }
      const print = `${hubPrint}|${targetFingerprint(this.target)}`;
      if (busy || print !== last) {
        last = print;
        since = Date.now();
      } else if (Date.now() - since >= quietMs && Date.now() - checkedAt >= 3000) {
        checkedAt = Date.now();
        if (await isClean().catch(() => false)) return { at: since, clean: true };
        if (Date.now() - since >= stuckMs) return { at: since, clean: false };
      }
      await sleep(500);
    }
    return { at: null, clean: false };
  }

  async close(): Promise<void> {
    await this.observer.stop();
    await this.writers.stop();
    await this.hub?.stopAll('SIGTERM');
    await this.source.close();
    await this.target.close();
    this.redisClient?.disconnect();
    await this.storePool?.end().catch(() => undefined);
  }
}

export interface RunOptions {
  readonly records: number;
  readonly root: string;
  readonly convergeMs: number;
  readonly log: (line: string) => void;
  /** Keep the scenario's databases (for a post-mortem). */
  readonly keep?: boolean;
  /** How long a quiet but not clean system is watched before it is judged (default 45 s). */
  readonly stuckMs?: number;
}

/** Runs one scenario end to end and judges it. */
export async function runScenario(services: Services, scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const records = Math.max(50, Math.round(scenario.records ? scenario.records(options.records) : options.records));
  const prefix = `f${Date.now().toString(36)}-${scenario.name}`.slice(0, 48);
  const dir = join(options.root, scenario.name);
  mkdirSync(dir, { recursive: true });
  const ctx = new Context(services, scenario, records, dir, prefix, `hub_${prefix.replace(/-/g, '_')}`, options.log);
  const failures: string[] = [];
  let comparison: Comparison | null = null;
  let afterReplay: Comparison | null = null;
  let quietAt: number | null = null;
  let loadEnd = Date.now();
  options.log(`\n== ${scenario.name} (${records} records): ${scenario.summary}`);
  try {
    await services.heal();
    await ctx.setup();
    ctx.note(`set up: ${records} ERP rows, store ${ctx.storeDb}, Redis ${ctx.redis.url} prefix ${prefix}`);
    if (!scenario.customStart) await ctx.startHub();
    ctx.observer.start();
    try {
      await scenario.run(ctx);
    } catch (error) {
      failures.push(`scenario step failed: ${(error as Error).message.split('\n')[0]}`);
      ctx.note(`step failed: ${(error as Error).stack ?? String(error)}`.slice(0, 2000));
    }
    // Whatever the steps left: load off, faults off, every service up, a worker running.
    await ctx.stopLoad();
    await ctx.target.setFault('none');
    await services.heal();
    if (ctx.hub.running('worker').length + ctx.hub.running('serve').length === 0) await ctx.hub.start('worker');
    if (!ctx.api || (ctx.hub.running('api').length + ctx.hub.running('serve').length === 0)) await ctx.useApi(await ctx.hub.start('api'));
    loadEnd = Date.now();
    const check = async () => {
      const c = await compare(await ctx.source.rows(), ctx.storePool, ctx.target, ctx.writers);
      return c.lost + c.duplicated + c.stale + c.missingInHub === 0 && (c.deadLetters === 0 || (scenario.allowDeadLetters ?? false));
    };
    const first = await ctx.converge(options.convergeMs, check, 5000, options.stuckMs);
    quietAt = first.at;
    ctx.note(quietAt === null ? `did not go quiet within ${options.convergeMs / 1000} s` : `quiet since ${((quietAt - loadEnd) / 1000).toFixed(1)} s after the load and faults ended; ${first.clean ? 'clean' : 'NOT clean after a long quiet'}`);
    comparison = await compare(await ctx.source.rows(), ctx.storePool, ctx.target, ctx.writers);
    if (scenario.allowDeadLetters && comparison.deadLetters > 0) {
      const res = await ctx.api!.call('POST', '/api/v1/sync/dead-letters/replay', {});
      ctx.note(`replayed the dead letters: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      const again = await ctx.converge(options.convergeMs, async () => {
        const c = await compare(await ctx.source.rows(), ctx.storePool, ctx.target, ctx.writers);
        return c.lost + c.duplicated + c.stale + c.deadLetters === 0;
      }, 5000, options.stuckMs);
      ctx.note(again.at === null ? 'did not go quiet after the replay' : `quiet after the replay; ${again.clean ? 'clean' : 'NOT clean'}`);
      afterReplay = await compare(await ctx.source.rows(), ctx.storePool, ctx.target, ctx.writers);
    }
  } catch (error) {
    failures.push(`harness: ${(error as Error).message.split('\n')[0]}`);
    ctx.note(`harness failure: ${(error as Error).stack ?? String(error)}`.slice(0, 3000));
  } finally {
    await ctx.observer.stop();
  }
  const described = Observer.describe(ctx.observer.during());
  const visible = scenario.visibility === 'required' ? described.signals.length > 0 : described.signals.length > 0 || null;
  const final = afterReplay ?? comparison;
  if (comparison) {
    if (quietAt === null) failures.push('did not converge');
    const c = final!;
    if (c.lost > 0) failures.push(`${c.lost} lost`);
    if (c.duplicated > 0) failures.push(`${c.duplicated} duplicated`);
    if (c.stale > 0) failures.push(`${c.stale} stale`);
    if (c.missingInHub > 0) failures.push(`${c.missingInHub} source rows not in the hub`);
    if (!scenario.allowDeadLetters && comparison.deadLetters > 0) failures.push(`${comparison.deadLetters} unexpected dead letters`);
    if (scenario.allowDeadLetters && afterReplay && afterReplay.deadLetters > 0) failures.push(`${afterReplay.deadLetters} dead letters left after the replay`);
  }
  if (scenario.visibility === 'required' && !visible) failures.push('fault not visible in status API / readyz / metrics');
  ctx.note(`processes' most frequent error lines: ${ctx.hub?.errorSummary().join(' | ') || 'none'}`);
  await ctx.close().catch((error: Error) => ctx.note(`close failed: ${error.message}`));
  if (!options.keep) {
    await services.store.dropDatabase(ctx.storeDb).catch(() => undefined);
    await services.erp.dropDatabase(ctx.source.database).catch(() => undefined);
  }
  return {
    name: scenario.name,
    records,
    comparison,
    afterReplay,
    convergeSeconds: quietAt === null ? null : Math.max(0, (quietAt - loadEnd) / 1000),
    converged: quietAt !== null,
    seen: described.text,
    signals: described.signals,
    visible,
    visibility: scenario.visibility,
    allowDeadLetters: scenario.allowDeadLetters ?? false,
    failures,
    notes: ctx.notes,
    seconds: (Date.now() - started) / 1000,
    logDir: dir,
  };
}
