import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConnectorError, type Connector, type RecordOutcome } from '../connectors/contract.js';
import { foreignErrorSummary, HubError } from '../core/errors.js';
import { isStoreUnavailable } from '../core/store/faults.js';
import { ENTITIES, type EntityName, type StoredRecord } from '../core/model/entities.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { LinkState } from '../core/store/links-repository.js';
import type { Store } from '../core/store/store.js';
import type { WayOut } from '../mappings/engine/way-out.js';
import { prepareBatch, sortOutcomes, writeBatch, type InScope, type Item, type Letter, type Sorted } from './delivery-batch.js';
import { CircuitBreaker, type BreakerSettings } from './breaker.js';
import { RecordLocks } from './locks.js';
import { Tally, type Outcome, type SyncStats } from './stats.js';

/** A delivery job names records, never carries their content: the worker reads the current state. */
export interface DeliveryJob {
  readonly entity: EntityName;
  readonly ids: readonly string[];
  /** Retries already spent on these records (0 for a fresh change). */
  readonly attempt?: number;
  /**
   * Times in a row these records were put back because the hub's own store was unavailable; only
   * paces the next try (a store fault never spends the target's attempts).
   */
  readonly deferred?: number;
}

/** The longest wait between two tries while the hub's store is unavailable (ms). */
export const STORE_RETRY_MAX_MS = 15_000;

export interface TargetSettings {
  /** Records per job and per upsert call. */
  readonly batchSize: number;
  /** Jobs a worker process runs at once for this target. */
  readonly concurrency: number;
  /** Attempts for a retryable failure before the record becomes a dead letter. */
  readonly attempts: number;
  /** First retry delay; doubled per attempt, capped at `maxBackoffMs`, drawn between half and all of that (see `retryDelay`). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** Jobs (upsert calls) per window, across every worker process. */
  readonly rateLimit?: { readonly max: number; readonly durationMs: number } | undefined;
  readonly breaker: BreakerSettings;
  /** Propagate deletes (tombstones) where the connector can delete. */
  readonly deletes: boolean;
  /** How long a record lock lives if its holder dies (ms); renewed while the holder runs. */
  readonly lockMs: number;
  /** BullMQ job lock; a job whose worker stops renewing it is taken up again (ms). */
  readonly jobLockMs: number;
}

export interface TargetSpec {
  readonly name: string;
  readonly connector: Connector;
  /**
   * Entity → its way out to this target: the outbound mapping, the policy receiver the target's
   * configuration binds, and the same system's inbound mapping if it has one (echo hashes).
   */
  readonly routes: Readonly<Partial<Record<EntityName, WayOut>>>;
  /** Every setting, resolved from the configuration schema (where the defaults are stated). */
  readonly settings: TargetSettings;
}

export interface DeliveryDeps {
  readonly store: Store;
  readonly policy: PolicyEngine;
  readonly log: Logger;
  /** BullMQ's connection. */
  readonly connection: ConnectionOptions;
  /** A plain client for locks, breaker and statistics. */
  readonly redis: Redis;
  readonly prefix: string;
  readonly stats: SyncStats;
  /** Called when a record could not be delivered for good (tests and metrics). */
  readonly onDeadLetter?: (target: string, entity: string, recordId: string, code: string) => void;
}

export const deliveryQueueName = (target: string) => `deliver.${target}`;

/** Exponential backoff with equal jitter: a random delay in [cap/2, cap], cap = min(max, base · 2^attempt), at least `floor`. */
export function retryDelay(attempt: number, base: number, max: number, floor = 0): number {
  const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.max(floor, Math.round(cap / 2 + Math.random() * (cap / 2)));
}

/** What one batch came to (for the job's return value and the tests). */
export interface BatchResult {
  readonly counts: Partial<Record<Outcome, number>>;
  readonly retry: readonly string[];
}

/**
 * One target's delivery queue and workers. The relay adds jobs of record ids in batches; a worker
 * takes Redis locks on the records (held by another job: that record is queued again shortly, so
 * it is delivered after the delivery in flight), reads their current state, projects it for the
 * target, maps it, skips what equals the last write, and upserts the rest in one call. Per record:
 * success stores the id link and content hash; a permanent failure is a dead letter at once with
 * the projected payload; a retryable one is queued again with backoff (honouring Retry-After) until
 * the attempts run out. A failing target trips the circuit breaker.
 */
export class TargetDelivery {
  readonly queue: Queue<DeliveryJob>;
  readonly breaker: CircuitBreaker;
  readonly settings: TargetSettings;
  private worker: Worker<DeliveryJob> | undefined;
  private readonly locks: RecordLocks;

  constructor(
    readonly target: TargetSpec,
    private readonly deps: DeliveryDeps,
  ) {
    this.settings = target.settings;
    this.queue = new Queue<DeliveryJob>(deliveryQueueName(target.name), { connection: deps.connection, prefix: deps.prefix });
    this.queue.on('error', (error) => deps.log.warn({ target: target.name, err: { message: error.message } }, 'delivery queue error'));
    this.locks = new RecordLocks(deps.redis, deps.prefix);
    this.breaker = new CircuitBreaker(deps.redis, `${deps.prefix}:breaker:${target.name}`, this.settings.breaker);
  }

  get name(): string {
    return this.target.name;
  }

  wants(entity: string): entity is EntityName {
    return Object.hasOwn(this.target.routes, entity);
  }

  /** Queues deliveries of these records, in jobs of at most `batchSize`. */
  async enqueue(entity: EntityName, ids: readonly string[], options: { delay?: number; attempt?: number; deferred?: number } = {}): Promise<void> {
    const size = this.settings.batchSize;
    const jobs = [];
    for (let i = 0; i < ids.length; i += size) {
      jobs.push({
        name: entity,
        data: { entity, ids: ids.slice(i, i + size), ...(options.attempt ? { attempt: options.attempt } : {}), ...(options.deferred ? { deferred: options.deferred } : {}) },
        // A job fails (BullMQ retries it) only on an unexpected error of the hub's own; connector failures
        // and store faults are handled in the job. Those retries follow the target's own settings.
        opts: { delay: options.delay ?? 0, attempts: this.settings.attempts, backoff: { type: 'target' }, removeOnComplete: 1000, removeOnFail: 5000 },
      });
    }
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }

  start(): void {
    const s = this.settings;
    this.worker = new Worker<DeliveryJob>(deliveryQueueName(this.target.name), (job, token) => this.process(job, token), {
      connection: this.deps.connection,
      prefix: this.deps.prefix,
      concurrency: s.concurrency,
      // Always a limiter: manual rate limiting (Retry-After, an open breaker) pauses the queue through it.
      limiter: s.rateLimit ? { max: s.rateLimit.max, duration: s.rateLimit.durationMs } : { max: 1_000_000, duration: 1000 },
      lockDuration: s.jobLockMs,
      stalledInterval: Math.max(1000, Math.floor(s.jobLockMs / 2)),
      maxStalledCount: 10,
      settings: { backoffStrategy: (attemptsMade) => retryDelay(attemptsMade - 1, s.backoffMs, s.maxBackoffMs) },
    });
    this.worker.on('failed', (job, error) => {
      // Only unexpected errors get here (the worker handles connector failures itself); BullMQ retries them.
      if (!job || error.name === 'RateLimitError') return;
      const foreign = error instanceof HubError ? null : foreignErrorSummary(error);
      const err = error instanceof HubError ? { code: error.code, message: error.message } : foreign;
      this.deps.log.error({ target: this.target.name, entity: job.data.entity, records: job.data.ids.length, err }, 'delivery job failed');
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) void this.giveUp(job.data, foreign ? `unexpected ${foreign.name}${foreign.code ? ` (${foreign.code})` : ''}` : error.message, job.attemptsMade);
    });
    this.worker.on('error', (error) => this.deps.log.warn({ target: this.target.name, err: { message: error.message } }, 'delivery worker error'));
  }

  private async process(job: Job<DeliveryJob>, token?: string): Promise<BatchResult> {
    const worker = this.worker;
    const gate = await this.breaker.admit();
    if (!gate.ok) {
      // Open breaker: hold every job of this target (all processes) until the probe time.
      if (worker) await worker.rateLimit(gate.waitMs);
      throw Worker.RateLimitError();
    }
    const { entity } = job.data;
    // One owner per run of the job: if BullMQ hands a job to another worker while the first still runs
    // (a stalled event loop), the second waits for the first one's locks instead of racing it.
    const owner = `${job.id ?? job.timestamp}:${token ?? randomUUID()}`;
    const { acquired, busy } = await this.locks.acquire(this.target.name, entity, [...new Set(job.data.ids)], owner, this.settings.lockMs);
    // Records another job is delivering right now: deliver them again after it (their state may be newer).
    if (busy.length > 0) await this.enqueue(entity, busy, { delay: 500, attempt: job.data.attempt ?? 0 });
    // A slow target must not outlive the locks: renew them while the batch runs.
    const renew = setInterval(() => {
      this.locks.acquire(this.target.name, entity, acquired, owner, this.settings.lockMs).catch(() => undefined);
    }, Math.max(1000, Math.floor(this.settings.lockMs / 3)));
    try {
      return await this.deliverBatch(entity, acquired, job.data.attempt ?? 0, gate.probe);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      return await this.defer(entity, acquired, job.data, error);
    } finally {
      clearInterval(renew);
      await this.locks.release(this.target.name, entity, acquired, owner);
    }
  }

  /**
   * The hub's own store failed mid-batch (restarting, unreachable, a deadlock): not the target's
   * failure and never a reason to drop a record. The records go back on the queue (Redis keeps them)
   * with a growing pause, without spending the target's attempts, until the store answers again.
   * Whatever the batch had already done is safe to do again: records the target already holds are
   * skipped by their saved hash, or found again by the upsert lookup if their id link was not saved.
   */
  private async defer(entity: EntityName, ids: readonly string[], job: DeliveryJob, error: unknown): Promise<BatchResult> {
    const deferred = (job.deferred ?? 0) + 1;
    const s = this.settings;
    this.deps.log.warn({ target: this.target.name, entity, records: ids.length, deferred, err: foreignErrorSummary(error) }, 'hub store unavailable: delivery deferred');
    await this.enqueue(entity, ids, { delay: retryDelay(deferred - 1, s.backoffMs, Math.min(s.maxBackoffMs, STORE_RETRY_MAX_MS)), attempt: job.attempt ?? 0, deferred });
    const counts = { deferred: ids.length };
    await this.deps.stats.add(this.target.name, entity, 'out', counts, false, 'store_unavailable');
    return { counts, retry: ids };
  }

  /**
   * An unexpected error outlasted the job's attempts: the records become `internal` dead letters. If
   * even that write fails (the store is down), they go back on the queue instead: never dropped.
   */
  private async giveUp(job: DeliveryJob, message: string, attempts: number): Promise<void> {
    try {
      await this.deadLetter(job.entity, job.ids.map((id) => ({ id, version: 0, payload: {}, code: 'internal', message })), attempts);
      await this.deps.stats.add(this.target.name, job.entity, 'out', { dead_lettered: job.ids.length }, false, 'internal');
    } catch (error) {
      this.deps.log.error({ target: this.target.name, entity: job.entity, records: job.ids.length, err: foreignErrorSummary(error) }, 'could not write dead letters: records queued again');
      await this.enqueue(job.entity, job.ids, { delay: Math.min(this.settings.maxBackoffMs, STORE_RETRY_MAX_MS), attempt: job.attempt ?? 0, deferred: (job.deferred ?? 0) + 1 }).catch((e: unknown) =>
        this.deps.log.error({ target: this.target.name, entity: job.entity, records: job.ids.length, err: foreignErrorSummary(e) }, 'could not queue records again'),
      );
    }
  }

  /**
   * Writes dead letters (projected, mapped payloads only). A failed write throws: the caller puts the
   * records back on the queue rather than lose them.
   */
  private async deadLetter(entity: EntityName, letters: readonly Letter[], attempts: number): Promise<void> {
    if (letters.length === 0) return;
    const at = new Date().toISOString();
    for (const l of letters) {
      await this.deps.store.deadLetters.add({ target: this.target.name, entity, recordId: l.id, version: l.version, payload: l.payload, errorCode: l.code, errorMessage: l.message, attempts, createdAt: at });
      this.deps.onDeadLetter?.(this.target.name, entity, l.id, l.code);
    }
    this.deps.log.warn({ target: this.target.name, entity, records: letters.length, codes: [...new Set(letters.map((l) => l.code))] }, 'delivery dead-lettered');
  }

  /**
   * Delivers the current state of the given (locked) records, stage by stage: load them and their
   * links; withdraw what the target may no longer hold; prepare what leaves (project, map, hash:
   * the target's way out); write it; sort the answers; settle (links, dead letters); judge the
   * target (breaker); requeue what may succeed later.
   */
  async deliverBatch(entity: EntityName, ids: readonly string[], attempt: number, probe = false): Promise<BatchResult> {
    const tally = new Tally();
    const way = this.target.routes[entity];
    if (!way || ids.length === 0) return { counts: tally.counts, retry: [] };
    const system = this.target.name;

    const records = new Map((await this.deps.store.records.getMany(ENTITIES[entity], ids)).map((r) => [r.id, r]));
    const links = await this.deps.store.links.byHub(system, entity, ids);
    const inScope = await this.withdraw(entity, way, ids, records, links, tally);

    const prepared = await prepareBatch(this.deps.store.links, way, inScope, links, tally);
    await this.deadLetter(entity, prepared.refused, attempt + 1);
    tally.bump('dead_lettered', prepared.refused.length);

    const outcomes = await writeBatch(this.target.connector, system, way.mapping.externalEntity, prepared.items, links);
    const sorted = sortOutcomes(prepared.items, outcomes);
    await this.settle(entity, sorted, attempt, tally);
    await this.judge(sorted, prepared.items.length, probe);

    const retry = [...prepared.retry, ...sorted.retry];
    await this.requeue(entity, { retry, untried: sorted.untried, retryAfterMs: sorted.retryAfterMs, lastCode: sorted.lastCode }, attempt, prepared.items, inScope, tally);
    await this.deps.stats.add(system, entity, 'out', tally.counts, sorted.saved.length > 0, sorted.lastCode);
    return { counts: tally.counts, retry };
  }

  /**
   * Stage "withdraw": records gone from the hub whose link says the target has them are deleted
   * there; records outside the target's rows now are withdrawn (where deletes are allowed) or
   * counted. Returns the records the target may receive, projected.
   */
  private async withdraw(entity: EntityName, way: WayOut, ids: readonly string[], records: ReadonlyMap<string, StoredRecord>, links: ReadonlyMap<string, LinkState>, tally: Tally): Promise<Map<string, InScope>> {
    const gone = ids.filter((id) => !records.has(id));
    if (gone.length > 0) await this.deleteGone(entity, way, gone, links, tally, 'deleted');
    const inScope = new Map<string, InScope>();
    const leftScope: string[] = [];
    for (const [id, record] of records) {
      const view = way.project(record);
      if (view) inScope.set(id, { record, view });
      // Outside the target's rows. If the target holds a copy from when it was inside, that copy is no
      // longer the latest permitted state: withdraw it where deletes are allowed, otherwise count it.
      else if (links.has(id)) leftScope.push(id);
      else tally.bump('out_of_scope');
    }
    if (leftScope.length > 0) {
      // Only from a system the hub does not read this entity from: one it reads may hold records of its
      // own (linked when ingested), which the hub's row filter does not entitle it to delete there.
      if (this.canDelete && !way.back) await this.deleteGone(entity, way, leftScope, links, tally, 'withdrawn');
      else tally.bump('left_scope', leftScope.length);
    }
    return inScope;
  }

  /** Stage "settle": links and hashes of what the target now holds (settling earlier dead letters), dead letters of what it refused. */
  private async settle(entity: EntityName, sorted: Sorted, attempt: number, tally: Tally): Promise<void> {
    const system = this.target.name;
    if (sorted.saved.length > 0) {
      const at = new Date().toISOString();
      await this.deps.store.transaction(async (tx) => {
        await tx.links.save(system, entity, sorted.saved.map((x) => ({ ...x, deliveredAt: at })), at);
        // A dead letter of an earlier try is settled by this delivery.
        await tx.deadLetters.settle(system, 'out', entity, sorted.saved.map((x) => x.hubId), at);
      });
      tally.bump('delivered', sorted.saved.length);
    }
    await this.deadLetter(entity, sorted.dead, attempt + 1);
    tally.bump('dead_lettered', sorted.dead.length);
  }

  /** Stage "judge": the breaker counts batches that reached nothing; a single refused record is the record's problem. */
  private async judge(sorted: Sorted, sent: number, probe: boolean): Promise<void> {
    const reachedTarget = sorted.saved.length > 0 || sorted.dead.length > 0;
    if (reachedTarget || (probe && sent === 0)) await this.breaker.success();
    else if (sent > 0) {
      const state = await this.breaker.failure();
      if (state === 'open') this.deps.log.warn({ target: this.target.name, code: sorted.lastCode }, 'circuit breaker open: deliveries to the target are paused');
    }
  }

  /**
   * Stage "requeue": untried records go again without spending an attempt; retryable ones with
   * backoff (honouring Retry-After) until the attempts run out, then as dead letters carrying the
   * payload the target would have received, or (a reference never linked) the projected record.
   */
  private async requeue(entity: EntityName, left: { retry: readonly string[]; untried: readonly string[]; retryAfterMs: number; lastCode: string | undefined }, attempt: number, items: readonly Item[], inScope: ReadonlyMap<string, InScope>, tally: Tally): Promise<void> {
    const s = this.settings;
    const { retry, untried, retryAfterMs } = left;
    if (untried.length > 0) {
      await this.enqueue(entity, untried, { delay: retryDelay(attempt, s.backoffMs, s.maxBackoffMs, retryAfterMs), ...(attempt ? { attempt } : {}) });
      tally.bump('retried', untried.length);
    }
    if (retry.length === 0) return;
    const next = attempt + 1;
    if (next >= s.attempts) {
      const message = `gave up after ${next} attempts (last: ${left.lastCode ?? 'unresolved reference'})`;
      const byId = new Map(items.map((i) => [i.id, i]));
      const letters = retry.map((id) => {
        const item = byId.get(id);
        const view = inScope.get(id);
        return { id, version: item?.version ?? view?.record.version ?? 0, payload: item?.payload ?? view?.view ?? {}, code: 'retries_exhausted', message };
      });
      await this.deadLetter(entity, letters, next);
      tally.bump('dead_lettered', retry.length);
    } else {
      if (retryAfterMs > 0 && this.worker) await this.worker.rateLimit(retryAfterMs);
      await this.enqueue(entity, retry, { delay: retryDelay(attempt, s.backoffMs, s.maxBackoffMs, retryAfterMs), attempt: next });
      tally.bump('retried', retry.length);
    }
  }

  /** Deletes propagate when the settings allow them and the connector can delete. */
  private get canDelete(): boolean {
    return this.settings.deletes && typeof this.target.connector.delete === 'function';
  }

  /**
   * Deletes, in the target, linked records the target may no longer hold (`deleted`: gone from the
   * hub; `withdrawn`: outside the target's rows now) and drops their links; a failure retries later.
   */
  private async deleteGone(entity: EntityName, way: WayOut, gone: readonly string[], links: ReadonlyMap<string, LinkState>, tally: Tally, outcome: 'deleted' | 'withdrawn'): Promise<void> {
    const linked = gone.filter((id) => links.has(id));
    if (!this.canDelete || linked.length === 0) return;
    const externalIds = linked.map((id) => links.get(id)!.externalId);
    let outcomes: RecordOutcome[];
    try {
      outcomes = await this.target.connector.delete!(way.mapping.externalEntity, externalIds);
    } catch (error) {
      const code = error instanceof ConnectorError ? error.code : 'unexpected';
      this.deps.log.warn({ target: this.target.name, entity, records: linked.length, code }, 'delete failed; retrying');
      await this.enqueue(entity, linked, { delay: retryDelay(0, this.settings.backoffMs, this.settings.maxBackoffMs) });
      return;
    }
    for (let n = 0; n < linked.length; n++) {
      const o = outcomes[n];
      if (o?.ok) {
        await this.deps.store.links.unlink(this.target.name, entity, linked[n]!);
        tally.bump(outcome);
      }
    }
  }

  /** Waiting, active, delayed and failed jobs, and the age of the oldest job not yet done. */
  async depth(): Promise<{ waiting: number; active: number; delayed: number; failed: number; oldestMs: number | null }> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
    const [oldest] = await this.queue.getJobs(['waiting', 'delayed', 'active'], 0, 0, true);
    return {
      waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0),
      active: c['active'] ?? 0,
      delayed: c['delayed'] ?? 0,
      failed: c['failed'] ?? 0,
      oldestMs: oldest ? Date.now() - oldest.timestamp : null,
    };
  }

  /** Stops taking jobs and waits for the jobs in flight (SIGTERM drain). */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
