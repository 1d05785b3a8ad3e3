import type { Db } from './database.js';

export interface OutboxEvent {
  readonly id: number;
  readonly entity: string;
  readonly recordId: string;
  readonly op: 'upsert' | 'delete';
  readonly version: number;
  readonly createdAt: string;
  /** The system whose change this is (`hub` for the API). */
  readonly origin: string;
}

/** The transactional outbox: one row per committed change, in commit order for the relay. */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  async after(lastId: number, limit: number): Promise<OutboxEvent[]> {
    const rows = await this.db.selectFrom('hub_outbox').selectAll().where('id', '>', lastId).orderBy('id').limit(limit).execute();
    return rows.map(toEvent);
  }

  /** The events with these ids that are visible now (gaps the relay skipped). */
  async byIds(ids: readonly number[]): Promise<OutboxEvent[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('hub_outbox').selectAll().where('id', 'in', [...ids]).orderBy('id').execute();
    return rows.map(toEvent);
  }
}

function toEvent(r: Record<string, unknown>): OutboxEvent {
    return ({
      id: Number(r['id']),
      entity: String(r['entity']),
      recordId: String(r['record_id']),
      op: String(r['op']) as 'upsert' | 'delete',
      version: Number(r['version']),
      createdAt: String(r['created_at']),
      origin: r['origin'] === null || r['origin'] === undefined ? 'hub' : String(r['origin']),
    });
}
