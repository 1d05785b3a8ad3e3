import { newRecordId } from '../model/ids.js';
import { ConflictError, NotFoundError, PreconditionFailedError, UnprocessableError, WriteRaceError, type FieldProblem } from '../errors.js';
import { ENTITIES, type EntityName, type JsonObject, type JsonValue, type RecordKind, type StoredRecord } from '../model/entities.js';
import { checkRecord, DERIVED_FIELDS, KEPT_DERIVED_VALUES, type ModelRules, type ReferenceChecker } from '../model/validate.js';
import { nounOf, withArticle } from '../model/words.js';
import { currentWriteOrigin } from '../store/write-origin.js';
import type { Store } from '../store/store.js';
import { CREATE_DEFAULTS } from './defaults.js';

/** Records that point at a record and keep it from being deleted: kind → (dependent kind, field). */
const DEPENDENTS: Readonly<Partial<Record<RecordKind, readonly (readonly [RecordKind, string])[]>>> = Object.freeze({
  customer: [['contact', 'customerId'], ['order', 'customerId'], ['receivable', 'customerId'], ['payment', 'customerId']],
  product: [['inventory', 'productId']],
  team: [['team', 'parentTeamId'], ['user', 'teamId']],
});

const META_FIELDS = new Set(['id', 'version', 'createdAt', 'updatedAt']);

/**
 * Which referenced records the writer may see. A reference to a record outside it is refused
 * exactly like a reference to a record that does not exist (same status, pointer and words), so a
 * write cannot be used to learn that a hidden record exists. References the record already held
 * before the write stay valid. Users and teams (admin-managed) are not scoped here.
 */
export type ReferenceScope = (kind: EntityName, record: StoredRecord) => boolean;

/** Every string inside a value: the ids a stored record already refers to. */
function stringsIn(value: JsonValue | undefined, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * A write's `If-Match` condition: undefined for none (or `*`: any current version), else the
 * version or versions whose tags the caller sent. An empty list is a condition no version meets
 * (tags the hub never issued, or weak ones: If-Match compares strongly).
 */
export type VersionCondition = number | readonly number[] | undefined;

function meets(condition: VersionCondition, version: number): boolean {
  if (condition === undefined) return true;
  return typeof condition === 'number' ? condition === version : condition.includes(version);
}

export interface WriteResult {
  readonly record: StoredRecord;
  /** Names of the fields the write set or changed (for the audit; never values). */
  readonly fields: readonly string[];
}

/** RFC 7386 merge patch: objects merge, `null` removes a key, anything else replaces. */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof out[key] === 'object' && out[key] !== null && !Array.isArray(out[key])) {
      out[key] = mergePatch(out[key] as JsonObject, value);
    } else out[key] = value;
  }
  return out;
}

function withoutNulls(value: JsonObject): JsonObject {
  return mergePatch({}, value);
}

function changedFields(before: JsonObject, after: JsonObject): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !META_FIELDS.has(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** The objects inside a field: the field's own object, or the objects of its list (others count as empty). */
function objectsIn(value: JsonValue | undefined): JsonObject[] | undefined {
  const plain = (v: JsonValue | undefined): v is JsonObject => !!v && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(value)) return value.map((v) => (plain(v) ? v : {}));
  return plain(value) ? [value] : undefined;
}

/**
 * The sub-field paths (`lines.unitPrice`, `billingAddress.city`) a write changed inside object and
 * list-of-object fields, item by item (a line added or removed changes each sub-field it holds).
 * Lineage keeps them beside the field's own row, so that a reader who may see only some sub-fields
 * (quality: `lines.quantity`, not `lines.unitPrice`) learns of the changes to those only.
 */
export function changedSubPaths(before: JsonObject | undefined, after: JsonObject, fields: readonly string[]): string[] {
  const out = new Set<string>();
  for (const field of fields) {
    const a = objectsIn(before?.[field]);
    const b = objectsIn(after[field]);
    if (!a && !b) continue;
    for (let i = 0; i < Math.max(a?.length ?? 0, b?.length ?? 0); i++) {
      const x = a?.[i] ?? {};
      const y = b?.[i] ?? {};
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) out.add(`${field}.${k}`);
    }
  }
  return [...out].sort();
}

/**
 * Creates, changes and deletes canonical records (and teams) under the model's rules. Each write
 * is one transaction: the record, its outbox row, and the caller's audit entry commit together.
 */
export class RecordService {
  constructor(
    private readonly store: Store,
    private readonly rules: ModelRules,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private refs(tx: Store, scope?: ReferenceScope, current?: StoredRecord): ReferenceChecker {
    const held = scope && current ? stringsIn(current) : new Set<string>();
    const shown = (kind: RecordKind, r: StoredRecord) => !scope || kind === 'user' || kind === 'team' || held.has(r.id) || scope(kind, r);
    return {
      missing: async (kind, ids) => {
        if (!scope) return tx.records.missing(ENTITIES[kind], ids);
        const found = new Set((await tx.records.getMany(ENTITIES[kind], ids)).filter((r) => shown(kind, r)).map((r) => r.id));
        return new Set(ids.filter((id) => !found.has(id)));
      },
      productSku: async (id) => {
        const p = await tx.records.get(ENTITIES.product, id);
        return p && shown('product', p) && typeof p['sku'] === 'string' ? p['sku'] : undefined;
      },
    };
  }

  private async check(tx: Store, kind: RecordKind, record: JsonObject, current?: StoredRecord, scope?: ReferenceScope): Promise<void> {
    if (kind === 'team') return this.checkTeam(tx, record, current);
    if (kind === 'user') return;
    await checkRecord(kind as EntityName, record, this.refs(tx, scope, current), this.rules);
  }

  private async checkTeam(tx: Store, record: JsonObject, current?: StoredRecord): Promise<void> {
    let parent = record['parentTeamId'];
    const seen = new Set<string>(current ? [current.id] : []);
    while (typeof parent === 'string') {
      if (seen.has(parent)) throw new UnprocessableError('Teams must form a tree', [{ pointer: '/parentTeamId', detail: 'would make a cycle in the team tree' }]);
      seen.add(parent);
      const team = await tx.records.get(ENTITIES.team, parent);
      if (!team) throw new UnprocessableError('Unknown parent team', [{ pointer: '/parentTeamId', detail: 'refers to a team that does not exist' }]);
      parent = team['parentTeamId'];
    }
  }

  private async uniqueness<T>(tx: Store, kind: RecordKind, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!tx.isUniqueViolation(error)) throw error;
      const def = ENTITIES[kind];
      const problems: FieldProblem[] = def.naturalKey.map((f) => ({ pointer: `/${f}`, detail: `another ${nounOf(kind)} already has this ${def.naturalKey.join(' and ')}` }));
      const a = withArticle(nounOf(kind));
      throw new ConflictError(`${a.charAt(0).toUpperCase()}${a.slice(1)} with the same ${def.naturalKey.join(' and ')} exists`, problems);
    }
  }

  /**
   * Field lineage: which system set these fields, through which job (canonical entities only); also
   * the sub-fields the write changed inside structured fields (see changedSubPaths).
   */
  private async lineage(tx: Store, kind: RecordKind, record: StoredRecord, fields: readonly string[], before?: JsonObject): Promise<void> {
    if (!ENTITIES[kind].synced) return;
    const who = currentWriteOrigin();
    await tx.lineage.record(kind, record.id, [...fields, ...changedSubPaths(before, record, fields)], who.system, who.job ?? null, record.version, record.updatedAt);
  }

  async get(kind: RecordKind, id: string): Promise<StoredRecord> {
    const record = await this.store.records.get(ENTITIES[kind], id);
    if (!record) throw new NotFoundError();
    return record;
  }

  /**
   * Creates a record; `id` may be given by trusted callers (demo data, sync), else one is made.
   * With `scope`, references must point at records the writer may see (see ReferenceScope).
   */
  async create(kind: RecordKind, input: JsonObject, tx: Store = this.store, id?: string, scope?: ReferenceScope): Promise<WriteResult> {
    const def = ENTITIES[kind];
    const at = this.now().toISOString();
    const fields = withoutNulls({ ...(CREATE_DEFAULTS[kind] ?? {}), ...input });
    await this.check(tx, kind, fields, undefined, scope);
    const record: StoredRecord = { ...fields, id: id ?? newRecordId(), version: 1, createdAt: at, updatedAt: at };
    await this.uniqueness(tx, kind, () => tx.records.insert(def, record));
    const written = Object.keys(input).sort();
    await this.lineage(tx, kind, record, written);
    return { record, fields: written };
  }

  /**
   * Creates many records in the caller's transaction with multi-row statements (sync ingest and
   * backfills). Each input is checked on its own; one that fails is reported by its index and the
   * others are written. A natural-key clash makes the chunk fall back to one-by-one creates.
   */
  async createMany(kind: RecordKind, inputs: readonly JsonObject[], tx: Store): Promise<{ created: Map<number, WriteResult>; failed: Map<number, unknown> }> {
    const def = ENTITIES[kind];
    const at = this.now().toISOString();
    const created = new Map<number, WriteResult>();
    const failed = new Map<number, unknown>();
    const ready: { index: number; record: StoredRecord; fields: string[] }[] = [];
    for (const [index, input] of inputs.entries()) {
      try {
        const fields = withoutNulls({ ...(CREATE_DEFAULTS[kind] ?? {}), ...input });
        await this.check(tx, kind, fields);
        ready.push({ index, record: { ...fields, id: newRecordId(), version: 1, createdAt: at, updatedAt: at }, fields: Object.keys(input).sort() });
      } catch (error) {
        failed.set(index, error);
      }
    }
    const who = currentWriteOrigin();
    for (let i = 0; i < ready.length; i += 100) {
      const chunk = ready.slice(i, i + 100);
      try {
        await tx.records.insertMany(def, chunk.map((c) => c.record));
      } catch (error) {
        if (!tx.isUniqueViolation(error)) throw error;
        for (const c of chunk) {
          try {
            await this.uniqueness(tx, kind, () => tx.records.insert(def, c.record));
            await this.lineage(tx, kind, c.record, c.fields);
            created.set(c.index, { record: c.record, fields: c.fields });
          } catch (e) {
            failed.set(c.index, e);
          }
        }
        continue;
      }
      if (def.synced) await tx.lineage.recordNew(chunk.map((c) => ({ entity: kind, recordId: c.record.id, fields: [...c.fields, ...changedSubPaths(undefined, c.record, c.fields)], version: 1, at })), who.system, who.job ?? null);
      for (const c of chunk) created.set(c.index, { record: c.record, fields: c.fields });
    }
    return { created, failed };
  }

  /**
   * Applies a merge patch; with `ifMatch`, only when the record is still at that version. With
   * `scope`, a reference the patch sets must point at a record the writer may see.
   */
  async update(kind: RecordKind, id: string, patch: JsonObject, ifMatch: VersionCondition, tx: Store = this.store, scope?: ReferenceScope): Promise<WriteResult> {
    const def = ENTITIES[kind];
    const current = await tx.records.get(def, id);
    if (!current) throw new NotFoundError();
    if (!meets(ifMatch, current.version)) throw new PreconditionFailedError();
    let merged = mergePatch(current, patch);
    // Derived values are recomputed from the new state unless the caller states them (then checked).
    for (const f of DERIVED_FIELDS[kind as EntityName] ?? []) {
      const kept = KEPT_DERIVED_VALUES[kind as EntityName]?.[f] ?? [];
      if (!(f in patch) && !kept.includes(String(merged[f]))) delete merged[f];
    }
    if (kind === 'order' && Array.isArray(patch['lines'])) merged = { ...merged, lines: patch['lines'] as JsonValue[] };
    await this.check(tx, kind, merged, current, scope);
    const fields = changedFields(current, merged);
    if (fields.length === 0) return { record: current, fields };
    const record: StoredRecord = { ...merged, id, version: current.version + 1, createdAt: current.createdAt, updatedAt: this.now().toISOString() };
    const ok = await this.uniqueness(tx, kind, () => tx.records.update(def, record, current.version));
    if (!ok) throw new WriteRaceError();
    await this.lineage(tx, kind, record, fields, current);
    return { record, fields };
  }

  /** Soft delete: the record disappears from reads and leaves a tombstone for sync. */
  async remove(kind: RecordKind, id: string, ifMatch: VersionCondition, tx: Store = this.store): Promise<WriteResult> {
    const def = ENTITIES[kind];
    const current = await tx.records.get(def, id);
    if (!current) throw new NotFoundError();
    if (!meets(ifMatch, current.version)) throw new PreconditionFailedError();
    for (const [dependent, field] of DEPENDENTS[kind] ?? []) {
      const page = await tx.records.list(ENTITIES[dependent], { filters: { [field]: id }, limit: 1 });
      if (page.items.length > 0) {
        throw new ConflictError(`The ${nounOf(kind)} is still referenced by ${withArticle(nounOf(dependent))}; delete or move those first`, [
          { pointer: `/${field}`, detail: `${withArticle(nounOf(dependent))} refers to this ${nounOf(kind)}` },
        ]);
      }
    }
    const at = this.now().toISOString();
    const tombstone: StoredRecord = { ...current, version: current.version + 1, updatedAt: at };
    const ok = await tx.records.softDelete(def, tombstone, current.version, at);
    if (!ok) throw new WriteRaceError();
    return { record: tombstone, fields: [] };
  }
}
