import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/config.js';
import type { Connector } from '../../connectors/contract.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * Business Central writes against documented bodies: lookups by id or number with `$filter`, then
 * JSON `$batch` (Microsoft Learn, "Using OData transactional $batch requests": `{ requests: [{ method,
 * id, url, headers, body }] }` → `{ responses: [{ id, status, headers, body }] }`; without
 * `Prefer: odata.continue-on-error` BC stops at the first failed operation), `If-Match` with the
 * record's `@odata.etag` ("Update customers": If-Match required), 409 `Request_EntityChanged`
 * (error codes table), deep insert of a sales order with its lines ("Working with API limits": deep
 * inserts; "Create salesOrders"), lines changed through `salesOrders(<id>)/salesOrderLines(<id>)`
 * ("Update salesOrderLines"). Each test asserts the exact requests the hub sent.
 */

offlineWithNock();

const TENANT = 'cronus.onmicrosoft.com';
const COMPANY = 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1';
const API = 'https://api.businesscentral.dynamics.com';
const ROOT = `/v2.0/${TENANT}/sandbox/api/v2.0`;
const C = `companies(${COMPANY})`;

const bc = (extra: Record<string, unknown> = {}): Connector =>
  createConnector('bc', { type: 'businesscentral', tenantId: TENANT, environment: 'sandbox', companyId: COMPANY, clientIdEnv: 'BC_ID', clientSecretEnv: 'BC_SECRET', ...extra } as never, { BC_ID: 'client-id', BC_SECRET: 'client-secret' });

function token(times = 1): void {
  nock('https://login.microsoftonline.com').post(`/${TENANT}/oauth2/v2.0/token`).times(times).reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'tok' });
}

const api = () => nock(API, { reqheaders: { authorization: 'Bearer tok' } });

/** Expects one $batch request; answers it with `answer(requests)` (a list: the responses) and keeps what was sent. */
function batch(answer: (requests: { id: string }[]) => unknown, status = 200, headers: Record<string, string> = {}): { body?: unknown; headers?: Record<string, string | string[] | undefined> } {
  const seen: { body?: unknown; headers?: Record<string, string | string[] | undefined> } = {};
  api()
    .post(`${ROOT}/$batch`, (body) => {
      seen.body = body;
      return true;
    })
    .reply(function (_uri, body) {
      seen.headers = this.req.headers;
      const a = answer((body as { requests: { id: string }[] }).requests);
      return [status, Array.isArray(a) ? { responses: a } : a, headers];
    });
  return seen;
}

const ok = (id: string, status: number, body?: unknown) => ({ id, status, headers: body === undefined ? {} : { 'content-type': 'application/json; odata.metadata=minimal', 'odata-version': '4.0' }, ...(body === undefined ? {} : { body }) });
const refused = (id: string, status: number, code: string, message: string, headers: Record<string, string> = {}) => ({ id, status, headers: { 'content-type': 'application/json; odata.metadata=minimal', ...headers }, body: { error: { code, message: `${message}  CorrelationId:  1f7c5d1e-3b0a-4c39-9a51-5e3f2b6c7d80.` } } });

const ADATUM = 'f2a5738a-44e3-ea11-bb43-000d3a2feca1';
const held = (etag: string, over: Record<string, unknown> = {}) => ({ '@odata.etag': etag, id: ADATUM, number: '10000', displayName: 'Adatum Corporation', type: 'Company', phoneNumber: '', email: 'robert.townes@contoso.com', currencyCode: 'USD', blocked: ' ', lastModifiedDateTime: '2020-08-21T07:38:44.293Z', ...over });
const ETAG1 = 'W/"JzQ0O1paaDBYNnF4bnpodFhyVyt3U0ZtUDdzZEZ0c1U5Q2Nnc3I5bjZWbDM3Rzg9MTswMDsn"';
const ETAG2 = 'W/"JzQ0O0hVWFR5c2RFbmJ2Q2R6K3ZtY3J3aTlPQmVqRVRrV2o5dFNPSXZ4d2xKQ289MTswMDsn"';

describe('Business Central writes through $batch', () => {
  it('patches only what changed with If-Match, creates the unknown, and fails a refused record alone (its values cut from the message)', async () => {
    token();
    api().get(`${ROOT}/${C}/customers`).query({ $filter: `id eq ${ADATUM}` }).reply(200, { value: [held(ETAG1)] });
    api().get(`${ROOT}/${C}/customers`).query({ $filter: "number eq 'C-00002' or number eq 'C-00003'" }).reply(200, { value: [] });
    const seen = batch((rs) => [
      ok(rs[0]!.id, 200, held(ETAG2, { displayName: 'Adatum Corporation Ltd' })),
      ok(rs[1]!.id, 201, { id: '0b2c4d6e-8f00-4a1b-9c2d-3e4f5a6b7c8d', number: 'C-00002', displayName: 'Trey Research', blocked: ' ' }),
      refused(rs[2]!.id, 400, 'Application_StringExceededLength', 'The length of the string is 57, but it must be less than or equal to 50 characters. Value: JACKSBORO PUMP & SPECIALTY BRIDGEPORT PUMP & SUPPLY, INC.'),
    ]);
    const outcomes = await bc().upsert('customers', [
      { hubId: 'h1', externalId: ADATUM, payload: mapped({ number: '10000', displayName: 'Adatum Corporation Ltd', email: 'robert.townes@contoso.com', currencyCode: 'USD', blocked: ' ' }) },
      { hubId: 'h2', payload: mapped({ number: 'C-00002', displayName: 'Trey Research', blocked: ' ' }) },
      { hubId: 'h3', payload: mapped({ number: 'C-00003', displayName: 'JACKSBORO PUMP & SPECIALTY BRIDGEPORT PUMP & SUPPLY, INC.', blocked: ' ' }) },
    ]);
    expect(seen.body).toEqual({
      requests: [
        { method: 'PATCH', id: '0.0', url: `${C}/customers(${ADATUM})`, headers: { 'Content-Type': 'application/json', 'If-Match': ETAG1 }, body: { displayName: 'Adatum Corporation Ltd' } },
        { method: 'POST', id: '1.0', url: `${C}/customers`, headers: { 'Content-Type': 'application/json' }, body: { number: 'C-00002', displayName: 'Trey Research', blocked: ' ' } },
        { method: 'POST', id: '2.0', url: `${C}/customers`, headers: { 'Content-Type': 'application/json' }, body: { number: 'C-00003', displayName: 'JACKSBORO PUMP & SPECIALTY BRIDGEPORT PUMP & SUPPLY, INC.', blocked: ' ' } },
      ],
    });
    expect(seen.headers?.['prefer']).toBe('odata.continue-on-error');
    expect(seen.headers?.['content-type']).toBe('application/json');
    expect(outcomes[0]).toEqual({ ok: true, externalId: ADATUM });
    expect(outcomes[1]).toEqual({ ok: true, externalId: '0b2c4d6e-8f00-4a1b-9c2d-3e4f5a6b7c8d' });
    expect(outcomes[2]).toMatchObject({ ok: false, kind: 'permanent', code: 'validation' });
    const message = (outcomes[2] as { message: string }).message;
    expect(message).toBe('Business Central answered customers POST with 400 Application_StringExceededLength: The length of the string is …, but it must be less than or equal to … characters. Value: … (CorrelationId 1f7c5d1e-3b0a-4c39-9a51-5e3f2b6c7d80)');
  });

  it('sends nothing for a record BC already holds as it is', async () => {
    token();
    api().get(`${ROOT}/${C}/customers`).query({ $filter: "number eq '10000'" }).reply(200, { value: [held(ETAG1)] });
    const [outcome] = await bc().upsert('customers', [{ hubId: 'h1', payload: mapped({ number: '10000', displayName: 'Adatum Corporation', email: 'robert.townes@contoso.com', currencyCode: 'USD', blocked: '_x0020_', phoneNumber: null }) }]);
    expect(outcome).toEqual({ ok: true, externalId: ADATUM });
  });

  it('reads the record again after 409 Request_EntityChanged and patches with the new etag', async () => {
    token();
    api().get(`${ROOT}/${C}/customers`).query({ $filter: `id eq ${ADATUM}` }).reply(200, { value: [held(ETAG1)] });
    const first = batch((rs) => [refused(rs[0]!.id, 409, 'Request_EntityChanged', 'Another user has already changed the record.')]);
    api().get(`${ROOT}/${C}/customers`).query({ $filter: `id eq ${ADATUM}` }).reply(200, { value: [held(ETAG2, { phoneNumber: '(555) 555-1234' })] });
    const second = batch((rs) => [ok(rs[0]!.id, 200, held('W/"x"', { displayName: 'Adatum Corporation Inc.' }))]);
    const [outcome] = await bc().upsert('customers', [{ hubId: 'h1', externalId: ADATUM, payload: mapped({ number: '10000', displayName: 'Adatum Corporation Inc.' }) }]);
    expect(outcome).toEqual({ ok: true, externalId: ADATUM });
    expect((first.body as { requests: { headers: Record<string, string> }[] }).requests[0]!.headers['If-Match']).toBe(ETAG1);
    expect((second.body as { requests: { headers: Record<string, string> }[] }).requests[0]!.headers['If-Match']).toBe(ETAG2);
  });

  it('a 429 inside the $batch is retryable for that record with its Retry-After; a throttled $batch fails its chunk and holds the next back', async () => {
    token();
    api().get(`${ROOT}/${C}/items`).query({ $filter: "number eq '1896-S' or number eq '1900-S'" }).reply(200, { value: [] });
    batch((rs) => [ok(rs[0]!.id, 201, { id: 'fca5738a-44e3-ea11-bb43-000d3a2feca1', number: '1896-S' }), refused(rs[1]!.id, 429, 'TooManyRequests', 'Too many requests', { 'retry-after': '5' })]);
    const inner = await bc().upsert('items', [
      { hubId: 'a', payload: mapped({ number: '1896-S', displayName: 'ATHENS Desk' }) },
      { hubId: 'b', payload: mapped({ number: '1900-S', displayName: 'PARIS Guest Chair, black' }) },
    ]);
    expect(inner[0]).toEqual({ ok: true, externalId: 'fca5738a-44e3-ea11-bb43-000d3a2feca1' });
    expect(inner[1]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 5000 });

    token();
    api().get(`${ROOT}/${C}/items`).query({ $filter: "number eq '1896-S'" }).reply(200, { value: [] });
    batch(() => ({ error: { code: 'TooManyRequests', message: 'Too many requests' } }), 429, { 'Retry-After': '7' });
    const whole = await bc({ batchSize: 1 }).upsert('items', [
      { hubId: 'a', payload: mapped({ number: '1896-S', displayName: 'ATHENS Desk' }) },
      { hubId: 'b', payload: mapped({ number: '1900-S', displayName: 'PARIS Guest Chair, black' }) },
    ]);
    expect(whole[0]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 7000 });
    expect(whole[1]).toMatchObject({ ok: false, kind: 'retryable', retryAfterMs: 7000, attempted: false });
  });

  it('an answer without responses, or without an operation, is an unknown outcome, never ok', async () => {
    token();
    api().get(`${ROOT}/${C}/items`).query({ $filter: "number eq '1896-S' or number eq '1900-S'" }).reply(200, { value: [] });
    batch(() => ({ value: [] }));
    const garbled = await bc().upsert('items', [
      { hubId: 'a', payload: mapped({ number: '1896-S', displayName: 'ATHENS Desk' }) },
      { hubId: 'b', payload: mapped({ number: '1900-S', displayName: 'PARIS Guest Chair, black' }) },
    ]);
    expect(garbled.every((o) => !o.ok && o.kind === 'retryable' && o.code === 'invalid_response')).toBe(true);

    token();
    api().get(`${ROOT}/${C}/items`).query({ $filter: "number eq '1896-S' or number eq '1900-S'" }).reply(200, { value: [] });
    // BC stopped after the first operation (as without continue-on-error).
    batch((rs) => ({ responses: [refused(rs[0]!.id, 400, 'Internal_EntityWithSameKeyExists', "The Item already exists. Identification fields and values: No.='1896-S'")] }));
    const partial = await bc().upsert('items', [
      { hubId: 'a', payload: mapped({ number: '1896-S', displayName: 'ATHENS Desk' }) },
      { hubId: 'b', payload: mapped({ number: '1900-S', displayName: 'PARIS Guest Chair, black' }) },
    ]);
    expect(partial[0]).toMatchObject({ ok: false, kind: 'permanent', code: 'duplicate' });
    expect((partial[0] as { message: string }).message).not.toContain('1896');
    expect(partial[1]).toMatchObject({ ok: false, kind: 'retryable', code: 'not_run', attempted: false });
  });

  it('refused credentials stop the write for the whole connector (no record is dead-lettered for them)', async () => {
    nock('https://login.microsoftonline.com').post(`/${TENANT}/oauth2/v2.0/token`).reply(400, { error: 'invalid_request', error_description: "AADSTS90002: Tenant 'cronus.onmicrosoft.com' not found.", error_codes: [90002] });
    await expect(bc().upsert('customers', [{ hubId: 'h', payload: mapped({ number: '10000', displayName: 'Adatum Corporation' }) }])).rejects.toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    token();
    api().get(`${ROOT}/${C}/customers`).query({ $filter: "number eq '10000'" }).reply(403, { error: { code: 'Authorization_InsufficientPermissions', message: 'You do not have the following permissions on TableData Customer: Read.' } });
    await expect(bc().upsert('customers', [{ hubId: 'h', payload: mapped({ number: '10000', displayName: 'Adatum Corporation' }) }])).rejects.toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
  });

  it('two records holding one key are a permanent ambiguous_lookup, written to neither', async () => {
    token();
    api().get(`${ROOT}/${C}/salesOrders`).query({ $filter: "externalDocumentNumber eq 'SO-000001'", $expand: 'salesOrderLines' }).reply(200, { value: [{ id: 'b6f4017a-b749-ee11-ad0b-a1422c0f7f1f', externalDocumentNumber: 'SO-000001' }, { id: 'b6f4017a-b749-ee11-ad0b-a1422c0f7f20', externalDocumentNumber: 'SO-000001' }] });
    const [outcome] = await bc().upsert('salesOrders', [{ hubId: 'o', payload: mapped({ externalDocumentNumber: 'SO-000001', customerId: 'c04c550b-593f-ee11-be74-6045bdc8c285' }) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'permanent', code: 'ambiguous_lookup' });
  });
});

describe('Business Central sales orders: deep insert, lines through their own endpoint', () => {
  const ORDER = 'b6f4017a-b749-ee11-ad0b-a1422c0f7f1f';
  const CUSTOMER = 'c04c550b-593f-ee11-be74-6045bdc8c285';
  const line = (id: string, sequence: number, number: string, quantity: number, unitPrice: number) => ({ '@odata.etag': `W/"JzE5O${sequence}MDsn"`, id, documentId: ORDER, sequence, itemId: '0ea6738a-44e3-ea11-bb43-000d3a2feca1', accountId: '00000000-0000-0000-0000-000000000000', lineType: 'Item', lineObjectNumber: number, description: 'ATLANTA Whiteboard, base', unitOfMeasureCode: 'PCS', quantity, unitPrice, discountAmount: 0, discountPercent: 0, amountExcludingTax: quantity * unitPrice });
  const order = { '@odata.etag': 'W/"JzE5OzQ0MDsn"', id: ORDER, number: '101005', externalDocumentNumber: 'SO-000001', orderDate: '2023-09-01', customerId: CUSTOMER, customerNumber: '10000', currencyCode: 'GBP', requestedDeliveryDate: '0001-01-01', status: 'Draft', lastModifiedDateTime: '2023-09-02T17:49:38.5Z' };
  const payload = (lines: Record<string, unknown>[]) => mapped({ externalDocumentNumber: 'SO-000001', customerId: CUSTOMER, orderDate: '2023-09-01', currencyCode: 'GBP', salesOrderLines: lines });

  it('creates an order with its lines in one POST', async () => {
    token();
    api().get(`${ROOT}/${C}/salesOrders`).query({ $filter: "externalDocumentNumber eq 'SO-000001'", $expand: 'salesOrderLines' }).reply(200, { value: [] });
    const seen = batch((rs) => [ok(rs[0]!.id, 201, order)]);
    const lines = [{ lineType: 'Item', lineObjectNumber: '1996-S', quantity: 12, unitPrice: 1397.3, discountPercent: 0 }, { lineType: 'Item', lineObjectNumber: '1900-S', quantity: 3, unitPrice: 192.8, discountPercent: 5 }];
    const [outcome] = await bc().upsert('salesOrders', [{ hubId: 'o', payload: payload(lines) }]);
    expect(outcome).toEqual({ ok: true, externalId: ORDER });
    expect(seen.body).toEqual({ requests: [{ method: 'POST', id: '0.0', url: `${C}/salesOrders`, headers: { 'Content-Type': 'application/json' }, body: { externalDocumentNumber: 'SO-000001', customerId: CUSTOMER, orderDate: '2023-09-01', currencyCode: 'GBP', salesOrderLines: lines } }] });
  });

  it('updates a changed line with its etag, adds a new one, deletes the surplus, and leaves the unchanged header and lines alone', async () => {
    token(2);
    const l1 = line('1e8cb9c0-44e3-ea11-bb43-000d3a2feca1', 10000, '1996-S', 12, 1397.3);
    const l2 = line('1e8cb9c0-44e3-ea11-bb43-000d3a2feca2', 20000, '1900-S', 3, 192.8);
    const l3 = line('1e8cb9c0-44e3-ea11-bb43-000d3a2feca3', 30000, '1908-S', 1, 190.1);
    const answerAll = (rs: { id: string; method?: string }[]) => rs.map((r) => (r.method === 'DELETE' ? ok(r.id, 204) : ok(r.id, r.method === 'POST' ? 201 : 200, {})));
    const find = (lines: unknown[]) => api().get(`${ROOT}/${C}/salesOrders`).query({ $filter: `id eq ${ORDER}`, $expand: 'salesOrderLines' }).reply(200, { value: [{ ...order, salesOrderLines: lines }] });
    const connector = bc();

    // BC's lines come in any order: they are matched to the hub's by sequence.
    find([l2, l1]);
    const grow = batch(answerAll);
    const wanted = [{ lineType: 'Item', lineObjectNumber: '1996-S', quantity: 7, unitPrice: 1397.3 }, { lineType: 'Item', lineObjectNumber: '1900-S', quantity: 3, unitPrice: 192.8 }, { lineType: 'Item', lineObjectNumber: '1908-S', quantity: 2, unitPrice: 190.1 }];
    expect(await connector.upsert('salesOrders', [{ hubId: 'o', externalId: ORDER, payload: payload(wanted) }])).toEqual([{ ok: true, externalId: ORDER }]);
    expect(grow.body).toEqual({
      requests: [
        { method: 'PATCH', id: '0.0', url: `${C}/salesOrders(${ORDER})/salesOrderLines(${l1.id})`, headers: { 'Content-Type': 'application/json', 'If-Match': l1['@odata.etag'] }, body: { quantity: 7 } },
        { method: 'POST', id: '0.1', url: `${C}/salesOrders(${ORDER})/salesOrderLines`, headers: { 'Content-Type': 'application/json' }, body: wanted[2] },
      ],
    });

    find([l3, l1, l2]);
    const shrink = batch(answerAll);
    expect(await connector.upsert('salesOrders', [{ hubId: 'o', externalId: ORDER, payload: payload(wanted.slice(0, 2).map((l) => ({ ...l, quantity: 12 }))) }])).toEqual([{ ok: true, externalId: ORDER }]);
    expect(shrink.body).toEqual({
      requests: [
        { method: 'PATCH', id: '0.0', url: `${C}/salesOrders(${ORDER})/salesOrderLines(${l2.id})`, headers: { 'Content-Type': 'application/json', 'If-Match': l2['@odata.etag'] }, body: { quantity: 12 } },
        { method: 'DELETE', id: '0.1', url: `${C}/salesOrders(${ORDER})/salesOrderLines(${l3.id})`, headers: { 'If-Match': l3['@odata.etag'] } },
      ],
    });
  });

  it('a line BC refuses fails the order, naming the code but not the item', async () => {
    token();
    api().get(`${ROOT}/${C}/salesOrders`).query({ $filter: "externalDocumentNumber eq 'SO-000001'", $expand: 'salesOrderLines' }).reply(200, { value: [] });
    batch((rs) => [refused(rs[0]!.id, 400, 'Internal_InvalidTableRelation', 'The field No. of table Sales Line contains a value (ZZ-404) that cannot be found in the related table (Item).')]);
    const [outcome] = await bc().upsert('salesOrders', [{ hubId: 'o', payload: payload([{ lineType: 'Item', lineObjectNumber: 'zz-404', quantity: 1 }]) }]);
    expect(outcome).toEqual({ ok: false, kind: 'permanent', code: 'validation', message: 'Business Central answered salesOrders POST with 400 Internal_InvalidTableRelation: The field No. of table Sales Line contains a value (…) that cannot be found in the related table (…). (CorrelationId 1f7c5d1e-3b0a-4c39-9a51-5e3f2b6c7d80)' });
  });

  it('does not make a linked order again that BC no longer holds (posted orders are deleted)', async () => {
    token();
    api().get(`${ROOT}/${C}/salesOrders`).query({ $filter: `id eq ${ORDER}`, $expand: 'salesOrderLines' }).reply(200, { value: [] });
    const [outcome] = await bc().upsert('salesOrders', [{ hubId: 'o', externalId: ORDER, payload: payload([{ lineType: 'Item', lineObjectNumber: '1996-S', quantity: 1 }]) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'permanent', code: 'gone' });
    // No lookup by external document number, no $batch: nock would refuse either.
  });

  it('refuses to write a read-only entity', async () => {
    await expect(bc().upsert('salesInvoices', [])).rejects.toMatchObject({ code: 'connector_not_writable' });
  });
});
