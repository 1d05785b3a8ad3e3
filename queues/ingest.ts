import type { Logger } from 'pino';
import { ConnectorError, type Connector, type ExternalRecord } from '../connectors/contract.js';
import { ConflictError, HubError, WriteRaceError } from '../core/errors.js';
import { retryLostRaces } from '../core/records/retry.js';
import { ENTITIES, type EntityName, type JsonObject, type StoredRecord } from '../core/model/entities.js';
import type { RecordService } from '../core/records/service.js';
import { tellsNothing } from '../core/model/validate.js';
import type { Store } from '../core/store/store.js';
import type { LinkState } from '../core/store/links-repository.js';
import { withWriteOrigin } from '../core/store/write-origin.js';
import { MappingError, type InboundMapping, type MappingContext } from '../mappings/engine/compile.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import { linkContext, lookupLinks } from '../mappings/engine/links.js';
import type { WayOut } from '../mappings/engine/way-out.js';
import { contentHash, stableStringify } from '../core/hash.js';
import { Tally, type Outcome, type SyncStats } from './stats.js';


/** Lookups are not resolved when checking what a source already holds: a record with one is delivered and compared by hash. */
const NO_LINKS: MappingContext = { link: () => undefined };

/** A system the hub reads from: its connector and its inbound (and, if it is also a target, outbound) mappings. */
export interface SourceSpec {
  readonly name: string;
  readonly connector: Connector;
  readonly inbound: Readonly<Partial<Record<EntityName, InboundMapping>>>;
  /** Entity → the way out to the same system, if it is also a target (to recognise what it already holds). */
  readonly outbound?: Readonly<Partial<Record<EntityName, WayOut>>>;
  /** Apply the deletes the connector reports (`isDeleted`) to the hub records: all, or of these entities. Default false. */
  readonly applyDeletes?: boolean | readonly EntityName[];
}

/** Whether a source's `deletes` setting (all, or a list of entities) applies to `entity`. */
export function appliesDeletes(deletes: boolean | readonly EntityName[] | undefined, entity: EntityName): boolean {
  return deletes === true || (Array.isArray(deletes) && deletes.includes(entity));
}

/**
 * Marks a stored inbound change as a delete (inbound dead letters keep only the fields the mapping
 * reads, not the source's deleted flag): a replay of the letter deletes again.
 */
export const DELETED_MARK = '$deleted';

export interface IngestDeps {
  readonly store: Store;
  readonly records: RecordService;
  readonly ownership: Ownership;
  readonly stats: SyncStats;
  readonly log: Logger;
  readonly now?: () => Date;
  /**
   * Called after a page with records whose change carried fields the system does not own (or
   * held back as conflicts): the hub's values should be sent back to the system.
   */
  readonly restore?: (system: string, entity: EntityName, hubIds: readonly string[]) => Promise<void>;
}

export interface IngestResult {
  readonly counts: Partial<Record<Outcome, number>>;
  /** Records read in this page (what a backfill's progress counts). */
  readonly seen: number;
  /** Records this page linked to the system for the first time (created, or matched on first contact). */
  readonly linked: number;
}

/** Extra columns a first contact is matched on, after the natural key (customer: tax id, then email). */
const MATCH_COLUMNS: Readonly<Partial<Record<EntityName, readonly (readonly [column: string, field: string])[]>>> = {
  customer: [
    ['tax_id', 'taxId'],
    ['email', 'email'],
  ],
};

const same = (a: unknown, b: unknown) => stableStringify(a ?? null) === stableStringify(b ?? null);

/** One changed row of a page. */
interface Change {
  externalId: string;
  patch: JsonObject;
  hash: string;
  link: LinkState | undefined;
  hubId?: string;
  /**
   * Some fields were not taken (ownership, conflicts): the row's hash is then not remembered, so a
   * later read of the same row (a backfill after the ownership was widened) applies them.
   */
  partial?: boolean;
}

/** A row the source reports deleted. */
interface Delete {
  readonly externalId: string;
  readonly hubId: string | undefined;
  readonly row: ExternalRecord;
}

interface Failure {
  readonly externalId: string;
  readonly payload: Record<string, unknown>;
  readonly code: string;
  readonly message: string;
}

/** What one try of a page has done so far (the stages add to it). */
interface Page {
  readonly source: SourceSpec;
  readonly entity: EntityName;
  readonly mapping: InboundMapping;
  readonly system: string;
  readonly job: string;
  readonly at: string;
  readonly tally: Tally;
  readonly failures: Failure[];
  readonly written: { change: Change; record: StoredRecord }[];
  /** Hub records whose values should go back to the system (fields it does not own, conflicts). */
  readonly restore: string[];
  /** Names (never values) of the fields the source does not own, for one warning per page. */
  readonly dropped: Set<string>;
  /** External ids the source reports deleted: an open inbound dead letter of theirs has nothing left to apply. */
  readonly gone: string[];
}

/** A record the hub refused, as an inbound dead letter: the fields and reasons, never a value. */
function refusal(change: Change, error: HubError): Failure {
  const fields = error.errors.map((e) => `${e.pointer} ${e.detail}`).join('; ');
  return { externalId: change.externalId, payload: change.patch as Record<string, unknown>, code: error.code, message: `${error.message}${fields ? `: ${fields}` : ''}`.slice(0, 1000) };
}

/**
 * Turns a page of a source's records into hub changes. Per record: the inbound mapping gives the
 * canonical change and its content hash; the hub's own echo (the hash of what it last wrote there,
 * mapped back) and an unchanged re-read are dropped and counted; the id link finds the hub record,
 * or on first contact the natural keys do (customer code, tax id, email; product sku; order and
 * receivable number), so no duplicate is made; field ownership keeps fields the system does not own
 * and sends concurrent changes of a field to the conflict inbox. The page is one transaction, the
 * writes attributed to the source system (outbox origin and field lineage).
 */
export class Ingestor {
  constructor(private readonly deps: IngestDeps) {}

  /**
   * Ingests a page. A write that lost a race with another writer of the same record (an API PATCH
   * between the page's read and its write) is not the source's failure and no reason for a dead
   * letter: the whole page runs again, reading the records afresh, as an API write without If-Match does.
   */
  async ingest(source: SourceSpec, entity: EntityName, rows: readonly ExternalRecord[], job: string): Promise<IngestResult> {
    return retryLostRaces(false, () => this.ingestOnce(source, entity, rows, job));
  }

  /**
   * One try of a page, stage by stage: key the rows; map them (dropping the hub's own echoes and
   * unchanged re-reads); match first contacts; then in one transaction apply updates (ownership,
   * conflicts), creates and deletes, and settle links and dead letters; finally report.
   */
  private async ingestOnce(source: SourceSpec, entity: EntityName, rows: readonly ExternalRecord[], job: string): Promise<IngestResult> {
    const mapping = source.inbound[entity];
    if (!mapping) throw new ConnectorError('permanent', 'no_mapping', `${source.name} has no inbound mapping for ${entity}`);
    const { store } = this.deps;
    const page: Page = { source, entity, mapping, system: source.name, job, at: (this.deps.now?.() ?? new Date()).toISOString(), tally: new Tally(), failures: [], written: [], restore: [], dropped: new Set(), gone: [] };

    const byExternal = this.key(page, rows);
    const links = await store.links.byExternal(page.system, entity, [...byExternal.keys()]);
    const { changes, deletes } = await this.mapRows(page, byExternal, links);
    await this.match(page.system, entity, changes.filter((c) => !c.hubId));
    const current = new Map((await store.records.getMany(ENTITIES[entity], [...changes.flatMap((c) => (c.hubId ? [c.hubId] : [])), ...deletes.flatMap((d) => (d.hubId ? [d.hubId] : []))])).map((r) => [r.id, r]));
    const lineage = await store.lineage.forRecords(entity, [...current.keys()]);

    await withWriteOrigin({ system: page.system, job }, () =>
      store.transaction(async (tx) => {
        const creates: { change: Change; input: JsonObject }[] = [];
        for (const change of changes) {
          const existing = change.hubId ? current.get(change.hubId) : undefined;
          try {
            if (existing) await this.applyUpdate(page, tx, change, existing, lineage.get(existing.id));
            else creates.push({ change, input: this.ownedFields(page, change) });
          } catch (error) {
            // A lost race rolls the page back and runs it again (see ingest); anything else the hub refused is the record's.
            if (!(error instanceof HubError) || error instanceof WriteRaceError) throw error;
            page.failures.push(refusal(change, error));
          }
        }
        await this.applyCreates(page, tx, creates);
        await this.applyDeletes(page, tx, deletes, current);
        await this.settle(page, tx);
      }),
    );
    await this.report(page);
    return { counts: page.tally.counts, seen: rows.length, linked: page.written.filter((w) => w.change.link === undefined).length };
  }

  /** Stage "key": each row's external key; the last occurrence of an external record in a page wins. */
  private key(page: Page, rows: readonly ExternalRecord[]): Map<string, ExternalRecord> {
    const byExternal = new Map<string, ExternalRecord>();
    for (const row of rows) {
      try {
        byExternal.set(page.source.connector.keyOf(page.mapping.externalEntity, row), row);
      } catch (error) {
        page.failures.push({ externalId: '', payload: {}, code: 'invalid_record', message: error instanceof HubError ? error.message : 'the record has no external key' });
      }
    }
    return byExternal;
  }

  /**
   * Stage "map": rows reported deleted are set aside; the others are mapped (lookups resolved through
   * the id links of the referenced entities), and dropped when they are the hub's own echo or equal
   * to the last read.
   */
  private async mapRows(page: Page, byExternal: ReadonlyMap<string, ExternalRecord>, links: ReadonlyMap<string, LinkState>): Promise<{ changes: Change[]; deletes: Delete[] }> {
    const { source, mapping } = page;
    const refLinks = await lookupLinks(mapping, byExternal.values(), this.deps.store.links);
    const changes: Change[] = [];
    const deletes: Delete[] = [];
    for (const [externalId, row] of byExternal) {
      if (row[DELETED_MARK] === true || source.connector.isDeleted?.(mapping.externalEntity, row)) {
        deletes.push({ externalId, hubId: links.get(externalId)?.hubId, row });
        continue;
      }
      let patch: JsonObject;
      try {
        patch = mapping.map(row, linkContext(refLinks)) as JsonObject;
      } catch (error) {
        if (!(error instanceof MappingError)) throw error;
        page.failures.push({ externalId, payload: this.sourceFields(mapping, row), code: error.code, message: error.message });
        continue;
      }
      const hash = contentHash(patch);
      const link = links.get(externalId);
      if (link?.echoHash === hash) page.tally.bump('echo');
      else if (link?.inHash === hash) page.tally.bump('unchanged');
      else changes.push({ externalId, patch, hash, link, ...(link ? { hubId: link.hubId } : {}) });
    }
    return { changes, deletes };
  }

  /**
   * Stage "update": the fields that changed, decided by field ownership — accepted, ignored (not
   * the system's), or held in the conflict inbox (changed in the hub since the system last heard).
   */
  private async applyUpdate(page: Page, tx: Store, change: Change, existing: StoredRecord, lineage: ReadonlyMap<string, { system: string; at: string }> | undefined): Promise<void> {
    const { system, entity, tally, at } = page;
    const changed = Object.keys(change.patch).filter((f) => !same(change.patch[f], existing[f]) && !tellsNothing(entity, f, change.patch[f], existing));
    // A change the system had already received when it made its own is sequential, not a conflict.
    const seen = change.link?.deliveredAt ?? null;
    const unseen = (f: string) => {
      const last = lineage?.get(f);
      return last && (seen === null || last.at > seen) ? last : undefined;
    };
    const decision = this.deps.ownership.decide(system, entity, changed, unseen, new Date(at));
    for (const f of decision.conflicts) {
      await tx.conflicts.add({ entity, recordId: existing.id, field: f, system, theirValue: change.patch[f], hubValue: existing[f], hubSystem: lineage?.get(f)?.system ?? null, createdAt: at });
    }
    tally.bump('conflicts', decision.conflicts.length);
    tally.bump('ignored_fields', decision.ignored.length);
    for (const f of decision.ignored) page.dropped.add(f);
    if (decision.ignored.length > 0 || decision.conflicts.length > 0) {
      page.restore.push(existing.id);
      change.partial = true;
    }
    const patch = Object.fromEntries(decision.accepted.map((f) => [f, change.patch[f] ?? null])) as JsonObject;
    const result = decision.accepted.length > 0 ? await this.deps.records.update(entity, existing.id, patch, undefined, tx) : { record: existing, fields: [] };
    tally.bump(result.fields.length > 0 ? 'ingested' : 'unchanged');
    page.written.push({ change, record: result.record });
  }

  /** A new record takes only the fields the system owns (or nobody claims). */
  private ownedFields(page: Page, change: Change): JsonObject {
    const allowed = Object.fromEntries(Object.entries(change.patch).filter(([f]) => this.deps.ownership.owners(page.entity, f)?.includes(page.system) ?? true)) as JsonObject;
    const kept = Object.keys(change.patch).filter((f) => !(f in allowed));
    page.tally.bump('ignored_fields', kept.length);
    for (const f of kept) page.dropped.add(f);
    if (kept.length > 0) change.partial = true;
    return allowed;
  }

  /** Stage "create": new records in multi-row statements; each is still checked on its own. */
  private async applyCreates(page: Page, tx: Store, creates: readonly { change: Change; input: JsonObject }[]): Promise<void> {
    const { created, failed } = await this.deps.records.createMany(page.entity, creates.map((c) => c.input), tx);
    for (const [i, c] of creates.entries()) {
      const result = created.get(i);
      if (result) {
        page.tally.bump('created');
        page.written.push({ change: c.change, record: result.record });
      } else {
        const error = failed.get(i);
        if (!(error instanceof HubError)) throw error;
        if (error instanceof ConflictError && (await this.createdMeanwhile(page, tx, c.change))) throw new WriteRaceError();
        page.failures.push(refusal(c.change, error));
      }
    }
  }

  /**
   * Whether a create refused for its natural key lost a race rather than met a real duplicate: since
   * this page matched its first contacts, another writer (a second page of the same rows: a poll and a
   * backfill, two workers) made the record, and it is unlinked or linked to this very row. The page
   * then runs again and finds it. A hub record linked to another row of the system is a real duplicate.
   */
  private async createdMeanwhile(page: Page, tx: Store, change: Change): Promise<boolean> {
    const def = ENTITIES[page.entity];
    if (def.naturalKey.length !== 1) return false;
    const field = def.naturalKey[0]!;
    const column = Object.entries(def.columns).find(([, f]) => f === field)?.[0];
    const value = change.patch[field];
    if (column === undefined || typeof value !== 'string' || value === '') return false;
    const [holder] = await tx.records.findByColumn(def, column, [value]);
    if (holder === undefined) return false;
    const link = (await tx.links.byHub(page.system, page.entity, [holder.id])).get(holder.id);
    return link === undefined || link.externalId === change.externalId;
  }

  /** Stage "delete": deletes the source reports, applied where the source's `deletes` allows. */
  private async applyDeletes(page: Page, tx: Store, deletes: readonly Delete[], current: ReadonlyMap<string, StoredRecord>): Promise<void> {
    const { tally } = page;
    for (const d of deletes) {
      page.gone.push(d.externalId);
      const live = d.hubId ? current.get(d.hubId) : undefined;
      // Never linked, or already deleted in the hub (the echo of a hub delete): nothing to do.
      if (!live) tally.bump('unchanged');
      else if (!appliesDeletes(page.source.applyDeletes, page.entity)) tally.bump('delete_ignored');
      else {
        try {
          await this.deps.records.remove(page.entity, live.id, undefined, tx);
          // The system no longer holds it: no delete goes back there, and a re-created row is matched afresh.
          await tx.links.unlink(page.system, page.entity, live.id);
          tally.bump('deleted');
        } catch (error) {
          if (!(error instanceof HubError) || error instanceof WriteRaceError) throw error;
          const fields = error.errors.map((e) => `${e.pointer} ${e.detail}`).join('; ');
          page.failures.push({ externalId: d.externalId, payload: { ...this.sourceFields(page.mapping, d.row), [DELETED_MARK]: true }, code: error.code, message: `The delete was refused: ${error.message}${fields ? `: ${fields}` : ''}`.slice(0, 1000) });
        }
      }
    }
  }

  /** Stage "settle": id links and hashes of what was written, earlier inbound dead letters settled, new ones added. */
  private async settle(page: Page, tx: Store): Promise<void> {
    const { system, entity, at } = page;
    const held = new Set(page.restore);
    await tx.links.save(system, entity, page.written.map(({ change, record }) => ({ hubId: record.id, externalId: change.externalId, inHash: change.partial ? null : change.hash, echoHash: null, ...(held.has(record.id) ? { outHash: null } : this.alreadyThere(page.source, entity, record, change.hash)) })), at);
    // An inbound dead letter of an earlier try of these rows is settled by this ingest; so is one of a
    // row the source now reports deleted (a waiting invoice cancelled before its customer came: nothing
    // is left to apply, and a retry must not bring it back). A delete refused here is added below.
    const refused = new Set(page.failures.map((f) => f.externalId));
    await tx.deadLetters.settle(system, 'in', entity, [...page.written.map(({ change }) => change.externalId), ...page.gone.filter((id) => !refused.has(id))], at);
    for (const f of page.failures) {
      await tx.deadLetters.add({ target: system, direction: 'in', entity, recordId: f.externalId, version: 0, payload: f.payload, errorCode: f.code, errorMessage: f.message, attempts: 1, createdAt: at });
    }
  }

  /** Stage "report": one warning for fields dropped by ownership, restores queued, statistics. */
  private async report(page: Page): Promise<void> {
    const { system, entity, failures } = page;
    if (page.dropped.size > 0) {
      const fields = [...page.dropped].sort();
      this.deps.log.warn({ system, entity, fields, owners: Object.fromEntries(fields.map((f) => [f, this.deps.ownership.owners(entity, f) ?? []])) }, `inbound fields dropped: ${system} does not own ${fields.join(', ')} of ${entity} (ownership.fields)`);
    }
    if (page.restore.length > 0) await this.deps.restore?.(system, entity, page.restore);
    page.tally.bump('failed', failures.length);
    if (failures.length > 0) this.deps.log.warn({ system, entity, records: failures.length, codes: [...new Set(failures.map((f) => f.code))] }, 'inbound records refused: dead-lettered');
    await this.deps.stats.add(system, entity, 'in', page.tally.counts, true, failures[0]?.code);
  }

  /**
   * When the source already holds what the hub would send it (the change came from there and was
   * taken whole), records that as the last write: the relay's delivery back to the source is then
   * skipped as unchanged, so a two-way sync does not write the same content back.
   */
  private alreadyThere(source: SourceSpec, entity: EntityName, record: StoredRecord, inHash: string): { outHash?: string; echoHash?: string; deliveredAt?: string } {
    const way = source.outbound?.[entity];
    if (!way?.back) return {};
    try {
      const leaving = way.leave(record, NO_LINKS);
      if (!leaving || contentHash(way.readBack(leaving.payload, NO_LINKS)) !== inHash) return {};
      return { outHash: leaving.hash, echoHash: inHash, deliveredAt: record.updatedAt };
    } catch {
      return {};
    }
  }

  /** The fields of a source record its inbound mapping reads (what an inbound dead letter keeps). */
  private sourceFields(mapping: InboundMapping, row: ExternalRecord): Record<string, unknown> {
    const reads = new Set(mapping.reads.map((p) => p.split('.')[0]!));
    return Object.fromEntries(Object.entries(row).filter(([k]) => reads.size === 0 || reads.has(k)));
  }

  /** First contact: finds hub records by natural key, then by the entity's extra match columns. */
  private async match(system: string, entity: EntityName, changes: { patch: JsonObject; hubId?: string }[]): Promise<void> {
    if (changes.length === 0) return;
    const def = ENTITIES[entity];
    const { store } = this.deps;
    const keys: (readonly [string, string])[] = [];
    if (def.naturalKey.length === 1) {
      const field = def.naturalKey[0]!;
      const column = Object.entries(def.columns).find(([, f]) => f === field)?.[0];
      if (column) keys.push([column, field]);
    }
    keys.push(...(MATCH_COLUMNS[entity] ?? []));
    const claimed = new Set<string>();
    for (const [column, field] of keys) {
      const open = changes.filter((c) => !c.hubId && typeof c.patch[field] === 'string' && c.patch[field] !== '');
      if (open.length === 0) continue;
      const found = await store.records.findByColumn(def, column, [...new Set(open.map((c) => String(c.patch[field])))]);
      if (found.length === 0) continue;
      // A hub record already linked to another record of this system is not a match for this one.
      const linked = await store.links.byHub(system, entity, found.map((r) => r.id));
      const byValue = new Map<string, string>();
      for (const r of found) if (!linked.has(r.id) && !byValue.has(String(r[field]))) byValue.set(String(r[field]), r.id);
      for (const c of open) {
        const id = byValue.get(String(c.patch[field]));
        if (id && !claimed.has(id)) {
          c.hubId = id;
          claimed.add(id);
        }
      }
    }
  }
}
