import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createErpnextConnector } from '../../connectors/erpnext/erpnext.js';
import { decodeCursor } from '../../connectors/http/http-connector.js';
import { offlineWithNock } from '../fixtures/nock.js';

/**
 * The ERPNext connector's finance reads against Frappe's documented REST API: which requests it
 * sends for Sales Invoice, Payment Entry and Bin (paths, the exact `filters` JSON, ordering, paging,
 * the count method), and what it makes of the answers (a cancelled document is a delete; a payment
 * entry is read whole for its `references`, which a Frappe list never carries).
 */

const BASE = 'https://erp.example.com';
const AUTH = 'token a1b2c3:d4e5f6';

offlineWithNock();

const erp = () => createErpnextConnector({ baseUrl: BASE, apiKey: 'a1b2c3', apiSecret: 'd4e5f6', timeZone: 'Europe/Berlin' });
const api = () => nock(BASE, { reqheaders: { authorization: AUTH, accept: 'application/json' } });

const M1 = '2026-11-20 09:00:00.000000';
const M2 = '2026-11-20 10:15:03.512874';
const SUBMITTED_OR_CANCELLED = ['docstatus', 'in', [1, 2]];
const list = (filters: unknown[]) => ({ fields: '["*"]', filters: JSON.stringify(filters), order_by: 'modified asc, name asc' });
const after = (fixed: unknown[], modified: string, name: string) => ({
  fields: '["*"]',
  order_by: 'modified asc, name asc',
  filters: JSON.stringify([...fixed, ['modified', '>=', modified]]),
  or_filters: JSON.stringify([
    ['modified', '>', modified],
    ['name', '>', name],
  ]),
});

// As GET /api/resource/Sales Invoice?fields=["*"] answers: parent fields, no child tables.
const invoice = (name: string, docstatus: number, modified: string) => ({
  name,
  docstatus,
  customer: 'CUST-2026-00001',
  posting_date: '2026-11-02',
  due_date: '2026-12-02',
  currency: 'EUR',
  party_account_currency: 'EUR',
  is_return: 0,
  grand_total: 1190.45,
  rounded_total: 1190,
  outstanding_amount: 1190,
  status: docstatus === 2 ? 'Cancelled' : 'Unpaid',
  modified,
});

describe('ERPNext Sales Invoice reads', () => {
  it('asks for submitted and cancelled invoices only, in modified/name order, and keeps the filter after the watermark', async () => {
    const a = invoice('ACC-SINV-2026-00001', 1, M1);
    const b = invoice('ACC-SINV-2026-00002', 2, M2);
    const scope = api()
      .get('/api/resource/Sales%20Invoice')
      .query({ ...list([SUBMITTED_OR_CANCELLED]), limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [a, b] })
      .get('/api/resource/Sales%20Invoice')
      .query({ ...after([SUBMITTED_OR_CANCELLED], M2, b.name), limit_start: '0', limit_page_length: '2' })
      .reply(200, { data: [] });
    const connector = erp();
    const first = await connector.read('Sales Invoice', null, 2);
    expect(first.records).toEqual([a, b]);
    expect(decodeCursor(first.cursor ?? '')).toEqual({ modified: M2, key: b.name });
    // A cancelled invoice (docstatus 2) is reported deleted; a submitted one is not.
    expect(first.records.map((r) => connector.isDeleted!('Sales Invoice', r))).toEqual([false, true]);
    expect(connector.keyOf('Sales Invoice', b)).toBe('ACC-SINV-2026-00002');
    expect((await connector.read('Sales Invoice', first.cursor, 2)).records).toEqual([]);
    scope.done();
  });

  it('counts through frappe.client.get_count with the same filter', async () => {
    const scope = api()
      .get('/api/method/frappe.client.get_count')
      .query({ doctype: 'Sales Invoice', filters: JSON.stringify([SUBMITTED_OR_CANCELLED]) })
      .reply(200, { message: 41 })
      .get('/api/method/frappe.client.get_count')
      .query({ doctype: 'Sales Invoice', filters: JSON.stringify([SUBMITTED_OR_CANCELLED, ['modified', '>=', M1]]) })
      .reply(200, { message: 3 });
    const connector = erp();
    expect(await connector.count!('Sales Invoice', null)).toBe(41);
    const cursor = Buffer.from(JSON.stringify({ m: M1, k: 'ACC-SINV-2026-00001' })).toString('base64url');
    expect(await connector.count!('Sales Invoice', cursor)).toBe(3);
    scope.done();
  });

  it('is read only: the hub never writes invoices to ERPNext', async () => {
    await expect(erp().upsert('Sales Invoice', [])).rejects.toMatchObject({ kind: 'permanent' });
    expect(erp().describe().entities['Sales Invoice']).toMatchObject({ read: true, write: false, detectDeletes: true });
  });
});

describe('ERPNext Payment Entry reads', () => {
  const RECEIVED = [SUBMITTED_OR_CANCELLED, ['payment_type', '=', 'Receive'], ['party_type', '=', 'Customer']];
  const entry = (name: string, modified: string) => ({
    name,
    docstatus: 1,
    payment_type: 'Receive',
    party_type: 'Customer',
    party: 'CUST-2026-00001',
    posting_date: '2026-11-10',
    mode_of_payment: 'Wire Transfer',
    paid_from_account_currency: 'EUR',
    paid_amount: 300,
    reference_no: 'SEPA-2026-0042',
    modified,
  });

  it('lists money received from customers, then reads each entry whole for its references (a document gone since keeps its row)', async () => {
    const one = entry('ACC-PAY-2026-00001', M1);
    const two = entry('ACC-PAY-2026-00002', M2);
    const whole = { ...one, references: [{ reference_doctype: 'Sales Invoice', reference_name: 'ACC-SINV-2026-00001', total_amount: 1190, outstanding_amount: 1190, allocated_amount: 300 }] };
    const scope = api()
      .get('/api/resource/Payment%20Entry')
      .query({ ...list(RECEIVED), limit_start: '0', limit_page_length: '100' })
      .reply(200, { data: [one, two] })
      .get('/api/resource/Payment%20Entry/ACC-PAY-2026-00001')
      .reply(200, { data: whole })
      .get('/api/resource/Payment%20Entry/ACC-PAY-2026-00002')
      .reply(404, { exc_type: 'DoesNotExistError', _server_messages: JSON.stringify([JSON.stringify({ message: 'Payment Entry ACC-PAY-2026-00002 not found' })]) });
    const page = await erp().read('Payment Entry', null, 100);
    expect(page.records).toEqual([whole, two]);
    expect(decodeCursor(page.cursor ?? '')).toEqual({ modified: M2, key: two.name });
    scope.done();
  });

  it('fails the read (the cursor stays) when a document cannot be read for another reason', async () => {
    const one = entry('ACC-PAY-2026-00001', M1);
    api()
      .get('/api/resource/Payment%20Entry')
      .query(true)
      .reply(200, { data: [one] })
      .get('/api/resource/Payment%20Entry/ACC-PAY-2026-00001')
      .reply(503, { exc_type: 'ServiceUnavailable' });
    await expect(erp().read('Payment Entry', null, 100)).rejects.toMatchObject({ kind: 'retryable', code: 'connector_unavailable' });
  });
});

describe('ERPNext Bin reads', () => {
  it('lists every bin (Bin is not submittable: no docstatus filter)', async () => {
    const bin = { name: '5a17c0df', item_code: 'BOLT-M8', warehouse: 'Stores - WP', actual_qty: 120.5, reserved_qty: 20, projected_qty: 140.5, modified: M1 };
    const scope = api()
      .get('/api/resource/Bin')
      .query({ fields: '["*"]', order_by: 'modified asc, name asc', limit_start: '0', limit_page_length: '100' })
      .reply(200, { data: [bin] });
    const connector = erp();
    const page = await connector.read('Bin', null, 100);
    expect(page.records).toEqual([bin]);
    expect(connector.isDeleted!('Bin', bin)).toBe(false);
    scope.done();
  });
});
