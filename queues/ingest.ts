import type { Logger } from 'pino';
import { ConnectorError, type Connector, type ExternalRecord } from '../connectors/contract.js';
import { HubError, WriteRaceError } from '../core/errors.js';
import { retryLostRaces } from '../core/records/retry.js';
import { ENTITIES, type EntityName, type JsonObject, type StoredRecord } from '../core/model/entities.js';
import type { PolicyEngine } from '../core/policy/engine.js';
import type { RecordService } from '../core/records/service.js';
import type { Store } from '../core/store/store.js';
import type { LinkState } from '../core/store/links-repository.js';
import { withWriteOrigin } from '../core/store/write-origin.js';
import { MappingError, type InboundMapping, type MappingContext } from '../mappings/engine/compile.js';
import type { Ownership } from '../mappings/engine/ownership.js';
import { linkContext, lookupLinks } from '../mappings/engine/links.js';
import type { WayOut } from '../mappings/engine/way-out.js';
import { contentHash, stableStringify } from '../core/hash.js';
import type { Outcome, SyncStats } from './stats.js';


/** Lookups are not resolved when checking what a source already holds: a record with one is delivered and compared by hash. */
const NO_LINKS: MappingContext = { link: () => undefined };

/** A system the hub reads from: its connector and its inbound (and, if it is also a target, outbound) mappings. */
export interface SourceSpec {
  readonly name: string;
  readonly connector: Connector;
  readonly inbound: Readonly<Partial<Record<EntityName, InboundMapping>>>;
  /** Entity → the way out to the same system, if it is also a target (to recognise what it already holds). */
  readonly outbound?: Readonly<Partial<Record<EntityName, WayOut>>>;
  /** Apply the deletes the connector reports (`isDeleted`) to the hub records. Default false. */
  readonly applyDeletes?: boolean;
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
  readonly policy: PolicyEngine;
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
}

/** Extra columns a first contact is matched on, after the natural key (customer: tax id, then email). */
const MATCH_COLUMNS: Readonly<Partial<Record<EntityName, readonly (readonly [column: string, field: string])[]>>> = {
  customer: [
    ['tax_id', 'taxId'],
    ['email', 'email'],
  ],
};

const same = (a: unknown, b: unknown) => stableStringify(a ?? null) === stableStringify(b ?? null);

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

  private async ingestOnce(source: SourceSpec, entity: EntityName, rows: readonly ExternalRecord[], job: string): Promise<IngestResult> {
    const counts: Partial<Record<Outcome, number>> = {};
    const bump = (o: Outcome, n = 1) => (counts[o] = (counts[o] ?? 0) + n);
    const mapping = source.inbound[entity];
    if (!mapping) throw new ConnectorError('permanent', 'no_mapping', `${source.name} has no inbound mapping for ${entity}`);
    const { store } = this.deps;
    const system = source.name;
    const def = ENTITIES[entity];
    const at = (this.deps.now?.() ?? new Date()).toISOString();

    // The last occurrence of an external record in a page wins.
    const byExternal = new Map<string, ExternalRecord>();
    const failures: { externalId: string; payload: Record<string, unknown>; code: string; message: string }[] = [];
    for (const row of rows) {
      try {
        byExternal.set(source.connector.keyOf(mapping.externalEntity, row), row);
      } catch (error) {
        failures.push({ externalId: '', payload: {}, code: 'invalid_record', message: error instanceof HubError ? error.message : 'the record has no external key' });
      }
    }
    const externalIds = [...byExternal.keys()];
    const links = await store.links.byExternal(system, entity, externalIds);

    // Inbound lookups: external id → hub id through the links of the referenced entity.
    const refLinks = await lookupLinks(mapping, byExternal.values(), store.links);

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
    const changes: Change[] = [];
    // Rows the source reports deleted: not mapped, applied (or not) below.
    const deletes: { externalId: string; hubId: string | undefined; row: ExternalRecord }[] = [];
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
        failures.push({ externalId, payload: this.sourceFields(mapping, row), code: error.code, message: error.message });
        continue;
      }
      const hash = contentHash(patch);
      const link = links.get(externalId);
      if (link?.echoHash === hash) {
        bump('echo');
        continue;
      }
      if (link?.inHash === hash) {
        bump('unchanged');
        continue;
      }
      changes.push({ externalId, patch, hash, link, ...(link ? { hubId: link.hubId } : {}) });
    }

    await this.match(system, entity, changes.filter((c) => !c.hubId));
    const current = new Map((await store.records.getMany(def, [...changes.flatMap((c) => (c.hubId ? [c.hubId] : [])), ...deletes.flatMap((d) => (d.hubId ? [d.hubId] : []))])).map((r) => [r.id, r]));
    const lineage = await store.lineage.forRecords(entity, [...current.keys()]);

    const written: { change: Change; record: StoredRecord }[] = [];
    const restore: string[] = [];
    // Names (never values) of the fields the source does not own, for one warning per batch.
    const dropped = new Set<string>();
    const creates: { change: Change; input: JsonObject }[] = [];
    const refused = (change: Change, error: HubError) => {
      const fields = error.errors.map((e) => `${e.pointer} ${e.detail}`).join('; ');
      return { externalId: change.externalId, payload: change.patch as Record<string, unknown>, code: error.code, message: `${error.message}${fields ? `: ${fields}` : ''}`.slice(0, 1000) };
    };
    await withWriteOrigin({ system, job }, () =>
      store.transaction(async (tx) => {
        for (const change of changes) {
          const existing = change.hubId ? current.get(change.hubId) : undefined;
          try {
            if (existing) {
              const changed = Object.keys(change.patch).filter((f) => !same(change.patch[f], existing[f]));
              // A change the system had already received when it made its own is sequential, not a conflict.
              const seen = change.link?.deliveredAt ?? null;
              const unseen = (f: string) => {
                const last = lineage.get(existing.id)?.get(f);
                return last && (seen === null || last.at > seen) ? last : undefined;
              };
              const decision = this.deps.ownership.decide(system, entity, changed, unseen, new Date(at));
              for (const f of decision.conflicts) {
                const last = lineage.get(existing.id)?.get(f);
                await tx.conflicts.add({ entity, recordId: existing.id, field: f, system, theirValue: change.patch[f], hubValue: existing[f], hubSystem: last?.system ?? null, createdAt: at });
              }
              bump('conflicts', decision.conflicts.length);
              bump('ignored_fields', decision.ignored.length);
              for (const f of decision.ignored) dropped.add(f);
              if (decision.ignored.length > 0 || decision.conflicts.length > 0) {
                restore.push(existing.id);
                change.partial = true;
              }
              const patch = Object.fromEntries(decision.accepted.map((f) => [f, change.patch[f] ?? null])) as JsonObject;
              const result = decision.accepted.length > 0 ? await this.deps.records.update(entity, existing.id, patch, undefined, tx) : { record: existing, fields: [] };
              bump(result.fields.length > 0 ? 'ingested' : 'unchanged');
              written.push({ change, record: result.record });
            } else {
              const allowed = Object.fromEntries(Object.entries(change.patch).filter(([f]) => this.deps.ownership.owners(entity, f)?.includes(system) ?? true)) as JsonObject;
              const kept = Object.keys(change.patch).filter((f) => !(f in allowed));
              bump('ignored_fields', kept.length);
              for (const f of kept) dropped.add(f);
              if (kept.length > 0) change.partial = true;
              creates.push({ change, input: allowed });
            }
          } catch (error) {
            // A lost race rolls the page back and runs it again (see ingest); anything else the hub refused is the record's.
            if (!(error instanceof HubError) || error instanceof WriteRaceError) throw error;
            failures.push(refused(change, error));
          }
        }
        // New records in multi-row statements; each is still checked on its own.
        const { created, failed } = await this.deps.records.createMany(entity, creates.map((c) => c.input), tx);
        for (const [i, c] of creates.entries()) {
          const result = created.get(i);
          if (result) {
            bump('created');
            written.push({ change: c.change, record: result.record });
          } else {
            const error = failed.get(i);
            if (!(error instanceof HubError)) throw error;
            failures.push(refused(c.change, error));
          }
        }
        for (const d of deletes) {
          const live = d.hubId ? current.get(d.hubId) : undefined;
          // Never linked, or already deleted in the hub (the echo of a hub delete): nothing to do.
          if (!live) bump('unchanged');
          else if (!source.applyDeletes) bump('delete_ignored');
          else {
            try {
              await this.deps.records.remove(entity, live.id, undefined, tx);
              // The system no longer holds it: no delete goes back there, and a re-created row is matched afresh.
              await tx.links.unlink(system, entity, live.id);
              bump('deleted');
            } catch (error) {
              if (!(error instanceof HubError) || error instanceof WriteRaceError) throw error;
              const fields = error.errors.map((e) => `${e.pointer} ${e.detail}`).join('; ');
              failures.push({ externalId: d.externalId, payload: { ...this.sourceFields(mapping, d.row), [DELETED_MARK]: true }, code: error.code, message: `The delete was refused: ${error.message}${fields ? `: ${fields}` : ''}`.slice(0, 1000) });
            }
          }
        }
        const held = new Set(restore);
        await tx.links.save(system, entity, written.map(({ change, record }) => ({ hubId: record.id, externalId: change.externalId, inHash: change.partial ? null : change.hash, echoHash: null, ...(held.has(record.id) ? { outHash: null } : this.alreadyThere(source, entity, record, change.hash)) })), at);
        // An inbound dead letter of an earlier try of these rows is settled by this ingest.
        await tx.deadLetters.settle(system, 'in', entity, written.map(({ change }) => change.externalId), at);
        for (const f of failures) {
          await tx.deadLetters.add({ target: system, direction: 'in', entity, recordId: f.externalId, version: 0, payload: f.payload, errorCode: f.code, errorMessage: f.message, attempts: 1, createdAt: at });
        }
      }),
    );
    if (dropped.size > 0) {
      const fields = [...dropped].sort();
      this.deps.log.warn({ system, entity, fields, owners: Object.fromEntries(fields.map((f) => [f, this.deps.ownership.owners(entity, f) ?? []])) }, `inbound fields dropped: ${system} does not own ${fields.join(', ')} of ${entity} (ownership.fields)`);
    }
    if (restore.length > 0) await this.deps.restore?.(system, entity, restore);
    bump('failed', failures.length);
    if (failures.length > 0) this.deps.log.warn({ system, entity, records: failures.length, codes: [...new Set(failures.map((f) => f.code))] }, 'inbound records refused: dead-lettered');
    await this.deps.stats.add(system, entity, 'in', counts, true, failures[0]?.code);
    return { counts, seen: rows.length };
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
