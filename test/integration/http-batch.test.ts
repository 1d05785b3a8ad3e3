import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { ConnectorError, type RecordOutcome, type UpsertRequest } from '../../connectors/contract.js';
import { createHttpClient } from '../../connectors/http/client.js';
import { createHttpConnector, encodeCursor, type BatchEndpoint, type EntityEndpoints } from '../../connectors/http/http-connector.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * The generic HTTP connector's batch upsert: one request per chunk, one outcome per record in order.
 * Every test asserts exactly what was sent.
 */

const BASE = 'https://crm.example.com';
const TOKEN = 'tok-3f9a8b7c6d5e';

offlineWithNock();

const api = () => nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });

function connector(batch: BatchEndpoint, extra: Partial<EntityEndpoints> = {}, clientOptions: { timeoutMs?: number; now?: () => number } = {}) {
  const client = createHttpClient({ baseUrl: BASE, auth: { kind: 'bearer', token: TOKEN }, ...clientOptions });
  return createHttpConnector({ name: 'crm', client, entities: { contacts: { batch, ...extra } } });
}

const contact = (i: number) => ({ email: `person${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}` });
const requests = (n: number): UpsertRequest[] => Array.from({ length: n }, (_, i) => ({ hubId: `hub-${i}`, payload: mapped(contact(i)) }));
const ok = (id: string): RecordOutcome => ({ ok: true, externalId: id });

describe('HTTP batch upsert', () => {
  it('sends the payloads in one request under `records` and reads `results` in order', async () => {
    let sent: unknown;
    const scope = api()
      .post('/v1/contacts/batch', (body: unknown) => {
        sent = body;
        return true;
      })
      .reply(200, { results: [{ id: 'c-1' }, { id: 'c-2' }, { id: 'c-3' }] });
    const outcomes = await connector({ path: '/v1/contacts/batch' }).upsert('contacts', requests(3));
    expect(outcomes).toEqual([ok('c-1'), ok('c-2'), ok('c-3')]);
    // Only the payloads are sent, never the hub ids.
    expect(sent).toEqual({ records: [contact(0), contact(1), contact(2)] });
    scope.done();
  });

  it('splits a write larger than maxBatch into requests of at most maxBatch records', async () => {
    const bodies: unknown[] = [];
    const reply = (_uri: string, body: unknown) => {
      bodies.push(body);
      return [200, (body as unknown[]).map((p) => ({ key: (p as { email: string }).email }))] as const;
    };
    const scope = api().put('/bulk').times(3).reply(reply);
    const c = connector({ path: '/bulk', method: 'PUT', recordsField: '', resultsField: '', idField: 'key', maxBatch: 2 });
    const outcomes = await c.upsert('contacts', requests(5));
    expect(outcomes).toEqual([0, 1, 2, 3, 4].map((i) => ok(`person${i}@example.com`)));
    // Bare arrays both ways; chunks of 2, 2 and 1 in request order.
    expect(bodies).toEqual([[contact(0), contact(1)], [contact(2), contact(3)], [contact(4)]]);
    scope.done();
  });

  it('sends nothing for an empty write', async () => {
    expect(await connector({ path: '/bulk' }).upsert('contacts', [])).toEqual([]);
  });

  it('one 422-like failure among good records fails that record only, naming no value', async () => {
    const scope = api()
      .post('/bulk', { items: [contact(0), contact(1), contact(2)] })
      .reply(207, {
        data: [
          { id: 'c-1', status: 200 },
          { status: 422, problem: { code: 'invalid_email', message: 'person1@example.com is not a valid address' } },
          { id: 'c-3', status: 201 },
        ],
      });
    const c = connector({ path: '/bulk', recordsField: 'items', resultsField: 'data', errorField: 'problem', statusField: 'status' });
    const outcomes = await c.upsert('contacts', requests(3));
    expect(outcomes).toEqual([
      ok('c-1'),
      { ok: false, kind: 'permanent', code: 'validation', message: 'crm contacts batch rejected the record with status 422 (invalid_email)' },
      ok('c-3'),
    ]);
    expect(JSON.stringify(outcomes)).not.toContain('example.com');
    scope.done();
  });

  it('classifies per-record statuses: 429 and 5xx retryable, other 4xx permanent; an error without status is permanent', async () => {
    const scope = api()
      .post('/bulk')
      .reply(200, {
        results: [
          { error: 'rate limited for person0@example.com', status: 429 },
          { error: { type: 'Timeout' }, status: '503' },
          { error: 'Duplicate', status: 409 },
          { error: 'tax id DE123 is taken' },
          { id: 'c-5', error: null },
        ],
      });
    const outcomes = await connector({ path: '/bulk', statusField: 'status' }).upsert('contacts', requests(5));
    expect(outcomes).toEqual([
      { ok: false, kind: 'retryable', code: 'rate_limited', message: 'crm contacts batch rejected the record with status 429' },
      { ok: false, kind: 'retryable', code: 'unavailable', message: 'crm contacts batch rejected the record with status 503 (Timeout)' },
      { ok: false, kind: 'permanent', code: 'conflict', message: 'crm contacts batch rejected the record with status 409 (Duplicate)' },
      { ok: false, kind: 'permanent', code: 'rejected', message: 'crm contacts batch rejected the record' },
      ok('c-5'),
    ]);
    expect(JSON.stringify(outcomes)).not.toMatch(/example\.com|DE123/);
    scope.done();
  });

  it('falls back to the upsert key field for the id when a result does not name one', async () => {
    api().post('/bulk').reply(200, { results: [{ email: 'person0@example.com' }, {}] });
    const c = connector({ path: '/bulk' }, { upsert: { path: '/contacts', keyField: 'email' } });
    expect(await c.upsert('contacts', requests(2))).toEqual([ok('person0@example.com'), ok('person1@example.com')]);
    api().post('/bulk').reply(200, { results: [{}] });
    expect(await connector({ path: '/bulk' }).upsert('contacts', requests(1))).toEqual([
      // Success without a name: the write may be there, so it is an unknown outcome, tried again.
      { ok: false, kind: 'retryable', code: 'unknown_outcome', message: 'crm did not name the saved record' },
    ]);
  });

  it('429 with Retry-After in seconds fails the chunk retryable; the following chunks are not sent', async () => {
    const scope = api()
      .post('/bulk', { records: [contact(0), contact(1)] })
      .reply(200, { results: [{ id: 'a' }, { id: 'b' }] })
      .post('/bulk', { records: [contact(2), contact(3)] })
      .reply(429, { error: 'TooManyRequests' }, { 'Retry-After': '30' });
    const outcomes = await connector({ path: '/bulk', maxBatch: 2 }).upsert('contacts', requests(6));
    const throttled = { ok: false, kind: 'retryable', code: 'rate_limited', message: 'POST answered 429 (TooManyRequests)', retryAfterMs: 30_000 };
    // The chunks after the throttled one were never sent: marked so, their retry spends no attempt.
    const unsent = { ...throttled, attempted: false };
    expect(outcomes).toEqual([ok('a'), ok('b'), throttled, throttled, unsent, unsent]);
    scope.done();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('429 with Retry-After as an HTTP date', async () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    api().post('/bulk').reply(429, '', { 'Retry-After': 'Mon, 23 Nov 2026 12:02:00 GMT' });
    const outcomes = await connector({ path: '/bulk' }, {}, { now: () => now }).upsert('contacts', requests(2));
    expect(outcomes).toEqual(Array(2).fill({ ok: false, kind: 'retryable', code: 'rate_limited', message: 'POST answered 429', retryAfterMs: 120_000 }));
  });

  it('503 fails the whole chunk retryable', async () => {
    api().post('/bulk').reply(503, '<html>maintenance for person0@example.com</html>');
    const outcomes = await connector({ path: '/bulk' }).upsert('contacts', requests(3));
    expect(outcomes).toEqual(Array(3).fill({ ok: false, kind: 'retryable', code: 'unavailable', message: 'POST answered 503' }));
  });

  it('a timeout fails the whole chunk retryable', async () => {
    api().post('/bulk').delay(400).reply(200, { results: [{ id: 'late' }] });
    const outcomes = await connector({ path: '/bulk' }, {}, { timeoutMs: 50 }).upsert('contacts', requests(1));
    expect(outcomes).toEqual([{ ok: false, kind: 'retryable', code: 'timeout', message: 'POST request timed out after 50 ms' }]);
  });

  it('a 400 fails the chunk permanently, and the next chunk is still sent', async () => {
    const scope = api()
      .post('/bulk', { records: [contact(0)] })
      .reply(400, { error: 'BadRequest', detail: 'person0@example.com' })
      .post('/bulk', { records: [contact(1)] })
      .reply(200, { results: [{ id: 'b' }] });
    const outcomes = await connector({ path: '/bulk', maxBatch: 1 }).upsert('contacts', requests(2));
    expect(outcomes).toEqual([{ ok: false, kind: 'permanent', code: 'bad_request', message: 'POST answered 400 (BadRequest)' }, ok('b')]);
    scope.done();
  });

  it('401 throws unauthorized instead of failing record by record', async () => {
    api().post('/bulk').reply(401, { error: 'Unauthorized' });
    const error = await connector({ path: '/bulk' })
      .upsert('contacts', requests(2))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('a 2xx answer with a results array of another length is a retryable unknown outcome for each record (the batch may be applied)', async () => {
    api().post('/bulk').reply(200, { results: [{ id: 'only-one' }] });
    const outcomes = await connector({ path: '/bulk' }).upsert('contacts', requests(3));
    expect(outcomes).toEqual(Array(3).fill({ ok: false, kind: 'retryable', code: 'unknown_outcome', message: 'crm contacts batch answer has 1 results for 3 records' }));
    api().post('/bulk').reply(200, { ok: true });
    expect(await connector({ path: '/bulk' }).upsert('contacts', requests(1))).toEqual([
      { ok: false, kind: 'retryable', code: 'unknown_outcome', message: 'crm contacts batch answer has no results array' },
    ]);
  });

  it('describes a batch-only entity as writable, and refuses a bad maxBatch', async () => {
    expect(connector({ path: '/bulk' }).describe().entities['contacts']).toMatchObject({ write: true, read: false });
    await expect(connector({ path: '/bulk', maxBatch: 0 }).upsert('contacts', requests(1))).rejects.toMatchObject({ code: 'connector_invalid_config' });
  });
});

describe('HTTP keyOf and count', () => {
  const list = { path: '/contacts', since: { param: 'updated_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' }, modifiedField: 'updated_at', tieBreakerField: 'id' } as const;

  it('names a read record by the same field its batch result is named by', async () => {
    const c = connector({ path: '/bulk' }, { list });
    api().post('/bulk').reply(200, { results: [{ id: 'c-1' }] });
    const [outcome] = await c.upsert('contacts', requests(1));
    nock(BASE).get('/contacts').query({ offset: '0', limit: '10' }).reply(200, { data: [{ id: 'c-1', updated_at: '2026-11-01T00:00:00Z', email: 'x@example.com' }] });
    const page = await c.read('contacts', null, 10);
    expect(outcome).toEqual({ ok: true, externalId: c.keyOf('contacts', page.records[0]!) });
  });

  it('reports rows whose deletedField is set as deleted, and says it detects deletes', () => {
    const client = createHttpClient({ baseUrl: BASE });
    const c = createHttpConnector({ name: 'crm', client, entities: { contacts: { list: { ...list, deletedField: 'archived' } }, notes: { list } } });
    expect(c.describe().entities['contacts']?.detectDeletes).toBe(true);
    expect(c.describe().entities['notes']?.detectDeletes).toBe(false);
    expect([true, 1, '1', 'true', 'Yes'].map((archived) => c.isDeleted!('contacts', { id: 'c', archived }))).toEqual([true, true, true, true, true]);
    expect([false, 0, '0', '', null, undefined, 'no'].map((archived) => c.isDeleted!('contacts', { id: 'c', archived }))).toEqual([false, false, false, false, false, false, false]);
    expect(c.isDeleted!('notes', { id: 'n', archived: true })).toBe(false);
  });

  it('uses the upsert endpoint id field, then its key field; else the list tie-breaker; missing: invalid_record naming the field', () => {
    const client = createHttpClient({ baseUrl: BASE });
    const c = createHttpConnector({
      name: 'crm',
      client,
      entities: { a: { upsert: { path: '/a', keyField: 'code', idField: 'uid' } }, b: { list }, c: { upsert: { path: '/c', keyField: 'code' } } },
    });
    expect(c.keyOf('a', { uid: 'U-1', code: 'C-1' })).toBe('U-1');
    expect(c.keyOf('a', { code: 'C-1' })).toBe('C-1');
    expect(c.keyOf('b', { id: 42 })).toBe('42');
    expect(c.keyOf('c', { name: 'N-1', code: 'C-1' })).toBe('N-1');
    let error: unknown;
    try {
      c.keyOf('a', { email: 'secret@example.com' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_invalid_record', message: 'crm a record lacks uid or code' });
    expect(() => c.keyOf('nope', {})).toThrow(/no entity/);
  });

  it('count() asks the count path with the since parameter and reads the count field; absent without countField', async () => {
    const c = connector({ path: '/bulk' }, { list: { ...list, query: { status: 'active' }, countPath: '/contacts/count', countField: 'total' } });
    const cursor = encodeCursor({ modified: '2026-11-01T00:00:00Z', key: '7' });
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/contacts/count')
      .query({ status: 'active', updated_since: '2026-11-01T00:00:00Z' })
      .reply(200, { total: 1234 })
      .get('/contacts/count')
      .query({ status: 'active' })
      .reply(200, { total: 'many' });
    expect(await c.count!('contacts', cursor)).toBe(1234);
    await expect(c.count!('contacts', null)).rejects.toMatchObject({ code: 'connector_invalid_response' });
    scope.done();
    expect(connector({ path: '/bulk' }, { list }).count).toBeUndefined();
  });
});
