import { ConnectorError, type Connector, type RecordOutcome } from '../connectors/contract.js';
import { contentHash } from '../core/hash.js';
import type { StoredRecord } from '../core/model/entities.js';
import type { MappedPayload } from '../core/model/mapped.js';
import type { Projected } from '../core/policy/engine.js';
import type { LinkRepository, LinkState } from '../core/store/links-repository.js';
import { MappingError, MissingLinkError } from '../mappings/engine/compile.js';
import { linkContext, lookupLinks } from '../mappings/engine/links.js';
import type { WayOut } from '../mappings/engine/way-out.js';
import type { Tally } from './stats.js';

/**
 * The stages of one delivery batch that do not touch the queue: mapping what leaves, writing it,
 * and sorting the target's answers. `TargetDelivery.deliverBatch` runs them in order:
 * load → withdraw → prepare → write → sort → settle → judge (breaker) → requeue.
 */

/** A record ready to leave: its payload, the payload's hash and the hash its echo will have. */
export interface Item {
  readonly id: string;
  readonly version: number;
  readonly payload: MappedPayload;
  readonly hash: string;
  readonly echoHash: string | null;
}

/** A record that becomes a dead letter: only projected or mapped content, never the stored record. */
export interface Letter {
  readonly id: string;
  readonly version: number;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly code: string;
  readonly message: string;
}

export interface InScope {
  readonly record: StoredRecord;
  readonly view: Projected;
}

export interface Prepared {
  /** What goes to the connector. */
  readonly items: Item[];
  /** A lookup whose record is not linked yet: may map once it is delivered. */
  readonly retry: string[];
  /** Values the mapping refuses: they will not map by waiting. */
  readonly refused: Letter[];
}

/**
 * Stage "prepare": maps the projected records through the target's way out, after fetching the id
 * links their lookups need in one query per entity; skips a payload equal to the last write
 * (`unchanged`), and computes each payload's echo hash (how the target's copy will read back).
 */
export async function prepareBatch(links: LinkRepository, way: WayOut, inScope: ReadonlyMap<string, InScope>, last: ReadonlyMap<string, LinkState>, tally: Tally): Promise<Prepared> {
  const outLinks = await lookupLinks(way.mapping, [...inScope.values()].map((p) => p.view), links);
  // The same links turned around, for mapping a payload back (external → hub id).
  const inLinks = new Map([...outLinks].map(([k, ext]) => [`${k.slice(0, k.indexOf(':'))}:${ext}`, k.slice(k.indexOf(':') + 1)]));
  const prepared: Prepared = { items: [], retry: [], refused: [] };
  for (const [id, { record, view }] of inScope) {
    let leaving;
    try {
      leaving = way.map(view, linkContext(outLinks));
    } catch (error) {
      if (error instanceof MissingLinkError) prepared.retry.push(id);
      else if (error instanceof MappingError) prepared.refused.push({ id, version: record.version, payload: view, code: error.code, message: error.message });
      else throw error;
      continue;
    }
    if (last.get(id)?.outHash === leaving.hash) {
      tally.bump('unchanged');
      continue;
    }
    let echoHash: string | null = null;
    try {
      const back = way.readBack(leaving.payload, linkContext(inLinks));
      echoHash = back === undefined ? null : contentHash(back);
    } catch {
      echoHash = null;
    }
    prepared.items.push({ id, version: record.version, payload: leaving.payload, hash: leaving.hash, echoHash });
  }
  return prepared;
}

/**
 * Stage "write": one upsert call for the batch. A failure of the whole call becomes the same
 * retryable outcome for every record; an answer with the wrong number of outcomes is one too.
 */
export async function writeBatch(connector: Connector, system: string, externalEntity: string, items: readonly Item[], last: ReadonlyMap<string, LinkState>): Promise<RecordOutcome[]> {
  if (items.length === 0) return [];
  try {
    const outcomes = await connector.upsert(
      externalEntity,
      items.map((i) => {
        const externalId = last.get(i.id)?.externalId;
        return externalId === undefined ? { hubId: i.id, payload: i.payload } : { hubId: i.id, payload: i.payload, externalId };
      }),
    );
    if (outcomes.length !== items.length) throw new ConnectorError('retryable', 'outcome_count', `${system} answered ${outcomes.length} outcomes for ${items.length} records`);
    return outcomes;
  } catch (error) {
    const e = error instanceof ConnectorError ? error : new ConnectorError('retryable', 'unexpected', `${system}: unexpected ${(error as Error).name ?? 'error'}`);
    return items.map(() => ({ ok: false, kind: 'retryable', code: e.code.replace(/^connector_/, ''), message: e.message, ...(e.retryAfterMs ? { retryAfterMs: e.retryAfterMs } : {}) }));
  }
}

export interface Sorted {
  /** Written: the target now holds the payload (its echo and, as far as the hub knows, what it last read there). */
  readonly saved: { hubId: string; externalId: string; outHash: string; echoHash: string | null; inHash: string | null }[];
  readonly dead: Letter[];
  readonly retry: string[];
  /** Not sent by the connector (a batch-mate met a retryable failure first): tried again without spending an attempt. */
  readonly untried: string[];
  readonly retryAfterMs: number;
  readonly lastCode: string | undefined;
}

/** Stage "sort": the target's answer per record. */
export function sortOutcomes(items: readonly Item[], outcomes: readonly RecordOutcome[]): Sorted {
  const sorted: Sorted & { retryAfterMs: number; lastCode: string | undefined } = { saved: [], dead: [], retry: [], untried: [], retryAfterMs: 0, lastCode: undefined };
  outcomes.forEach((o, n) => {
    const item = items[n]!;
    if (o.ok) sorted.saved.push({ hubId: item.id, externalId: o.externalId, outHash: item.hash, echoHash: item.echoHash, inHash: item.echoHash });
    else if (o.kind === 'permanent') sorted.dead.push({ id: item.id, version: item.version, payload: item.payload, code: o.code, message: o.message });
    else {
      (o.attempted === false ? sorted.untried : sorted.retry).push(item.id);
      sorted.retryAfterMs = Math.max(sorted.retryAfterMs, o.retryAfterMs ?? 0);
    }
    if (!o.ok) sorted.lastCode = o.code;
  });
  return sorted;
}
