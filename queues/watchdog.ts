import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SyncRun } from '../core/store/runs-repository.js';
import type { Store } from '../core/store/store.js';
import type { RunChains } from './run-chains.js';
import { RUN_STALL_MS } from './runs.js';

export interface WatchdogDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly store: Store;
  readonly log: Logger;
  readonly chains: RunChains;
  /** Puts the job schedulers back (polling, reconciliation) after Redis lost them. */
  readonly reschedule: () => Promise<void>;
  /** Queues the first slice of a new chain of the run. */
  readonly continueRun: (run: SyncRun, chain: string) => Promise<void>;
  /** A mark of this process, set in Redis when it finds none. */
  readonly instance: string;
}

/**
 * Every few seconds, in worker processes: notices that Redis lost the hub's keys (restarted without
 * persistence, flushed) and puts the polling and reconciliation schedules back, and continues the
 * backfills that stopped moving (their chain of slice jobs was lost) from their checkpoint. What was
 * queued for delivery comes back by itself: the relay's cursor went too, so it hands the outbox over
 * again. A tick that meets Redis or the store down does nothing; the next one tries again.
 */
export class SyncWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private known = false;

  constructor(private readonly deps: WatchdogDeps) {}

  start(everyMs = 5000): void {
    const loop = () => {
      this.ticking = this.tick()
        .catch(() => undefined)
        .finally(() => {
          this.ticking = undefined;
          if (this.timer) this.timer = setTimeout(loop, everyMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private async tick(): Promise<void> {
    const { redis, prefix, store, log, chains } = this.deps;
    // The first process to start (or to see Redis empty again) sets the mark.
    const fresh = (await redis.set(`${prefix}:sync:epoch`, this.deps.instance, 'NX')) === 'OK';
    if (fresh && this.known) {
      log.warn("Redis lost the hub's queues and schedules: restoring them and resuming runs");
      await this.deps.reschedule();
    }
    this.known = true;
    const stale = await store.runs.list({ states: ['queued', 'running'], updatedBefore: new Date(Date.now() - RUN_STALL_MS).toISOString(), limit: 50 });
    for (const run of stale) {
      if (run.kind !== 'backfill') continue;
      const chain = await chains.supersede(run.id);
      // Touched, so that the next tick does not resume it again while the new chain starts.
      if (!(await store.runs.update(run.id, {}, new Date().toISOString(), ['queued', 'running']))) continue;
      log.warn({ run: run.id, connector: run.connector, entity: run.entity, direction: run.direction }, 'run stopped moving: continuing it from its checkpoint');
      await this.deps.continueRun(run, chain);
    }
  }
}
