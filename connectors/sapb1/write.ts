import { sendEach } from '../http/outcomes.js';
import { ConnectorError, type ExternalRecord, type RecordOutcome, type UpsertRequest } from '../contract.js';
import { odataString } from '../http/odata.js';
import { keyPath, type SapEntity } from './entities.js';
import { isConnectorWide, isNotFound, outcomeOf, sapFailure } from './errors.js';
import { allOf, getAll, listPath, type SapContext } from './query.js';

/**
 * Writes, record by record (the Service Layer's `$batch` is a multipart request whose change set fails
 * whole; one request per record lets a refused record fail alone, as the contract wants).
 *
 * Master data (`BusinessPartners`, `Items`), keyed by the code the hub sends: `PATCH BusinessPartners('C1')`
 * with the fields (204 No Content); SAP's 404 `-2028` "No matching records found" means there is none yet,
 * and `POST BusinessPartners` creates it (201 with the record). The key is never in a PATCH body (it is in
 * the URL, and SAP does not rename a key).
 *
 * Orders, numbered by SAP (`DocEntry`): the hub's order number travels in `NumAtCard`. A create first
 * looks for an open order holding it (`Orders?$filter=NumAtCard eq 'SO-1' and Cancelled eq 'tNO'`), so a
 * create whose answer was lost is not made twice; an update reads the order's lines and PATCHes with the
 * `LineNum` of each existing line, matched by position: by default SAP merges a PATCH's collection by
 * `LineNum` (a line with one updates that line, a line without is added), so existing lines are updated,
 * never added again. When the hub's order has fewer lines than SAP's, the PATCH carries
 * `B1S-ReplaceCollectionsOnPatch: true`, which makes SAP drop the lines not sent. A cancelled or closed
 * order is not changed: that record fails with `document_closed`.
 */

export interface WriteOptions {
  /** What deleting an order does: `Cancel` (the default) or `Close`. */
  readonly orderDelete: 'cancel' | 'close';
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

async function send(ctx: SapContext, what: string, request: Parameters<SapContext['client']['request']>[0]) {
  try {
    return await ctx.client.request(request);
  } catch (error) {
    // What was sent (the body, the key in the path) must not come back in SAP's words.
    const key = /\('((?:[^']|'')*)'\)/.exec(request.path)?.[1]?.replace(/''/g, "'");
    throw Object.assign(sapFailure(error, `${ctx.name}: ${what}`, [request.body, key]), { notFound: isNotFound(error) });
  }
}

const notFound = (error: unknown): boolean => (error as { notFound?: boolean }).notFound === true;

/**
 * Master data: PATCH by key, POST on -2028. The linked code comes first: SAP cannot rename a key, so a
 * record whose code changed in the hub keeps updating the record it is linked to rather than making a
 * second one; only when that one is gone is a record made under the payload's code.
 */
async function upsertByCode(ctx: SapContext, entity: SapEntity, request: UpsertRequest): Promise<RecordOutcome> {
  const payload = request.payload as ExternalRecord;
  const sent = text(payload[entity.key]);
  const key = request.externalId ?? sent;
  if (key === undefined) return { ok: false, kind: 'permanent', code: 'invalid_record', message: `${ctx.name} ${entity.set} payload has no ${entity.key}` };
  const fields = Object.fromEntries(Object.entries(payload).filter(([k]) => k !== entity.key));
  try {
    await send(ctx, `PATCH ${entity.set}`, { method: 'PATCH', path: `/${keyPath(entity, key)}`, body: fields });
    return { ok: true, externalId: key };
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  const code = sent ?? key;
  const created = await send(ctx, `POST ${entity.set}`, { method: 'POST', path: `/${entity.set}`, body: { ...payload, [entity.key]: code } });
  return { ok: true, externalId: text((created.body as ExternalRecord | undefined)?.[entity.key]) ?? code };
}

/** The open orders holding the hub's number (at most two are asked: two are already ambiguous). */
async function lookup(ctx: SapContext, entity: SapEntity, field: string, value: string): Promise<string | undefined> {
  const rows = await getAll(ctx, entity.set, listPath(entity.set, { $select: `${entity.key},${field}`, $filter: allOf(`${field} eq ${odataString(value)}`, "Cancelled eq 'tNO'"), $top: '2' }), 2);
  // Only rows that show the value count: a server that ignored the filter must not make us update a stranger.
  const ids = [...new Set(rows.filter((r) => r[field] === value).map((r) => text(r[entity.key])).filter((id): id is string => id !== undefined))];
  if (ids.length > 1) throw new ConnectorError('permanent', 'ambiguous_lookup', `${ctx.name} holds ${ids.length} open ${entity.set} with the same ${field}; resolve them in SAP B1`);
  return ids[0];
}

/** The payload's lines given the `LineNum` of SAP's lines, by position; whether SAP must drop lines. */
export function numberLines(sent: unknown, existing: unknown): { lines: unknown; replace: boolean } {
  if (!Array.isArray(sent)) return { lines: sent, replace: false };
  const nums = (Array.isArray(existing) ? existing : [])
    .map((l) => (typeof l === 'object' && l !== null ? (l as Record<string, unknown>)['LineNum'] : undefined))
    .filter((n): n is number => typeof n === 'number' && Number.isInteger(n))
    .sort((a, b) => a - b);
  const lines = sent.map((line, i) => (i < nums.length && typeof line === 'object' && line !== null ? { ...(line as Record<string, unknown>), LineNum: nums[i] } : line));
  return { lines, replace: sent.length < nums.length };
}

async function updateDocument(ctx: SapContext, entity: SapEntity, linesField: string, id: string, payload: ExternalRecord): Promise<RecordOutcome> {
  const current = (await send(ctx, `GET ${entity.set}`, { method: 'GET', path: `/${listPath(keyPath(entity, id), { $select: `${entity.key},DocumentStatus,Cancelled,${linesField}` })}` })).body as ExternalRecord | undefined;
  if (typeof current !== 'object' || current === null) throw new ConnectorError('retryable', 'invalid_response', `${ctx.name} ${entity.set} answer is not a document`);
  if (current['Cancelled'] === 'tYES' || current['DocumentStatus'] === 'bost_Close') {
    return { ok: false, kind: 'permanent', code: 'document_closed', message: `${ctx.name} ${entity.set}: the document is ${current['Cancelled'] === 'tYES' ? 'cancelled' : 'closed'} in SAP B1 and is not changed` };
  }
  const body: Record<string, unknown> = Object.fromEntries(Object.entries(payload).filter(([k]) => k !== entity.key));
  let replace = false;
  if (linesField in payload) {
    const numbered = numberLines(payload[linesField], current[linesField]);
    body[linesField] = numbered.lines;
    replace = numbered.replace;
  }
  await send(ctx, `PATCH ${entity.set}`, { method: 'PATCH', path: `/${keyPath(entity, id)}`, body, ...(replace ? { headers: { 'B1S-ReplaceCollectionsOnPatch': 'true' } } : {}) });
  return { ok: true, externalId: id };
}

async function upsertDocument(ctx: SapContext, entity: SapEntity, write: Extract<SapEntity['write'], { kind: 'document' }>, request: UpsertRequest): Promise<RecordOutcome> {
  const payload = request.payload as ExternalRecord;
  if (request.externalId !== undefined) {
    try {
      return await updateDocument(ctx, entity, write.lines, request.externalId, payload);
    } catch (error) {
      // The linked document is gone (a restored company database): made again below, through the lookup.
      if (!notFound(error)) throw error;
    }
  }
  const value = text(payload[write.lookupField]);
  const existing = value === undefined ? undefined : await lookup(ctx, entity, write.lookupField, value);
  if (existing !== undefined) return updateDocument(ctx, entity, write.lines, existing, payload);
  const created = (await send(ctx, `POST ${entity.set}`, { method: 'POST', path: `/${entity.set}`, body: payload })).body as ExternalRecord | undefined;
  const id = text(created?.[entity.key]);
  // Created, but the answer does not say under which number: tried again, the lookup finds it.
  if (id === undefined) return { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `${ctx.name} ${entity.set}: SAP B1 did not name the created document` };
  return { ok: true, externalId: id };
}

/**
 * One outcome per item, in order (the shared {@link sendEach}): a record's own failure is its outcome;
 * a retryable one stops the batch; a failure of the connector itself (its login, its user's
 * authorization) throws when nothing was sent, else the rest wait unsent with it.
 */
export function eachRecord<T>(items: readonly T[], send: (item: T) => Promise<RecordOutcome>): Promise<RecordOutcome[]> {
  const failure = (error: unknown) => (error instanceof ConnectorError ? error : new ConnectorError('retryable', 'internal', 'Unexpected failure while sending the record'));
  return sendEach('sapb1', items, send, {
    failed: (error) => outcomeOf(failure(error)),
    connectorWide: (error) => (isConnectorWide(failure(error)) ? failure(error) : undefined),
  });
}

export function upsertRecords(ctx: SapContext, entity: SapEntity, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
  const write = entity.write;
  if (write === undefined) throw new ConnectorError('permanent', 'not_writable', `${ctx.name} ${entity.set} cannot be written`);
  return eachRecord(requests, (r) => (write.kind === 'code' ? upsertByCode(ctx, entity, r) : upsertDocument(ctx, entity, write, r)));
}

/**
 * Deletes orders the SAP way: a document is never deleted, it is cancelled (`POST Orders(17)/Cancel`) or
 * closed (`POST Orders(17)/Close`), 204 No Content. Idempotent: an order already cancelled (closed) or
 * gone counts as done.
 */
export function cancelDocuments(ctx: SapContext, entity: SapEntity, ids: readonly string[], options: WriteOptions): Promise<RecordOutcome[]> {
  if (entity.write?.kind !== 'document') throw new ConnectorError('permanent', 'not_deletable', `${ctx.name} ${entity.set} cannot be deleted (SAP B1 keeps master data; deactivate it instead)`);
  const action = options.orderDelete === 'close' ? 'Close' : 'Cancel';
  return eachRecord(ids, async (id) => {
    try {
      await send(ctx, `POST ${entity.set}/${action}`, { method: 'POST', path: `/${keyPath(entity, id)}/${action}` });
      return { ok: true, externalId: id };
    } catch (error) {
      if (notFound(error)) return { ok: true, externalId: id };
      if (!(error instanceof ConnectorError) || error.kind !== 'permanent' || isConnectorWide(error)) throw error;
      // Refused: already done is what a delete wants.
      const doc = (await send(ctx, `GET ${entity.set}`, { method: 'GET', path: `/${listPath(keyPath(entity, id), { $select: `${entity.key},DocumentStatus,Cancelled` })}` })).body as ExternalRecord | undefined;
      const done = action === 'Cancel' ? doc?.['Cancelled'] === 'tYES' : doc?.['DocumentStatus'] === 'bost_Close';
      if (done) return { ok: true, externalId: id };
      throw error;
    }
  });
}
