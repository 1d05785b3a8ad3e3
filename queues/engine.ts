import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConnectorError, type Connector, type ExternalRecord } from '../connectors/contract.js';
import { ConfigError, ConflictError, foreignErrorSummary, NotFoundError, UnprocessableError, type FieldProblem } from '../core/errors.js';
import { ENTITIES, ENTITY_NAMES, type EntityName, type JsonObject } from '../core/model/entities.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { RecordService } from '../core/records/service.js';
import type { DeadLetter, DeadLetterFilter } from '../core/store/dead-letters-repository.js';
import type { Store } from '../core/store/store.js';
import type { Conflict } from '../core/store/conflicts-repository.js';
import { withWriteOrigin } from '../core/store/write-origin.js';
import type { CompiledMapping } from '../mappings/engine/compile.js';
import type { MappingRegistry } from '../mappings/engine/load.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import { duplicateRisks } from './sync-check.js';
import type { SyncConfig } from './config.js';
import { isStoreUnavailable } from '../core/store/faults.js';
import { retryDelay, STORE_RETRY_MAX_MS, TargetDelivery, type TargetSettings } from './delivery.js';
import { Ingestor, type SourceSpec } from './ingest.js';
import { OutboxRelay } from './relay.js';
import { SourceRunner, type SourceSettings } from './sources.js';
import { SyncStats } from './stats.js';
import { reconcileTarget } from './reconcile.js';
import { RunChains } from './run-chains.js';
import { withProgress, type RunView } from './runs.js';
import { SyncWatchdog } from './watchdog.js';
import { verifiedWebhook, type WebhookCall } from './webhook.js';
import { ConnectorChecks } from './checks.js';
import { connectorStatus, registerSyncGauges, type ConnectorStatus } from './status.js';

export type { RunView } from './runs.js';
export type { ConnectorStatus, EntityStatus } from './status.js';

export type { SyncConfig } from './config.js';

export interface SyncEngineDeps {
  readonly store: Store;
  readonly records: RecordService;
  readonly policy: PolicyEngine;
  readonly mappings: MappingRegistry;
  readonly ownership: Ownership;
  readonly log: Logger;
  /** A plain Redis client (locks, breaker, statistics, relay cursor). */
  readonly redis: Redis;
  /** Makes a new Redis connection (BullMQ and the relay's subscriber need their own). */
  readonly connection: ConnectionOptions;
  readonly subscriber?: () => Redis;
  readonly prefix: string;
  readonly metrics?: Registry;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly config: SyncConfig;
}

const SYNC_CHANNEL = (prefix: string) => `${prefix}:outbox:committed`;

/** A slice of an outbound backfill: the run, the chain it belongs to, and how often a store fault put it back. */
interface OutboundSliceJob {
  readonly runId: string;
  readonly chain?: string;
  readonly deferred?: number;
}

const SLICE_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: 100, removeOnFail: 1000 } as const;

function pick(mappings: MappingRegistry, connector: string, entity: EntityName, direction: 'in' | 'out'): CompiledMapping | undefined {
  const found = mappings.list().filter((m) => m.connector === connector && m.entity === entity && m.direction === direction);
  return found.find((m) => m.name === `${connector}.${entity}.${direction}`) ?? found[0];
}

/**
 * The sync engine: the outbox relay, one delivery queue per target, one ingest queue per source,
 * backfills, the conflict inbox and dead letters, and their status. `start({ workers: false })`
 * gives the API side only (status, dead letters, backfill requests: they are queued for workers).
 */
export class SyncEngine {
  readonly targets = new Map<string, TargetDelivery>();
  readonly sources = new Map<string, SourceRunner>();
  readonly stats: SyncStats;
  readonly ingestor: Ingestor;
  readonly checks: ConnectorChecks; // run at the workers' start and on demand; shown in the status
  private relay: OutboxRelay | undefined;
  private subscriber: Redis | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly webhookSecrets = new Map<string, string>();
  private readonly instance = randomUUID();
  private readonly reconcileSchedule = new Map<string, number>();
  private reconcileQueue: Queue<{ target: string; entity: EntityName }> | undefined;
  private backfillQueue: Queue<OutboundSliceJob> | undefined;
  private backfillWorker: Worker<OutboundSliceJob> | undefined;
  private readonly chains: RunChains;
  private watchdog: SyncWatchdog | undefined;
  private reconcileWorker: Worker<{ target: string; entity: EntityName }> | undefined;

  constructor(private readonly deps: SyncEngineDeps) {
    const problems: FieldProblem[] = [];
    const { config, mappings, connectors } = deps;
    this.stats = new SyncStats(deps.redis, deps.prefix, deps.metrics);
    this.checks = new ConnectorChecks(connectors, deps.redis, deps.prefix, deps.log);
    this.chains = new RunChains(deps.redis, deps.prefix);
    this.ingestor = new Ingestor({
      store: deps.store,
      records: deps.records,
      ownership: deps.ownership,
      policy: deps.policy,
      stats: this.stats,
      log: deps.log,
      // Fields a source may not set (or held as conflicts) keep the hub's value: send it back.
      restore: async (system, entity, ids) => {
        const t = this.targets.get(system);
        if (t?.wants(entity)) await t.enqueue(entity, ids);
      },
    });
    const base = { store: deps.store, policy: deps.policy, log: deps.log, connection: deps.connection, redis: deps.redis, prefix: deps.prefix, stats: this.stats };

    const mappingsFor = (name: string, entities: readonly EntityName[], direction: 'in' | 'out', at: string, required: boolean) => {
      const out: Partial<Record<EntityName, CompiledMapping>> = {};
      for (const entity of entities) {
        const m = pick(mappings, name, entity, direction);
        if (m) out[entity] = m;
        else if (required) problems.push({ pointer: `${at}/entities`, detail: `no ${direction === 'out' ? 'outbound' : 'inbound'} mapping for ${entity} with connector ${name}` });
      }
      return out;
    };
    const allEntities = ENTITY_NAMES as readonly EntityName[];

    for (const [name, t] of Object.entries(config.targets)) {
      const at = `/sync/targets/${name}`;
      const connector = connectors.get(name);
      if (!connector) {
        problems.push({ pointer: at, detail: `no connector named ${name} is configured (connectors.${name})` });
        continue;
      }
      const { entities, reconcileEveryMs, ...settings } = t;
      if (reconcileEveryMs) this.reconcileSchedule.set(name, reconcileEveryMs);
      const out = mappingsFor(name, entities, 'out', at, true);
      problems.push(...duplicateRisks(name, connector, Object.values(out), at));
      this.targets.set(name, new TargetDelivery({ name, connector, mappings: out, inbound: mappingsFor(name, allEntities, 'in', at, false), settings }, base));
    }
    for (const [name, s] of Object.entries(config.sources)) {
      const at = `/sync/sources/${name}`;
      const connector = connectors.get(name);
      if (!connector) {
        problems.push({ pointer: at, detail: `no connector named ${name} is configured (connectors.${name})` });
        continue;
      }
      const { webhookSecret, ...settings } = s;
      if (webhookSecret) this.webhookSecrets.set(name, webhookSecret);
      const inbound = mappingsFor(name, s.entities, 'in', at, true);
      // Entities a backfill may read: every inbound mapping of the connector, polled or not.
      const all = { ...mappingsFor(name, allEntities, 'in', at, false), ...inbound };
      if (settings.deletes && !webhookSecret) {
        // Deletes come from a deleted flag the connector reads, or from webhooks; with neither, the setting does nothing.
        const described = connector.describe().entities;
        const blind = Object.values(inbound).filter((m) => m && !described[m.externalEntity]?.detectDeletes).map((m) => m!.externalEntity);
        if (blind.length > 0) problems.push({ pointer: `${at}/deletes`, detail: `${name} reports no deletes for ${blind.join(', ')} (set its deletedFlag / deletedField, or a webhookSecretEnv for deletes by webhook)` });
      }
      const spec: SourceSpec = { name, connector, inbound: all, outbound: mappingsFor(name, allEntities, 'out', at, false), applyDeletes: settings.deletes ?? false };
      this.sources.set(name, new SourceRunner(spec, settings, { store: deps.store, ingestor: this.ingestor, connection: deps.connection, prefix: deps.prefix, log: deps.log, stats: this.stats, chains: this.chains }));
    }
    if (problems.length > 0) throw new ConfigError('The sync configuration is invalid', problems);
    if (deps.metrics) registerSyncGauges(deps.metrics, { targets: this.targets, sources: this.sources, stats: this.stats, store: deps.store });
  }

  /** Starts the workers (delivery, ingest, relay) in this process; without them, the API side only. */
  async start(options: { workers: boolean }): Promise<void> {
    const { redis, prefix, store, log } = this.deps;
    // Every commit wakes the relay: here directly, in other processes through Redis.
    this.unsubscribe = store.onCommit(() => {
      this.relay?.poke();
      redis.publish(SYNC_CHANNEL(prefix), this.instance).catch(() => undefined);
    });
    for (const s of this.sources.values()) await s.queue.setGlobalConcurrency(1);
    // Outbound backfills run in the workers, in slices (any process may request one).
    this.backfillQueue = new Queue<OutboundSliceJob>('sync.backfill', { connection: this.deps.connection, prefix });
    if (!options.workers) return;
    void this.checks.runAll([...new Set([...this.targets.keys(), ...this.sources.keys()])]);
    this.backfillWorker = new Worker<OutboundSliceJob>('sync.backfill', (job) => this.outboundSliceOrWait(job.data), { connection: this.deps.connection, prefix, concurrency: 2, maxStalledCount: 10 });
    this.backfillWorker.on('error', () => undefined);
    for (const t of this.targets.values()) t.start();
    for (const s of this.sources.values()) {
      s.start();
      await s.schedule();
    }
    if (this.reconcileSchedule.size > 0) {
      // Scheduled reconciliation with repair, one job per target and entity (BullMQ job schedulers).
      this.reconcileQueue = new Queue<{ target: string; entity: EntityName }>('sync.reconcile', { connection: this.deps.connection, prefix });
      await this.scheduleReconcile();
      this.reconcileWorker = new Worker<{ target: string; entity: EntityName }>('sync.reconcile', async (job) => (await this.reconcile(job.data.target, job.data.entity, { repair: true, by: 'scheduler' })).report, { connection: this.deps.connection, prefix, concurrency: 1 });
      this.reconcileWorker.on('error', () => undefined);
    }
    this.relay = new OutboxRelay(store, redis, prefix, [...this.targets.values()], log, this.deps.config.relayIntervalMs);
    this.relay.start();
    this.watchdog = new SyncWatchdog({
      redis,
      prefix,
      store,
      log,
      chains: this.chains,
      instance: this.instance,
      reschedule: async () => {
        // The queues' settings went with the keys: one ingest at a time per source again, then the schedules.
        for (const s of this.sources.values()) {
          await s.queue.setGlobalConcurrency(1);
          await s.schedule();
        }
        await this.scheduleReconcile();
      },
      continueRun: async (run, chain) => {
        if (run.direction === 'in') await this.sources.get(run.connector)?.continueBackfill(run.id, 0, 0, chain);
        else await this.backfillQueue?.add('out', { runId: run.id, chain }, SLICE_OPTIONS);
      },
    });
    this.watchdog.start();
    if (this.deps.subscriber) {
      const sub = this.deps.subscriber();
      this.subscriber = sub;
      // Other processes' commits; this process's own already poked the relay directly.
      sub.on('message', (_channel: string, from: string) => {
        if (from !== this.instance) this.relay?.poke();
      });
      sub.on('error', () => undefined);
      await sub.subscribe(SYNC_CHANNEL(prefix));
    }
  }

  private async scheduleReconcile(): Promise<void> {
    const q = this.reconcileQueue;
    if (!q) return;
    for (const [target, every] of this.reconcileSchedule) {
      for (const entity of Object.keys(this.targets.get(target)?.target.mappings ?? {}) as EntityName[]) {
        await q.upsertJobScheduler(`${target}:${entity}`, { every }, { name: 'reconcile', data: { target, entity }, opts: { removeOnComplete: 50, removeOnFail: 50 } });
      }
    }
  }

  /** Drains: stops taking jobs, lets the jobs in flight finish, closes queues. */
  async stop(): Promise<void> {
    await this.watchdog?.stop();
    this.watchdog = undefined;
    this.unsubscribe?.();
    await this.relay?.stop();
    this.relay = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    await this.backfillWorker?.close().catch(() => undefined);
    await this.backfillQueue?.close().catch(() => undefined);
    await this.reconcileWorker?.close().catch(() => undefined);
    await this.reconcileQueue?.close().catch(() => undefined);
    await Promise.all([...this.targets.values()].map((t) => t.close().catch(() => undefined)));
    await Promise.all([...this.sources.values()].map((s) => s.close().catch(() => undefined)));
  }

  get relayed(): number {
    return this.relay?.relayed ?? 0;
  }

  // ---- status --------------------------------------------------------------------------------

  async status(): Promise<ConnectorStatus[]> {
    return connectorStatus({ targets: this.targets, sources: this.sources, stats: this.stats, store: this.deps.store, checks: this.checks });
  }

  connectorIds(): string[] {
    return [...new Set([...this.targets.keys(), ...this.sources.keys()])].sort();
  }

  // ---- dead letters --------------------------------------------------------------------------

  async deadLetters(filter: DeadLetterFilter, limit: number, afterId?: number): Promise<DeadLetter[]> {
    return this.deps.store.deadLetters.list(filter, limit, afterId);
  }

  /**
   * Replays dead letters: outbound ones deliver the record's current state again (not the stored
   * payload), inbound ones ingest the stored change again. Returns the letters replayed.
   */
  async replay(ids: readonly string[], by: string): Promise<string[]> {
    const letters = (await Promise.all(ids.map((id) => this.deps.store.deadLetters.get(id)))).filter((l): l is DeadLetter => l !== undefined && l.state === 'open');
    const replayed: string[] = [];
    for (const l of letters) {
      if (l.direction === 'out') {
        const t = this.targets.get(l.target);
        if (!t || !t.wants(l.entity)) continue;
        await this.deps.store.links.forgetOutHash(l.target, l.entity, [l.recordId]);
        await t.enqueue(l.entity, [l.recordId]);
      } else {
        const s = this.sources.get(l.target);
        if (!s || !s.reads(l.entity) || !l.recordId) continue;
        const mapping = s.source.inbound[l.entity];
        if (!mapping || Object.keys(l.payload).length === 0) continue;
        // Inbound letters keep the source's fields when mapping failed, or the mapped change when the hub refused it.
        await s.push(l.entity, [l.payload as ExternalRecord], `replay:${l.id}`);
      }
      replayed.push(l.id);
    }
    await this.deps.store.deadLetters.resolve(replayed, 'replayed', by, new Date().toISOString());
    return replayed;
  }

  async replayWhere(filter: DeadLetterFilter, by: string, max = 10_000): Promise<string[]> {
    const out: string[] = [];
    let after: number | undefined;
    while (out.length < max) {
      const page = await this.deps.store.deadLetters.list({ ...filter, state: 'open' }, 500, after);
      if (page.length === 0) break;
      out.push(...(await this.replay(page.map((l) => l.id), by)));
      after = Number(page[page.length - 1]!.id);
    }
    return out;
  }

  async discard(ids: readonly string[], by: string): Promise<number> {
    return this.deps.store.deadLetters.resolve(ids, 'discarded', by, new Date().toISOString());
  }

  // ---- conflicts -----------------------------------------------------------------------------

  async conflicts(filter: { state?: Conflict['state']; entity?: string; afterId?: number; limit: number }): Promise<Conflict[]> {
    return this.deps.store.conflicts.list(filter);
  }

  /**
   * Resolves a conflict: `hub` keeps the hub's value (and sends it to the system again), `system`
   * takes the held value, `value` sets the given one. The record change is attributed to the
   * resolver and goes out to every target like any other change.
   */
  async resolveConflict(id: string, choice: { pick: 'hub' | 'system' | 'value'; value?: unknown }, by: string): Promise<Conflict> {
    const c = await this.deps.store.conflicts.get(id);
    if (!c) throw new NotFoundError();
    if (c.state !== 'open') throw new ConflictError('The conflict is already resolved', [{ pointer: '/pick', detail: `resolved on ${c.resolvedAt ?? '?'} by ${c.resolvedBy ?? '?'}` }]);
    if (choice.pick === 'value' && choice.value === undefined) throw new UnprocessableError('A value is needed', [{ pointer: '/value', detail: 'is required when pick is value' }]);
    const entity = c.entity as EntityName;
    const at = new Date().toISOString();
    if (choice.pick !== 'hub') {
      const value = choice.pick === 'system' ? c.theirValue : choice.value;
      await withWriteOrigin({ system: choice.pick === 'system' ? c.system : 'hub', job: `conflict:${c.id}:${by}` }, () =>
        this.deps.store.transaction(async (tx) => {
          await this.deps.records.update(entity, c.recordId, { [c.field]: value as JsonObject[string] }, undefined, tx);
          await tx.conflicts.resolve(c.id, choice.pick, by, at);
        }),
      );
    } else {
      await this.deps.store.conflicts.resolve(c.id, 'hub', by, at);
      // The system holds its own value: send it the hub's again (forget the last-write hash so it is not skipped).
      const t = this.targets.get(c.system);
      if (t?.wants(entity)) {
        await this.deps.store.links.forgetOutHash(c.system, entity, [c.recordId]);
        await t.enqueue(entity, [c.recordId]);
      }
    }
    return (await this.deps.store.conflicts.get(c.id))!;
  }

  // ---- backfill ------------------------------------------------------------------------------

  /**
   * Starts a backfill. Inbound (`in`): reads every record of the entity from the connector (from
   * `since`, if given) and ingests it. Outbound (`out`): delivers every hub record of the entity to
   * the target. Neither deletes anything in the target. Runs in the workers; this returns the run.
   */
  async backfill(connector: string, entity: string, options: { since?: string; direction?: 'in' | 'out'; by: string }): Promise<RunView> {
    const problems: FieldProblem[] = [];
    if (!(ENTITY_NAMES as readonly string[]).includes(entity)) problems.push({ pointer: '/entity', detail: `is not an entity (${ENTITY_NAMES.join(', ')})` });
    const s = this.sources.get(connector);
    const t = this.targets.get(connector);
    if (!s && !t) throw new NotFoundError(`No sync source or target named ${connector}`);
    const direction = options.direction ?? (s?.reads(entity) ? 'in' : 'out');
    // Say what the connector is, so that a refused request shows the way to the right one.
    const reads = s ? `it reads ${Object.keys(s.source.inbound).join(', ') || 'nothing'}` : 'it is not a sync source';
    const takes = t ? `it is a target of ${Object.keys(t.target.mappings).join(', ') || 'nothing'}` : 'it is not a sync target';
    if (!options.direction && !s?.reads(entity) && !t?.wants(entity)) problems.push({ pointer: '/entity', detail: `${connector} has no mapping for ${entity} in either direction (${reads}; ${takes})` });
    else if (direction === 'in' && !s?.reads(entity)) problems.push({ pointer: '/entity', detail: s ? `${connector} has no inbound mapping for ${entity} (${reads})` : `${connector} is not a sync source (sync.sources)${t?.wants(entity) ? `; it is a target of ${entity}: direction out` : ''}` });
    else if (direction === 'out' && !t?.wants(entity)) problems.push({ pointer: '/entity', detail: t ? `${connector} is not a target of ${entity} (${takes})` : `${connector} is not a sync target (sync.targets)${s?.reads(entity) ? `; it is a source of ${entity}: direction in` : ''}` });
    let checkpoint: string | null = null;
    if (options.since !== undefined) {
      if (Number.isNaN(Date.parse(options.since))) problems.push({ pointer: '/since', detail: 'is not a date-time' });
      else if (direction === 'in') {
        const mapping = s?.source.inbound[entity as EntityName];
        const from = s?.source.connector.cursorSince;
        if (!from) problems.push({ pointer: '/since', detail: `${connector} cannot start a read at a point in time` });
        else if (mapping) {
          try {
            checkpoint = from.call(s.source.connector, mapping.externalEntity, new Date(options.since).toISOString());
          } catch (error) {
            // A connector that can start at a point in time only when configured for it says what is missing.
            if (!(error instanceof ConnectorError)) throw error;
            problems.push({ pointer: '/since', detail: error.message });
          }
        }
      }
    }
    if (problems.length > 0) throw new UnprocessableError('The backfill request is invalid', problems);
    const id = randomUUID();
    const at = new Date().toISOString();
    await this.deps.store.runs.create({ id, kind: 'backfill', connector, entity, direction, since: options.since ?? null, createdBy: options.by, createdAt: at });
    if (checkpoint !== null) await this.deps.store.runs.update(id, { checkpoint }, at);
    if (direction === 'in') await s!.continueBackfill(id);
    else await this.backfillQueue!.add('out', { runId: id }, SLICE_OPTIONS);
    return (await this.run(id))!;
  }

  /** An outbound slice; while the hub's store is unavailable, the slice waits and tries again (the run never stalls). */
  private async outboundSliceOrWait(data: OutboundSliceJob): Promise<{ done: number; state: string }> {
    try {
      if (!(await this.chains.current(data.runId, data.chain))) return { done: 0, state: 'superseded' };
      return await this.outboundSlice(data.runId, data.chain);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      const deferred = (data.deferred ?? 0) + 1;
      this.deps.log.warn({ run: data.runId, deferred, err: foreignErrorSummary(error) }, 'hub store unavailable: outbound backfill slice deferred');
      await this.backfillQueue?.add('out', { ...data, deferred }, { ...SLICE_OPTIONS, delay: retryDelay(deferred - 1, 1000, STORE_RETRY_MAX_MS) });
      return { done: 0, state: 'deferred' };
    }
  }

  /**
   * One slice of an outbound backfill, in a worker: queues deliveries of the entity's hub records
   * (changed since the run's `since`) page by page for a few seconds, checkpointing the position,
   * then queues its continuation. A killed worker's slice is taken up again from the checkpoint.
   */
  private async outboundSlice(runId: string, chain?: string): Promise<{ done: number; state: string }> {
    const { store } = this.deps;
    const now = () => new Date().toISOString();
    const run = await store.runs.get(runId);
    if (!run || (run.state !== 'queued' && run.state !== 'running')) return { done: run?.done ?? 0, state: run?.state ?? 'missing' };
    const t = this.targets.get(run.connector);
    const entity = run.entity as EntityName;
    if (!t || !t.wants(entity)) {
      await store.runs.update(runId, { state: 'failed', message: `${run.connector} is no longer a target of ${entity}`, finishedAt: now() }, now());
      return { done: run.done, state: 'failed' };
    }
    const def = ENTITIES[entity];
    if (run.state === 'queued' && !(await store.runs.update(runId, { state: 'running', startedAt: now(), total: await store.records.count(def) }, now(), ['queued']))) return { done: 0, state: 'cancelled' };
    let after = run.checkpoint ? (JSON.parse(run.checkpoint) as { value: string; id: string }) : undefined;
    let done = run.done;
    const until = Date.now() + 5000;
    for (;;) {
      const page = await store.records.list(def, { limit: 1000, sort: { field: 'updatedAt', desc: false }, ...(run.since ? { updatedSince: run.since } : {}), ...(after ? { after } : {}) });
      await t.enqueue(entity, page.items.map((r) => r.id));
      done += page.items.length;
      after = page.next;
      const finished = !page.next;
      const kept = await store.runs.update(runId, { done, checkpoint: after ? JSON.stringify(after) : null, ...(finished ? { state: 'done', finishedAt: now(), total: done } : {}) }, now(), ['running']);
      if (!kept) return { done, state: 'cancelled' };
      if (finished) return { done, state: 'done' };
      if (Date.now() >= until) break;
    }
    await this.backfillQueue?.add('out', { runId, ...(chain ? { chain } : {}) }, SLICE_OPTIONS);
    return { done, state: 'running' };
  }

  async run(id: string): Promise<RunView | undefined> {
    const run = await this.deps.store.runs.get(id);
    return run ? withProgress(run) : undefined;
  }

  async runs(filter: { connector?: string; limit: number }): Promise<RunView[]> {
    return (await this.deps.store.runs.list(filter)).map(withProgress);
  }

  async cancelRun(id: string): Promise<RunView> {
    const at = new Date().toISOString();
    const run = await this.deps.store.runs.get(id);
    if (!run) throw new NotFoundError();
    if (!(await this.deps.store.runs.update(id, { state: 'cancelled', finishedAt: at }, at, ['queued', 'running']))) {
      throw new ConflictError(`The run is already ${run.state}`, [{ pointer: '/state', detail: `is ${run.state}` }]);
    }
    return (await this.run(id))!;
  }

  // ---- reconciliation ------------------------------------------------------------------------

  /** See `reconcileTarget`: compares a target with the hub for one entity; with `repair`, re-syncs the drift. */
  async reconcile(connector: string, entity: string, options: { repair: boolean; by: string; maxRecords?: number }): Promise<RunView> {
    return (await this.run(await reconcileTarget(this.deps, this.targets.get(connector), connector, entity, options)))!;
  }

  // ---- webhooks ------------------------------------------------------------------------------

  /** A source's webhook call (every header, the raw body), verified and read (see `verifiedWebhook`), then queued for ingest. */
  async webhook(connector: string, call: WebhookCall): Promise<{ accepted: number }> {
    const s = this.sources.get(connector);
    const secret = this.webhookSecrets.get(connector);
    if (!s || !secret) throw new NotFoundError(`No webhook for ${connector}`);
    const { entity, records } = verifiedWebhook(s.source, secret, call);
    await s.push(entity, records, 'webhook');
    return { accepted: records.length };
  }

  // ---- lineage -------------------------------------------------------------------------------

  async lineage(entity: EntityName, id: string) {
    return this.deps.store.lineage.forRecord(entity, id);
  }
}
