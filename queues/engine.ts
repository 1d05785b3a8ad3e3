import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Connector } from '../connectors/contract.js';
import { ENTITY_NAMES, type EntityName } from '../core/model/entities.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { RecordService } from '../core/records/service.js';
import type { Store } from '../core/store/store.js';
import type { CompiledMapping } from '../mappings/engine/compile.js';
import { WayOut } from '../mappings/engine/way-out.js';
import type { MappingRegistry } from '../mappings/engine/load.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import { BackfillRuns } from './backfill.js';
import type { SyncConfig } from './config.js';
import { ConflictDesk } from './conflicts.js';
import { DeadLetterDesk } from './dead-letters.js';
import { TargetDelivery } from './delivery.js';
import { Ingestor, type SourceSpec } from './ingest.js';
import { Reconciliation } from './reconcile-schedule.js';
import { OutboxRelay } from './relay.js';
import { RunChains } from './run-chains.js';
import { SourceRunner } from './sources.js';
import { SyncStats } from './stats.js';
import { ConnectorChecks } from './checks.js';
import { connectorStatus, registerSyncGauges, type ConnectorStatus } from './status.js';
import { mappingFor } from './sync-check.js';
import { SyncWatchdog } from './watchdog.js';
import { WebhookIntake } from './webhook.js';

export type { RunView } from './runs.js';
export type { ConnectorStatus, EntityStatus } from './status.js';
export type { SyncConfig } from './config.js';
export type { BackfillRuns } from './backfill.js';
export type { ConflictChoice, ConflictDesk } from './conflicts.js';
export type { DeadLetterDesk } from './dead-letters.js';
export type { Reconciliation } from './reconcile-schedule.js';
export type { WebhookIntake } from './webhook.js';

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
  /** Checked with the rest of the configuration before the engine is built (`checkSyncConfig`). */
  readonly config: SyncConfig;
}

const SYNC_CHANNEL = (prefix: string) => `${prefix}:outbox:committed`;

/**
 * The sync engine: the outbox relay, one delivery queue per target, one ingest queue per source,
 * and the desks that serve the API and the CLI: `runs` (backfills, reconciliation runs),
 * `reconciliation`, `deadLetters`, `conflicts`, `webhooks`, and `status()`. `start({ workers: false })`
 * gives the API side only (status, dead letters, backfill requests: they are queued for workers).
 */
export class SyncEngine {
  readonly targets = new Map<string, TargetDelivery>();
  readonly sources = new Map<string, SourceRunner>();
  readonly stats: SyncStats;
  readonly ingestor: Ingestor;
  readonly runs: BackfillRuns;
  readonly reconciliation: Reconciliation;
  readonly deadLetters: DeadLetterDesk;
  readonly conflicts: ConflictDesk;
  readonly webhooks: WebhookIntake;
  /** Connection checks: run at the workers' start and on demand, shown in the status. */
  readonly checks: ConnectorChecks;
  private relay: OutboxRelay | undefined;
  private subscriber: Redis | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly instance = randomUUID();
  private readonly chains: RunChains;
  private watchdog: SyncWatchdog | undefined;
  private readonly reschedulers: (() => Promise<void>)[] = [];

  constructor(private readonly deps: SyncEngineDeps) {
    const { config, mappings, connectors, store, log, connection, prefix } = deps;
    this.stats = new SyncStats(deps.redis, prefix, deps.metrics);
    this.chains = new RunChains(deps.redis, prefix);
    this.checks = new ConnectorChecks(connectors, deps.redis, prefix, log);
    this.ingestor = new Ingestor({
      store,
      records: deps.records,
      ownership: deps.ownership,
      stats: this.stats,
      log,
      // Fields a source may not set (or held as conflicts) keep the hub's value: send it back.
      restore: async (system, entity, ids) => {
        const t = this.targets.get(system);
        if (t?.wants(entity)) await t.enqueue(entity, ids);
      },
    });
    const base = { store, policy: deps.policy, log, connection, redis: deps.redis, prefix, stats: this.stats };
    const mappingsFor = <D extends 'in' | 'out'>(name: string, entities: readonly EntityName[], direction: D) => {
      const out: Partial<Record<EntityName, Extract<CompiledMapping, { direction: D }>>> = {};
      for (const entity of entities) {
        const m = mappingFor(mappings, name, entity, direction);
        if (m) out[entity] = m;
      }
      return out;
    };
    const connectorOf = (name: string): Connector => {
      const connector = connectors.get(name);
      // checkSyncConfig reports this with the rest of the configuration; here it is a bug of the caller.
      if (!connector) throw new Error(`The sync engine was given no connector named ${name} (the configuration was not checked)`);
      return connector;
    };
    const allEntities = ENTITY_NAMES as readonly EntityName[];
    // Each outbound mapping's way out: projected for the receiver the target's configuration binds,
    // mapped, hashed; with the same system's inbound mapping for echoes.
    const waysOut = (name: string, entities: readonly EntityName[]): Partial<Record<EntityName, WayOut>> =>
      Object.fromEntries(Object.entries(mappingsFor(name, entities, 'out')).map(([entity, m]) => [entity, new WayOut(deps.policy, m!, mappingFor(mappings, name, entity, 'in'))]));

    const reconcileEvery = new Map<string, number>();
    for (const [name, t] of Object.entries(config.targets)) {
      const { entities, reconcileEveryMs, ...settings } = t;
      if (reconcileEveryMs) reconcileEvery.set(name, reconcileEveryMs);
      this.targets.set(name, new TargetDelivery({ name, connector: connectorOf(name), routes: waysOut(name, entities), settings }, base));
    }
    const webhookSecrets = new Map<string, string>();
    for (const [name, s] of Object.entries(config.sources)) {
      const { webhookSecret, ...settings } = s;
      if (webhookSecret) webhookSecrets.set(name, webhookSecret);
      // Entities a backfill may read: every inbound mapping of the connector, polled or not.
      const spec: SourceSpec = { name, connector: connectorOf(name), inbound: mappingsFor(name, allEntities, 'in'), outbound: waysOut(name, allEntities), applyDeletes: settings.deletes };
      this.sources.set(name, new SourceRunner(spec, settings, { store, ingestor: this.ingestor, connection, prefix, log, stats: this.stats, chains: this.chains }));
    }

    const queues = { targets: this.targets, sources: this.sources };
    this.runs = new BackfillRuns({ store, ...queues, chains: this.chains, log, connection, prefix });
    this.reconciliation = new Reconciliation({ store, log, targets: this.targets, every: reconcileEvery, connection, prefix });
    this.deadLetters = new DeadLetterDesk({ store, ...queues });
    this.conflicts = new ConflictDesk({ store, records: deps.records, targets: this.targets });
    this.webhooks = new WebhookIntake({ sources: this.sources, secrets: webhookSecrets });
    if (deps.metrics) registerSyncGauges(deps.metrics, { ...queues, stats: this.stats, store });
  }

  /** Starts the workers (delivery, ingest, relay) in this process; without them, the API side only. */
  /**
   * Something else that schedules jobs in Redis (the receivables feeds) and must put its schedules
   * back when the watchdog finds that Redis lost its keys.
   */
  onReschedule(again: () => Promise<void>): void {
    this.reschedulers.push(again);
  }

  async start(options: { workers: boolean }): Promise<void> {
    const { redis, prefix, store, log } = this.deps;
    // Every commit wakes the relay: here directly, in other processes through Redis.
    this.unsubscribe = store.onCommit(() => {
      this.relay?.poke();
      redis.publish(SYNC_CHANNEL(prefix), this.instance).catch(() => undefined);
    });
    for (const s of this.sources.values()) await s.queue.setGlobalConcurrency(1);
    // Outbound backfills run in the workers, in slices (any process may request one).
    this.runs.open(options);
    if (!options.workers) return;
    // Connection checks in the background: their results show in the status, nothing waits for them.
    void this.checks.runAll([...new Set([...this.targets.keys(), ...this.sources.keys()])]);
    for (const t of this.targets.values()) t.start();
    for (const s of this.sources.values()) {
      s.start();
      await s.schedule();
    }
    await this.reconciliation.start();
    this.relay = new OutboxRelay({ store, redis, prefix, targets: [...this.targets.values()], log, config: this.deps.config });
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
        await this.reconciliation.reschedule();
        for (const again of this.reschedulers) await again();
      },
      continueRun: (run, chain) => this.runs.continueRun(run, chain),
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

  /** Drains: stops taking jobs, lets the jobs in flight finish, closes queues. */
  async stop(): Promise<void> {
    await this.watchdog?.stop();
    this.watchdog = undefined;
    this.unsubscribe?.();
    await this.relay?.stop();
    this.relay = undefined;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    await this.runs.close();
    await this.reconciliation.stop();
    await Promise.all([...this.targets.values()].map((t) => t.close().catch(() => undefined)));
    await Promise.all([...this.sources.values()].map((s) => s.close().catch(() => undefined)));
  }

  /** Outbox events the relay of this process handed over (tests). */
  get relayed(): number {
    return this.relay?.relayed ?? 0;
  }

  /** Per connector and entity: state, breaker, queue depths, lag, counts, runs. */
  async status(): Promise<ConnectorStatus[]> {
    return connectorStatus({ targets: this.targets, sources: this.sources, stats: this.stats, store: this.deps.store, checks: this.checks });
  }
}
