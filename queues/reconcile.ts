import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { HubError, NotFoundError, UnprocessableError } from '../core/errors.js';
import { ENTITIES, type EntityName } from '../core/model/entities.js';
import type { MappingContext } from '../mappings/engine/compile.js';
import type { Store } from '../core/store/store.js';
import type { TargetDelivery } from './delivery.js';
import { contentHash, withoutNulls } from '../core/hash.js';

export interface ReconcileDeps {
  readonly store: Store;
  readonly log: Logger;
}


/** Lookups are not resolved in a comparison: a record with one is compared by what was last written instead. */
const NO_LINKS: MappingContext = { link: () => undefined };

/**
 * Compares what a target holds with what the hub would send it, for one entity: every record of
 * the target is read (it must be readable) and mapped back in, every linked hub record is
 * projected, mapped out and back in the same way; the content hashes are compared. Reports the
 * counts, the records missing in the target, extra there, and differing; with `repair`, queues
 * deliveries of just the missing and differing records. Recorded as a run (kind `reconcile`).
 */
export async function reconcileTarget(deps: ReconcileDeps, t: TargetDelivery | undefined, connector: string, entity: string, options: { repair: boolean; by: string; maxRecords?: number }): Promise<string> {
  if (!t) throw new NotFoundError(`No sync target named ${connector}`);
  if (!t.wants(entity)) throw new UnprocessableError('The reconciliation request is invalid', [{ pointer: '/entity', detail: `${connector} is not a target of ${entity}` }]);
  const way = t.target.routes[entity]!;
  const out = way.mapping;
  const back = way.back;
  if (!back) throw new UnprocessableError('The reconciliation request is invalid', [{ pointer: '/entity', detail: `${connector} has no inbound mapping for ${entity}: its records cannot be compared` }]);
  const { store } = deps;
  const id = randomUUID();
  const now = () => new Date().toISOString();
  await store.runs.create({ id, kind: 'reconcile', connector, entity, direction: 'out', since: null, createdBy: options.by, createdAt: now() });
  await store.runs.update(id, { state: 'running', startedAt: now() }, now());
  const max = options.maxRecords ?? 1_000_000;
  try {
    // The target's side: external id → hash of its content mapped in.
    const theirs = new Map<string, string>();
    let cursor: string | null = null;
    for (;;) {
      const page = await t.target.connector.read(out.externalEntity, cursor, 1000);
      for (const row of page.records) {
        let hash = 'unmappable';
        try {
          hash = contentHash(withoutNulls(back.map(row, NO_LINKS)));
        } catch {
          /* counted as differing */
        }
        theirs.set(t.target.connector.keyOf(out.externalEntity, row), hash);
      }
      if (page.records.length < 1000 || page.cursor === null || page.cursor === cursor || theirs.size >= max) break;
      cursor = page.cursor;
    }
    // The hub's side, page by page.
    const def = ENTITIES[entity];
    const missing: string[] = [];
    const differing: string[] = [];
    const seen = new Set<string>();
    let hubCount = 0;
    let after: { value: string; id: string } | undefined;
    for (;;) {
      const page = await store.records.list(def, { limit: 500, sort: { field: 'createdAt', desc: false }, ...(after ? { after } : {}) });
      const links = await store.links.byHub(connector, entity, page.items.map((r) => r.id));
      for (const record of page.items) {
        const view = way.project(record);
        if (!view) continue;
        hubCount++;
        const link = links.get(record.id);
        const external = link?.externalId;
        if (!external || !theirs.has(external)) {
          missing.push(record.id);
          continue;
        }
        seen.add(external);
        let expected = 'unmappable-hub';
        try {
          expected = contentHash(withoutNulls(way.readBack(way.map(view, NO_LINKS).payload, NO_LINKS)));
        } catch {
          /* lookups: compared by what was last written instead */
          expected = link.echoHash ?? expected;
        }
        if (expected !== theirs.get(external)) differing.push(record.id);
      }
      after = page.next;
      if (!after) break;
    }
    const extra = [...theirs.keys()].filter((k) => !seen.has(k));
    if (options.repair && missing.length + differing.length > 0) {
      await store.links.forgetOutHash(connector, entity, [...missing, ...differing]);
      await t.enqueue(entity as EntityName, [...missing, ...differing]);
    }
    const report = {
      hubCount,
      targetCount: theirs.size,
      missingInTarget: missing.length,
      extraInTarget: extra.length,
      differing: differing.length,
      repaired: options.repair ? missing.length + differing.length : 0,
      sample: { missing: missing.slice(0, 20), differing: differing.slice(0, 20), extra: extra.slice(0, 20) },
    };
    await store.runs.update(id, { state: 'done', done: hubCount, total: hubCount, report, finishedAt: now() }, now());
    if (missing.length + differing.length + extra.length > 0) deps.log.warn({ target: connector, entity, ...report, sample: undefined }, 'reconciliation found drift');
  } catch (error) {
    const message = error instanceof HubError ? error.message : `unexpected ${(error as Error).name}`;
    await store.runs.update(id, { state: 'failed', message, finishedAt: now() }, now());
  }
  return id;
}
