import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../connectors/http/client.js';
import { createErpnextConnector } from '../../connectors/erpnext/erpnext.js';
import { createHttpConnector, decodeCursor } from '../../connectors/http/http-connector.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * The generic HTTP connector configured for ERPNext's REST resource API, against request and response
 * bodies as Frappe documents them. Each test asserts what the hub sent (path, query, headers, body).
 */

const BASE = 'https://erp.example.com';
const KEY = 'a1b2c3d4e5f6';
const SECRET = 'f6e5d4c3b2a1-secret';
const AUTH = `token ${KEY}:${SECRET}`;

offlineWithNock();

const erp = (timeoutMs?: number) => createErpnextConnector({ baseUrl: BASE, apiKey: KEY, apiSecret: SECRET, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
const api = () => nock(BASE, { reqheaders: { authorization: AUTH, accept: 'application/json' } });

const customer = (name: string, modified: string, customerName: string) => ({
  name,
  customer_name: customerName,
  customer_type: 'Company',
  customer_group: 'Commercial',
  territory: 'Germany',
  tax_id: 'DE811234567',
  default_currency: 'EUR',
  disabled: 0,
  modified,
});

const M1 = '2026-11-20 09:00:00.000000';
const M2 = '2026-11-20 10:15:03.512874';
const M3 = '2026-11-21 08:00:00.000000';
const LIST = { fields: '["*"]', order_by: 'modified asc, name asc' };
const after = (modified: string, name: string) => ({
  filters: JSON.stringify([['modified', '>=', modified]]),
  or_filters: JSON.stringify([
    ['modified', '>', modified],
    ['name', '>', name],
  ]),
});

describe('ERPNext read: watermark cursor', () => {
  it('pages across three reads through a tie on `modified` without skipping or repeating', async () => {
    const a = customer('CUST-2026-00001', M1, 'Acme GmbH');
    const b = customer('CUST-2026-00002', M2, 'Beta AG');
    const c = customer('CUST-2026-00003', M2, 'Gamma KG');
    const d = customer('CUST-2026-00004', M2, 'Delta SE');
    const e = customer('CUST-2026-00005', M3, 'Epsilon GmbH');
    const scope = api()
      .get('/api/resource/Customer')
      .query({ ...LIST, limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [a, b] })
      .get('/api/resource/Customer')
      .query({ ...LIST, ...after(M2, b.name), limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [c, d] })
      .get('/api/resource/Customer')
      .query({ ...LIST, ...after(M2, d.name), limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [e] })
      .get('/api/resource/Customer')
      .query({ ...LIST, ...after(M3, e.name), limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [] });

    const connector = erp();
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let read = 0; read < 4; read++) {
      const page = await connector.read('Customer', cursor, 2);
      seen.push(...page.records.map((r) => String(r['name'])));
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
    expect(seen).toEqual([a.name, b.name, c.name, d.name, e.name]);
    expect(decodeCursor(cursor ?? '')).toEqual({ modified: M3, key: e.name });
    scope.done();
  });

  it('drops rows at or before the watermark that a server still returns, and pages on to fill the read', async () => {
    // A plainer API: `modified_since` is inclusive, so the last row read comes back.
    const client = createHttpClient({ baseUrl: BASE, auth: { kind: 'bearer', token: 'tok' } });
    const connector = createHttpConnector({
      name: 'plain',
      client,
      entities: {
        customers: {
          list: { path: '/v1/customers', recordsField: 'items', since: { param: 'modified_since' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' }, pageSize: 2 },
        },
      },
    });
    const b = customer('B', M2, 'Beta AG');
    const c = customer('C', M2, 'Gamma KG');
    const d = customer('D', M3, 'Delta SE');
    const cursor = Buffer.from(JSON.stringify({ m: M2, k: 'B' })).toString('base64url');
    const scope = nock(BASE)
      .get('/v1/customers')
      .matchHeader('authorization', 'Bearer tok')
      .query({ modified_since: M2, offset: '0', limit: '2' })
      .reply(200, { items: [b, c] })
      .get('/v1/customers')
      .query({ modified_since: M2, offset: '2', limit: '2' })
      .reply(200, { items: [d] });
    const page = await connector.read('customers', cursor, 2);
    expect(page.records.map((r) => r['name'])).toEqual(['C', 'D']);
    expect(decodeCursor(page.cursor ?? '')).toEqual({ modified: M3, key: 'D' });
    scope.done();
  });

  it('a 503 while reading is retryable; a foreign cursor is permanent', async () => {
    api().get('/api/resource/Sales%20Order').query(true).reply(503, { exc_type: 'ServiceUnavailable' });
    const error = await rejection(erp().read('Sales Order', null, 50));
    expect(error).toMatchObject({ kind: 'retryable', code: 'connector_unavailable' });
    expect((await rejection(erp().read('Customer', 'not-a-cursor', 50))).code).toBe('connector_bad_cursor');
  });
});

describe('reads from a point in time (backfill --since)', () => {
  it('ERPNext: starts 2 h early in the site time zone, as Frappe writes `modified`, and keeps rows stamped exactly then', async () => {
    // 2026-03-29 10:00 UTC is 12:00 in Berlin (summer time); two hours earlier: 10:00:00.000000 Berlin.
    const connector = createErpnextConnector({ baseUrl: BASE, apiKey: KEY, apiSecret: SECRET, timeZone: 'Europe/Berlin' });
    const cursor = connector.cursorSince!('Customer', '2026-03-29T10:00:00Z');
    expect(decodeCursor(cursor)).toEqual({ modified: '2026-03-29 10:00:00.000000', key: '' });
    const at = customer('CUST-2026-00010', '2026-03-29 10:00:00.000000', 'Exactly Then GmbH');
    const later = customer('CUST-2026-00011', '2026-03-29 12:30:00.000000', 'Later AG');
    const scope = api()
      .get('/api/resource/Customer')
      .query({ ...LIST, ...after('2026-03-29 10:00:00.000000', ''), limit_start: '0', limit_page_length: '100' })
      .reply(200, { data: [at, later] });
    const page = await connector.read('Customer', cursor, 100);
    expect(page.records.map((r) => r['name'])).toEqual([at.name, later.name]);
    scope.done();
    // Winter time: one hour ahead of UTC.
    expect(decodeCursor(connector.cursorSince!('Customer', '2026-01-15T08:30:00.250Z'))).toEqual({ modified: '2026-01-15 07:30:00.250000', key: '' });
  });

  it('ERPNext without a time zone refuses, naming what to configure; a bad date-time is refused too', async () => {
    const error = await rejection(Promise.resolve().then(() => erp().cursorSince!('Customer', '2026-01-01T00:00:00Z')));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_no_modified_format' });
    expect(error.message).toContain('modifiedFormat');
    const tz = createErpnextConnector({ baseUrl: BASE, apiKey: KEY, apiSecret: SECRET, timeZone: 'UTC' });
    expect((await rejection(Promise.resolve().then(() => tz.cursorSince!('Customer', 'last week')))).code).toBe('connector_invalid_since');
  });

  it('ISO 8601: 1 ms before the point in time, so an exclusive since parameter still returns a row stamped exactly then', async () => {
    const client = createHttpClient({ baseUrl: BASE, auth: { kind: 'bearer', token: 'tok' } });
    const connector = createHttpConnector({
      name: 'plain',
      client,
      entities: {
        contacts: {
          list: { path: '/v1/contacts', since: { param: 'updated_since' }, modifiedField: 'updated_at', tieBreakerField: 'id', modifiedFormat: { style: 'iso' }, paging: { style: 'offset', offsetParam: 'offset', limitParam: 'limit' } },
        },
      },
    });
    const cursor = connector.cursorSince!('contacts', '2026-11-01T00:00:00+01:00');
    const scope = nock(BASE)
      .get('/v1/contacts')
      .query({ updated_since: '2026-10-31T22:59:59.999Z', offset: '0', limit: '100' })
      .reply(200, { data: [{ id: 'K-1', updated_at: '2026-10-31T23:00:00.000Z' }, { id: 'K-2', updated_at: '2026-11-02T08:00:00.000Z' }] });
    const page = await connector.read('contacts', cursor, 100);
    expect(page.records.map((r) => r['id'])).toEqual(['K-1', 'K-2']);
    scope.done();
  });
});

describe('ERPNext upsert and delete', () => {
  it('updates an existing doc with PUT and creates a missing one with POST', async () => {
    const existing = { name: 'CUST-2026-00001', customer_name: 'Acme GmbH', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' };
    const fresh = { name: 'CUST-2026-00009', customer_name: 'Neu GmbH', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' };
    const scope = api()
      .matchHeader('content-type', 'application/json')
      .put('/api/resource/Customer/CUST-2026-00001', existing)
      .reply(200, { data: { ...existing, modified: M3 } })
      .put('/api/resource/Customer/CUST-2026-00009', fresh)
      .reply(404, { exc_type: 'DoesNotExistError', exception: 'frappe.exceptions.DoesNotExistError: Customer CUST-2026-00009 not found' })
      .post('/api/resource/Customer', fresh)
      .reply(200, { data: { ...fresh, modified: M3 } });
    const outcomes = await erp().upsert('Customer', [
      { hubId: 'hub-1', payload: mapped(existing) },
      { hubId: 'hub-2', payload: mapped(fresh) },
    ]);
    expect(outcomes).toEqual([
      { ok: true, externalId: 'CUST-2026-00001' },
      { ok: true, externalId: 'CUST-2026-00009' },
    ]);
    // The id upsert reports is the one keyOf gives the same doc when it is read back.
    expect(outcomes.map((o) => o.ok && o.externalId)).toEqual([existing, fresh].map((doc) => erp().keyOf('Customer', { ...doc, modified: M3 })));
    scope.done();
  });

  it('creates with POST straight away when the payload has no key (ERPNext names it)', async () => {
    const payload = { customer_name: 'Serienname AG', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' };
    const scope = api().post('/api/resource/Customer', payload).reply(200, { data: { ...payload, name: 'CUST-2026-00042' } });
    expect(await erp().upsert('Customer', [{ hubId: 'hub-3', payload: mapped(payload) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00042' }]);
    scope.done();
  });

  it('updates a doc ERPNext named itself under its linked name, not by creating another (naming series)', async () => {
    const payload = { customer_name: 'Serienname AG & Co', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' };
    const scope = api()
      .put('/api/resource/Customer/CUST-2026-00042', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00042' } })
      // Also when the payload names another key (the hub's code, which the series replaced): that key
      // stays out of the body, since Frappe applies a `name` in a PUT as a rename of the document.
      .put('/api/resource/Customer/CUST-2026-00043', (body: Record<string, unknown>) => !('name' in body) && body['customer_name'] === payload.customer_name)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00043' } });
    expect(await erp().upsert('Customer', [{ hubId: 'hub-3', payload: mapped(payload), externalId: 'CUST-2026-00042' }, { hubId: 'hub-4', payload: mapped({ ...payload, name: 'C-77' }), externalId: 'CUST-2026-00043' }])).toEqual([
      { ok: true, externalId: 'CUST-2026-00042' },
      { ok: true, externalId: 'CUST-2026-00043' },
    ]);
    scope.done();
    // Gone in ERPNext (404): created again, and the new name reported for the link.
    const again = api()
      .put('/api/resource/Customer/CUST-2026-00042', payload)
      .reply(404, { exc_type: 'DoesNotExistError' })
      .post('/api/resource/Customer', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00099' } });
    expect(await erp().upsert('Customer', [{ hubId: 'hub-3', payload: mapped(payload), externalId: 'CUST-2026-00042' }])).toEqual([{ ok: true, externalId: 'CUST-2026-00099' }]);
    again.done();
  });

  it('with a lookupField, a create first looks for the document holding the hub key: found, it is updated; twice, refused', async () => {
    const connector = createErpnextConnector({ baseUrl: BASE, apiKey: KEY, apiSecret: SECRET, lookupField: 'custom_hub_code' });
    const payload = { customer_name: 'Serienname AG', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany', custom_hub_code: 'C-7' };
    const lookup = { filters: JSON.stringify([['custom_hub_code', '=', 'C-7']]), fields: JSON.stringify(['name', 'custom_hub_code']), limit_page_length: '2' };
    const scope = api()
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [] })
      .post('/api/resource/Customer', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00050' } })
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [{ name: 'CUST-2026-00050', custom_hub_code: 'C-7' }] })
      .put('/api/resource/Customer/CUST-2026-00050', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00050' } });
    expect(await connector.upsert('Customer', [{ hubId: 'h7', payload: mapped(payload) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00050' }]);
    // The same create again (its answer was lost): the lookup finds the document.
    expect(await connector.upsert('Customer', [{ hubId: 'h7', payload: mapped(payload) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00050' }]);
    scope.done();
    api()
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [{ name: 'CUST-2026-00050', custom_hub_code: 'C-7' }, { name: 'CUST-2026-00051', custom_hub_code: 'C-7' }] });
    const [twice] = await connector.upsert('Customer', [{ hubId: 'h7', payload: mapped(payload) }]);
    expect(twice).toMatchObject({ ok: false, kind: 'permanent', code: 'ambiguous_lookup' });
    expect(JSON.stringify(twice)).not.toContain('C-7');
    // Rows that do not show the same value (a server ignoring the filter) are never taken for this record.
    const unrelated = api()
      .get('/api/resource/Customer')
      .query(lookup)
      .reply(200, { data: [{ name: 'CUST-2026-00001' }, { name: 'CUST-2026-00002', custom_hub_code: 'C-8' }] })
      .post('/api/resource/Customer', payload)
      .reply(200, { data: { ...payload, name: 'CUST-2026-00052' } });
    expect(await connector.upsert('Customer', [{ hubId: 'h7', payload: mapped(payload) }])).toEqual([{ ok: true, externalId: 'CUST-2026-00052' }]);
    unrelated.done();
  });

  it('an Item is addressed by its item_code, not by a linked name of another field', async () => {
    const item = { item_code: 'W-9', item_name: 'Widget 9', item_group: 'Products', stock_uom: 'Nos' };
    const scope = api().put('/api/resource/Item/W-9', item).reply(200, { data: { ...item, name: 'W-9' } });
    expect(await erp().upsert('Item', [{ hubId: 'hub-9', payload: mapped(item), externalId: 'W-9-old' }])).toEqual([{ ok: true, externalId: 'W-9' }]);
    scope.done();
  });

  it('a 417 ValidationError in a batch of three fails that record only; the others land', async () => {
    const item = (code: string, rate: number) => ({ item_code: code, item_name: `Widget ${code}`, item_group: 'Products', stock_uom: 'Nos', standard_rate: rate });
    const scope = api()
      .put('/api/resource/Item/W-1', item('W-1', 10))
      .reply(200, { data: { ...item('W-1', 10), name: 'W-1' } })
      .put('/api/resource/Item/W-2', item('W-2', -5))
      .reply(417, {
        exc_type: 'ValidationError',
        exception: 'frappe.exceptions.ValidationError: Standard Selling Rate -5 must not be negative',
        _server_messages: JSON.stringify([JSON.stringify({ message: 'Standard Selling Rate -5 must not be negative', indicator: 'red' })]),
      })
      .put('/api/resource/Item/W-3', item('W-3', 30))
      .reply(200, { data: { ...item('W-3', 30), name: 'W-3' } });
    const outcomes = await erp().upsert(
      'Item',
      ['W-1', 'W-2', 'W-3'].map((code, i) => ({ hubId: `hub-${i}`, payload: mapped(item(code, code === 'W-2' ? -5 : (i + 1) * 10)) })),
    );
    expect(outcomes).toEqual([
      { ok: true, externalId: 'W-1' },
      { ok: false, kind: 'permanent', code: 'validation', message: 'PUT answered 417 (ValidationError)' },
      { ok: true, externalId: 'W-3' },
    ]);
    scope.done();
  });

  it('a 429 stops the batch: the rest are retryable with the same Retry-After and not sent', async () => {
    const scope = api()
      .put('/api/resource/Item/W-1')
      .reply(200, { data: { name: 'W-1' } })
      .put('/api/resource/Item/W-2')
      .reply(429, { exc_type: 'RateLimitExceededError' }, { 'Retry-After': '30' });
    const payload = (code: string) => ({ item_code: code, item_name: code, item_group: 'Products', stock_uom: 'Nos' });
    const outcomes = await erp().upsert('Item', ['W-1', 'W-2', 'W-3'].map((code) => ({ hubId: code, payload: mapped(payload(code)) })));
    const throttled = { ok: false, kind: 'retryable', code: 'rate_limited', message: 'PUT answered 429 (RateLimitExceededError)', retryAfterMs: 30_000 };
    // W-3 was never sent: marked so, its retry spends no attempt.
    expect(outcomes).toEqual([{ ok: true, externalId: 'W-1' }, throttled, { ...throttled, attempted: false }]);
    scope.done();
  });

  it('a timeout or a connection reset while writing is a retryable outcome', async () => {
    const payload = { name: 'CUST-2026-00001', customer_name: 'Acme GmbH' };
    api().put('/api/resource/Customer/CUST-2026-00001').delay(400).reply(200, { data: payload });
    expect(await erp(50).upsert('Customer', [{ hubId: 'h', payload: mapped(payload) }])).toEqual([
      { ok: false, kind: 'retryable', code: 'timeout', message: 'PUT request timed out after 50 ms' },
    ]);
    nock.cleanAll();
    api().put('/api/resource/Customer/CUST-2026-00001').replyWithError({ code: 'ECONNRESET' });
    const [outcome] = await erp().upsert('Customer', [{ hubId: 'h', payload: mapped(payload) }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'retryable', code: 'connection_reset' });
  });

  it('401 while writing throws unauthorized instead of failing record by record', async () => {
    api().put('/api/resource/Customer/X').reply(401, { exc_type: 'AuthenticationError' });
    const error = await rejection(erp().upsert('Customer', [{ hubId: 'h', payload: mapped({ name: 'X' }) }]));
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(SECRET);
  });

  it('deletes by name, encoding the doctype and the key; a doc already gone counts as deleted', async () => {
    const scope = api()
      .delete('/api/resource/Sales%20Order/SAL-ORD-2026-00001')
      .reply(202, { message: 'ok' })
      .delete('/api/resource/Sales%20Order/SAL-ORD-2026-00002')
      .reply(404, { exc_type: 'DoesNotExistError' })
      .delete('/api/resource/Sales%20Order/SAL-ORD-2026-00003')
      .reply(417, { exc_type: 'LinkExistsError' });
    const outcomes = await erp().delete!('Sales Order', ['SAL-ORD-2026-00001', 'SAL-ORD-2026-00002', 'SAL-ORD-2026-00003']);
    expect(outcomes).toEqual([
      { ok: true, externalId: 'SAL-ORD-2026-00001' },
      { ok: true, externalId: 'SAL-ORD-2026-00002' },
      { ok: false, kind: 'permanent', code: 'validation', message: 'DELETE answered 417 (LinkExistsError)' },
    ]);
    scope.done();
  });
});

describe('ERPNext check, describe, close', () => {
  it('check() asks frappe.auth.get_logged_user with the token header', async () => {
    const scope = api().get('/api/method/frappe.auth.get_logged_user').reply(200, { message: 'hub-integration@example.com' });
    await erp().check();
    scope.done();
  });

  it.each([401, 403])('check() on %i throws a permanent `unauthorized` that names no credential', async (status) => {
    api().get('/api/method/frappe.auth.get_logged_user').reply(status, { exc_type: 'AuthenticationError', exception: `bad token ${KEY}:${SECRET}` });
    const error = await rejection(erp().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(new RegExp(`${KEY}|${SECRET}`));
  });

  it('check() on an unreachable server is retryable', async () => {
    api().get('/api/method/frappe.auth.get_logged_user').replyWithError({ code: 'ECONNREFUSED' });
    expect(await rejection(erp().check())).toMatchObject({ kind: 'retryable', code: 'connector_network' });
  });

  it('keyOf names a read doc as upsert names it: by `name`, and an Item by its item_code when the row lacks a name', () => {
    const connector = erp();
    expect(connector.keyOf('Customer', customer('CUST-2026-00001', M1, 'Acme GmbH'))).toBe('CUST-2026-00001');
    expect(connector.keyOf('Item', { name: 'W-1', item_code: 'W-1', modified: M1 })).toBe('W-1');
    expect(connector.keyOf('Item', { item_code: 'W-2' })).toBe('W-2');
    let error: unknown;
    try {
      connector.keyOf('Sales Order', { customer: 'CUST-2026-00001', grand_total: 100 });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_invalid_record', message: 'erpnext Sales Order record lacks name' });
    expect((error as Error).message).not.toContain('CUST');
  });

  it('counts with frappe.client.get_count: the whole doctype (submitted and cancelled orders), then modified ≥ the watermark (an estimate for progress)', async () => {
    const scope = api()
      .get('/api/method/frappe.client.get_count')
      .query({ doctype: 'Sales Order', filters: JSON.stringify([['docstatus', 'in', [1, 2]]]) })
      .reply(200, { message: 1234 })
      .get('/api/method/frappe.client.get_count')
      .query({ doctype: 'Sales Order', filters: JSON.stringify([['docstatus', 'in', [1, 2]], ['modified', '>=', M2]]) })
      .reply(200, { message: 17 });
    const connector = erp();
    expect(await connector.count!('Sales Order', null)).toBe(1234);
    expect(await connector.count!('Sales Order', Buffer.from(JSON.stringify({ m: M2, k: 'SO-0001' })).toString('base64url'))).toBe(17);
    scope.done();
    api().get('/api/method/frappe.client.get_count').query(true).reply(200, { message: 'many' });
    expect(await rejection(connector.count!('Customer', null))).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
  });

  it('describes its doctypes, and refuses use after close()', async () => {
    const connector = erp();
    expect(connector.describe()).toEqual({
      connector: 'erpnext',
      entities: {
        // Customer and Sales Order are named by ERPNext (naming series): a retried create finds its document through the lookup field.
        Customer: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['tax_id', 'customer_name'], createRetry: 'lookup', upsertKey: 'custom_hub_code' },
        // A customer's contact persons (ERPNext names them "<full name>-<customer>").
        Contact: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: [], createRetry: 'lookup', upsertKey: 'custom_hub_code' },
        Item: { read: true, write: true, detectChanges: true, detectDeletes: false, naturalKeys: ['item_code'], createRetry: 'key', upsertKey: 'item_code' },
        // A cancelled order (docstatus 2) is reported as a delete, as a cancelled invoice is.
        'Sales Order': { read: true, write: true, detectChanges: true, detectDeletes: true, naturalKeys: [], createRetry: 'lookup', upsertKey: 'custom_hub_code' },
        // Read only; a cancelled invoice or payment entry (docstatus 2) is reported as a delete.
        'Sales Invoice': { read: true, write: false, detectChanges: true, detectDeletes: true, naturalKeys: ['name'] },
        'Payment Entry': { read: true, write: false, detectChanges: true, detectDeletes: true, naturalKeys: [] },
        Bin: { read: true, write: false, detectChanges: true, detectDeletes: false, naturalKeys: ['item_code', 'warehouse'] },
      },
    });
    await connector.close();
    expect((await rejection(connector.read('Customer', null, 10))).code).toBe('connector_closed');
  });
});
