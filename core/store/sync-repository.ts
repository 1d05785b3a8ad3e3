import { sql } from 'kysely';
import { insertRows } from './bulk.js';
import type { Db, StoreDialect } from './database.js';

/** An id link with the content hashes the engine keeps for echo suppression and skipping. */
export interface LinkState {
  readonly hubId: string;
  readonly externalId: string;
  /** Hash of the payload the hub last wrote to the system. */
  readonly outHash: string | null;
  /** Hash of that payload mapped back in: an inbound change with this hash is the hub's own echo. */
  readonly echoHash: string | null;
  /** Hash of the canonical change last read from the system. */
  readonly inHash: string | null;
  /** When the system last received (or already held) the hub's state of the record. */
  readonly deliveredAt: string | null;
}

export interface LinkWrite {
  readonly hubId: string;
  readonly externalId: string;
  readonly outHash?: string | null;
  readonly echoHash?: string | null;
  readonly inHash?: string | null;
  readonly deliveredAt?: string | null;
}

export const RUN_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export interface SyncRun {
  readonly id: string;
  readonly kind: 'backfill' | 'reconcile';
  readonly connector: string;
  readonly entity: string;
  readonly direction: 'in' | 'out';
  readonly state: RunState;
  readonly since: string | null;
  readonly checkpoint: string | null;
  readonly total: number | null;
  readonly done: number;
  readonly failed: number;
  readonly report: Record<string, unknown> | null;
  readonly message: string | null;
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

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

export interface LineageEntry {
  readonly field: string;
  readonly system: string;
  readonly job: string | null;
  readonly version: number;
  readonly at: string;
}

const LINEAGE_COLUMNS = ['entity', 'record_id', 'field', 'system', 'job', 'version', 'at'] as const;
/** A field's lineage written again takes the new writer, job, version and time. */
const LINEAGE_UPSERT = { key: ['entity', 'record_id', 'field'], update: ['system', 'job', 'version', 'at'] } as const;
const LINK_COLUMNS = ['system', 'entity', 'hub_id', 'created_at', 'external_id', 'out_hash', 'echo_hash', 'in_hash', 'delivered_at', 'updated_at'] as const;
/** A link saved again (same system, entity and hub id) takes the new values but keeps its created_at. */
const LINK_UPSERT = { key: ['system', 'entity', 'hub_id'], update: ['external_id', 'out_hash', 'echo_hash', 'in_hash', 'delivered_at', 'updated_at'] } as const;

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parseJson = (v: unknown): unknown => (v === null || v === undefined ? null : (JSON.parse(String(v)) as unknown));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toRun(r: Record<string, unknown>): SyncRun {
  return {
    id: String(r['id']),
    kind: String(r['kind']) as SyncRun['kind'],
    connector: String(r['connector']),
    entity: String(r['entity']),
    direction: String(r['direction']) as SyncRun['direction'],
    state: String(r['state']) as RunState,
    since: str(r['since']),
    checkpoint: str(r['checkpoint']),
    total: r['total'] === null || r['total'] === undefined ? null : Number(r['total']),
    done: Number(r['done']),
    failed: Number(r['failed']),
    report: parseJson(r['report']) as Record<string, unknown> | null,
    message: str(r['message']),
    createdBy: str(r['created_by']),
    createdAt: String(r['created_at']),
    startedAt: str(r['started_at']),
    updatedAt: String(r['updated_at']),
    finishedAt: str(r['finished_at']),
  };
}

function toConflict(r: Record<string, unknown>): Conflict {
  return {
    id: String(r['id']),
    entity: String(r['entity']),
    recordId: String(r['record_id']),
    field: String(r['field']),
    system: String(r['system']),
    theirValue: parseJson(r['their_value']),
    hubValue: parseJson(r['hub_value']),
    hubSystem: str(r['hub_system']),
    state: String(r['state']) as Conflict['state'],
    createdAt: String(r['created_at']),
    resolvedAt: str(r['resolved_at']),
    resolvedBy: str(r['resolved_by']),
    resolution: str(r['resolution']),
  };
}

/** The sync engine's tables: link hashes, cursors, runs, conflicts and lineage. */
export class SyncRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: StoreDialect,
  ) {}

  private toLink(r: Record<string, unknown>): LinkState {
    return { hubId: String(r['hub_id']), externalId: String(r['external_id']), outHash: str(r['out_hash']), echoHash: str(r['echo_hash']), inHash: str(r['in_hash']), deliveredAt: str(r['delivered_at']) };
  }

  /** Link states of hub records, by hub id. */
  async linksByHub(system: string, entity: string, hubIds: readonly string[]): Promise<Map<string, LinkState>> {
    if (hubIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').selectAll().where('system', '=', system).where('entity', '=', entity).where('hub_id', 'in', [...hubIds]).execute();
    return new Map(rows.map((r) => [String(r['hub_id']), this.toLink(r)]));
  }

  /** Link states by external id. */
  async linksByExternal(system: string, entity: string, externalIds: readonly string[]): Promise<Map<string, LinkState>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('hub_id_links').selectAll().where('system', '=', system).where('entity', '=', entity).where('external_id', 'in', [...externalIds]).execute();
    return new Map(rows.map((r) => [String(r['external_id']), this.toLink(r)]));
  }

  /**
   * Creates or updates links (hashes given as undefined keep their value). A link of another hub
   * record to the same external id is replaced: the external record now belongs to this one.
   */
  async saveLinks(system: string, entity: string, links: readonly LinkWrite[], at: string): Promise<void> {
    if (links.length === 0) return;
    const existing = await this.linksByHub(system, entity, links.map((l) => l.hubId));
    const taken = await this.linksByExternal(system, entity, links.map((l) => l.externalId));
    // One row per hub id: a link named twice takes its last values.
    const rows = new Map<string, unknown[]>();
    let changed = false;
    for (const l of links) {
      const other = taken.get(l.externalId);
      if (other && other.hubId !== l.hubId) {
        await this.db.deleteFrom('hub_id_links').where('system', '=', system).where('entity', '=', entity).where('hub_id', '=', other.hubId).execute();
      }
      const cur = existing.get(l.hubId);
      const values = {
        external_id: l.externalId,
        out_hash: l.outHash === undefined ? (cur?.outHash ?? null) : l.outHash,
        echo_hash: l.echoHash === undefined ? (cur?.echoHash ?? null) : l.echoHash,
        in_hash: l.inHash === undefined ? (cur?.inHash ?? null) : l.inHash,
        delivered_at: l.deliveredAt === undefined ? (cur?.deliveredAt ?? null) : l.deliveredAt,
        updated_at: at,
      };
      rows.set(l.hubId, [system, entity, l.hubId, at, values.external_id, values.out_hash, values.echo_hash, values.in_hash, values.delivered_at, values.updated_at]);
      if (cur) changed = true;
    }
    // New and changed links in multi-row statements (a backfill makes thousands, a mass update changes
    // thousands); a changed link keeps its created_at. Other holders of these external ids are gone.
    await insertRows(this.db, this.dialect, 'hub_id_links', LINK_COLUMNS, [...rows.values()], changed ? LINK_UPSERT : undefined);
  }

  /** Forgets what was last written, so the next delivery is sent even if unchanged (replays, conflict picks). */
  async forgetOutHash(system: string, entity: string, hubIds: readonly string[]): Promise<void> {
    if (hubIds.length === 0) return;
    await this.db.updateTable('hub_id_links').set({ out_hash: null }).where('system', '=', system).where('entity', '=', entity).where('hub_id', 'in', [...hubIds]).execute();
  }

  async unlink(system: string, entity: string, hubId: string): Promise<void> {
    await this.db.deleteFrom('hub_id_links').where('system', '=', system).where('entity', '=', entity).where('hub_id', '=', hubId).execute();
  }

  async countLinks(system: string, entity: string): Promise<number> {
    const row = await this.db.selectFrom('hub_id_links').select(sql<number>`count(*)`.as('n')).where('system', '=', system).where('entity', '=', entity).executeTakeFirst();
    return Number(row?.['n'] ?? 0);
  }

  // ---- cursors -------------------------------------------------------------------------------

  async cursor(connector: string, entity: string): Promise<{ cursor: string | null; updatedAt: string } | undefined> {
    const r = await this.db.selectFrom('hub_sync_cursors').selectAll().where('connector', '=', connector).where('entity', '=', entity).executeTakeFirst();
    return r ? { cursor: str(r['cursor']), updatedAt: String(r['updated_at']) } : undefined;
  }

  async saveCursor(connector: string, entity: string, cursor: string | null, at: string): Promise<void> {
    const done = await this.db.updateTable('hub_sync_cursors').set({ cursor, updated_at: at }).where('connector', '=', connector).where('entity', '=', entity).executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) await this.db.insertInto('hub_sync_cursors').values({ connector, entity, cursor, updated_at: at }).execute();
  }

  // ---- runs ----------------------------------------------------------------------------------

  async createRun(run: Pick<SyncRun, 'id' | 'kind' | 'connector' | 'entity' | 'direction' | 'since' | 'createdBy' | 'createdAt'>): Promise<void> {
    await this.db
      .insertInto('hub_sync_runs')
      .values({ id: run.id, kind: run.kind, connector: run.connector, entity: run.entity, direction: run.direction, state: 'queued', since: run.since, created_by: run.createdBy, created_at: run.createdAt, updated_at: run.createdAt, done: 0, failed: 0 })
      .execute();
  }

  async run(id: string): Promise<SyncRun | undefined> {
    const r = await this.db.selectFrom('hub_sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRun(r) : undefined;
  }

  async runs(filter: { connector?: string; state?: RunState; states?: readonly RunState[]; updatedBefore?: string; limit: number }): Promise<SyncRun[]> {
    let q = this.db.selectFrom('hub_sync_runs').selectAll();
    if (filter.connector) q = q.where('connector', '=', filter.connector);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.states) q = q.where('state', 'in', [...filter.states]);
    if (filter.updatedBefore) q = q.where('updated_at', '<', filter.updatedBefore);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRun);
  }

  async updateRun(
    id: string,
    patch: Partial<Pick<SyncRun, 'state' | 'checkpoint' | 'total' | 'done' | 'failed' | 'report' | 'message' | 'startedAt' | 'finishedAt'>>,
    at: string,
    onlyIn?: readonly RunState[],
  ): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at: at };
    if (patch.state !== undefined) set['state'] = patch.state;
    if (patch.checkpoint !== undefined) set['checkpoint'] = patch.checkpoint;
    if (patch.total !== undefined) set['total'] = patch.total;
    if (patch.done !== undefined) set['done'] = patch.done;
    if (patch.failed !== undefined) set['failed'] = patch.failed;
    if (patch.report !== undefined) set['report'] = json(patch.report);
    if (patch.message !== undefined) set['message'] = patch.message?.slice(0, 1000) ?? null;
    if (patch.startedAt !== undefined) set['started_at'] = patch.startedAt;
    if (patch.finishedAt !== undefined) set['finished_at'] = patch.finishedAt;
    let q = this.db.updateTable('hub_sync_runs').set(set).where('id', '=', id);
    if (onlyIn) q = q.where('state', 'in', [...onlyIn]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  // ---- conflicts -----------------------------------------------------------------------------

  async addConflict(c: Omit<Conflict, 'id' | 'state' | 'resolvedAt' | 'resolvedBy' | 'resolution'>): Promise<void> {
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
    const values = { their_value: json(c.theirValue), hub_value: json(c.hubValue), hub_system: c.hubSystem, created_at: c.createdAt };
    if (open) await this.db.updateTable('hub_conflicts').set(values).where('id', '=', open['id']).execute();
    else await this.db.insertInto('hub_conflicts').values({ entity: c.entity, record_id: c.recordId, field: c.field, system: c.system, state: 'open', ...values }).execute();
  }

  async conflicts(filter: { state?: Conflict['state']; entity?: string; afterId?: number; limit: number }): Promise<Conflict[]> {
    let q = this.db.selectFrom('hub_conflicts').selectAll();
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.entity) q = q.where('entity', '=', filter.entity);
    if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
    const rows = await q.orderBy('id').limit(filter.limit).execute();
    return rows.map(toConflict);
  }

  async conflict(id: string): Promise<Conflict | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const r = await this.db.selectFrom('hub_conflicts').selectAll().where('id', '=', Number(id)).executeTakeFirst();
    return r ? toConflict(r) : undefined;
  }

  async resolveConflict(id: string, resolution: string, by: string, at: string): Promise<boolean> {
    const r = await this.db.updateTable('hub_conflicts').set({ state: 'resolved', resolution, resolved_by: by, resolved_at: at }).where('id', '=', Number(id)).where('state', '=', 'open').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async countConflicts(state: Conflict['state']): Promise<number> {
    const row = await this.db.selectFrom('hub_conflicts').select(sql<number>`count(*)`.as('n')).where('state', '=', state).executeTakeFirst();
    return Number(row?.['n'] ?? 0);
  }

  // ---- lineage -------------------------------------------------------------------------------

  async recordLineage(entity: string, recordId: string, fields: readonly string[], system: string, job: string | null, version: number, at: string): Promise<void> {
    if (fields.length === 0) return;
    const jobText = job?.slice(0, 191) ?? null;
    // A new record has no lineage yet; a changed one replaces its fields' rows in one statement (an
    // upsert: no delete-then-insert whose gap locks two concurrent MySQL writers could deadlock on).
    const rows = fields.map((field) => [entity, recordId, field, system, jobText, version, at]);
    await insertRows(this.db, this.dialect, 'hub_lineage', LINEAGE_COLUMNS, rows, version > 1 ? LINEAGE_UPSERT : undefined);
  }

  /** Lineage of new records (nothing to replace), in multi-row statements. */
  async recordLineageNew(entries: readonly { entity: string; recordId: string; fields: readonly string[]; version: number; at: string }[], system: string, job: string | null): Promise<void> {
    const jobText = job?.slice(0, 191) ?? null;
    const rows = entries.flatMap((e) => e.fields.map((field) => [e.entity, e.recordId, field, system, jobText, e.version, e.at]));
    await insertRows(this.db, this.dialect, 'hub_lineage', LINEAGE_COLUMNS, rows);
  }

  async lineage(entity: string, recordId: string): Promise<LineageEntry[]> {
    const rows = await this.db.selectFrom('hub_lineage').selectAll().where('entity', '=', entity).where('record_id', '=', recordId).orderBy('field').execute();
    return rows.map((r) => ({ field: String(r['field']), system: String(r['system']), job: str(r['job']), version: Number(r['version']), at: String(r['at']) }));
  }

  /** Lineage of many records at once: record id → field → entry. */
  async lineageMany(entity: string, recordIds: readonly string[]): Promise<Map<string, Map<string, LineageEntry>>> {
    const out = new Map<string, Map<string, LineageEntry>>();
    if (recordIds.length === 0) return out;
    const rows = await this.db.selectFrom('hub_lineage').selectAll().where('entity', '=', entity).where('record_id', 'in', [...recordIds]).execute();
    for (const r of rows) {
      const id = String(r['record_id']);
      let m = out.get(id);
      if (!m) out.set(id, (m = new Map()));
      m.set(String(r['field']), { field: String(r['field']), system: String(r['system']), job: str(r['job']), version: Number(r['version']), at: String(r['at']) });
    }
    return out;
  }

  get storeDialect(): StoreDialect {
    return this.dialect;
  }
}
