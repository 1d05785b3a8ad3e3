import type { Db } from './database.js';

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const ACTOR_TYPES = ['user', 'apikey', 'anonymous'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** One audit record. It names fields, never their values. */
export interface AuditEntry {
  readonly time: string;
  readonly actor: string;
  readonly actorType: ActorType;
  readonly sourceIp: string;
  readonly action: string;
  readonly entity: string | null;
  readonly recordIds: readonly string[];
  readonly fields: readonly string[];
  readonly outcome: AuditOutcome;
  readonly status: number | null;
}

export interface AuditRecord extends AuditEntry {
  readonly id: string;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly entity?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  /** Newest first: return records with an id below this one. */
  readonly beforeId?: string;
}

/** Append-only audit trail. */
export class AuditRepository {
  constructor(private readonly db: Db) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto('hub_audit')
      .values({
        time: entry.time,
        actor: entry.actor.slice(0, 191),
        actor_type: entry.actorType,
        source_ip: entry.sourceIp.slice(0, 64),
        action: entry.action,
        entity: entry.entity,
        record_ids: JSON.stringify(entry.recordIds.slice(0, 1000)),
        fields: JSON.stringify(entry.fields),
        outcome: entry.outcome,
        status: entry.status,
      })
      .execute();
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('hub_audit').selectAll();
    if (query.actor) q = q.where('actor', '=', query.actor);
    if (query.action) q = q.where('action', '=', query.action);
    if (query.entity) q = q.where('entity', '=', query.entity);
    if (query.from) q = q.where('time', '>=', query.from);
    if (query.to) q = q.where('time', '<', query.to);
    if (query.beforeId) q = q.where('id', '<', Number(query.beforeId));
    const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({
      id: String(r['id']),
      time: String(r['time']),
      actor: String(r['actor']),
      actorType: String(r['actor_type']) as ActorType,
      sourceIp: String(r['source_ip']),
      action: String(r['action']),
      entity: r['entity'] === null ? null : String(r['entity']),
      recordIds: JSON.parse(String(r['record_ids'])) as string[],
      fields: JSON.parse(String(r['fields'])) as string[],
      outcome: String(r['outcome']) as AuditOutcome,
      status: r['status'] === null ? null : Number(r['status']),
    }));
  }
}
