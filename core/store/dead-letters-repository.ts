import { sql } from 'kysely';
import type { Db } from './database.js';

/** `delivered`: settled by a later delivery (or ingest) of the same record that succeeded. */
export const DEAD_LETTER_STATES = ['open', 'replayed', 'discarded', 'delivered'] as const;
export type DeadLetterState = (typeof DEAD_LETTER_STATES)[number];

export interface DeadLetter {
  readonly id: string;
  /** The system the record was going to (`out`) or coming from (`in`). */
  readonly target: string;
  readonly direction: 'in' | 'out';
  readonly entity: string;
  readonly recordId: string;
  readonly version: number;
  /**
   * Outbound: what the target would have received, projected for it and mapped; never the raw
   * record. Inbound: the change as mapped into the canonical shape.
   */
  readonly payload: Record<string, unknown>;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number;
  readonly createdAt: string;
  readonly state: DeadLetterState;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
}

export interface DeadLetterFilter {
  readonly target?: string;
  readonly entity?: string;
  readonly errorCode?: string;
  readonly state?: DeadLetterState;
  readonly direction?: 'in' | 'out';
  readonly createdBefore?: string;
  readonly createdAfter?: string;
}

function toLetter(r: Record<string, unknown>): DeadLetter {
  return {
    id: String(r['id']),
    target: String(r['target']),
    direction: (r['direction'] === 'in' ? 'in' : 'out'),
    entity: String(r['entity']),
    recordId: String(r['record_id']),
    version: Number(r['version']),
    payload: JSON.parse(String(r['payload'])) as Record<string, unknown>,
    errorCode: String(r['error_code']),
    errorMessage: String(r['error_message']),
    attempts: Number(r['attempts']),
    createdAt: String(r['created_at']),
    state: (String(r['state'] ?? 'open') as DeadLetterState),
    resolvedAt: r['resolved_at'] === null || r['resolved_at'] === undefined ? null : String(r['resolved_at']),
    resolvedBy: r['resolved_by'] === null || r['resolved_by'] === undefined ? null : String(r['resolved_by']),
  };
}

/** Deliveries that failed for good, kept with their projected payload and error until resolved. */
export class DeadLetterRepository {
  constructor(private readonly db: Db) {}

  /**
   * Adds a dead letter; a record that already has an open one (same system, direction and entity)
   * gets that letter updated with the latest payload and error instead of a second one.
   */
  async add(letter: Omit<DeadLetter, 'id' | 'state' | 'resolvedAt' | 'resolvedBy' | 'direction'> & { direction?: 'in' | 'out' }): Promise<void> {
    if (letter.recordId !== '') {
      const updated = await this.db
        .updateTable('hub_dead_letters')
        .set({ version: letter.version, payload: JSON.stringify(letter.payload), error_code: letter.errorCode.slice(0, 64), error_message: letter.errorMessage.slice(0, 1000), attempts: letter.attempts, created_at: letter.createdAt })
        .where('target', '=', letter.target)
        .where('entity', '=', letter.entity)
        .where('record_id', '=', letter.recordId)
        .where('state', '=', 'open')
        .where('direction', '=', letter.direction ?? 'out')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
    }
    await this.db
      .insertInto('hub_dead_letters')
      .values({
        target: letter.target,
        direction: letter.direction ?? 'out',
        entity: letter.entity,
        record_id: letter.recordId,
        version: letter.version,
        payload: JSON.stringify(letter.payload),
        error_code: letter.errorCode.slice(0, 64),
        error_message: letter.errorMessage.slice(0, 1000),
        attempts: letter.attempts,
        created_at: letter.createdAt,
        state: 'open',
      })
      .execute();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private filtered(filter: DeadLetterFilter): any {
    let q = this.db.selectFrom('hub_dead_letters');
    if (filter.target) q = q.where('target', '=', filter.target);
    if (filter.entity) q = q.where('entity', '=', filter.entity);
    if (filter.errorCode) q = q.where('error_code', '=', filter.errorCode);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.direction) q = q.where('direction', '=', filter.direction);
    if (filter.createdBefore) q = q.where('created_at', '<', filter.createdBefore);
    if (filter.createdAfter) q = q.where('created_at', '>=', filter.createdAfter);
    return q;
  }

  /** Dead letters matching the filter, oldest first, after the given id. */
  async list(filter: DeadLetterFilter, limit: number, afterId?: number): Promise<DeadLetter[]> {
    let q = this.filtered(filter).selectAll();
    if (afterId !== undefined) q = q.where('id', '>', afterId);
    const rows = (await q.orderBy('id').limit(limit).execute()) as Record<string, unknown>[];
    return rows.map(toLetter);
  }

  async count(filter: DeadLetterFilter): Promise<number> {
    const row = (await this.filtered(filter).select(sql<number>`count(*)`.as('n')).executeTakeFirst()) as { n?: unknown } | undefined;
    return Number(row?.n ?? 0);
  }

  async open(limit: number): Promise<DeadLetter[]> {
    return this.list({ state: 'open' }, limit);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const r = await this.db.selectFrom('hub_dead_letters').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    return r ? toLetter(r) : undefined;
  }

  /**
   * Settles the open letters of records that have now gone through (`delivered`, by `delivery`);
   * returns how many changed.
   */
  async settle(target: string, direction: 'in' | 'out', entity: string, recordIds: readonly string[], at: string): Promise<number> {
    let n = 0;
    for (let i = 0; i < recordIds.length; i += 500) {
      const r = await this.db
        .updateTable('hub_dead_letters')
        .set({ state: 'delivered', resolved_at: at, resolved_by: direction === 'out' ? 'delivery' : 'ingest' })
        .where('target', '=', target)
        .where('entity', '=', entity)
        .where('record_id', 'in', recordIds.slice(i, i + 500))
        .where('state', '=', 'open')
        .where('direction', '=', direction)
        .executeTakeFirst();
      n += Number(r.numUpdatedRows);
    }
    return n;
  }

  /** Marks open letters replayed or discarded; returns how many changed. */
  async resolve(ids: readonly string[], state: Exclude<DeadLetterState, 'open'>, by: string, at: string): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db
      .updateTable('hub_dead_letters')
      .set({ state, resolved_at: at, resolved_by: by })
      .where('id', 'in', ids.map(Number))
      .where('state', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
