import { ConnectorError, type ExternalRecord, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { odataString } from '../http/odata.js';
import { BC_MAX_BATCH, odataQuery, type BatchRequest, type BatchResponse, type BcApi } from './client.js';
import { changedFields, isGuid, type BcEntity, type BcWrite } from './entities.js';
import { bcFailure, failureOf, isAuthFailure, payloadValues, toOutcome, type BcFailure } from './errors.js';

/**
 * Writes, in rounds over a chunk of records:
 * 1. find what BC holds: by the linked id (`$filter=id eq <guid> or …`), else by the key
 *    (`$filter=number eq '…' or …`, or `externalDocumentNumber` for orders), with `@odata.etag`
 *    and, for orders, `$expand=salesOrderLines`;
 * 2. plan: nothing held → `POST <set>` (an order with its lines: deep insert); held → `PATCH
 *    <set>(<id>)` with `If-Match: <@odata.etag>` and only the fields that differ (nothing differs:
 *    no request); an order's lines by position: changed ones `PATCH
 *    salesOrders(<id>)/salesOrderLines(<line id>)` with the line's etag, new ones `POST
 *    salesOrders(<id>)/salesOrderLines`, surplus ones `DELETE` (with their etag);
 * 3. send every operation of the chunk in JSON `$batch` requests of at most 100 operations, with
 *    `Prefer: odata.continue-on-error`: a refused operation fails its record only;
 * 4. a record whose operation met 409 `Request_EntityChanged` or 412 (changed since it was read) or
 *    404 (deleted since) is read again and planned again, at most three rounds.
 */

const MAX_ROUNDS = 3;
/** Terms of one lookup `$filter` (`id eq … or id eq …`), keeping URLs short. */
const LOOKUP_TERMS = 15;

export interface WriteContext {
  readonly api: BcApi;
  /** Path of the entity set (`companies(<id>)/customers`). */
  readonly path: string;
  readonly entity: string;
  readonly def: BcEntity & { readonly write: BcWrite };
  /** Records per chunk (1–100). */
  readonly batchSize: number;
}

interface Item {
  readonly index: number;
  readonly request: UpsertRequest;
  readonly values: Set<string>;
  held?: ExternalRecord | undefined;
  outcome?: RecordOutcome;
  ops: { request: BatchRequest; creates: boolean }[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

async function lookup(ctx: WriteContext, field: string, values: readonly string[], literal: (v: string) => string): Promise<ExternalRecord[]> {
  const out: ExternalRecord[] = [];
  for (let i = 0; i < values.length; i += LOOKUP_TERMS) {
    const filter = values.slice(i, i + LOOKUP_TERMS).map((v) => `${field} eq ${literal(v)}`).join(' or ');
    out.push(...(await ctx.api.all(`${ctx.path}${odataQuery({ $filter: filter, $expand: ctx.def.expand })}`, `${ctx.entity} lookup`)));
  }
  return out;
}

/** Finds what BC holds for each item: by its linked id, else by its key. */
async function resolve(ctx: WriteContext, items: Item[]): Promise<void> {
  const key = ctx.def.write.key;
  for (const item of items) delete item.held;
  const ids = [...new Set(items.map((i) => i.request.externalId).filter(isGuid).map((id) => id.toLowerCase()))];
  if (ids.length > 0) {
    const found = new Map((await lookup(ctx, 'id', ids, (v) => v)).map((r) => [String(r['id']).toLowerCase(), r]));
    for (const item of items) {
      if (!isGuid(item.request.externalId)) continue;
      item.held = found.get(item.request.externalId.toLowerCase());
      if (item.held === undefined && ctx.def.write.noRecreate) {
        item.outcome = { ok: false, kind: 'permanent', code: 'gone', message: `Business Central no longer holds the linked ${ctx.entity} record (a sales order is deleted when it is fully posted); it is not made again` };
      }
    }
  }
  const unheld = items.filter((i) => i.held === undefined && i.outcome === undefined && text(i.request.payload[key]) !== undefined);
  const keys = [...new Set(unheld.map((i) => text(i.request.payload[key])!))];
  if (keys.length === 0) return;
  // BC keeps numbers (Code fields) in capitals: compared without case.
  const byKey = new Map<string, ExternalRecord[]>();
  for (const r of await lookup(ctx, key, keys, odataString)) {
    const k = String(r[key] ?? '').toUpperCase();
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  for (const item of unheld) {
    const matches = byKey.get(text(item.request.payload[key])!.toUpperCase()) ?? [];
    if (matches.length > 1) item.outcome = { ok: false, kind: 'permanent', code: 'ambiguous_lookup', message: `Business Central holds ${matches.length} ${ctx.entity} with the same ${key}; resolve them there` };
    else item.held = matches[0];
  }
}

function etagOf(record: ExternalRecord): string {
  const etag = record['@odata.etag'];
  // Every BC API v2.0 entity answers its etag; without one, any version may be overwritten.
  return typeof etag === 'string' && etag !== '' ? etag : '*';
}

/** The operations that bring BC's record to the payload (none when nothing differs). */
function plan(ctx: WriteContext, item: Item): void {
  const { key, lines } = ctx.def.write;
  const payload = item.request.payload as Readonly<Record<string, unknown>>;
  const op = (method: BatchRequest['method'], url: string, body?: unknown, etag?: string, creates = false) => {
    item.ops.push({ creates, request: { id: `${item.index}.${item.ops.length}`, method, url, ...(etag === undefined ? {} : { headers: { 'If-Match': etag } }), ...(body === undefined ? {} : { body }) } });
  };
  item.ops = [];
  const held = item.held;
  if (held === undefined) {
    op('POST', ctx.path, payload, undefined, true);
    return;
  }
  const url = `${ctx.path}(${String(held['id'])})`;
  const header = changedFields(payload, held, lines === undefined ? [] : [lines], [key]);
  if (Object.keys(header).length > 0) op('PATCH', url, header, etagOf(held));
  const wanted = lines === undefined ? undefined : payload[lines];
  if (lines === undefined || !Array.isArray(wanted)) return;
  const current = (Array.isArray(held[lines]) ? (held[lines] as ExternalRecord[]) : []).slice().sort((a, b) => Number(a['sequence'] ?? 0) - Number(b['sequence'] ?? 0));
  wanted.forEach((line: Record<string, unknown>, i) => {
    const now = current[i];
    if (now === undefined) op('POST', `${url}/${lines}`, line);
    else {
      const diff = changedFields(line, now);
      if (Object.keys(diff).length > 0) op('PATCH', `${url}/${lines}(${String(now['id'])})`, diff, etagOf(now));
    }
  });
  for (const extra of current.slice(wanted.length)) op('DELETE', `${url}/${lines}(${String(extra['id'])})`, undefined, etagOf(extra));
}

/** What the answers to an item's operations say: done, to be tried again next round, or failed. */
function judge(ctx: WriteContext, item: Item, answers: ReadonlyMap<string, BatchResponse>): 'again' | RecordOutcome {
  let createdId: string | undefined;
  for (const [i, { request, creates }] of item.ops.entries()) {
    const answer = answers.get(request.id);
    if (answer === undefined) {
      return i === 0
        ? { ok: false, kind: 'retryable', code: 'not_run', message: `Business Central did not run the ${ctx.entity} write in its $batch`, attempted: false }
        : { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `Business Central answered only part of the ${ctx.entity} write in its $batch` };
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (creates) createdId = text((answer.body as { id?: unknown } | undefined)?.id);
      continue;
    }
    if (answer.status === 409 || answer.status === 412 || (answer.status === 404 && !creates)) return 'again';
    return toOutcome(bcFailure(`${ctx.entity} ${request.method}`, answer.status, answer.body, answer.headers['retry-after'], item.values));
  }
  const id = item.held === undefined ? createdId : text(item.held['id']);
  // Created, but the answer names no record: it may well exist; a retry finds it by its key.
  if (id === undefined) return { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `Business Central did not name the saved ${ctx.entity} record` };
  return { ok: true, externalId: id };
}

/** Splits the items' operations into $batch requests of at most 100, an item's operations together. */
function batches(items: readonly Item[]): Item[][] {
  const out: Item[][] = [];
  let current: Item[] = [];
  let size = 0;
  for (const item of items) {
    if (size > 0 && size + item.ops.length > BC_MAX_BATCH) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.ops.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Runs rounds over one chunk; returns a retryable failure that should stop the chunks after it (the
 * system is throttling or unreachable), if one occurred. Refused credentials throw.
 */
async function writeChunk(ctx: WriteContext, chunk: Item[]): Promise<BcFailure | undefined> {
  let pending = chunk;
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    try {
      await resolve(ctx, pending);
    } catch (error) {
      if (isAuthFailure(error)) throw error;
      const failure = failureOf(`${ctx.entity} lookup`, error);
      for (const item of pending) item.outcome = toOutcome(failure);
      return failure.kind === 'retryable' ? failure : undefined;
    }
    const open = pending.filter((i) => i.outcome === undefined);
    for (const item of open) plan(ctx, item);
    for (const item of open) if (item.ops.length === 0) item.outcome = { ok: true, externalId: String(item.held!['id']) };
    const again: Item[] = [];
    let stop: BcFailure | undefined;
    for (const group of batches(open.filter((i) => i.ops.length > 0))) {
      if (stop !== undefined) {
        for (const item of group) item.outcome = toOutcome(stop, false);
        continue;
      }
      let answers: Map<string, BatchResponse>;
      try {
        answers = await ctx.api.batch(group.flatMap((i) => i.ops.map((o) => o.request)));
      } catch (error) {
        if (isAuthFailure(error)) throw error;
        const failure = failureOf(`${ctx.entity} $batch`, error);
        for (const item of group) item.outcome = toOutcome(failure);
        if (failure.kind === 'retryable') stop = failure;
        continue;
      }
      for (const item of group) {
        const verdict = judge(ctx, item, answers);
        if (verdict === 'again') again.push(item);
        else item.outcome = verdict;
      }
    }
    if (stop !== undefined) {
      for (const item of again) item.outcome = toOutcome(stop, false);
      return stop;
    }
    pending = again;
  }
  for (const item of pending) item.outcome = { ok: false, kind: 'retryable', code: 'entity_changed', message: `Business Central kept answering that the ${ctx.entity} record changed since it was read (Request_EntityChanged); tried ${MAX_ROUNDS} times` };
  return undefined;
}

/** Creates or updates records; one outcome per request, in order (see the file comment). */
export async function upsertRecords(ctx: WriteContext, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
  if (!Number.isInteger(ctx.batchSize) || ctx.batchSize < 1 || ctx.batchSize > BC_MAX_BATCH) throw new ConnectorError('permanent', 'invalid_config', `batchSize must be 1 to ${BC_MAX_BATCH}`);
  const items: Item[] = requests.map((request, index) => ({ index, request, values: payloadValues(request.payload), ops: [] }));
  let stop: BcFailure | undefined;
  for (let start = 0; start < items.length; start += ctx.batchSize) {
    const chunk = items.slice(start, start + ctx.batchSize);
    if (stop !== undefined) {
      for (const item of chunk) item.outcome = toOutcome(stop, false);
      continue;
    }
    try {
      stop = await writeChunk(ctx, chunk);
    } catch (error) {
      // Refused credentials concern every record; once some were written, their outcomes are kept (their
      // links) and the rest wait, unsent, for the connector's credentials to be fixed.
      if (!isAuthFailure(error) || !items.some((i) => i.outcome?.ok === true)) throw error;
      const refused: RecordOutcome = { ok: false, kind: 'retryable', code: 'unauthorized', message: `Business Central refused the credentials (HTTP ${error.httpStatus ?? '?'}) after earlier records were written; not sent`, attempted: false };
      for (const item of items) item.outcome ??= refused;
      break;
    }
  }
  return items.map((i) => i.outcome ?? { ok: false, kind: 'retryable', code: 'internal', message: 'no outcome' });
}
