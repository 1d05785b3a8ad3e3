import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createOdooConnector } from '../../connectors/odoo/connector.js';
import { decodeCursor } from '../../connectors/odoo/cursor.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';
import { rejection } from '../fixtures/rejection.js';

/**
 * The Odoo connector over the External JSON-2 API (Odoo 19, docs: developer/reference/external_api):
 * `POST /json/2/<model>/<method>` with `Authorization: bearer <API key>`, `X-Odoo-Database`,
 * `Content-Type: application/json`, a body of named arguments plus `ids` and `context`; the method's
 * value as the answer; errors as HTTP statuses with `{"name", "message", "arguments", "context",
 * "debug"}` (401 Unauthorized "Invalid apikey" as documented; UserError 422, AccessError 403,
 * MissingError 404, LockError 409 per odoo/exceptions.py `http_status`).
 */

const BASE = 'https://mycompany.example.com';
const KEY = '6578616d706c65206a736f6e20617069206b6579';
const DB = 'mycompany';

offlineWithNock();

const odoo = (database: string | null = DB) => createOdooConnector({ baseUrl: BASE, protocol: 'json2', apiKey: KEY, ...(database === null ? {} : { database }) });
const api = () => nock(BASE, { reqheaders: { authorization: `bearer ${KEY}`, 'x-odoo-database': DB, 'content-type': 'application/json', accept: 'application/json' } });
const fault = (name: string, message: string, status: number) => ({ name, message, arguments: [message, status], context: {}, debug: `Traceback (most recent call last):\n  File "/opt/Odoo/community/odoo/http.py", line 2212, in _transactioning\n${name}: ${message}\n` });

describe('Odoo JSON-2 check()', () => {
  it('asks has_access on res.partner with the documented headers', async () => {
    const scope = api().post('/json/2/res.partner/has_access', { operation: 'read' }).reply(200, 'true', { 'content-type': 'application/json; charset=utf-8' });
    await expect(odoo().check()).resolves.toBeUndefined();
    scope.done();
  });

  it('says the key is refused on the documented 401 answer, and names no key', async () => {
    const scope = api().post('/json/2/res.partner/has_access').reply(401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {}, debug: 'Traceback (most recent call last):\n…\nwerkzeug.exceptions.Unauthorized: 401 Unauthorized: Invalid apikey\n' });
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    expect(error.message).toContain('refused the API key');
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain('Traceback');
    scope.done();
  });

  it('says the user may not read partners when has_access answers false', async () => {
    const scope = api().post('/json/2/res.partner/has_access', { operation: 'read' }).reply(200, 'false');
    expect(await rejection(odoo().check())).toMatchObject({ kind: 'permanent', code: 'connector_forbidden' });
    scope.done();
  });

  it('says the URL is wrong where nothing serves /json/2, and where an older Odoo answers the JSON-RPC way', async () => {
    const a = api().post('/json/2/res.partner/has_access').reply(404, '<html>Not Found</html>', { 'content-type': 'text/html' });
    expect(await rejection(odoo().check())).toMatchObject({ kind: 'permanent', code: 'connector_wrong_url' });
    a.done();
    const b = api().post('/json/2/res.partner/has_access').reply(200, { jsonrpc: '2.0', id: null, error: { code: 404, message: '404: Not Found', data: { name: 'werkzeug.exceptions.NotFound', message: '404 Not Found', arguments: [], context: {}, debug: '' } } });
    const error = await rejection(odoo().check());
    expect(error).toMatchObject({ kind: 'permanent', code: 'connector_wrong_url' });
    expect(error.message).toContain('Odoo 19');
    b.done();
  });

  it('sends no X-Odoo-Database header when no database is configured', async () => {
    const scope = nock(BASE, { badheaders: ['x-odoo-database'] }).post('/json/2/res.partner/has_access').reply(200, 'true');
    await expect(odoo(null).check()).resolves.toBeUndefined();
    scope.done();
  });
});

describe('Odoo JSON-2 reads', () => {
  const FIELDS = ['id', 'default_code', 'name', 'description_sale', 'list_price', 'standard_price', 'barcode', 'uom_id', 'sale_ok', 'active', 'write_date'];
  it('posts search_read with domain, fields, order, limit and context by name', async () => {
    const scope = api()
      .post('/json/2/product.product/search_read', { context: { active_test: false }, domain: [], fields: FIELDS, order: 'write_date asc, id asc', limit: 50 })
      .reply(200, [
        { id: 14, default_code: 'BOLT-M8', name: 'Hex bolt M8', description_sale: false, list_price: 0.35, standard_price: 0.2, barcode: false, uom_id: [1, 'Units'], sale_ok: true, active: false, write_date: '2026-11-20 09:00:00' },
      ]);
    const page = await odoo().read('product.product', null, 50);
    expect(page.records).toEqual([{ id: 14, default_code: 'BOLT-M8', name: 'Hex bolt M8', description_sale: null, list_price: 0.35, standard_price: 0.2, barcode: null, uom_id: '1', uom_id_name: 'Units', sale_ok: true, active: false, write_date: '2026-11-20 09:00:00' }]);
    expect(decodeCursor(page.cursor!)).toEqual({ s: '2026-11-20 09:00:00', k: 14, c: true });
    scope.done();
  });

  it('refuses a list answer that is not a list as permanent', async () => {
    const scope = api().post('/json/2/product.product/search_read').reply(200, { records: [] });
    expect(await rejection(odoo().read('product.product', null, 50))).toMatchObject({ kind: 'permanent', code: 'connector_invalid_response' });
    scope.done();
  });

  it('reads a page of orders with their product lines (sections and notes left out)', async () => {
    const scope = api()
      .post('/json/2/sale.order/search_read')
      .reply(200, [{ id: 77, name: 'S00077', client_order_ref: 'SO-1', partner_id: [12, 'Alpha GmbH'], date_order: '2026-11-20 09:14:00', commitment_date: false, validity_date: false, state: 'sale', currency_id: [1, 'EUR'], payment_term_id: false, amount_untaxed: 29.5, amount_tax: 0, amount_total: 29.5, order_line: [301, 302, 303], write_date: '2026-11-20 09:15:00' }])
      .post('/json/2/sale.order.line/search_read', { domain: [['order_id', 'in', [77]]], fields: ['id', 'sequence', 'display_type', 'product_id', 'name', 'product_uom_qty', 'price_unit', 'discount', 'price_subtotal', 'order_id'], order: 'sequence asc, id asc' })
      .reply(200, [
        { id: 303, sequence: 5, display_type: 'line_section', product_id: false, name: 'Hardware', product_uom_qty: 0, price_unit: 0, discount: 0, price_subtotal: 0, order_id: [77, 'S00077'] },
        { id: 301, sequence: 10, display_type: false, product_id: [5, '[P5] Bolt'], name: '[P5] Bolt', product_uom_qty: 2, price_unit: 10, discount: 0, price_subtotal: 20, order_id: [77, 'S00077'] },
        { id: 302, sequence: 11, display_type: false, product_id: [6, '[P6] Nut'], name: '[P6] Nut', product_uom_qty: 1, price_unit: 9.5, discount: 0, price_subtotal: 9.5, order_id: [77, 'S00077'] },
      ]);
    const [order] = (await odoo().read('sale.order', null, 10)).records;
    expect(order?.['order_line']).toEqual([
      { id: 301, sequence: 10, display_type: null, product_id: '5', product_id_name: '[P5] Bolt', name: '[P5] Bolt', product_uom_qty: 2, price_unit: 10, discount: 0, price_subtotal: 20 },
      { id: 302, sequence: 11, display_type: null, product_id: '6', product_id_name: '[P6] Nut', name: '[P6] Nut', product_uom_qty: 1, price_unit: 9.5, discount: 0, price_subtotal: 9.5 },
    ]);
    expect(order).toMatchObject({ partner_id: '12', partner_id_name: 'Alpha GmbH', currency_id_name: 'EUR', commitment_date: null });
    scope.done();
  });
});

describe('Odoo JSON-2 writes and errors', () => {
  const PRODUCT = { default_code: 'BOLT-M8', name: 'Hex bolt M8', list_price: 0.35 };
  const lookup = () => api().post('/json/2/product.product/search_read', { context: { active_test: false }, domain: [['default_code', 'in', ['BOLT-M8']]], fields: ['id', 'default_code'] });

  it('creates with vals_list and writes with ids and vals', async () => {
    const scope = lookup()
      .reply(200, [])
      .post('/json/2/product.product/create', { context: { active_test: false }, vals_list: [PRODUCT] })
      .reply(200, [42])
      .post('/json/2/product.product/write', { ids: [42], context: { active_test: false }, vals: { ...PRODUCT, list_price: 0.4 } })
      .reply(200, 'true');
    const c = odoo();
    expect(await c.upsert('product.product', [{ hubId: 'p1', payload: mapped(PRODUCT) }])).toEqual([{ ok: true, externalId: '42' }]);
    expect(await c.upsert('product.product', [{ hubId: 'p1', payload: mapped({ ...PRODUCT, list_price: 0.4 }), externalId: '42' }])).toEqual([{ ok: true, externalId: '42' }]);
    scope.done();
  });

  it('refuses one record by its status and class: 422 validation, 403 forbidden; 409 and a serialization failure are retryable', async () => {
    const cases: [number, string, string, string, 'permanent' | 'retryable'][] = [
      [422, 'odoo.exceptions.ValidationError', 'Barcode(s) already assigned: 4006381333931', 'validation', 'permanent'],
      [422, 'odoo.exceptions.UserError', 'You cannot change the type of a sale order line.', 'refused', 'permanent'],
      [403, 'odoo.exceptions.AccessError', "You are not allowed to modify 'Product Variant' (product.product) records.", 'forbidden', 'permanent'],
      [409, 'odoo.exceptions.LockError', 'Cannot lock the records.', 'concurrency', 'retryable'],
      [500, 'psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update', 'concurrency', 'retryable'],
    ];
    for (const [status, name, message, code, kind] of cases) {
      const scope = api().post('/json/2/product.product/write').reply(status, fault(name, message, status));
      const [outcome] = await odoo().upsert('product.product', [{ hubId: 'p1', payload: mapped(PRODUCT), externalId: '42' }]);
      expect(outcome).toMatchObject({ ok: false, kind, code });
      expect((outcome as { message: string }).message).not.toContain('Traceback');
      if (name === 'odoo.exceptions.ValidationError') expect((outcome as { message: string }).message).not.toContain('4006381333931');
      if (name === 'odoo.exceptions.UserError') expect((outcome as { message: string }).message).toContain('You cannot change the type of a sale order line.');
      scope.done();
    }
  });

  it('makes a record deleted in Odoo (404 MissingError) again after the lookup', async () => {
    const scope = api()
      .post('/json/2/product.product/write')
      .reply(404, fault('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.', 404))
      .post('/json/2/product.product/search_read')
      .reply(200, [])
      .post('/json/2/product.product/create')
      .reply(200, [43]);
    expect(await odoo().upsert('product.product', [{ hubId: 'p1', payload: mapped(PRODUCT), externalId: '42' }])).toEqual([{ ok: true, externalId: '43' }]);
    scope.done();
  });

  it('throws unauthorized for a 401 in a batch (the key, not the record) and honours Retry-After on 429', async () => {
    const a = lookup().reply(200, []).post('/json/2/product.product/create').reply(401, fault('werkzeug.exceptions.Unauthorized', 'Invalid apikey', 401));
    expect(await rejection(odoo().upsert('product.product', [{ hubId: 'p1', payload: mapped(PRODUCT) }]))).toMatchObject({ kind: 'permanent', code: 'connector_unauthorized' });
    a.done();
    const b = lookup().reply(429, fault('werkzeug.exceptions.TooManyRequests', 'Too Many Requests', 429), { 'retry-after': '3' });
    const outcomes = await odoo().upsert('product.product', [{ hubId: 'p1', payload: mapped(PRODUCT) }]);
    expect(outcomes[0]).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 3000 });
    b.done();
  });
});
