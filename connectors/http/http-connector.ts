import { ConnectorError, flagSet } from '../contract.js';
import type { Connector, ConnectorDescription, EntityCapabilities, ExternalRecord, ReadPage, RecordOutcome, UpsertRequest } from '../contract.js';
import type { HttpClient } from './client.js';
import { classifyStatus, HttpError, safeErrorType } from './client.js';
import { readWhole } from './detail.js';
import { credentialsRefused, failedOutcome, sendEach, unauthorizedError } from './outcomes.js';
import { DEFAULT_MAX_BATCH, decodeCursor, encodeCursor, formatSince, moveBackModified, type BatchEndpoint, type EntityEndpoints, type HttpCursor, type ListEndpoint, type UpsertEndpoint, type Watermark } from './endpoints.js';

export * from './endpoints.js';
export { failedOutcome, sendEach } from './outcomes.js';

/**
 * A generic JSON-over-HTTP connector, configured per external entity with data (paths, parameter
 * names, paging style) and a filter function where data cannot say it. ERPNext's configuration is in
 * `erpnext.ts`.
 */

export interface HttpConnectorOptions {
  readonly name: string;
  readonly client: HttpClient;
  readonly entities: Readonly<Record<string, EntityEndpoints>>;
  /** A cheap authenticated GET for `check()`. */
  readonly checkPath?: string;
  /**
   * Re-read window for rows committed late with an older modified value (the SQL connector's rule):
   * once the reader has caught up, the next read starts `overlapMs` before the high-water mark, so
   * every row modified in [high - overlapMs, high] is read again (ingest drops what is unchanged).
   * Needs each list endpoint's `modifiedFormat`. Default 0 (no re-read).
   */
  readonly overlapMs?: number;
}

function field(value: unknown, name: string): unknown {
  if (name === '') return value;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** Row strictly after the watermark in (modified, key) order, keys compared here (`tieOrder: 'client'`). */
function isAfter(modified: string, key: string, mark: Watermark): boolean {
  return modified > mark.modified || (modified === mark.modified && key > mark.key);
}

/**
 * Whether the last row a read delivered lies past the high-water mark `from`. With keys ordered by the
 * server, a row in the mark's own tie is past it when the read started at the mark (the server put it
 * after); after a re-read from earlier it is taken as not past (the mark stays, and the rows of that
 * tie past the mark are read once more from it: delivered twice, ingested idempotently).
 */
function pastHigh(list: ListEndpoint, last: Watermark, from: Watermark, startedAtHigh: boolean): boolean {
  if (list.tieOrder !== 'server') return isAfter(last.modified, last.key, from);
  if (last.modified !== from.modified) return last.modified > from.modified;
  return startedAtHigh;
}

/** 401 / 403 on the check: the credentials, or the user's access as a whole, are refused. */
function isAuthFailure(error: unknown): boolean {
  return error instanceof HttpError && (error.httpStatus === 401 || error.httpStatus === 403);
}

/** How a retried create of the entity finds an earlier try's record (see EntityCapabilities). */
function createRetry(endpoints: EntityEndpoints): Pick<EntityCapabilities, 'createRetry' | 'upsertKey'> {
  // A batch endpoint keys records as the server does; with an upsert endpoint beside it, by its key field.
  if (endpoints.batch !== undefined) return endpoints.upsert === undefined ? {} : { createRetry: 'key', upsertKey: endpoints.upsert.keyField };
  const upsert = endpoints.upsert;
  if (upsert === undefined) return {};
  if (upsert.lookup !== undefined) return { createRetry: 'lookup', upsertKey: upsert.lookup.field };
  return upsert.namedBy === 'system' ? { createRetry: 'none' } : { createRetry: 'key', upsertKey: upsert.keyField };
}

export function createHttpConnector(options: HttpConnectorOptions): Connector {
  const { client, name } = options;
  let closed = false;

  function entityOf(entity: string): EntityEndpoints {
    if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
    const endpoints = options.entities[entity];
    if (endpoints === undefined) throw new ConnectorError('permanent', 'unknown_entity', `Connector ${name} has no entity ${entity}`);
    return endpoints;
  }

  const unauthorized = (error: HttpError): ConnectorError => unauthorizedError(name, error);

  const overlapMs = options.overlapMs ?? 0;
  if (!Number.isFinite(overlapMs) || overlapMs < 0) throw new ConnectorError('permanent', 'invalid_config', 'overlapMs must be a non-negative number');
  if (overlapMs > 0) {
    const blind = Object.entries(options.entities).filter(([, e]) => e.list !== undefined && e.list.modifiedFormat === undefined).map(([entity]) => entity);
    if (blind.length > 0) throw new ConnectorError('permanent', 'invalid_config', `${name}: overlapMs needs the modifiedFormat of ${blind.join(', ')}`);
  }

  /**
   * Reads after the cursor, as the SQL connector does: from an unfinished overlap re-read, from
   * `overlapMs` before the high-water mark once the reader had caught up, else after the high-water
   * mark; a read finding nothing after a full page's cursor does the re-read at once. The next cursor
   * keeps the high-water mark and, for a full page still inside the window, where the re-read got to.
   */
  async function read(entity: string, cursor: string | null, limit: number): Promise<ReadPage> {
    const list = entityOf(entity).list;
    if (list === undefined) throw new ConnectorError('permanent', 'not_readable', `${name} ${entity} cannot be read`);
    const from = cursor === null ? null : decodeCursor(cursor);
    const overlapStart = (c: HttpCursor): Watermark | null => {
      const back = list.modifiedFormat && moveBackModified(c.modified, overlapMs, list.modifiedFormat);
      // Every key sorts after '': rows stamped exactly at the window's start are read too.
      return back ? { modified: back, key: '' } : null;
    };
    let start: Watermark | null = null;
    if (from?.rescan) start = from.rescan;
    else if (from?.caughtUp && overlapMs > 0) start = overlapStart(from) ?? from;
    else if (from) start = { modified: from.modified, key: from.key };
    let startedAtHigh = from === null || (start !== null && start.modified === from.modified && start.key === from.key);
    let records = await readAfter(entity, list, start, limit);
    if (records.rows.length === 0 && from && !from.rescan && !from.caughtUp && overlapMs > 0) {
      const again = overlapStart(from);
      if (again) {
        records = await readAfter(entity, list, again, limit);
        startedAtHigh = false;
      }
    }
    const last = records.last;
    if (last === null) return { records: [], cursor: null };
    const high = from && !pastHigh(list, last, from, startedAtHigh) ? { modified: from.modified, key: from.key } : last;
    let next: HttpCursor;
    // (caughtUp only matters to a re-read: without a window the cursor stays the plain high-water mark.)
    if (records.rows.length < limit) next = overlapMs > 0 ? { ...high, caughtUp: true } : high;
    else if (high !== last) next = { ...high, rescan: last };
    else next = high;
    const keyField = list.tieBreakerField ?? 'name';
    return { records: await readWhole(client, name, entity, list, records.rows, (row) => asText(row[keyField]) ?? ''), cursor: encodeCursor(next) };
  }

  /** Rows strictly after `mark` in (modified, key) order, at most `limit`, paging the server as needed. */
  async function readAfter(entity: string, list: ListEndpoint, mark: Watermark | null, limit: number): Promise<{ rows: ExternalRecord[]; last: Watermark | null }> {
    const modifiedField = list.modifiedField ?? 'modified';
    const keyField = list.tieBreakerField ?? 'name';
    const pageSize = Math.max(1, Math.min(list.pageSize ?? 100, limit));
    const sinceQuery = mark === null ? {} : typeof list.since === 'function' ? list.since(mark) : { [list.since.param]: mark.modified };
    const records: ExternalRecord[] = [];
    let last: Watermark | null = null;
    let offset = 0;
    let pageCursor: string | undefined;
    // Keep paging inside one read while rows are dropped as already seen, so a run of ties longer than
    // a page cannot stall the watermark.
    for (;;) {
      const paging: Record<string, string | number> =
        list.paging.style === 'offset'
          ? { [list.paging.offsetParam]: offset, [list.paging.limitParam]: pageSize }
          : { [list.paging.limitParam]: pageSize, ...(pageCursor === undefined ? {} : { [list.paging.cursorParam]: pageCursor }) };
      const response = await client.request({ method: 'GET', path: list.path, query: { ...list.query, ...sinceQuery, ...paging } });
      const rows = field(response.body, list.recordsField ?? 'data');
      if (!Array.isArray(rows)) throw new ConnectorError('permanent', 'invalid_response', `${name} ${entity} list answer has no rows array`);
      for (const row of rows as unknown[]) {
        const modified = asText(field(row, modifiedField));
        const key = asText(field(row, keyField));
        if (modified === undefined || key === undefined) {
          throw new ConnectorError('permanent', 'invalid_response', `${name} ${entity} row lacks ${modifiedField} or ${keyField}`);
        }
        if (list.tieOrder === 'server') {
          // The server skipped the rows up to the mark in its own key order: only the mark's own row and
          // a row listed twice are dropped here, and only `modified` is held to ascending order.
          if (mark !== null && (modified < mark.modified || (modified === mark.modified && key === mark.key))) continue;
          if (last !== null && modified === last.modified && key === last.key) continue;
          if (last !== null && modified < last.modified) throw new ConnectorError('permanent', 'unordered', `${name} ${entity} rows are not ordered by ${modifiedField}`);
        } else {
          if (mark !== null && !isAfter(modified, key, mark)) continue;
          if (last !== null && !isAfter(modified, key, last)) {
            throw new ConnectorError('permanent', 'unordered', `${name} ${entity} rows are not ordered by ${modifiedField}, ${keyField}`);
          }
        }
        records.push(row as ExternalRecord);
        last = { modified, key };
        if (records.length >= limit) break;
      }
      if (records.length >= limit) break;
      if (list.paging.style === 'offset') {
        if (rows.length < pageSize) break;
        offset += rows.length;
      } else {
        const next = asText(field(response.body, list.paging.nextCursorField));
        if (next === undefined) break;
        pageCursor = next;
      }
    }
    return { rows: records, last };
  }

  async function count(entity: string, cursor: string | null): Promise<number> {
    const list = entityOf(entity).list;
    if (list?.countField === undefined) throw new ConnectorError('permanent', 'not_countable', `${name} ${entity} cannot be counted`);
    const mark = cursor === null ? null : decodeCursor(cursor);
    const since = list.countSince ?? list.since;
    const sinceQuery = mark === null ? {} : typeof since === 'function' ? since(mark) : { [since.param]: mark.modified };
    const response = await client.request({ method: 'GET', path: list.countPath ?? list.path, query: { ...(list.countQuery ?? list.query), ...sinceQuery } });
    const raw = field(response.body, list.countField);
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new ConnectorError('permanent', 'invalid_response', `${name} ${entity} count answer has no number in ${list.countField}`);
    return n;
  }

  /** The id of the one record `lookup` finds for this payload; undefined when none (or no lookup value). */
  async function findExisting(upsert: UpsertEndpoint, payload: ExternalRecord): Promise<string | undefined> {
    const lookup = upsert.lookup;
    const value = lookup ? asText(payload[lookup.field]) : undefined;
    if (!lookup || value === undefined) return undefined;
    const query = typeof lookup.query === 'function' ? lookup.query(value) : { [lookup.query.param]: value };
    const response = await client.request({ method: 'GET', path: lookup.path, query });
    const rows = field(response.body, lookup.recordsField ?? 'data');
    if (!Array.isArray(rows)) throw new ConnectorError('retryable', 'invalid_response', `${name} lookup answer has no rows array`);
    const idField = upsert.idField ?? 'name';
    // A server that ignores the filter (or leaves the field out) would answer other records: only rows
    // that show the same value count, so an unrelated record is never taken for this one.
    const ids = [...new Set(rows.filter((r) => asText(field(r, lookup.field)) === value).map((r) => asText(field(r, idField))).filter((id): id is string => id !== undefined))];
    if (ids.length > 1) throw new ConnectorError('permanent', 'ambiguous_lookup', `${name} holds ${ids.length} records with the same ${lookup.field}; resolve them there`);
    return ids[0];
  }

  async function upsertOne(upsert: UpsertEndpoint, payload: ExternalRecord, linked?: string): Promise<RecordOutcome> {
    // Where the saved record's id is its key (ERPNext: `name`), the linked id comes first: a record the
    // system named itself (a naming series) is updated under that name, whatever the payload says.
    const key = linked !== undefined && (upsert.idField ?? 'name') === upsert.keyField ? linked : asText(payload[upsert.keyField]);
    // An update never renames: a naming key in the body that differs from the addressed record stays out
    // (Frappe would apply it as a rename before looking the document up).
    const idField = upsert.idField ?? 'name';
    const put = (id: string) => {
      const named = asText(payload[idField]);
      const body = named !== undefined && named !== id ? Object.fromEntries(Object.entries(payload).filter(([k]) => k !== idField)) : payload;
      return client.request({ method: 'PUT', path: `${upsert.path}/${encodeURIComponent(id)}`, body });
    };
    // A create, unless the lookup finds the record an earlier attempt already made.
    const create = async () => {
      const existing = await findExisting(upsert, payload);
      if (existing !== undefined) return put(existing);
      try {
        return await client.request({ method: upsert.method ?? 'POST', path: upsert.path, body: payload });
      } catch (error) {
        const conflict = error instanceof HttpError && (upsert.conflict ? upsert.conflict(error) : error.httpStatus === 409);
        if (!conflict) throw error;
        // Made meanwhile: the record is there (found by the lookup, else by its key); it is updated.
        const found = (await findExisting(upsert, payload)) ?? (upsert.namedBy === 'system' ? undefined : asText(payload[upsert.keyField]));
        if (found === undefined) throw error;
        return put(found);
      }
    };
    let response;
    if (key === undefined) {
      // No key yet (the system names the record, e.g. a naming series): it can only be a create.
      response = await create();
    } else {
      // Update first: an update is the common case and costs one request; a 404 means create.
      try {
        response = await put(key);
      } catch (error) {
        if (!(error instanceof HttpError && error.httpStatus === 404)) throw error;
        response = await create();
      }
    }
    const saved = field(response.body, upsert.responseField ?? 'data');
    const externalId = asText(field(saved, idField)) ?? key;
    // The system answered success without naming the record: it may well hold it now. Tried again, the
    // create goes through the lookup (or the key) and finds it rather than making a second one.
    if (externalId === undefined) return { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `${name} did not name the saved record` };
    return { ok: true, externalId };
  }

  const eachRecord = <T>(items: readonly T[], send: (item: T) => Promise<RecordOutcome>): Promise<RecordOutcome[]> => sendEach(name, items, send);

  /** The outcome of one result of a batch answer (`result` for `payload`). */
  function batchResult(entity: string, batch: BatchEndpoint, keyField: string | undefined, payload: ExternalRecord, result: unknown): RecordOutcome {
    if (typeof result !== 'object' || result === null || Array.isArray(result)) {
      return { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `${name} ${entity} batch result is not an object` };
    }
    const errorValue = field(result, batch.errorField ?? 'error');
    const statusValue = batch.statusField === undefined ? undefined : field(result, batch.statusField);
    const status = typeof statusValue === 'number' && Number.isInteger(statusValue) ? statusValue : typeof statusValue === 'string' && /^\d{3}$/.test(statusValue) ? Number(statusValue) : undefined;
    const statusFailed = status !== undefined && (status < 200 || status > 299);
    if ((errorValue !== undefined && errorValue !== null && errorValue !== false) || statusFailed) {
      // Only an identifier-like error type is kept; the server's own words may quote the record.
      const errorType = safeErrorType(errorValue);
      const suffix = `${status === undefined ? '' : ` with status ${status}`}${errorType === undefined ? '' : ` (${errorType})`}`;
      const { kind, code } = status === undefined ? { kind: 'permanent' as const, code: 'rejected' } : classifyStatus(status);
      return { ok: false, kind, code, message: `${name} ${entity} batch rejected the record${suffix}` };
    }
    const externalId = asText(field(result, batch.idField ?? keyField ?? 'id')) ?? (keyField === undefined ? undefined : asText(payload[keyField]));
    if (externalId === undefined) return { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `${name} did not name the saved record` };
    return { ok: true, externalId };
  }

  /**
   * Writes through the batch endpoint, one request per chunk of at most `maxBatch` records. A failed
   * request fails every record of its chunk; after a retryable one the remaining chunks are reported
   * the same without being sent; refused credentials (401) throw before any chunk was sent, and after
   * one fail the remaining chunks retryable, unsent.
   */
  async function upsertBatch(entity: string, batch: BatchEndpoint, keyField: string | undefined, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    const size = batch.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isInteger(size) || size < 1) throw new ConnectorError('permanent', 'invalid_config', `${name} ${entity} batch maxBatch must be a positive integer`);
    const recordsField = batch.recordsField ?? 'records';
    const outcomes: RecordOutcome[] = [];
    let stop: Extract<RecordOutcome, { ok: false }> | null = null;
    for (let start = 0; start < requests.length; start += size) {
      const chunk = requests.slice(start, start + size);
      if (stop !== null) {
        outcomes.push(...chunk.map((): RecordOutcome => ({ ...stop!, attempted: false })));
        continue;
      }
      const payloads = chunk.map((r) => r.payload);
      let body: unknown;
      try {
        body = (await client.request({ method: batch.method ?? 'POST', path: batch.path, body: recordsField === '' ? payloads : { [recordsField]: payloads } })).body;
      } catch (error) {
        if (credentialsRefused(error)) {
          // Nothing sent yet: the connector's failure. Else the chunks before keep their results.
          if (outcomes.length === 0) throw unauthorized(error);
          stop = { ok: false, kind: 'retryable', code: 'unauthorized', message: unauthorized(error).message };
          outcomes.push(...chunk.map((): RecordOutcome => ({ ...stop!, attempted: false })));
          continue;
        }
        const outcome = failedOutcome(error);
        if (!outcome.ok && outcome.kind === 'retryable') stop = outcome;
        outcomes.push(...chunk.map(() => outcome));
        continue;
      }
      const results = field(body, batch.resultsField ?? 'results');
      if (!Array.isArray(results) || results.length !== chunk.length) {
        const got = Array.isArray(results) ? `${results.length} results for ${chunk.length} records` : 'no results array';
        // The batch may have been applied, whole or in part: an unknown outcome, sent again (upserts by key).
        const outcome: RecordOutcome = { ok: false, kind: 'retryable', code: 'unknown_outcome', message: `${name} ${entity} batch answer has ${got}` };
        outcomes.push(...chunk.map(() => outcome));
        continue;
      }
      chunk.forEach((r, i) => outcomes.push(batchResult(entity, batch, keyField, r.payload, (results as unknown[])[i])));
    }
    return outcomes;
  }

  async function upsert(entity: string, requests: readonly UpsertRequest[]): Promise<RecordOutcome[]> {
    const endpoints = entityOf(entity);
    if (endpoints.batch !== undefined) return upsertBatch(entity, endpoints.batch, endpoints.upsert?.keyField, requests);
    const endpoint = endpoints.upsert;
    if (endpoint === undefined) throw new ConnectorError('permanent', 'not_writable', `${name} ${entity} cannot be written`);
    return eachRecord(requests, (request) => upsertOne(endpoint, request.payload, request.externalId));
  }

  /**
   * The field(s) holding a record's external id, in the order `upsert` reports it: a batch result's
   * id field; else the saved record's id field, then the upsert key field; else the list tie-breaker.
   */
  function keyFields(entity: string, endpoints: EntityEndpoints): string[] {
    if (endpoints.batch !== undefined) return [endpoints.batch.idField ?? endpoints.upsert?.keyField ?? 'id'];
    if (endpoints.upsert !== undefined) return [...new Set([endpoints.upsert.idField ?? 'name', endpoints.upsert.keyField])];
    if (endpoints.list !== undefined) return [endpoints.list.tieBreakerField ?? 'name'];
    throw new ConnectorError('permanent', 'invalid_config', `${name} ${entity} has no endpoint naming its records`);
  }

  function keyOf(entity: string, record: ExternalRecord): string {
    const fields = keyFields(entity, entityOf(entity));
    for (const f of fields) {
      const value = asText(record[f]);
      if (value !== undefined) return value;
    }
    throw new ConnectorError('permanent', 'invalid_record', `${name} ${entity} record lacks ${fields.join(' or ')}`);
  }

  async function remove(entity: string, externalIds: readonly string[]): Promise<RecordOutcome[]> {
    const endpoint = entityOf(entity).delete;
    if (endpoint === undefined) throw new ConnectorError('permanent', 'not_deletable', `${name} ${entity} cannot be deleted`);
    return eachRecord(externalIds, async (id) => {
      try {
        await client.request({ method: 'DELETE', path: `${endpoint.path}/${encodeURIComponent(id)}` });
      } catch (error) {
        // Already gone is what a delete wants: idempotent.
        if (!(error instanceof HttpError && error.httpStatus === 404)) throw error;
      }
      return { ok: true, externalId: id };
    });
  }

  const description: ConnectorDescription = Object.freeze({
    connector: name,
    entities: Object.freeze(
      Object.fromEntries(
        Object.entries(options.entities).map(([entity, endpoints]): [string, EntityCapabilities] => [
          entity,
          Object.freeze({
            read: endpoints.list !== undefined,
            write: endpoints.upsert !== undefined || endpoints.batch !== undefined,
            detectChanges: endpoints.list !== undefined,
            detectDeletes: endpoints.list?.deletedField !== undefined,
            naturalKeys: Object.freeze([...(endpoints.naturalKeys ?? [])]),
            ...createRetry(endpoints),
          }),
        ]),
      ),
    ),
  });

  const countable = Object.values(options.entities).some((e) => e.list?.countField !== undefined);

  function cursorSince(entity: string, since: string): string {
    const list = entityOf(entity).list;
    if (list === undefined) throw new ConnectorError('permanent', 'not_readable', `${name} ${entity} cannot be read`);
    if (list.modifiedFormat === undefined) {
      throw new ConnectorError('permanent', 'no_modified_format', `${name} ${entity} cannot start a read at a point in time: its list endpoint has no modifiedFormat`);
    }
    const at = Date.parse(since);
    if (Number.isNaN(at)) throw new ConnectorError('permanent', 'invalid_since', `${name}: since is not a date-time`);
    // Every key sorts after '': rows stamped exactly at the start are read too.
    return encodeCursor({ modified: formatSince(new Date(at), list.modifiedFormat), key: '' });
  }

  return {
    describe: () => description,
    ...(countable ? { count } : {}),
    async check() {
      if (closed) throw new ConnectorError('permanent', 'closed', `Connector ${name} is closed`);
      if (options.checkPath === undefined) return;
      try {
        await client.request({ method: 'GET', path: options.checkPath });
      } catch (error) {
        if (isAuthFailure(error)) throw unauthorized(error as HttpError);
        throw error;
      }
    },
    read,
    isDeleted(entity: string, record: ExternalRecord): boolean {
      const list = entityOf(entity).list;
      const field = list?.deletedField;
      if (field === undefined) return false;
      const values = list?.deletedValues;
      return values === undefined ? flagSet(record[field]) : values.some((v) => String(v) === String(record[field]));
    },
    cursorSince,
    keyOf,
    upsert,
    delete: remove,
    async close() {
      // The client comes from outside and holds no connection of its own; closing only stops use.
      closed = true;
    },
  };
}
