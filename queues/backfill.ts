import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { ConnectorError } from '../connectors/contract.js';
import { ConflictError, foreignErrorSummary, NotFoundError, UnprocessableError, type FieldProblem } from '../core/errors.js';
import { ENTITIES, ENTITY_NAMES, type EntityName } from '../core/model/entities.js';
import { isStoreUnavailable } from '../core/store/faults.js';
import type { SyncRun } from '../core/store/runs-repository.js';
import type { Store } from '../core/store/store.js';
import { retryDelay, STORE_RETRY_MAX_MS, type TargetDelivery } from './delivery.js';
import type { RunChains } from './run-chains.js';
import { runView, withProgress, type RunView } from './runs.js';
import { BACKFILL_SLICE_MS, type SourceRunner } from './sources.js';

/** A slice of an outbound backfill: the run, the chain it belongs to, and how often a store fault put it back. */
interface OutboundSliceJob {
  readonly runId: string;
  readonly chain?: string;
  readonly deferred?: number;
}

const QUEUE = 'sync.backfill';
const SLICE_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: 100, removeOnFail: 1000 } as const;

export interface BackfillDeps {
  readonly store: Pick<Store, 'runs' | 'records'>;
  readonly targets: ReadonlyMap<string, Pick<TargetDelivery, 'target' | 'wants' | 'enqueue'>>;
  readonly sources: ReadonlyMap<string, Pick<SourceRunner, 'source' | 'reads' | 'continueBackfill'>>;
  readonly chains: Pick<RunChains, 'current'>;
  readonly log: Logger;
  /** BullMQ's connection. */
  readonly connection: ConnectionOptions;
  readonly prefix: string;
}

/**
 * Runs (backfills and reconciliations): started, read, listed and cancelled. An inbound backfill runs
 * on its source's ingest queue; an outbound one runs here, as a chain of slices on the `sync.backfill`
 * queue (any process may request one, the workers run them).
 */
export class BackfillRuns {
  private queue: Queue<OutboundSliceJob> | undefined;
  private worker: Worker<OutboundSliceJob> | undefined;

  constructor(private readonly deps: BackfillDeps) {}

  /** Opens the queue (to request backfills); with `workers`, runs outbound slices in this process too. */
  open(options: { workers: boolean }): void {
    const { connection, prefix } = this.deps;
    this.queue = new Queue<OutboundSliceJob>(QUEUE, { connection, prefix });
    if (!options.workers) return;
    this.worker = new Worker<OutboundSliceJob>(QUEUE, (job) => this.outboundSliceOrWait(job.data), { connection, prefix, concurrency: 2, maxStalledCount: 10 });
    this.worker.on('error', () => undefined);
  }

  /** Drains the worker (the slice in flight finishes), then closes the queue. */
  async close(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.worker = undefined;
    this.queue = undefined;
  }

  /**
   * Starts a backfill. Inbound (`in`): reads every record of the entity from the connector (from
   * `since`, if given) and ingests it. Outbound (`out`): delivers every hub record of the entity to
   * the target. Neither deletes anything in the target. Runs in the workers; this returns the run.
   */
  async backfill(connector: string, entity: string, options: { since?: string; direction?: 'in' | 'out'; by: string }): Promise<RunView> {
    const { store, sources, targets } = this.deps;
    const problems: FieldProblem[] = [];
    if (!(ENTITY_NAMES as readonly string[]).includes(entity)) problems.push({ pointer: '/entity', detail: `is not an entity (${ENTITY_NAMES.join(', ')})` });
    const s = sources.get(connector);
    const t = targets.get(connector);
    if (!s && !t) throw new NotFoundError(`No sync source or target named ${connector}`);
    const direction = options.direction ?? (s?.reads(entity) ? 'in' : 'out');
    // Say what the connector is, so that a refused request shows the way to the right one.
    const reads = s ? `it reads ${Object.keys(s.source.inbound).join(', ') || 'nothing'}` : 'it is not a sync source';
    const takes = t ? `it is a target of ${Object.keys(t.target.routes).join(', ') || 'nothing'}` : 'it is not a sync target';
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
    await store.runs.create({ id, kind: 'backfill', connector, entity, direction, since: options.since ?? null, createdBy: options.by, createdAt: at });
    if (checkpoint !== null) await store.runs.update(id, { checkpoint }, at);
    if (direction === 'in') await s!.continueBackfill(id);
    else await this.queue!.add('out', { runId: id }, SLICE_OPTIONS);
    return (await this.get(id))!;
  }

  /** Continues a backfill whose chain of slices was lost, from its checkpoint, as the new chain `chain` (the watchdog). */
  async continueRun(run: SyncRun, chain: string): Promise<void> {
    if (run.direction === 'in') await this.deps.sources.get(run.connector)?.continueBackfill(run.id, 0, 0, chain);
    else await this.queue?.add('out', { runId: run.id, chain }, SLICE_OPTIONS);
  }

  async get(id: string): Promise<RunView | undefined> {
    return runView(this.deps.store.runs, id);
  }

  async list(filter: { connector?: string; limit: number }): Promise<RunView[]> {
    return (await this.deps.store.runs.list(filter)).map(withProgress);
  }

  async cancel(id: string): Promise<RunView> {
    const { store } = this.deps;
    const at = new Date().toISOString();
    const run = await store.runs.get(id);
    if (!run) throw new NotFoundError();
    if (!(await store.runs.update(id, { state: 'cancelled', finishedAt: at }, at, ['queued', 'running']))) {
      throw new ConflictError(`The run is already ${run.state}`, [{ pointer: '/state', detail: `is ${run.state}` }]);
    }
    return (await this.get(id))!;
  }

  /** An outbound slice; while the hub's store is unavailable, the slice waits and tries again (the run never stalls). */
  private async outboundSliceOrWait(data: OutboundSliceJob): Promise<{ done: number; state: string }> {
    try {
      if (!(await this.deps.chains.current(data.runId, data.chain))) return { done: 0, state: 'superseded' };
      return await this.outboundSlice(data.runId, data.chain);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      const deferred = (data.deferred ?? 0) + 1;
      this.deps.log.warn({ run: data.runId, deferred, err: foreignErrorSummary(error) }, 'hub store unavailable: outbound backfill slice deferred');
      await this.queue?.add('out', { ...data, deferred }, { ...SLICE_OPTIONS, delay: retryDelay(deferred - 1, 1000, STORE_RETRY_MAX_MS) });
      return { done: 0, state: 'deferred' };
    }
  }

  /**
   * One slice of an outbound backfill, in a worker: queues deliveries of the entity's hub records
   * (changed since the run's `since`) page by page for a few seconds (BACKFILL_SLICE_MS), checkpointing the position,
   * then queues its continuation. A killed worker's slice is taken up again from the checkpoint.
   */
  private async outboundSlice(runId: string, chain?: string): Promise<{ done: number; state: string }> {
    const { store } = this.deps;
    const now = () => new Date().toISOString();
    const run = await store.runs.get(runId);
    if (!run || (run.state !== 'queued' && run.state !== 'running')) return { done: run?.done ?? 0, state: run?.state ?? 'missing' };
    const t = this.deps.targets.get(run.connector);
    const entity = run.entity as EntityName;
    if (!t || !t.wants(entity)) {
      await store.runs.update(runId, { state: 'failed', message: `${run.connector} is no longer a target of ${entity}`, finishedAt: now() }, now());
      return { done: run.done, state: 'failed' };
    }
    const def = ENTITIES[entity];
    if (run.state === 'queued' && !(await store.runs.update(runId, { state: 'running', startedAt: now(), total: await store.records.count(def) }, now(), ['queued']))) return { done: 0, state: 'cancelled' };
    let after = run.checkpoint ? (JSON.parse(run.checkpoint) as { value: string; id: string }) : undefined;
    let done = run.done;
    const until = Date.now() + BACKFILL_SLICE_MS;
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
    await this.queue?.add('out', { runId, ...(chain ? { chain } : {}) }, SLICE_OPTIONS);
    return { done, state: 'running' };
  }
}
