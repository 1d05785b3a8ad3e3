import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createConnector } from '../../connectors/config.js';
import type { Connector } from '../../connectors/contract.js';
import { configErrorOf } from '../fixtures/config-error.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * The Business Central connector against request and answer bodies as Microsoft documents them
 * (Microsoft Learn, Business Central API v2.0 reference: "Get customers", "Get items", "Get
 * itemLedgerEntries", "Get customerPayments"; "Working with API limits"; "Using filter expressions in
 * OData URIs"; "Server-driven paging"; the error codes table; Microsoft identity platform "OAuth 2.0
 * client credentials flow" and its AADSTS error codes). Each test asserts what the hub sent.
 */

offlineWithNock();

const TENANT = '7e1a5b2c-4d3f-4e6a-9b8c-0d1e2f3a4b5c';
const COMPANY = 'a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1';
const API = 'https://api.businesscentral.dynamics.com';
const ROOT = `/v2.0/${TENANT}/production/api/v2.0`;
const LOGIN = 'https://login.microsoftonline.com';
const TOKEN_PATH = `/${TENANT}/oauth2/v2.0/token`;
const CLIENT_ID = '3f9c1e2a-7b44-4f0e-9d51-0c6a2b8e1f70';
const SECRET = 'Qx8Q~s3cr3t.value';
const SCOPE = 'https://api.businesscentral.dynamics.com/.default';

const bc = (extra: Record<string, unknown> = {}, env: Record<string, string> = {}): Connector =>
  createConnector('bc', { type: 'businesscentral', tenantId: TENANT, companyId: COMPANY, clientIdEnv: 'BC_ID', clientSecretEnv: 'BC_SECRET', ...extra } as never, { BC_ID: CLIENT_ID, BC_SECRET: SECRET, ...env });

/** The token request as Entra ID documents it (client_secret_post), answered with a token. */
function token(value: string, times = 1): nock.Scope {
  return nock(LOGIN)
    .post(TOKEN_PATH, (body) => {
      const form = typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : body;
      expect(form).toEqual({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET, scope: SCOPE });
      return true;
    })
    .times(times)
    .reply(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: value });
}

const api = (bearer: string) => nock(API, { reqheaders: { authorization: `Bearer ${bearer}`, accept: 'application/json' } });

// The documented customer (v2.0 "Get customers" example) and two more, with etags as BC answers them.
const adatum = {
  '@odata.etag': 'W/"JzQ0O1paaDBYNnF4bnpodFhyVyt3U0ZtUDdzZEZ0c1U5Q2Nnc3I5bjZWbDM3Rzg9MTswMDsn"',
  id: 'f2a5738a-44e3-ea11-bb43-000d3a2feca1', number: '10000', displayName: 'Adatum Corporation', type: 'Company', addressLine1: '192 Market Square', addressLine2: '', city: 'Atlanta', state: 'GA', country: 'US', postalCode: '31772',
  phoneNumber: '', email: 'robert.townes@contoso.com', website: '', taxLiable: true, taxAreaId: '90196a90-44e3-ea11-bb43-000d3a2feca1', taxAreaDisplayName: 'ATLANTA, GA', taxRegistrationNumber: '',
  currencyId: '00000000-0000-0000-0000-000000000000', currencyCode: 'USD', paymentTermsId: '04a5738a-44e3-ea11-bb43-000d3a2feca1', shipmentMethodId: '00000000-0000-0000-0000-000000000000',
  paymentMethodId: '3b196a90-44e3-ea11-bb43-000d3a2feca1', blocked: ' ', lastModifiedDateTime: '2020-08-21T07:38:44.293Z',
};
const customer = (id: string, number: string, name: string, modified: string) => ({ ...adatum, '@odata.etag': `W/"JzIwOz${number}MTswMDsn"`, id, number, displayName: name, lastModifiedDateTime: modified });
const trey = customer('f3a5738a-44e3-ea11-bb43-000d3a2feca1', '20000', 'Trey Research', '2020-08-21T07:38:44.7Z');
// Same instant as Trey: the order between them is BC's (by id, as SQL Server sorts GUIDs).
const school = customer('0aa5738a-44e3-ea11-bb43-000d3a2feca2', '30000', 'School of Fine Art', '2020-08-21T07:38:44.7Z');
const alpine = customer('f4a5738a-44e3-ea11-bb43-000d3a2feca1', '40000', 'Alpine Ski House', '2020-08-22T10:00:00Z');

const CUSTOMERS = `${ROOT}/companies(${COMPANY})/customers`;
const ORDER = { $orderby: 'lastModifiedDateTime,id' };
const page = (value: unknown[], next?: string) => ({ '@odata.context': `${API}${ROOT}/$metadata#companies(${COMPANY})/customers`, value, ...(next ? { '@odata.nextLink': next } : {}) });

describe('Business Central reads: lastModifiedDateTime, next links kept in the cursor', () => {
  it('asks in lastModifiedDateTime, id order with a page size, follows the next link verbatim inside a tie, then asks gt the last instant', async () => {
    const next = `${API}${CUSTOMERS}?$orderby=lastModifiedDateTime,id&$skiptoken=%27f3a5738a-44e3-ea11-bb43-000d3a2feca1%27`;
    const tokens = token('tok-1');
    const scope = api('tok-1')
      .get(`${CUSTOMERS}`)
      .query(ORDER)
      .matchHeader('prefer', 'odata.maxpagesize=2')
      .reply(200, page([adatum, trey], next))
      .get(`${CUSTOMERS}`)
      .query({ ...ORDER, $skiptoken: "'f3a5738a-44e3-ea11-bb43-000d3a2feca1'" })
      .matchHeader('prefer', 'odata.maxpagesize=2')
      .reply(200, page([school, alpine]))
      .get(`${CUSTOMERS}`)
      .query({ ...ORDER, $filter: 'lastModifiedDateTime gt 2020-08-22T10:00:00Z' })
      .reply(200, page([]));
    const c = bc();
    const first = await c.read('customers', null, 2);
    expect(first.records.map((r) => r['number'])).toEqual(['10000', '20000']);
    // A full page: the cursor holds BC's next link, so the rest of the tie at 07:38:44.7 comes next.
    const second = await c.read('customers', first.cursor, 2);
    expect(second.records.map((r) => r['number'])).toEqual(['30000', '40000']);
    const idle = await c.read('customers', second.cursor, 2);
    expect(idle).toEqual({ records: [], cursor: second.cursor });
    expect(first.records.map((r) => c.keyOf('customers', r))).toEqual([adatum.id, trey.id]);
    scope.done();
    tokens.done();
  });

  it('drops a record at the cursor instant that the gt filter still answers, and refuses records out of order', async () => {
    token('tok-1');
    api('tok-1')
      .get(CUSTOMERS)
      .query({ ...ORDER, $filter: 'lastModifiedDateTime gt 2020-08-21T07:38:44.700Z' })
      // BC trims trailing zeros (07:38:44.7): the same instant as the cursor's, compared as an instant.
      .reply(200, page([trey, alpine]))
      .get(CUSTOMERS)
      .query({ ...ORDER, $filter: 'lastModifiedDateTime gt 2020-08-22T10:00:00Z' })
      .reply(200, page([{ ...adatum, lastModifiedDateTime: '2020-08-23T00:00:00Z' }, { ...trey, lastModifiedDateTime: '2020-08-22T23:00:00Z' }]));
    const c = bc();
    const since = c.cursorSince!('customers', '2020-08-21T07:38:44.701Z');
    const page1 = await c.read('customers', since, 5);
    expect(page1.records.map((r) => r['number'])).toEqual(['40000']);
    const error = await rejection(c.read('customers', page1.cursor, 5));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unordered' });
  });

  it('renews the token once after a 401 and sends the request again; a second 401 is a permanent unauthorized error', async () => {
    token('tok-1');
    token('tok-2');
    const denied = { error: { code: 'Authentication_InvalidCredentials', message: 'The server has rejected the client credentials.  CorrelationId:  0e82377d-b2af-437d-be1d-71c99ea29421.' } };
    api('tok-1').get(CUSTOMERS).query(ORDER).reply(401, denied);
    api('tok-2').get(CUSTOMERS).query(ORDER).reply(200, page([adatum]));
    const c = bc();
    expect((await c.read('customers', null, 10)).records).toHaveLength(1);

    token('tok-3');
    api('tok-2').get(CUSTOMERS).query(ORDER).reply(401, denied);
    api('tok-3').get(CUSTOMERS).query(ORDER).reply(401, denied);
    const error = await rejection(c.read('customers', null, 10));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(error.message).toContain('Authentication_InvalidCredentials');
    expect(error.message).toContain('register the Microsoft Entra application');
  });

  it('honours Retry-After on a 429, and refuses an answer without a value array as permanent, keeping nothing', async () => {
    token('tok-1');
    api('tok-1').get(CUSTOMERS).query(ORDER).reply(429, { error: { code: 'Application_TooManyRequests', message: 'Too many requests' } }, { 'Retry-After': '30' });
    api('tok-1').get(CUSTOMERS).query(ORDER).reply(200, { '@odata.context': 'x', values: [adatum] });
    api('tok-1').get(CUSTOMERS).query(ORDER).reply(504, '');
    const c = bc();
    expect(await rejection(c.read('customers', null, 10))).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: 30_000 });
    const malformed = await rejection(c.read('customers', null, 10));
    expect(malformed).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
    expect(malformed.message).toContain('no "value" array');
    expect(await rejection(c.read('customers', null, 10))).toMatchObject({ kind: 'retryable', code: 'connector_gateway_timeout' });
  });

  it('a cursor it did not issue, or of another entity, is refused', async () => {
    const c = bc();
    expect(await rejection(c.read('customers', 'nope', 5))).toMatchObject({ kind: 'permanent', code: 'connector_bad_cursor' });
    const stock = c.cursorSince!('inventory', '2026-01-01T00:00:00Z');
    expect(await rejection(c.read('customers', stock, 5))).toMatchObject({ code: 'connector_bad_cursor' });
  });
});

describe('Business Central sales invoices, payments and stock', () => {
  const invoice = (over: Record<string, unknown>) => ({
    '@odata.etag': 'W/"JzE5OzEyMzQ1Njc4OTA7MDA7Jw=="', id: '9e0f5c9c-44e3-ea11-bb43-000d3a2feca1', number: 'PS-INV103001', externalDocumentNumber: '', invoiceDate: '2019-01-15', postingDate: '2019-01-15', dueDate: '2019-01-15',
    customerId: 'f3a5738a-44e3-ea11-bb43-000d3a2feca1', customerNumber: '20000', customerName: 'Trey Research', currencyId: '00000000-0000-0000-0000-000000000000', currencyCode: 'USD', orderId: '00000000-0000-0000-0000-000000000000', orderNumber: '',
    remainingAmount: 0, totalAmountExcludingTax: 164.7, totalTaxAmount: 8.24, totalAmountIncludingTax: 172.94, status: 'Paid', lastModifiedDateTime: '2020-08-21T00:25:58.337Z', ...over,
  });

  it('reads posted invoices only, and reports a Canceled or Corrective one as deleted', async () => {
    token('tok-1');
    const draft = invoice({ id: '9e0f5c9c-44e3-ea11-bb43-000d3a2feca2', number: 'S-INV1001', status: 'Draft', lastModifiedDateTime: '2020-08-21T00:26:00Z' });
    const canceled = invoice({ id: '9e0f5c9c-44e3-ea11-bb43-000d3a2feca3', number: 'PS-INV103002', status: 'Canceled', lastModifiedDateTime: '2020-08-21T00:27:00Z' });
    api('tok-1').get(`${ROOT}/companies(${COMPANY})/salesInvoices`).query(ORDER).reply(200, page([invoice({}), draft, canceled]));
    const c = bc();
    const read = await c.read('salesInvoices', null, 10);
    expect(read.records.map((r) => r['number'])).toEqual(['PS-INV103001', 'PS-INV103002']);
    expect(read.records.map((r) => c.isDeleted!('salesInvoices', r))).toEqual([false, true]);
    expect(c.isDeleted!('salesInvoices', invoice({ status: 'Corrective' }))).toBe(true);
  });

  it('reads customer payments below the configured journal, found by its code', async () => {
    token('tok-1');
    const journal = 'f91409ba-1fff-ea11-bb43-000d3a2feca1';
    const payment = { '@odata.etag': 'W/"JzE4OzEwMDA7MDA7Jw=="', id: '17cce948-c6a5-4861-8ff5-30428ed83207', lineNumber: 10000, customerId: 'f3a5738a-44e3-ea11-bb43-000d3a2feca1', customerNumber: '10400', contactId: 'string', postingDate: '2015-12-31', documentNumber: '1234', externalDocumentNumber: '', amount: 1500, appliesToInvoiceId: '9e0f5c9c-44e3-ea11-bb43-000d3a2feca1', appliesToInvoiceNumber: '100000', description: '', comment: '', lastModifiedDateTime: '2017-03-17T19:02:22.043Z' };
    api('tok-1')
      .get(`${ROOT}/companies(${COMPANY})/customerPaymentJournals`)
      .query({ $filter: "code eq 'CASHRCPT'" })
      .reply(200, { value: [{ id: journal, code: 'CASHRCPT', displayName: 'Cash receipts', lastModifiedDateTime: '2020-08-21T00:24:19.347Z' }] })
      .get(`${ROOT}/companies(${COMPANY})/customerPaymentJournals(${journal})/customerPayments`)
      .query(ORDER)
      .reply(200, { value: [payment] });
    const c = bc({ paymentJournal: 'CASHRCPT' });
    expect((await c.read('customerPayments', null, 10)).records).toEqual([payment]);
    // Without a journal BC refuses the request ("You must specify a journal batch ID or a journal ID"): the connector says what to set.
    expect(await rejection(bc().read('customerPayments', null, 10))).toMatchObject({ kind: 'permanent', code: 'connector_no_payment_journal' });
  });

  it('reads stock: a full pass over items after noting the last ledger entry, then only the items new ledger entries name', async () => {
    token('tok-1');
    const item = (number: string, inventory: number) => ({ '@odata.etag': 'W/"JzE5OzE7MDA7Jw=="', id: `fca5738a-44e3-ea11-bb43-000d3a2fec${number.slice(0, 2)}`, number, displayName: `Item ${number}`, type: 'Inventory', blocked: false, inventory, unitPrice: 1000.8, unitCost: 780.7, baseUnitOfMeasureCode: 'PCS', lastModifiedDateTime: '2020-08-21T00:24:19.347Z' });
    const entry = (entryNumber: number, itemNumber: string, quantity: number) => ({ '@odata.etag': 'W/"JzQ0O2ZyaTlPVmR6WUxDOEJyMExqOER1WXgxR0IvanErd0t4WXM0ckpzY20xSkU9MTswMDsn"', id: `44a76d24-52ff-eb11-bb76-000d3a2206${String(entryNumber).padStart(2, '0')}`, entryNumber, itemNumber, postingDate: '2022-06-01', entryType: 'Positive_x0020_Adjmt_x002E_', sourceNumber: '', sourceType: '_x0020_', documentNumber: 'START-MANF', documentType: '_x0020_', description: '', quantity, salesAmountActual: 0, costAmountActual: 25934.2, lastModifiedDateTime: '2021-08-17T11:57:21.73Z' });
    const LEDGER = `${ROOT}/companies(${COMPANY})/itemLedgerEntries`;
    const ITEMS = `${ROOT}/companies(${COMPANY})/items`;
    const next = `${API}${ITEMS}?$orderby=number&$skiptoken=%271100%27`;
    api('tok-1')
      .get(LEDGER).query({ $orderby: 'entryNumber desc', $top: '1' }).reply(200, { value: [entry(7, '1100', 200)] })
      .get(ITEMS).query({ $orderby: 'number' }).matchHeader('prefer', 'odata.maxpagesize=1').reply(200, { value: [item('1100', 200)], '@odata.nextLink': next })
      .get(ITEMS).query({ $orderby: 'number', $skiptoken: "'1100'" }).reply(200, { value: [item('1896-S', 4)] })
      .get(LEDGER).query({ $filter: 'entryNumber gt 7', $orderby: 'entryNumber' }).reply(200, { value: [entry(8, '1896-S', -1), entry(9, '1100', 5), entry(10, '1896-S', -1)] })
      .get(ITEMS).query({ $filter: "number eq '1896-S' or number eq '1100'" }).reply(200, { value: [item('1100', 205), item('1896-S', 2)] })
      .get(LEDGER).query({ $filter: 'entryNumber gt 10', $orderby: 'entryNumber' }).reply(200, { value: [] });
    const c = bc();
    const a = await c.read('inventory', null, 1);
    const b = await c.read('inventory', a.cursor, 1);
    expect([...a.records, ...b.records].map((r) => [r['number'], r['inventory']])).toEqual([['1100', 200], ['1896-S', 4]]);
    const moved = await c.read('inventory', b.cursor, 10);
    expect(moved.records.map((r) => [r['number'], r['inventory']])).toEqual([['1896-S', 2], ['1100', 205]]);
    expect(await c.read('inventory', moved.cursor, 10)).toEqual({ records: [], cursor: moved.cursor });
  });
});

describe('Business Central check()', () => {
  it('passes when the company answers', async () => {
    token('tok-1');
    api('tok-1').get(`${ROOT}/companies(${COMPANY})`).reply(200, { id: COMPANY, systemVersion: '21.2.49946.51685', timestamp: 50516, name: 'CRONUS US', displayName: 'CRONUS USA, Inc.', businessProfileId: '' });
    await expect(bc().check()).resolves.toBeUndefined();
  });

  it('names the tenant, client or secret the token endpoint refused (by AADSTS code), never the secret or the description', async () => {
    const refuse = (status: number, error: string, code: number, description: string) =>
      nock(LOGIN).post(TOKEN_PATH).reply(status, { error, error_description: `AADSTS${code}: ${description} Trace ID: 0b3f`, error_codes: [code], timestamp: '2026-11-21 08:00:00Z' });
    refuse(400, 'invalid_request', 90002, `Tenant '${TENANT}' not found.`);
    const tenant = await rejection(bc().check());
    expect(tenant).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(tenant.message).toContain('invalid_request (AADSTS90002)');
    expect(tenant.message).toContain('tenantId names no Microsoft Entra tenant');

    refuse(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value for app '${CLIENT_ID}'.`);
    const secret = await rejection(bc().check());
    expect(secret.message).toContain('the client secret (clientSecretEnv) is wrong');
    refuse(400, 'unauthorized_client', 700016, `Application with identifier '${CLIENT_ID}' was not found in the directory.`);
    const client = await rejection(bc().check());
    expect(client.message).toContain('no application with this client id');
    for (const e of [tenant, secret, client]) {
      expect(e.message).not.toContain(CLIENT_ID);
      expect(e.message).not.toContain(SECRET);
      expect(e.message).not.toContain('Trace ID');
    }
  });

  it('says a permission is missing (403), the company is unknown (404, the company list answers), or the URL is wrong', async () => {
    token('tok-1', 3);
    api('tok-1').get(`${ROOT}/companies(${COMPANY})`).reply(403, { error: { code: 'Authorization_InsufficientPermissions', message: 'You do not have the following permissions on TableData Company: Read  CorrelationId:  3c5b.' } });
    const forbidden = await rejection(bc().check());
    expect(forbidden).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
    expect(forbidden.message).toContain('Authorization_InsufficientPermissions');

    api('tok-1').get(`${ROOT}/companies(${COMPANY})`).reply(404, { error: { code: 'BadRequest_NotFound', message: 'Bad Request - Error in query syntax.  CorrelationId:  1b2c.' } });
    api('tok-1').get(`${ROOT}/companies`).reply(200, { value: [{ id: '824820a2-508c-ed11-aada-000d3a298ab3', name: 'CRONUS US' }] });
    const company = await rejection(bc().check());
    expect(company).toMatchObject({ kind: 'permanent', code: 'connector_unknown_company' });
    expect(company.message).toContain('companyId names none of the 1 companies');
    expect(company.message).not.toContain('CRONUS');

    const WRONG = '/v2.0/7e1a5b2c-4d3f-4e6a-9b8c-0d1e2f3a4b5c/prod/api/v2.0';
    api('tok-1').get(`${WRONG}/companies(${COMPANY})`).reply(404, 'Not Found').get(`${WRONG}/companies`).reply(404, 'Not Found');
    const url = await rejection(bc({ environment: 'prod' }).check());
    expect(url).toMatchObject({ kind: 'permanent', code: 'connector_not_found' });
    expect(url.message).toContain('check baseUrl, or tenantId and environment');
  });

  it('a server that does not answer is retryable; configuration errors name the field', async () => {
    const c = bc({ baseUrl: 'http://127.0.0.1:1/bc/api/v2.0', tokenUrl: 'http://127.0.0.1:1/token', timeoutMs: 2000 });
    expect(await rejection(c.check())).toMatchObject({ kind: 'retryable' });
    expect(configErrorOf(() => bc({ companyId: 'CRONUS' })).errors).toEqual([{ pointer: '/connectors/bc/companyId', detail: 'must be a GUID (8-4-4-4-12 hexadecimal digits)' }]);
    expect(configErrorOf(() => bc({ baseUrl: 'https://bc.example.com:7048/bc/ODataV4' })).errors).toEqual([{ pointer: '/connectors/bc/baseUrl', detail: 'must be an API v2.0 root ending in /api/v2.0' }]);
    expect(configErrorOf(() => bc({ batchSize: 500 })).errors[0]?.pointer).toBe('/connectors/bc/batchSize');
    expect(configErrorOf(() => bc({}, { BC_SECRET: '' })).errors).toEqual([{ pointer: '/connectors/bc/clientSecretEnv', detail: 'environment variable BC_SECRET is not set' }]);
  });
});
