import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { EntityName } from '../core/model/entities.js';
import type { Store } from '../core/store/store.js';
import type { TargetDelivery } from './delivery.js';
import { reconcileTarget } from './reconcile.js';
import { runView, type RunView } from './runs.js';

interface ReconcileJob {
  readonly target: string;
  readonly entity: EntityName;
}

const QUEUE = 'sync.reconcile';

export interface ReconciliationDeps {
  readonly store: Store;
  readonly log: Logger;
  readonly targets: ReadonlyMap<string, TargetDelivery>;
  /** Target → how often it is compared with the hub and repaired (ms); targets not named are not scheduled. */
  readonly every: ReadonlyMap<string, number>;
  /** BullMQ's connection. */
  readonly connection: ConnectionOptions;
  readonly prefix: string;
}

/**
 * Reconciliation of targets with the hub (see `reconcileTarget`): on request, and on each target's
 * schedule (`reconcileEveryMinutes`) with repair, one BullMQ job scheduler per target and entity.
 */
export class Reconciliation {
  private queue: Queue<ReconcileJob> | undefined;
  private worker: Worker<ReconcileJob> | undefined;

  constructor(private readonly deps: ReconciliationDeps) {}

  /** Compares a target with the hub for one entity; with `repair`, re-syncs the drift. Recorded as a run. */
  async reconcile(connector: string, entity: string, options: { repair: boolean; by: string; maxRecords?: number }): Promise<RunView> {
    const { store, targets } = this.deps;
    return (await runView(store.runs, await reconcileTarget(this.deps, targets.get(connector), connector, entity, options)))!;
  }

  /** In a worker process: puts the schedules in place and runs the scheduled reconciliations (nothing when none is scheduled). */
  async start(): Promise<void> {
    const { connection, prefix } = this.deps;
    if (this.deps.every.size === 0) return;
    this.queue = new Queue<ReconcileJob>(QUEUE, { connection, prefix });
    await this.reschedule();
    this.worker = new Worker<ReconcileJob>(QUEUE, async (job) => (await this.reconcile(job.data.target, job.data.entity, { repair: true, by: 'scheduler' })).report, { connection, prefix, concurrency: 1 });
    this.worker.on('error', () => undefined);
  }

  /** Puts the job schedulers (back) in place: at start, and after Redis lost them. */
  async reschedule(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    for (const [target, every] of this.deps.every) {
      for (const entity of Object.keys(this.deps.targets.get(target)?.target.routes ?? {}) as EntityName[]) {
        await q.upsertJobScheduler(`${target}:${entity}`, { every }, { name: 'reconcile', data: { target, entity }, opts: { removeOnComplete: 50, removeOnFail: 50 } });
      }
    }
  }

  /** Drains the worker (the reconciliation in flight finishes), then closes the queue. */
  async stop(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.worker = undefined;
    this.queue = undefined;
  }
}
