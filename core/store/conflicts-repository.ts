import { sql } from 'kysely';
import type { Db } from './database.js';
import { fromJsonColumn, textOrNull, toJsonColumn } from './columns.js';

export interface Conflict {
  readonly id: string;
  readonly entity: string;
  readonly recordId: string;
  readonly field: string;
  /** The system whose change was held back. */
  readonly system: string;
  readonly theirValue: unknown;
  readonly hubValue: unknown;
  /** The system that set the hub's value. */
  readonly hubSystem: string | null;
  readonly state: 'open' | 'resolved';
  readonly createdAt: string;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly resolution: string | null;
}

function toConflict(r: Record<string, unknown>): Conflict {
  return {
    id: String(r['id']),
    entity: String(r['entity']),
    recordId: String(r['record_id']),
    field: String(r['field']),
    system: String(r['system']),
    theirValue: fromJsonColumn(r['their_value']),
    hubValue: fromJsonColumn(r['hub_value']),
    hubSystem: textOrNull(r['hub_system']),
    state: String(r['state']) as Conflict['state'],
    createdAt: String(r['created_at']),
    resolvedAt: textOrNull(r['resolved_at']),
    resolvedBy: textOrNull(r['resolved_by']),
    resolution: textOrNull(r['resolution']),
  };
}

/** The conflict inbox, `hub_conflicts`: changes held back because two systems changed a field at once. */
export class ConflictRepository {
  constructor(private readonly db: Db) {}

  async add(c: Omit<Conflict, 'id' | 'state' | 'resolvedAt' | 'resolvedBy' | 'resolution'>): Promise<void> {
    // One open conflict per record, field and system: a newer change replaces the held value.
    const open = await this.db
      .selectFrom('hub_conflicts')
      .select('id')
      .where('entity', '=', c.entity)
      .where('record_id', '=', c.recordId)
      .where('field', '=', c.field)
      .where('system', '=', c.system)
      .where('state', '=', 'open')
      .executeTakeFirst();
    const values = { their_value: toJsonColumn(c.theirValue), hub_value: toJsonColumn(c.hubValue), hub_system: c.hubSystem, created_at: c.createdAt };
    if (open) await this.db.updateTable('hub_conflicts').set(values).where('id', '=', open['id']).execute();
    else await this.db.insertInto('hub_conflicts').values({ entity: c.entity, record_id: c.recordId, field: c.field, system: c.system, state: 'open', ...values }).execute();
  }

  async list(filter: { state?: Conflict['state']; entity?: string; afterId?: number; limit: number }): Promise<Conflict[]> {
    let q = this.db.selectFrom('hub_conflicts').selectAll();
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.entity) q = q.where('entity', '=', filter.entity);
    if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
    const rows = await q.orderBy('id').limit(filter.limit).execute();
    return rows.map(toConflict);
  }

  async get(id: string): Promise<Conflict | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const r = await this.db.selectFrom('hub_conflicts').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    return r ? toConflict(r) : undefined;
  }

  async resolve(id: string, resolution: string, by: string, at: string): Promise<boolean> {
    const r = await this.db.updateTable('hub_conflicts').set({ state: 'resolved', resolution, resolved_by: by, resolved_at: at }).where('id', '=', Number(id)).where('state', '=', 'open').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async count(state: Conflict['state']): Promise<number> {
    const row = await this.db.selectFrom('hub_conflicts').select(sql<number>`count(*)`.as('n')).where('state', '=', state).executeTakeFirst();
    return Number(row?.['n'] ?? 0);
  }
}
