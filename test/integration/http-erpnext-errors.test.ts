import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createErpnextConnector } from '../../connectors/erpnext/erpnext.js';
import { FRAPPE_RATE_LIMIT_WAIT_MS } from '../../connectors/erpnext/errors.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * Frappe's error answers as the connector reads them: statuses from frappe/exceptions.py, bodies from
 * frappe/utils/response.py (`exc_type`, `exception`, `_server_messages`: a JSON string of a list of
 * JSON strings, each `{"message", "title", "indicator", "raise_exception"}`), the rate limiters of
 * frappe/rate_limiter.py (the `@rate_limit` decorator: 417 RateLimitExceededError; the site limiter:
 * 429 TooManyRequestsError with Retry-After and X-RateLimit-*).
 */

const BASE = 'https://erp.example.com';
const KEY = 'a1b2c3';
const SECRET = 'd4e5f6';
offlineWithNock();

const erp = () => createErpnextConnector({ baseUrl: BASE, apiKey: KEY, apiSecret: SECRET });
const api = () => nock(BASE, { reqheaders: { authorization: `token ${KEY}:${SECRET}` } });
const serverMessages = (...messages: string[]) => JSON.stringify(messages.map((message) => JSON.stringify({ message, title: 'Message', indicator: 'red', raise_exception: 1 })));
const item = (code: string) => ({ item_code: code, item_name: `Widget ${code}`, item_group: 'Products', stock_uom: 'Nos' });
const RATE_LIMITED = {
  exc_type: 'RateLimitExceededError',
  exception: 'frappe.exceptions.RateLimitExceededError: You hit the rate limit because of too many requests. Please try after sometime.',
  _server_messages: serverMessages('You hit the rate limit because of too many requests. Please try after sometime.'),
};

describe('ERPNext rate limits', () => {
  it('a 417 RateLimitExceededError is retryable (rate_limited) after Retry-After; the rest of the batch waits unsent', async () => {
    const scope = api().put('/api/resource/Item/W-1', item('W-1')).reply(417, RATE_LIMITED, { 'Retry-After': '45' });
    const outcomes = await erp().upsert('Item', [
      { hubId: 'a', payload: mapped(item('W-1')) },
      { hubId: 'b', payload: mapped(item('W-2')) },
    ]);
    const limited = { ok: false, kind: 'retryable', code: 'rate_limited', message: 'PUT answered 417 (RateLimitExceededError): You hit the rate limit because of too many requests. Please try after sometime.', retryAfterMs: 45_000 };
    expect(outcomes).toEqual([limited, { ...limited, attempted: false }]);
    scope.done();
  });

  it('without Retry-After it waits X-RateLimit-Reset (the site limiter window), else the default', async () => {
    api().get('/api/resource/Customer').query(true).reply(417, RATE_LIMITED, { 'X-RateLimit-Reset': '12', 'X-RateLimit-Limit': '600000000', 'X-RateLimit-Remaining': '0' });
    expect(await rejection(erp().read('Customer', null, 10))).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: 12_000 });
    api().get('/api/resource/Customer').query(true).reply(417, RATE_LIMITED);
    expect(await rejection(erp().read('Customer', null, 10))).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: FRAPPE_RATE_LIMIT_WAIT_MS });
  });

  it('the site limiter: 429 TooManyRequestsError with Retry-After is retryable after it', async () => {
    api().get('/api/method/frappe.auth.get_logged_user').reply(429, { exc_type: 'TooManyRequestsError', exception: 'frappe.exceptions.TooManyRequestsError' }, { 'Retry-After': '7', 'X-RateLimit-Reset': '7' });
    expect(await rejection(erp().check())).toMatchObject({ kind: 'retryable', code: 'connector_rate_limited', retryAfterMs: 7000 });
  });
});

describe('ERPNext error messages: the human text, never a value', () => {
  it('passes a MandatoryError sentence (doctype and field labels) into the failure', async () => {
    api()
      .post('/api/resource/Item', item('W-9'))
      .reply(417, { exc_type: 'MandatoryError', exception: 'frappe.exceptions.MandatoryError: [Item, W-9]: item_group', _server_messages: serverMessages('Error: Value missing for Item: Item Group') })
      .put('/api/resource/Item/W-9')
      .reply(404, { exc_type: 'DoesNotExistError' });
    const [outcome] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-9')) }]);
    expect(outcome).toEqual({ ok: false, kind: 'permanent', code: 'validation', message: 'POST answered 417 (MandatoryError): Error: Value missing for Item: Item Group' });
  });

  it('strips HTML, keeps several safe sentences, cuts the values of an update-after-submit, drops sentences that quote values', async () => {
    const body = {
      exc_type: 'ValidationError',
      _server_messages: serverMessages(
        'Not allowed to change <strong>Customer</strong> after submission from <strong>Acme GmbH</strong> to <strong>Beta AG</strong>',
        'Could not find Customer: Beta AG',
        "Duplicate entry 'SO-7' for key 'custom_hub_code'",
        'Item <strong>W-1</strong> already exists',
        'Value cannot be negative for Item: Standard Selling Rate',
      ),
    };
    api().put('/api/resource/Item/W-1').reply(417, body);
    const [outcome] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-1')) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'permanent', message: 'PUT answered 417 (ValidationError): Not allowed to change Customer after submission; Value cannot be negative for Item: Standard Selling Rate' });
    expect(JSON.stringify(outcome)).not.toMatch(/Acme|Beta|SO-7|W-1 already|strong/);
  });

  it('drops a sentence that fits a template but holds a value the request sent (a site\'s own validation)', async () => {
    const payload = { ...item('W-2'), item_group: 'Secret Group' };
    api()
      .put('/api/resource/Item/W-2')
      .reply(417, { exc_type: 'ValidationError', _server_messages: serverMessages('Error: Value missing for Secret Group: Price') });
    const [outcome] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(payload) }]);
    expect(outcome).toEqual({ ok: false, kind: 'permanent', code: 'validation', message: 'PUT answered 417 (ValidationError)' });
  });

  it('never reads `exception` or `exc` (they quote values and tracebacks); a bare-string message list is read too', async () => {
    api()
      .put('/api/resource/Item/W-3')
      .reply(417, { exc_type: 'ValidationError', exception: 'frappe.exceptions.ValidationError: W-3 Acme secret', exc: JSON.stringify(['Traceback … Acme secret']), _server_messages: JSON.stringify(['Cannot edit cancelled document']) });
    const [outcome] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-3')) }]);
    expect(outcome).toMatchObject({ message: 'PUT answered 417 (ValidationError): Cannot edit cancelled document' });
    expect(JSON.stringify(outcome)).not.toContain('Acme');
  });
});

describe('ERPNext per-record outcomes', () => {
  it('a 403 PermissionError on one document fails that record only (permanent); the records before and after land', async () => {
    const scope = api()
      .put('/api/resource/Item/W-1', item('W-1'))
      .reply(200, { data: { ...item('W-1'), name: 'W-1' } })
      .put('/api/resource/Item/W-2', item('W-2'))
      .reply(403, { exc_type: 'PermissionError', exception: 'frappe.exceptions.PermissionError', _error_message: 'Insufficient Permission for Item' })
      .put('/api/resource/Item/W-3', item('W-3'))
      .reply(200, { data: { ...item('W-3'), name: 'W-3' } });
    const outcomes = await erp().upsert('Item', ['W-1', 'W-2', 'W-3'].map((c) => ({ hubId: c, payload: mapped(item(c)) })));
    expect(outcomes).toEqual([
      { ok: true, externalId: 'W-1' },
      { ok: false, kind: 'permanent', code: 'forbidden', message: 'PUT answered 403 (PermissionError): Insufficient Permission for Item' },
      { ok: true, externalId: 'W-3' },
    ]);
    scope.done();
  });

  it('a 401 after records were written keeps their outcomes; the rest wait, unsent, as retryable `unauthorized`', async () => {
    const scope = api()
      .put('/api/resource/Item/W-1')
      .reply(200, { data: { ...item('W-1'), name: 'W-1' } })
      .put('/api/resource/Item/W-2')
      .reply(401, { exc_type: 'AuthenticationError' });
    const outcomes = await erp().upsert('Item', ['W-1', 'W-2', 'W-3'].map((c) => ({ hubId: c, payload: mapped(item(c)) })));
    const refused = { ok: false, kind: 'retryable', code: 'unauthorized', message: 'erpnext refused the configured credentials (HTTP 401)', attempted: false };
    expect(outcomes).toEqual([{ ok: true, externalId: 'W-1' }, refused, refused]);
    expect(JSON.stringify(outcomes)).not.toMatch(new RegExp(`${KEY}|${SECRET}`));
    scope.done();
  });

  it('a 409 DuplicateEntryError on a create (made meanwhile) updates the document that is there', async () => {
    const scope = api()
      .put('/api/resource/Item/W-5', item('W-5'))
      .reply(404, { exc_type: 'DoesNotExistError' })
      .post('/api/resource/Item', item('W-5'))
      .reply(409, { exc_type: 'DuplicateEntryError', exception: "frappe.exceptions.DuplicateEntryError: ('Item', 'W-5', IntegrityError(1062, \"Duplicate entry 'W-5' for key 'PRIMARY'\"))", _server_messages: serverMessages('Item <strong>W-5</strong> already exists') })
      .put('/api/resource/Item/W-5', item('W-5'))
      .reply(200, { data: { ...item('W-5'), name: 'W-5' } });
    expect(await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-5')) }])).toEqual([{ ok: true, externalId: 'W-5' }]);
    scope.done();
  });

  it('a customer create answered 409 finds the document through the lookup field and updates it, not a second one', async () => {
    const c = { customer_name: 'Serienname AG', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany', custom_hub_code: 'C-7' };
    const lookup = { filters: JSON.stringify([['custom_hub_code', '=', 'C-7']]), fields: JSON.stringify(['name', 'custom_hub_code']), limit_page_length: '2' };
    const scope = api()
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [] })
      .post('/api/resource/Customer', c)
      .reply(409, { exc_type: 'DuplicateEntryError' })
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [{ name: 'CUST-2026-00050', custom_hub_code: 'C-7' }] })
      .put('/api/resource/Customer/CUST-2026-00050', c)
      .reply(200, { data: { ...c, name: 'CUST-2026-00050' } });
    expect(await erp().upsert('Customer', [{ hubId: 'h', payload: mapped(c) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00050' }]);
    scope.done();
  });
});

describe('ERPNext check() and malformed answers', () => {
  it('check(): a wrong URL (no Frappe there: 404) is permanent and says so; a 403 is unauthorized', async () => {
    api().get('/api/method/frappe.auth.get_logged_user').reply(404, { exc_type: 'PageDoesNotExistError' });
    expect(await rejection(erp().check())).toMatchObject({ kind: 'permanent', code: 'connector_not_found' });
    api().get('/api/method/frappe.auth.get_logged_user').reply(403, { exc_type: 'PermissionError', _error_message: 'Insufficient Permission for User' });
    expect(await rejection(erp().check())).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
  });

  it('a document answer without `data` is refused before anything is written; a write answered without a document is an unknown outcome', async () => {
    const scope = api().get('/api/resource/Sales%20Order/SAL-ORD-2026-00001').reply(200, { message: 'ok' });
    const [read] = await erp().upsert('Sales Order', [{ hubId: 'o', payload: mapped({ custom_hub_code: 'SO-1', customer: 'C', transaction_date: '2026-11-20', items: [] }), externalId: 'SAL-ORD-2026-00001' }]);
    expect(read).toEqual({ ok: false, kind: 'permanent', code: 'invalid_response', message: 'erpnext Sales Order answer names no document' });
    scope.done();
    const c = { customer_name: 'X AG', custom_hub_code: 'C-8' };
    const write = api().put('/api/resource/Customer/CUST-2026-00001').reply(200, { data: [] });
    const [outcome] = await erp().upsert('Customer', [{ hubId: 'h', payload: mapped(c), externalId: 'CUST-2026-00001' }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'retryable', code: 'unknown_outcome' });
    write.done();
  });

  it('a list whose rows go back in `modified` is refused as unordered', async () => {
    api()
      .get('/api/resource/Customer')
      .query(true)
      .reply(200, { data: [{ name: 'B', modified: '2026-11-20 10:00:00.000000' }, { name: 'A', modified: '2026-11-20 09:00:00.000000' }] });
    expect(await rejection(erp().read('Customer', null, 10))).toMatchObject({ kind: 'permanent', code: 'connector_unordered' });
  });
});
