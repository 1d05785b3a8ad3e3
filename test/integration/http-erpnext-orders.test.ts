import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createErpnextConnector } from '../../connectors/erpnext/erpnext.js';
import { decodeCursor } from '../../connectors/http/http-connector.js';
import { mapped } from '../fixtures/mapped.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * Sales Orders against Frappe's documented behaviour (frappe/model/document.py, frappe/api/v1.py):
 * docstatus read and written, child rows kept by their `name`, a submitted document changed only as
 * Frappe allows. Each test asserts the exact requests (path, query, body) the connector sent.
 */

const BASE = 'https://erp.example.com';
const AUTH = 'token a1b2c3:d4e5f6';
offlineWithNock();

const erp = (o: { submitOrders?: boolean; amendSubmittedOrders?: boolean } = {}) => createErpnextConnector({ baseUrl: BASE, apiKey: 'a1b2c3', apiSecret: 'd4e5f6', ...o });
const api = () => nock(BASE, { reqheaders: { authorization: AUTH, accept: 'application/json' } });
const SO = '/api/resource/Sales%20Order';
const serverMessages = (...messages: string[]) => JSON.stringify(messages.map((message) => JSON.stringify({ message, title: 'Message', indicator: 'red', raise_exception: 1 })));

const M1 = '2026-11-20 09:00:00.000000';
const M2 = '2026-11-20 10:15:03.512874';

/** A Sales Order Item row as `GET /api/resource/Sales Order/<name>` answers it. */
const row = (name: string, idx: number, itemCode: string, qty: number, priceListRate: number, parent = 'SAL-ORD-2026-00007') => ({
  name,
  idx,
  parent,
  parentfield: 'items',
  parenttype: 'Sales Order',
  doctype: 'Sales Order Item',
  item_code: itemCode,
  description: `${itemCode} description`,
  qty,
  price_list_rate: priceListRate,
  discount_percentage: 0,
  rate: priceListRate,
  amount: qty * priceListRate,
  uom: 'Nos',
  conversion_factor: 1,
});

/** The document as Frappe holds it: parent fields, and the items child table. */
const order = (docstatus: 0 | 1 | 2, items = [row('b7e31a0c9d', 1, 'BOLT-M8', 10, 2.5), row('4f0e8d2a61', 2, 'NUT-M8', 20, 0.4), row('9c2d4e6f80', 3, 'BOLT-M8', 5, 2.5)]) => ({
  name: 'SAL-ORD-2026-00007',
  doctype: 'Sales Order',
  docstatus,
  status: docstatus === 0 ? 'Draft' : docstatus === 1 ? 'To Deliver and Bill' : 'Cancelled',
  custom_hub_code: 'SO-1001',
  customer: 'CUST-2026-00001',
  transaction_date: '2026-11-20',
  delivery_date: '2026-12-01',
  currency: 'EUR',
  modified: M1,
  items,
});

/** What the default outbound mapping makes of the hub order SO-1001 (three lines). */
const payload = (qtys: readonly [number, number, number] = [10, 20, 5]) => ({
  custom_hub_code: 'SO-1001',
  customer: 'CUST-2026-00001',
  transaction_date: '2026-11-20',
  delivery_date: '2026-12-01',
  currency: 'EUR',
  items: [
    { item_code: 'BOLT-M8', description: 'BOLT-M8 description', qty: qtys[0], price_list_rate: 2.5, discount_percentage: 0 },
    { item_code: 'NUT-M8', description: 'NUT-M8 description', qty: qtys[1], price_list_rate: 0.4, discount_percentage: 0 },
    { item_code: 'BOLT-M8', description: 'BOLT-M8 description', qty: qtys[2], price_list_rate: 2.5, discount_percentage: 0 },
  ],
});
const lookup = { filters: JSON.stringify([['custom_hub_code', '=', 'SO-1001'], ['docstatus', '!=', 2]]), fields: JSON.stringify(['name', 'custom_hub_code']), limit_page_length: '2' };

describe('ERPNext Sales Order reads: docstatus and lines', () => {
  it('lists submitted and cancelled orders only, reads each whole for its items, and reports a cancelled one deleted', async () => {
    const listed = (name: string, docstatus: number, modified: string) => ({ name, docstatus, custom_hub_code: 'SO-1', customer: 'CUST-2026-00001', transaction_date: '2026-11-20', currency: 'EUR', modified });
    const a = listed('SAL-ORD-2026-00001', 1, M1);
    const b = listed('SAL-ORD-2026-00002', 2, M2);
    const scope = api()
      .get(SO)
      .query({ fields: '["*"]', filters: JSON.stringify([['docstatus', 'in', [1, 2]]]), order_by: 'modified asc, name asc', limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [a, b] })
      .get(`${SO}/SAL-ORD-2026-00001`)
      .reply(200, { data: { ...a, items: [row('b7e31a0c9d', 1, 'BOLT-M8', 10, 2.5, a.name)] } })
      .get(`${SO}/SAL-ORD-2026-00002`)
      .reply(200, { data: { ...b, status: 'Cancelled', items: [row('4f0e8d2a61', 1, 'NUT-M8', 20, 0.4, b.name)] } });
    const connector = erp();
    const page = await connector.read('Sales Order', null, 2);
    expect(page.records.map((r) => (r['items'] as { item_code: string }[]).map((i) => i.item_code))).toEqual([['BOLT-M8'], ['NUT-M8']]);
    expect(page.records.map((r) => connector.isDeleted!('Sales Order', r))).toEqual([false, true]);
    expect(decodeCursor(page.cursor ?? '')).toEqual({ modified: M2, key: b.name });
    scope.done();
  });
});

describe('ERPNext Sales Order writes: docstatus', () => {
  it('with submitOrders, a create is one POST with docstatus 1 (Frappe inserts and submits it), after the lookup', async () => {
    const scope = api()
      .get(SO)
      .query(lookup)
      .reply(200, { data: [] })
      .post(SO, { ...payload(), docstatus: 1 })
      .reply(200, { data: { ...order(1), modified: M2 } });
    expect(await erp({ submitOrders: true }).upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()) }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('without it, a create is a draft (no docstatus sent)', async () => {
    const scope = api().get(SO).query(lookup).reply(200, { data: [] }).post(SO, payload()).reply(200, { data: order(0) });
    expect(await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()) }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('updates a draft with every line carrying the name of the row it matches (n-th line of an item → n-th row of it), and submits it', async () => {
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(0) })
      .put(`${SO}/SAL-ORD-2026-00007`, {
        ...payload([12, 20, 6]),
        items: [
          { name: 'b7e31a0c9d', item_code: 'BOLT-M8', description: 'BOLT-M8 description', qty: 12, price_list_rate: 2.5, discount_percentage: 0 },
          { name: '4f0e8d2a61', item_code: 'NUT-M8', description: 'NUT-M8 description', qty: 20, price_list_rate: 0.4, discount_percentage: 0 },
          { name: '9c2d4e6f80', item_code: 'BOLT-M8', description: 'BOLT-M8 description', qty: 6, price_list_rate: 2.5, discount_percentage: 0 },
        ],
        docstatus: 1,
      })
      .reply(200, { data: { ...order(1), modified: M2 } });
    expect(await erp({ submitOrders: true }).upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload([12, 20, 6])), externalId: 'SAL-ORD-2026-00007' }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('a new line goes without a name (Frappe inserts it); a line gone is not sent (Frappe deletes its row)', async () => {
    const two = { ...payload(), items: [payload().items[1]!, { item_code: 'WASHER-M8', description: null, qty: 50, price_list_rate: 0.05, discount_percentage: 0 }] };
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(0) })
      .put(`${SO}/SAL-ORD-2026-00007`, { ...two, items: [{ name: '4f0e8d2a61', ...two.items[0]! }, two.items[1]!] })
      .reply(200, { data: order(0) });
    expect(await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(two), externalId: 'SAL-ORD-2026-00007' }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('a submitted order that the payload would not change is not written at all', async () => {
    const scope = api().get(`${SO}/SAL-ORD-2026-00007`).reply(200, { data: order(1) });
    expect(await erp({ submitOrders: true }).upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()), externalId: 'SAL-ORD-2026-00007' }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('a change Frappe allows on a submitted order goes through: only the fields that changed are sent', async () => {
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(1) })
      .put(`${SO}/SAL-ORD-2026-00007`, { terms: 'Delivery ex works' })
      .reply(200, { data: { ...order(1), terms: 'Delivery ex works', modified: M2 } });
    expect(await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped({ ...payload(), terms: 'Delivery ex works' }), externalId: 'SAL-ORD-2026-00007' }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });

  it('UpdateAfterSubmitError is a permanent failure that names it and what to do, and echoes no value', async () => {
    // base_document._validate_update_after_submit: the message quotes the old and new values, in <strong>.
    const refusal = {
      exc_type: 'UpdateAfterSubmitError',
      exception: 'frappe.exceptions.UpdateAfterSubmitError: Row #1: Not allowed to change Quantity after submission from 10.0 to 12.0',
      _server_messages: serverMessages('Row #1: Not allowed to change <strong>Quantity</strong> after submission from <strong>10.0</strong> to <strong>12.0</strong>'),
    };
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(1) })
      // Submitted rows are sent whole (Frappe compares every field of a row; one not sent would count as cleared).
      .put(`${SO}/SAL-ORD-2026-00007`, { items: [{ ...order(1).items[0]!, qty: 12 }, order(1).items[1]!, order(1).items[2]!] })
      .reply(417, refusal);
    const [outcome] = await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload([12, 20, 5])), externalId: 'SAL-ORD-2026-00007' }]);
    expect(outcome).toEqual({
      ok: false,
      kind: 'permanent',
      code: 'update_after_submit',
      message:
        'erpnext Sales Order is submitted and ERPNext refuses the change (PUT answered 417 (UpdateAfterSubmitError): Row #1: Not allowed to change Quantity after submission); cancel and amend it in ERPNext, or set amendSubmittedOrders to let the hub cancel and amend it',
    });
    expect(JSON.stringify(outcome)).not.toMatch(/10\.0|12\.0|SO-1001|CUST-2026/);
    scope.done();
  });

  it('with amendSubmittedOrders: cancels it (frappe.client.cancel) and creates the amendment with amended_from, submitted; Frappe names it <name>-1', async () => {
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(1) })
      .put(`${SO}/SAL-ORD-2026-00007`)
      .reply(417, { exc_type: 'UpdateAfterSubmitError', _server_messages: serverMessages('Row #1: Not allowed to change <strong>Quantity</strong> after submission from <strong>10.0</strong> to <strong>12.0</strong>') })
      .post('/api/method/frappe.client.cancel', { doctype: 'Sales Order', name: 'SAL-ORD-2026-00007' })
      .reply(200, { message: { ...order(2), modified: M2 } })
      .post(SO, { ...payload([12, 20, 5]), amended_from: 'SAL-ORD-2026-00007', docstatus: 1 })
      .reply(200, { data: { ...order(1), name: 'SAL-ORD-2026-00007-1', amended_from: 'SAL-ORD-2026-00007', modified: M2 } });
    expect(await erp({ amendSubmittedOrders: true }).upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload([12, 20, 5])), externalId: 'SAL-ORD-2026-00007' }])).toEqual([
      { ok: true, externalId: 'SAL-ORD-2026-00007-1' },
    ]);
    scope.done();
  });

  it('an order cancelled in ERPNext: its live amendment (found by the hub number, cancelled ones skipped) is written; none: a permanent failure saying so', async () => {
    const amended = { ...order(1), name: 'SAL-ORD-2026-00007-1', amended_from: 'SAL-ORD-2026-00007' };
    const scope = api()
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(2) })
      .get(SO)
      .query(lookup)
      .reply(200, { data: [{ name: 'SAL-ORD-2026-00007-1', custom_hub_code: 'SO-1001' }] })
      .get(`${SO}/SAL-ORD-2026-00007-1`)
      .reply(200, { data: amended });
    expect(await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()), externalId: 'SAL-ORD-2026-00007' }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007-1' }]);
    scope.done();
    const none = api().get(`${SO}/SAL-ORD-2026-00007`).reply(200, { data: order(2) }).get(SO).query(lookup).reply(200, { data: [] });
    const [outcome] = await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()), externalId: 'SAL-ORD-2026-00007' }]);
    expect(outcome).toMatchObject({ ok: false, kind: 'permanent', code: 'cancelled' });
    expect((outcome as { message: string }).message).toContain('Cannot edit cancelled document');
    none.done();
  });

  it('a create Frappe answers 417 UniqueValidationError (the hub number is taken: an earlier, unanswered create) finds that document and updates it', async () => {
    const scope = api()
      .get(SO)
      .query(lookup)
      .reply(200, { data: [] })
      .post(SO, payload())
      .reply(417, { exc_type: 'UniqueValidationError', exception: "frappe.exceptions.UniqueValidationError: ('Sales Order', 'SAL-ORD-2026-00008', IntegrityError(1062, \"Duplicate entry 'SO-1001' for key 'custom_hub_code'\"))", _server_messages: serverMessages('Hub Code must be unique') })
      .get(SO)
      .query(lookup)
      .reply(200, { data: [{ name: 'SAL-ORD-2026-00007', custom_hub_code: 'SO-1001' }] })
      .get(`${SO}/SAL-ORD-2026-00007`)
      .reply(200, { data: order(0) })
      .put(`${SO}/SAL-ORD-2026-00007`, (body: Record<string, unknown>) => Array.isArray(body['items']) && (body['items'] as { name?: string }[]).every((i) => typeof i.name === 'string'))
      .reply(200, { data: order(0) });
    expect(await erp().upsert('Sales Order', [{ hubId: 'o1', payload: mapped(payload()) }])).toEqual([{ ok: true, externalId: 'SAL-ORD-2026-00007' }]);
    scope.done();
  });
});
