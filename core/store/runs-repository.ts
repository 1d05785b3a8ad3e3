import type { Db } from './database.js';
import { fromJsonColumn, textOrNull, toJsonColumn } from './columns.js';

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

function toRun(r: Record<string, unknown>): SyncRun {
  return {
    id: String(r['id']),
    kind: String(r['kind']) as SyncRun['kind'],
    connector: String(r['connector']),
    entity: String(r['entity']),
    direction: String(r['direction']) as SyncRun['direction'],
    state: String(r['state']) as RunState,
    since: textOrNull(r['since']),
    checkpoint: textOrNull(r['checkpoint']),
    total: r['total'] === null || r['total'] === undefined ? null : Number(r['total']),
    done: Number(r['done']),
    failed: Number(r['failed']),
    report: fromJsonColumn(r['report']) as Record<string, unknown> | null,
    message: textOrNull(r['message']),
    createdBy: textOrNull(r['created_by']),
    createdAt: String(r['created_at']),
    startedAt: textOrNull(r['started_at']),
    updatedAt: String(r['updated_at']),
    finishedAt: textOrNull(r['finished_at']),
  };
}

/** Backfill and reconciliation runs, `hub_sync_runs`: state, checkpoint and progress. */
export class RunRepository {
  constructor(private readonly db: Db) {}

  async create(run: Pick<SyncRun, 'id' | 'kind' | 'connector' | 'entity' | 'direction' | 'since' | 'createdBy' | 'createdAt'>): Promise<void> {
    await this.db
      .insertInto('hub_sync_runs')
      .values({ id: run.id, kind: run.kind, connector: run.connector, entity: run.entity, direction: run.direction, state: 'queued', since: run.since, created_by: run.createdBy, created_at: run.createdAt, updated_at: run.createdAt, done: 0, failed: 0 })
      .execute();
  }

  async get(id: string): Promise<SyncRun | undefined> {
    const r = await this.db.selectFrom('hub_sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toRun(r) : undefined;
  }

  async list(filter: { connector?: string; state?: RunState; states?: readonly RunState[]; updatedBefore?: string; limit: number }): Promise<SyncRun[]> {
    let q = this.db.selectFrom('hub_sync_runs').selectAll();
    if (filter.connector) q = q.where('connector', '=', filter.connector);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.states) q = q.where('state', 'in', [...filter.states]);
    if (filter.updatedBefore) q = q.where('updated_at', '<', filter.updatedBefore);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRun);
  }

  async update(
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
    if (patch.report !== undefined) set['report'] = toJsonColumn(patch.report);
    if (patch.message !== undefined) set['message'] = patch.message?.slice(0, 1000) ?? null;
    if (patch.startedAt !== undefined) set['started_at'] = patch.startedAt;
    if (patch.finishedAt !== undefined) set['finished_at'] = patch.finishedAt;
    let q = this.db.updateTable('hub_sync_runs').set(set).where('id', '=', id);
    if (onlyIn) q = q.where('state', 'in', [...onlyIn]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
