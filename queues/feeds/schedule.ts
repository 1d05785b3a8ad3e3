import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { FeedConfig } from './config.js';

/**
 * Scheduled feed runs: one BullMQ job scheduler per scheduled feed (its cron pattern in its time
 * zone) on the `feeds.run` queue, and a worker that runs one feed at a time. Schedulers of feeds that
 * are no longer configured, or no longer scheduled, are removed when the workers start.
 */

interface FeedRunJob {
  readonly feed: string;
}

export const FEED_RUN_QUEUE = 'feeds.run';

export interface FeedScheduleDeps {
  readonly feeds: ReadonlyMap<string, FeedConfig>;
  readonly log: Logger;
  readonly connection: ConnectionOptions;
  readonly prefix: string;
  /** Runs a feed as the scheduler (its errors are logged; the run records itself as failed). */
  readonly run: (feed: string) => Promise<unknown>;
}

export class FeedSchedules {
  private queue: Queue<FeedRunJob> | undefined;
  private worker: Worker<FeedRunJob> | undefined;

  constructor(private readonly deps: FeedScheduleDeps) {}

  async start(): Promise<void> {
    const { connection, prefix, log } = this.deps;
    this.queue = new Queue<FeedRunJob>(FEED_RUN_QUEUE, { connection, prefix });
    this.queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'feed schedule queue error'));
    await this.reschedule();
    if (![...this.deps.feeds.values()].some((f) => f.schedule)) return;
    this.worker = new Worker<FeedRunJob>(FEED_RUN_QUEUE, async (job) => this.deps.run(job.data.feed), { connection, prefix, concurrency: 1, lockDuration: 120_000 });
    this.worker.on('failed', (job, error) => log.error({ feed: job?.data.feed, err: { message: error.message } }, 'scheduled feed run failed'));
    this.worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'feed schedule worker error'));
  }

  /** Puts the job schedulers in place (and removes those of feeds without a schedule). */
  async reschedule(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    const scheduled = [...this.deps.feeds.values()].filter((f) => f.schedule);
    for (const f of scheduled) {
      await q.upsertJobScheduler(f.name, { pattern: f.schedule!.cron, tz: f.schedule!.timeZone }, { name: 'feed', data: { feed: f.name }, opts: { attempts: 1, removeOnComplete: 50, removeOnFail: 50 } });
    }
    const wanted = new Set(scheduled.map((f) => f.name));
    for (const s of await q.getJobSchedulers(0, -1)) {
      const id = s.id ?? s.key;
      if (id && !wanted.has(id)) await q.removeJobScheduler(id);
    }
  }

  async stop(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    await this.queue?.close().catch(() => undefined);
    this.worker = undefined;
    this.queue = undefined;
  }
}
