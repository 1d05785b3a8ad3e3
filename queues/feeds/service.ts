import type { ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { HubError, NotFoundError } from '../../core/errors.js';
import { asOfDate, businessDate } from '../../core/finance/aging.js';
import type { FeedKeyInfo, KeyRing } from '../../core/feeds/key-ring.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import type { DeadLetter } from '../../core/store/dead-letters-repository.js';
import type { FeedRunOrigin, FeedRunRow } from '../../core/store/feeds-repository.js';
import type { Store } from '../../core/store/store.js';
import { archivedRun, deliverToDir } from './archive.js';
import type { FeedConfig } from './config.js';
import { FeedDeliveries, feedLetterRecord, feedLetterTarget } from './delivery.js';
import { runFeed } from './run.js';
import { FeedSchedules } from './schedule.js';

export type { FeedConfig } from './config.js';
export type { FeedKeyInfo } from '../../core/feeds/key-ring.js';
export type { FeedRunRow } from '../../core/store/feeds-repository.js';

export interface FeedServiceDeps {
  readonly store: Store;
  readonly policy: PolicyEngine;
  readonly log: Logger;
  readonly dataDir: string;
  readonly feeds: ReadonlyMap<string, FeedConfig>;
  readonly keys: KeyRing;
  /** BullMQ's connection, for HTTP deliveries and schedules; without it, a feed with HTTP delivery cannot run here. */
  readonly connection?: ConnectionOptions | undefined;
  readonly prefix: string;
}

/** A configured feed as the API and `hub feed list` show it (no path, no secret, the endpoint's origin only). */
export interface FeedView {
  readonly name: string;
  readonly receiver: string;
  readonly formats: readonly string[];
  readonly columns: readonly string[];
  readonly asOf: 'today' | 'yesterday';
  readonly timeZone: string;
  readonly schedule: { readonly cron: string; readonly timeZone: string } | null;
  readonly delivery: { readonly directory: boolean; readonly http: string | null };
  readonly encryptedFor: string | null;
  readonly lastRun: FeedRunRow | null;
}

const LETTER_PREFIX = 'feed:';

/**
 * The receivables feeds: runs on request (API, CLI) and on schedule (the workers), their deliveries
 * to a folder (at once, after the run) and to finance's endpoint (queued, retried, dead-lettered),
 * redelivery of a run's archived bytes, and the signing keys' public halves.
 */
export class FeedService {
  readonly deliveries: FeedDeliveries | undefined;
  private schedules: FeedSchedules | undefined;

  constructor(private readonly deps: FeedServiceDeps) {
    const needsQueue = [...deps.feeds.values()].some((f) => f.delivery.http);
    this.deliveries = deps.connection && needsQueue ? new FeedDeliveries({ store: deps.store, dataDir: deps.dataDir, feeds: deps.feeds, log: deps.log, connection: deps.connection, prefix: deps.prefix }) : undefined;
  }

  /** A configured feed; 404 naming the configured ones otherwise. */
  feed(name: string): FeedConfig {
    const feed = this.deps.feeds.get(name);
    if (!feed) throw new NotFoundError(`No feed named ${name} (configured: ${[...this.deps.feeds.keys()].join(', ') || 'none'})`);
    return feed;
  }

  async list(): Promise<FeedView[]> {
    const out: FeedView[] = [];
    for (const f of [...this.deps.feeds.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push({
        name: f.name,
        receiver: f.receiver,
        formats: [...f.formats],
        columns: f.columns.map((c) => c.ref),
        asOf: f.asOf,
        timeZone: f.timeZone,
        schedule: f.schedule ? { ...f.schedule } : null,
        delivery: { directory: f.delivery.dir !== undefined, http: f.delivery.http ? new URL(f.delivery.http.url).origin : null },
        encryptedFor: f.encryptFor?.keyId ?? null,
        lastRun: (await this.deps.store.feeds.latest(f.name)) ?? null,
      });
    }
    return out;
  }

  async runs(name: string, limit: number, before?: { createdAt: string; id: string }): Promise<FeedRunRow[]> {
    this.feed(name);
    return this.deps.store.feeds.list(name, limit, before);
  }

  /** The date a run ages as of: the given one (a 422 at `pointer` when it is not a date), else the feed's rule. */
  asOf(feed: FeedConfig, given: string | undefined, pointer: string, now = new Date()): string {
    if (given !== undefined) return asOfDate(given, feed.timeZone, pointer, now);
    const today = businessDate(now, feed.timeZone);
    if (feed.asOf === 'today') return today;
    return new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  }

  /**
   * Runs a feed and starts its deliveries: the folder at once, the endpoint through the queue.
   * Answers the run with its delivery state as it stands when this returns.
   */
  async run(name: string, options: { asOf?: string | undefined; origin: FeedRunOrigin; by: string; pointer?: string }): Promise<FeedRunRow> {
    const feed = this.feed(name);
    const asOf = this.asOf(feed, options.asOf, options.pointer ?? '/asOf');
    if (feed.delivery.http && !this.deliveries) throw new HubError('feed_no_queue', 503, `The feed ${name} delivers over HTTP, which needs the queue (Redis); this process has none`);
    const { store, policy, keys, dataDir, log } = this.deps;
    const run = await runFeed({ store, policy, keys, dataDir }, feed, { asOf, origin: options.origin, by: options.by });
    log.info({ feed: name, sequence: run.sequence, records: run.records, asOf }, 'feed run complete');
    await this.deliver(feed, run.sequence!);
    return (await store.feeds.get(name, run.sequence!)) ?? run;
  }

  /** Starts the configured deliveries of a completed run (again): the folder at once, the endpoint queued. */
  async deliver(feed: FeedConfig, sequence: number, ways: readonly ('directory' | 'http')[] = ['directory', 'http']): Promise<void> {
    if (ways.includes('directory') && feed.delivery.dir) await this.deliverDirectory(feed, sequence);
    if (ways.includes('http') && feed.delivery.http) {
      if (!this.deliveries) throw new HubError('feed_no_queue', 503, `The feed ${feed.name} delivers over HTTP, which needs the queue (Redis); this process has none`);
      await this.deliveries.enqueue(feed, sequence);
    }
  }

  private async deliverDirectory(feed: FeedConfig, sequence: number): Promise<void> {
    const { store, dataDir, log } = this.deps;
    const now = () => new Date().toISOString();
    const run = await store.feeds.get(feed.name, sequence);
    if (!run) throw new NotFoundError(`No run ${sequence} of the feed ${feed.name}`);
    try {
      await deliverToDir(await archivedRun(dataDir, run), feed.delivery.dir!);
      await store.feeds.setDelivery(feed.name, sequence, 'directory', 'delivered', now(), null);
      await store.deadLetters.settle(feedLetterTarget(feed.name), 'out', 'feed', [feedLetterRecord(sequence, 'directory')], now());
    } catch (error) {
      const message = error instanceof HubError ? error.message : `the folder could not be written (${(error as { code?: string }).code ?? 'error'})`;
      log.warn({ feed: feed.name, sequence, err: { message } }, 'feed delivery to the folder failed');
      await store.feeds.setDelivery(feed.name, sequence, 'directory', 'dead', now(), message);
      await store.deadLetters.add({
        target: feedLetterTarget(feed.name),
        entity: 'feed',
        recordId: feedLetterRecord(sequence, 'directory'),
        version: sequence,
        payload: { feed: feed.name, sequence, way: 'directory', asOf: run.asOf, files: run.files.map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.bytes })) },
        errorCode: error instanceof HubError ? error.code : ((error as { code?: string }).code ?? 'error').toLowerCase(),
        errorMessage: message,
        attempts: 1,
        createdAt: now(),
      });
    }
  }

  /** Replays a feed's dead letter: delivers the run's archived files again that way. False when the feed or run is gone. */
  async replayLetter(letter: DeadLetter, by: string): Promise<boolean> {
    const name = letter.target.slice(LETTER_PREFIX.length);
    const m = /^(\d+):(http|directory)$/.exec(letter.recordId);
    const feed = this.deps.feeds.get(name);
    if (!m || !feed || !(await this.deps.store.feeds.get(name, Number(m[1])))) return false;
    const way = m[2] as 'http' | 'directory';
    if (way === 'http' ? !feed.delivery.http || !this.deliveries : !feed.delivery.dir) return false;
    // Resolved first: a delivery that fails again leaves a letter of its own, not an update of this one.
    await this.deps.store.deadLetters.resolve([letter.id], 'replayed', by, new Date().toISOString());
    await this.deliver(feed, Number(m[1]), [way]);
    return true;
  }

  /** The dead letter prefix this service replays (register with the dead letter desk). */
  static readonly letterPrefix = LETTER_PREFIX;

  /** The signing keys (public halves), oldest first; the first use makes one. */
  keys(): FeedKeyInfo[] {
    const keys = this.deps.keys;
    if (keys.list().length === 0) keys.current();
    return keys.list();
  }

  /** In a worker process: the schedules and the HTTP deliveries. */
  async start(options: { workers: boolean }): Promise<void> {
    const { connection, prefix, log, feeds } = this.deps;
    if (!options.workers || !connection) return;
    this.deliveries?.start();
    // Always: the schedulers of feeds that lost their schedule are removed at start.
    this.schedules = new FeedSchedules({ feeds, log, connection, prefix, run: (feed) => this.run(feed, { origin: 'schedule', by: 'scheduler' }) });
    await this.schedules.start();
  }

  /** Puts the feed schedules back (the sync watchdog calls it when Redis lost its keys). */
  async reschedule(): Promise<void> {
    await this.schedules?.reschedule();
  }

  async stop(): Promise<void> {
    await this.schedules?.stop();
    this.schedules = undefined;
    await this.deliveries?.close();
  }
}
