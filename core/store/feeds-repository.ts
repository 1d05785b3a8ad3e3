import type { ManifestFile } from '../feeds/manifest.js';
import { fromJsonColumn, textOrNull, toJsonColumn } from './columns.js';
import type { Db } from './database.js';

export const FEED_RUN_STATUSES = ['complete', 'failed'] as const;
export type FeedRunStatus = (typeof FEED_RUN_STATUSES)[number];

/** How a run came about: on request (API, CLI) or on the feed's schedule. */
export const FEED_RUN_ORIGINS = ['api', 'cli', 'schedule'] as const;
export type FeedRunOrigin = (typeof FEED_RUN_ORIGINS)[number];

/**
 * The state of one way a run is delivered: `pending` (queued or retrying), `delivered`, `failed`
 * (an attempt failed; more follow), `dead` (a dead letter: replay it to try again).
 */
export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface ChannelState {
  readonly state: DeliveryState;
  readonly at: string | null;
  readonly error: string | null;
}

export interface FeedRunRow {
  readonly id: string;
  readonly feed: string;
  readonly sequence: number | null;
  readonly status: FeedRunStatus;
  readonly origin: FeedRunOrigin;
  readonly asOf: string;
  readonly timeZone: string;
  readonly receiver: string;
  readonly records: number;
  readonly customerTotals: number;
  readonly keyId: string | null;
  readonly manifestSha256: string | null;
  /** The data files and the manifest, with their hashes; empty for a failed run. */
  readonly files: readonly ManifestFile[];
  readonly message: string | null;
  /** Delivery to the configured folder, when there is one. */
  readonly directory: ChannelState | null;
  /** Delivery to the configured HTTP endpoint, when there is one. */
  readonly http: (ChannelState & { readonly attempts: number }) | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

function channel(state: unknown, at: unknown, error: unknown): ChannelState | null {
  return state === null || state === undefined ? null : { state: String(state) as DeliveryState, at: textOrNull(at), error: textOrNull(error) };
}

function toRun(r: Record<string, unknown>): FeedRunRow {
  const http = channel(r['http_state'], r['http_at'], r['http_error']);
  return {
    id: String(r['id']),
    feed: String(r['feed']),
    sequence: r['sequence'] === null || r['sequence'] === undefined ? null : Number(r['sequence']),
    status: String(r['status']) as FeedRunStatus,
    origin: String(r['origin']) as FeedRunOrigin,
    asOf: String(r['as_of']),
    timeZone: String(r['time_zone']),
    receiver: String(r['receiver']),
    records: Number(r['records']),
    customerTotals: Number(r['customer_totals']),
    keyId: textOrNull(r['key_id']),
    manifestSha256: textOrNull(r['manifest_sha256']),
    files: (fromJsonColumn(r['files']) as ManifestFile[] | null) ?? [],
    message: textOrNull(r['message']),
    directory: channel(r['dir_state'], r['dir_at'], r['dir_error']),
    http: http ? { ...http, attempts: Number(r['http_attempts'] ?? 0) } : null,
    createdBy: String(r['created_by']),
    createdAt: String(r['created_at']),
    finishedAt: textOrNull(r['finished_at']),
  };
}

export type NewFeedRun = Omit<FeedRunRow, 'directory' | 'http'> & { readonly directory: DeliveryState | null; readonly http: DeliveryState | null };

/** Feed runs (`hub_feed_runs`) and their gap-free sequence numbers (`hub_feed_sequences`). */
export class FeedRepository {
  constructor(
    private readonly db: Db,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  /**
   * Makes the feed's counter row if it has none. Call it before the transaction that takes a number,
   * on its own: inside one, two runs' duplicate-key inserts take shared locks on the row and then
   * deadlock each other on the update (InnoDB).
   */
  async ensureSequence(feed: string): Promise<void> {
    const exists = await this.db.selectFrom('hub_feed_sequences').select('feed').where('feed', '=', feed).executeTakeFirst();
    if (exists) return;
    try {
      await this.db.insertInto('hub_feed_sequences').values({ feed, last_sequence: 0 }).execute();
    } catch (error) {
      if (!this.isUniqueViolation(error)) throw error;
    }
  }

  /**
   * The next sequence number of a feed (after `ensureSequence`). Call it inside the transaction that
   * records the run: the update locks the counter's row until that commits (a second run waits
   * there), and a rollback gives the number back.
   */
  async nextSequence(feed: string): Promise<number> {
    const updated = await this.db.updateTable('hub_feed_sequences').set((eb) => ({ last_sequence: eb('last_sequence', '+', 1) })).where('feed', '=', feed).executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new Error(`the feed ${feed} has no sequence counter (ensureSequence first)`);
    const row = await this.db.selectFrom('hub_feed_sequences').select('last_sequence').where('feed', '=', feed).executeTakeFirstOrThrow();
    return Number(row['last_sequence']);
  }

  async insert(run: NewFeedRun): Promise<void> {
    await this.db
      .insertInto('hub_feed_runs')
      .values({
        id: run.id,
        feed: run.feed,
        sequence: run.sequence,
        status: run.status,
        origin: run.origin,
        as_of: run.asOf,
        time_zone: run.timeZone,
        receiver: run.receiver,
        records: run.records,
        customer_totals: run.customerTotals,
        key_id: run.keyId,
        manifest_sha256: run.manifestSha256,
        files: toJsonColumn(run.files),
        message: run.message?.slice(0, 1000) ?? null,
        dir_state: run.directory,
        http_state: run.http,
        http_attempts: 0,
        created_by: run.createdBy.slice(0, 191),
        created_at: run.createdAt,
        finished_at: run.finishedAt,
      })
      .execute();
  }

  async get(feed: string, sequence: number): Promise<FeedRunRow | undefined> {
    const r = await this.db.selectFrom('hub_feed_runs').selectAll().where('feed', '=', feed).where('sequence', '=', sequence).executeTakeFirst();
    return r ? toRun(r) : undefined;
  }

  /** A feed's runs, newest first, after a position of a previous page. */
  async list(feed: string, limit: number, before?: { createdAt: string; id: string }): Promise<FeedRunRow[]> {
    let q = this.db.selectFrom('hub_feed_runs').selectAll().where('feed', '=', feed);
    if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRun);
  }

  /** The latest run of a feed that completed (has a sequence), if any. */
  async latest(feed: string): Promise<FeedRunRow | undefined> {
    const r = await this.db.selectFrom('hub_feed_runs').selectAll().where('feed', '=', feed).where('sequence', 'is not', null).orderBy('sequence', 'desc').limit(1).executeTakeFirst();
    return r ? toRun(r) : undefined;
  }

  /** Records how a delivery went; `attempt` counts one more HTTP attempt. */
  async setDelivery(feed: string, sequence: number, way: 'directory' | 'http', state: DeliveryState, at: string, error: string | null, attempt = false): Promise<void> {
    const set: Record<string, unknown> = way === 'directory' ? { dir_state: state, dir_at: at, dir_error: error?.slice(0, 1000) ?? null } : { http_state: state, http_at: at, http_error: error?.slice(0, 1000) ?? null };
    let q = this.db.updateTable('hub_feed_runs').set(set);
    if (attempt) q = q.set((eb) => ({ http_attempts: eb('http_attempts', '+', 1) }));
    await q.where('feed', '=', feed).where('sequence', '=', sequence).execute();
  }
}
