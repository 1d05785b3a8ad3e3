import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { ConnectorError, type ExternalRecord } from '../connectors/contract.js';
import { foreignErrorSummary, HubError } from '../core/errors.js';
import type { EntityName } from '../core/model/entities.js';
import { isStoreUnavailable } from '../core/store/faults.js';
import type { Store } from '../core/store/store.js';
import { retryDelay } from './delivery.js';
import type { Ingestor, SourceSpec } from './ingest.js';
import type { RunChains } from './run-chains.js';
import type { SyncStats } from './stats.js';
import { retryWaiting } from './waiting.js';

export interface SourceSettings {
  /** Entities polled (each needs an inbound mapping). */
  readonly entities: readonly EntityName[];
  /** Polling interval; 0 turns polling off (webhooks and backfills still work). */
  readonly pollIntervalMs: number;
  /** Records per read. */
  readonly pageSize: number;
  /** A job whose worker stops renewing its lock this long is taken up by another worker. */
  readonly jobLockMs: number;
  /** Apply the deletes the source reports (its connector's `isDeleted`) to the hub records: all, or of these entities. */
  readonly deletes: boolean | readonly EntityName[];
}

/** Pages one poll reads before it yields to other jobs (the next poll continues). */
const MAX_PAGES_PER_POLL = 20;

/** Wall time one backfill slice (inbound or outbound) runs before it checkpoints and queues its continuation (ms). */
export const BACKFILL_SLICE_MS = 5_000;

export type SourceJob =
  | { readonly kind: 'poll'; readonly entity: EntityName }
  | { readonly kind: 'push'; readonly entity: EntityName; readonly records: readonly ExternalRecord[]; readonly via: string; readonly deferred?: number }
  | { readonly kind: 'backfill'; readonly runId: string; readonly deferred?: number; readonly chain?: string };

export const sourceQueueName = (system: string) => `ingest.${system}`;

export interface SourceDeps {
  readonly store: Store;
  readonly ingestor: Ingestor;
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  readonly log: Logger;
  readonly stats?: SyncStats;
  readonly chains?: RunChains;
}

/** The longest pause before a job held up by a passing fault (store or source unreachable) tries again (ms). */
const FAULT_RETRY_MAX_MS = 15_000;

/** A fault that passes: the hub's store or the source is unreachable, throttling, restarting. */
function passing(error: unknown): boolean {
  return isStoreUnavailable(error) || (error instanceof ConnectorError && error.kind === 'retryable');
}

/**
 * One source system's ingest queue: polls (a BullMQ job scheduler per entity), pushed changes
 * (webhooks, dead-letter replays) and inbound backfill slices all run here one at a time, so two
 * ingests of the same system never race on a record. The cursor is saved only after its page was
 * ingested (a crash re-reads, never skips); a backfill saves its checkpoint after every page and
 * continues in a new job after each slice, so polls interleave and a killed worker resumes.
 */
export class SourceRunner {
  readonly queue: Queue<SourceJob>;
  private worker: Worker<SourceJob> | undefined;

  constructor(
    readonly source: SourceSpec,
    /** The source's settings from the configuration (every default is the schema's). */
    readonly settings: SourceSettings,
    private readonly deps: SourceDeps,
  ) {
    this.queue = new Queue<SourceJob>(sourceQueueName(source.name), { connection: deps.connection, prefix: deps.prefix });
    this.queue.on('error', (error) => deps.log.warn({ source: source.name, err: { message: error.message } }, 'ingest queue error'));
  }

  get name(): string {
    return this.source.name;
  }

  reads(entity: string): entity is EntityName {
    return Object.hasOwn(this.source.inbound, entity);
  }

  async schedule(): Promise<void> {
    for (const entity of this.settings.entities) {
      if (this.settings.pollIntervalMs > 0) {
        await this.queue.upsertJobScheduler(`poll:${entity}`, { every: this.settings.pollIntervalMs }, { name: 'poll', data: { kind: 'poll', entity }, opts: { removeOnComplete: 100, removeOnFail: 100 } });
      } else {
        await this.queue.removeJobScheduler(`poll:${entity}`);
      }
    }
  }

  /** Polls now, outside the schedule (tests). */
  async pollNow(entity: EntityName): Promise<void> {
    await this.queue.add('poll', { kind: 'poll', entity }, { removeOnComplete: 100, removeOnFail: 100 });
  }

  async push(entity: EntityName, records: readonly ExternalRecord[], via: string, options: { delay?: number; deferred?: number } = {}): Promise<void> {
    await this.queue.add('push', { kind: 'push', entity, records, via, ...(options.deferred ? { deferred: options.deferred } : {}) }, { delay: options.delay ?? 0, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 100, removeOnFail: 1000 });
  }

  async continueBackfill(runId: string, delay = 0, deferred = 0, chain?: string): Promise<void> {
    await this.queue.add('backfill', { kind: 'backfill', runId, ...(deferred ? { deferred } : {}), ...(chain ? { chain } : {}) }, { delay, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: 100, removeOnFail: 1000 });
  }

  start(): void {
    this.worker = new Worker<SourceJob>(sourceQueueName(this.source.name), (job) => this.process(job), {
      connection: this.deps.connection,
      prefix: this.deps.prefix,
      concurrency: 1,
      lockDuration: this.settings.jobLockMs,
      stalledInterval: Math.max(1000, Math.floor(this.settings.jobLockMs / 2)),
      maxStalledCount: 10,
    });
    this.worker.on('failed', (job, error) => {
      const err = error instanceof HubError ? { code: error.code, message: error.message } : foreignErrorSummary(error);
      this.deps.log.warn({ source: this.source.name, job: job?.name, err }, 'ingest job failed');
    });
    this.worker.on('error', (error) => this.deps.log.warn({ source: this.source.name, err: { message: error.message } }, 'ingest worker error'));
  }

  private async process(job: Job<SourceJob>): Promise<unknown> {
    const data = job.data;
    try {
      if (data.kind === 'poll') return await this.poll(data.entity, `poll:${job.id ?? ''}`);
      if (data.kind === 'push') {
        const result = await this.deps.ingestor.ingest(this.source, data.entity, data.records, `${data.via}:${job.id ?? ''}`);
        await this.unblock(data.entity, result.linked, `${data.via}:${job.id ?? ''}`);
        return result.counts;
      }
      return await this.backfillSlice(data.runId, data.chain);
    } catch (error) {
      if (!passing(error)) throw error;
      return this.defer(data, error);
    }
  }

  /**
   * A passing fault (the hub's store or the source unreachable) holds the job up without spending its
   * attempts: a pushed change and a backfill wait and try again until it clears (never dropped, never
   * a run left stalled); a poll simply waits for the next one (its cursor did not move).
   */
  private async defer(data: SourceJob, error: unknown): Promise<{ deferred: true }> {
    const code = isStoreUnavailable(error) ? 'store_unavailable' : (error as ConnectorError).code.replace(/^connector_/, '');
    const deferred = (data.kind === 'poll' ? 0 : (data.deferred ?? 0)) + 1;
    const delay = retryDelay(deferred - 1, 1000, FAULT_RETRY_MAX_MS, (error as ConnectorError).retryAfterMs ?? 0);
    this.deps.log.warn({ source: this.source.name, job: data.kind, deferred, code, err: error instanceof HubError ? { code: error.code } : foreignErrorSummary(error) }, 'ingest held up by a passing fault; trying again');
    if (data.kind === 'push') await this.push(data.entity, data.records, data.via, { delay, deferred });
    else if (data.kind === 'backfill') await this.continueBackfill(data.runId, delay, deferred, data.chain);
    // The fault shows in the status; a pushed change's records count as deferred (a poll puts nothing back).
    if (data.kind !== 'backfill') await this.deps.stats?.add(this.source.name, data.entity, 'in', data.kind === 'push' ? { deferred: data.records.length } : {}, false, code).catch(() => undefined);
    return { deferred: true };
  }

  private async read(entity: EntityName, cursor: string | null) {
    const mapping = this.source.inbound[entity];
    if (!mapping) throw new ConnectorError('permanent', 'no_mapping', `${this.source.name} has no inbound mapping for ${entity}`);
    return { mapping, page: await this.source.connector.read(mapping.externalEntity, cursor, this.settings.pageSize) };
  }

  /**
   * Records of `entity` linked for the first time may be what waiting records of this source refer to
   * (an invoice whose customer just came in): they are tried again now (see waiting.ts).
   */
  private async unblock(entity: EntityName, linked: number, jobName: string): Promise<void> {
    if (linked > 0) await retryWaiting(this.deps, this.source, new Set([entity]), jobName);
  }

  /** Runs `pages` (which reports what it linked), then unblocks what waits for it, also when a later page failed. */
  private async thenUnblock<T>(entity: EntityName, jobName: string, pages: (linked: (n: number) => void) => Promise<T>): Promise<T> {
    let linked = 0;
    let result: T;
    try {
      result = await pages((n) => (linked += n));
    } catch (error) {
      // What the earlier pages linked stays linked; the job's own failure is what counts.
      await this.unblock(entity, linked, jobName).catch(() => undefined);
      throw error;
    }
    await this.unblock(entity, linked, jobName);
    return result;
  }

  private async poll(entity: EntityName, jobName: string): Promise<{ pages: number; records: number }> {
    const began = new Date().toISOString();
    const cursor = (await this.deps.store.cursors.get(this.source.name, entity))?.cursor ?? null;
    return this.thenUnblock(entity, jobName, (linked) => this.pollPages(entity, jobName, began, cursor, linked));
  }

  private async pollPages(entity: EntityName, jobName: string, began: string, from: string | null, linked: (n: number) => void): Promise<{ pages: number; records: number }> {
    const { store } = this.deps;
    let cursor = from;
    let pages = 0;
    let records = 0;
    while (pages < MAX_PAGES_PER_POLL) {
      const { page } = await this.read(entity, cursor);
      pages++;
      if (page.records.length > 0) linked((await this.deps.ingestor.ingest(this.source, entity, page.records, jobName)).linked);
      records += page.records.length;
      // Saved after the ingest committed: a crash before this line re-reads the page (idempotent).
      if (page.cursor !== null && page.cursor !== cursor) await store.cursors.save(this.source.name, entity, page.cursor, new Date().toISOString());
      if (page.records.length < this.settings.pageSize || page.cursor === null || page.cursor === cursor) {
        // The hub now holds every change the source had when this poll began: its lag is measured from here.
        await this.deps.stats?.caughtUp(this.source.name, entity, began);
        break;
      }
      cursor = page.cursor;
    }
    return { pages, records };
  }

  private async backfillSlice(runId: string, chain?: string): Promise<{ done: number; state: string }> {
    const { store } = this.deps;
    const run = await store.runs.get(runId);
    if (!run) return { done: 0, state: 'missing' };
    if (run.state !== 'queued' && run.state !== 'running') return { done: run.done, state: run.state };
    // A chain the watchdog replaced (it thought this one lost) stops here: one chain per run.
    if (this.deps.chains && !(await this.deps.chains.current(runId, chain))) return { done: run.done, state: 'superseded' };
    const entity = run.entity as EntityName;
    const now = () => new Date().toISOString();
    if (run.state === 'queued') {
      let total: number | null = null;
      const mapping = this.source.inbound[entity];
      if (mapping && this.source.connector.count) total = await this.source.connector.count(mapping.externalEntity, run.checkpoint).catch(() => null);
      if (!(await store.runs.update(runId, { state: 'running', startedAt: now(), ...(total === null ? {} : { total }) }, now(), ['queued']))) return { done: 0, state: 'cancelled' };
    }
    return this.thenUnblock(entity, `backfill:${runId}`, (linked) => this.backfillPages(runId, entity, run, chain, linked));
  }

  private async backfillPages(runId: string, entity: EntityName, run: { checkpoint: string | null; done: number; failed: number }, chain: string | undefined, linked: (n: number) => void): Promise<{ done: number; state: string }> {
    const { store } = this.deps;
    const now = () => new Date().toISOString();
    let cursor = run.checkpoint;
    let done = run.done;
    let failed = run.failed;
    const until = Date.now() + BACKFILL_SLICE_MS;
    for (;;) {
      const { page } = await this.read(entity, cursor);
      if (page.records.length > 0) {
        const result = await this.deps.ingestor.ingest(this.source, entity, page.records, `backfill:${runId}`);
        done += result.seen;
        failed += result.counts.failed ?? 0;
        linked(result.linked);
      }
      const finished = page.records.length < this.settings.pageSize || page.cursor === null || page.cursor === cursor;
      const next = page.cursor ?? cursor;
      // Checkpoint after the page is in; a cancelled run keeps its state (the update is refused).
      const kept = await store.runs.update(runId, { checkpoint: next, done, failed, ...(finished ? { state: 'done', finishedAt: now() } : {}) }, now(), ['running']);
      if (!kept) return { done, state: 'cancelled' };
      if (finished) {
        this.deps.log.info({ run: runId, source: this.source.name, entity, done, failed }, 'backfill finished');
        return { done, state: 'done' };
      }
      cursor = next;
      if (Date.now() >= until) break;
    }
    await this.continueBackfill(runId, 0, 0, chain);
    return { done, state: 'running' };
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
