import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { foreignErrorSummary, HubError } from '../../core/errors.js';
import type { Store } from '../../core/store/store.js';
import { retryDelay } from '../delivery.js';
import { archivedRun } from './archive.js';
import type { FeedConfig } from './config.js';
import { FeedPostError, postRun } from './http.js';

/**
 * HTTP deliveries of feed runs: one BullMQ queue (`feeds.deliver`) for every feed. The record
 * delivery path does not fit a feed (its jobs name records whose current state is read, mapped and
 * upserted in batches; a feed run is a set of finished files), so a feed delivery is a job of its
 * own with the same habits: attempts with exponential backoff and jitter (Retry-After honoured),
 * the run's delivery state in the store, and a dead letter once the attempts run out (or finance
 * refuses the run for good): target `feed:<name>`, entity `feed`, record `<sequence>:http`. A
 * replayed letter queues the delivery again with fresh attempts; it sends the archived bytes.
 */

export interface FeedDeliveryJob {
  readonly feed: string;
  readonly sequence: number;
}

export const FEED_DELIVERY_QUEUE = 'feeds.deliver';

/** The dead letter target of a feed, and the record id of one run's delivery. */
export const feedLetterTarget = (feed: string): string => `feed:${feed}`;
export const feedLetterRecord = (sequence: number, way: 'http' | 'directory'): string => `${sequence}:${way}`;

export interface FeedDeliveryDeps {
  readonly store: Store;
  readonly dataDir: string;
  readonly feeds: ReadonlyMap<string, FeedConfig>;
  readonly log: Logger;
  readonly connection: ConnectionOptions;
  readonly prefix: string;
}

export class FeedDeliveries {
  readonly queue: Queue<FeedDeliveryJob>;
  private worker: Worker<FeedDeliveryJob> | undefined;

  constructor(private readonly deps: FeedDeliveryDeps) {
    this.queue = new Queue<FeedDeliveryJob>(FEED_DELIVERY_QUEUE, { connection: deps.connection, prefix: deps.prefix });
    this.queue.on('error', (error) => deps.log.warn({ err: { message: error.message } }, 'feed delivery queue error'));
  }

  /** Queues the HTTP delivery of a run, with the feed's attempts. */
  async enqueue(feed: FeedConfig, sequence: number): Promise<void> {
    const http = feed.delivery.http;
    if (!http) throw new HubError('feed_no_http', 409, `The feed ${feed.name} has no HTTP delivery (feeds.${feed.name}.delivery.http)`);
    await this.deps.store.feeds.setDelivery(feed.name, sequence, 'http', 'pending', new Date().toISOString(), null);
    await this.queue.add('deliver', { feed: feed.name, sequence }, { jobId: `${feed.name}.${sequence}.${Date.now()}`, attempts: http.attempts, backoff: { type: 'feed' }, removeOnComplete: 200, removeOnFail: 500 });
  }

  /** In a worker process: delivers queued runs. */
  start(): void {
    this.worker = new Worker<FeedDeliveryJob>(FEED_DELIVERY_QUEUE, (job) => this.process(job), {
      connection: this.deps.connection,
      prefix: this.deps.prefix,
      concurrency: 2,
      settings: {
        backoffStrategy: (attemptsMade, _type, err, job) => {
          const http = this.deps.feeds.get((job?.data as FeedDeliveryJob | undefined)?.feed ?? '')?.delivery.http;
          const delay = retryDelay(attemptsMade - 1, http?.backoffMs ?? 1000, http?.maxBackoffMs ?? 300_000);
          const asked = err instanceof FeedPostError ? err.retryAfterMs : undefined;
          return asked === undefined ? delay : Math.max(delay, Math.min(asked, http?.maxBackoffMs ?? 300_000));
        },
      },
    });
    this.worker.on('error', (error) => this.deps.log.warn({ err: { message: error.message } }, 'feed delivery worker error'));
  }

  private async process(job: Job<FeedDeliveryJob>): Promise<{ delivered: boolean }> {
    const { store, dataDir, log } = this.deps;
    const { feed: name, sequence } = job.data;
    const http = this.deps.feeds.get(name)?.delivery.http;
    const run = await store.feeds.get(name, sequence);
    if (!run) return { delivered: false };
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const now = () => new Date().toISOString();
    try {
      if (!http) throw new FeedPostError('feed_no_http', `The feed ${name} no longer has an HTTP delivery`, false);
      await postRun(await archivedRun(dataDir, run), run, http);
      await store.feeds.setDelivery(name, sequence, 'http', 'delivered', now(), null, true);
      await store.deadLetters.settle(feedLetterTarget(name), 'out', 'feed', [feedLetterRecord(sequence, 'http')], now());
      log.info({ feed: name, sequence, attempt }, 'feed run delivered');
      return { delivered: true };
    } catch (error) {
      const e = error instanceof HubError ? error : undefined;
      const code = e?.code ?? 'error';
      const message = e?.message ?? `unexpected ${foreignErrorSummary(error).name}`;
      const retryable = error instanceof FeedPostError ? error.retryable : !e;
      log.warn({ feed: name, sequence, attempt, attempts, err: { code, message } }, 'feed delivery failed');
      if (retryable && attempt < attempts) {
        await store.feeds.setDelivery(name, sequence, 'http', 'failed', now(), message, true);
        throw error;
      }
      await store.feeds.setDelivery(name, sequence, 'http', 'dead', now(), message, true);
      await store.deadLetters.add({
        target: feedLetterTarget(name),
        entity: 'feed',
        recordId: feedLetterRecord(sequence, 'http'),
        version: sequence,
        payload: { feed: name, sequence, way: 'http', endpoint: http ? new URL(http.url).origin : null, asOf: run.asOf, files: run.files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.bytes })) },
        errorCode: code,
        errorMessage: message,
        attempts: attempt,
        createdAt: now(),
      });
      return { delivered: false };
    }
  }

  async close(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    this.worker = undefined;
    await this.queue.close().catch(() => undefined);
  }
}
