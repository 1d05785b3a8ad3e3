import { insertRows } from './bulk.js';
import type { Db, StoreDialect } from './database.js';
import { textOrNull } from './columns.js';

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

/** Field lineage, `hub_lineage`: which system last wrote each field of a record, in which job and version. */
export class LineageRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: StoreDialect,
  ) {}

  async record(entity: string, recordId: string, fields: readonly string[], system: string, job: string | null, version: number, at: string): Promise<void> {
    if (fields.length === 0) return;
    const jobText = job?.slice(0, 191) ?? null;
    // A new record has no lineage yet; a changed one replaces its fields' rows in one statement (an
    // upsert: no delete-then-insert whose gap locks two concurrent MySQL writers could deadlock on).
    const rows = fields.map((field) => [entity, recordId, field, system, jobText, version, at]);
    await insertRows(this.db, this.dialect, 'hub_lineage', LINEAGE_COLUMNS, rows, version > 1 ? LINEAGE_UPSERT : undefined);
  }

  /** Lineage of new records (nothing to replace), in multi-row statements. */
  async recordNew(entries: readonly { entity: string; recordId: string; fields: readonly string[]; version: number; at: string }[], system: string, job: string | null): Promise<void> {
    const jobText = job?.slice(0, 191) ?? null;
    const rows = entries.flatMap((e) => e.fields.map((field) => [e.entity, e.recordId, field, system, jobText, e.version, e.at]));
    await insertRows(this.db, this.dialect, 'hub_lineage', LINEAGE_COLUMNS, rows);
  }

  async forRecord(entity: string, recordId: string): Promise<LineageEntry[]> {
    const rows = await this.db.selectFrom('hub_lineage').selectAll().where('entity', '=', entity).where('record_id', '=', recordId).orderBy('field').execute();
    return rows.map((r) => ({ field: String(r['field']), system: String(r['system']), job: textOrNull(r['job']), version: Number(r['version']), at: String(r['at']) }));
  }

  /** Lineage of many records at once: record id → field → entry. */
  async forRecords(entity: string, recordIds: readonly string[]): Promise<Map<string, Map<string, LineageEntry>>> {
    const out = new Map<string, Map<string, LineageEntry>>();
    if (recordIds.length === 0) return out;
    const rows = await this.db.selectFrom('hub_lineage').selectAll().where('entity', '=', entity).where('record_id', 'in', [...recordIds]).execute();
    for (const r of rows) {
      const id = String(r['record_id']);
      let m = out.get(id);
      if (!m) out.set(id, (m = new Map()));
      m.set(String(r['field']), { field: String(r['field']), system: String(r['system']), job: textOrNull(r['job']), version: Number(r['version']), at: String(r['at']) });
    }
    return out;
  }
}
