import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import { createConnector } from '../../connectors/config.js';
import type { Connector } from '../../connectors/contract.js';
import { FRAPPE_SIGNATURE_HEADER, readFrappeWebhook } from '../../connectors/erpnext/webhook.js';
import type { InboundMapping } from '../../mappings/engine/compile.js';
import { verifiedWebhook } from '../../queues/webhook.js';

/**
 * ERPNext's native webhooks: Frappe signs the body with base64(HMAC-SHA256(secret, body)) in
 * X-Frappe-Webhook-Signature and sends one document (`{{ doc.as_json() }}`) whose doctype names the
 * external entity. Connectors without a webhook of their own keep the generic X-Hub-Signature-256.
 */

const SECRET = 'frappe-webhook-secret-never-shown';
const DOCTYPES = ['Customer', 'Item', 'Sales Order'];
const frappeSign = (body: string | Buffer, secret = SECRET) => createHmac('sha256', secret).update(body).digest('base64');
const customer = { doctype: 'Customer', name: 'CUST-0001', customer_name: 'Alpha GmbH', modified: '2026-07-01 10:00:00.000000', custom_hub_code: 'C-1' };

function hubError(f: () => unknown): HubError {
  try {
    f();
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected a HubError');
}

const erpnext = (): Connector =>
  createConnector('erpnext', { type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S' }, { K: 'k', S: 's' });

describe('ERPNext webhooks (Frappe)', () => {
  it('reads a correctly signed document as a record of its doctype', () => {
    const body = Buffer.from(JSON.stringify(customer));
    const delivery = erpnext().webhook!({ headers: { 'x-frappe-webhook-signature': frappeSign(body), 'content-type': 'application/json' }, body, secret: SECRET });
    expect(delivery).toEqual({ entity: 'Customer', records: [customer] });
    // Frappe signs json.dumps(data): ", " and ": " separators; the raw bytes are what count.
    const pythonStyle = Buffer.from('{"doctype": "Sales Order", "name": "SAL-ORD-2026-00001", "items": [{"item_code": "A", "qty": 2.0}]}');
    expect(readFrappeWebhook({ headers: { 'x-frappe-webhook-signature': frappeSign(pythonStyle) }, body: pythonStyle, secret: SECRET }, DOCTYPES)).toEqual({
      entity: 'Sales Order',
      records: [{ doctype: 'Sales Order', name: 'SAL-ORD-2026-00001', items: [{ item_code: 'A', qty: 2 }] }],
    });
  });

  it('refuses a wrong or missing signature with a 401 naming the header, never the secret', () => {
    const body = Buffer.from(JSON.stringify(customer));
    for (const [headers, detail] of [
      [{ 'x-frappe-webhook-signature': frappeSign(body, 'another-secret') }, 'does not match the body under the configured secret'],
      [{ 'x-frappe-webhook-signature': frappeSign(JSON.stringify({ ...customer, customer_name: 'Evil' })) }, 'does not match the body under the configured secret'],
      [{ 'x-frappe-webhook-signature': 'not base64 at all!' }, 'does not match the body under the configured secret'],
      [{}, expect.stringContaining('is missing')],
      // The generic header is not Frappe's.
      [{ 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, expect.stringContaining('is missing')],
    ] as const) {
      const error = hubError(() => readFrappeWebhook({ headers, body, secret: SECRET }, DOCTYPES));
      expect(error.status).toBe(401);
      expect(error.code).toBe('invalid_signature');
      expect(error.message).toContain(FRAPPE_SIGNATURE_HEADER);
      expect(error.errors).toEqual([{ pointer: '/headers/x-frappe-webhook-signature', detail }]);
      expect(JSON.stringify({ m: error.message, e: error.errors })).not.toContain(SECRET);
    }
  });

  it('refuses a doctype the connector does not read, a document without one and a body that is not a document (422)', () => {
    const call = (doc: unknown) => {
      const body = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
      return hubError(() => readFrappeWebhook({ headers: { 'x-frappe-webhook-signature': frappeSign(body) }, body, secret: SECRET }, DOCTYPES));
    };
    const unknown = call({ ...customer, doctype: 'Supplier' });
    expect(unknown.status).toBe(422);
    expect(unknown.errors).toEqual([{ pointer: '/doctype', detail: 'must be one of Customer, Item, Sales Order' }]);
    expect(call({ name: 'CUST-0001' }).errors).toEqual([{ pointer: '/doctype', detail: expect.stringContaining('is required') }]);
    expect(call([customer]).errors).toEqual([{ pointer: '', detail: expect.stringContaining('one document') }]);
    expect(call('{"doctype": ').errors).toEqual([{ pointer: '', detail: 'is not valid JSON' }]);
  });
});

describe('ERPNext webhooks carry only the documents the connector reads', () => {
  const deliver = (doc: Record<string, unknown>) => {
    const body = Buffer.from(JSON.stringify(doc));
    return erpnext().webhook!({ headers: { 'x-frappe-webhook-signature': frappeSign(body) }, body, secret: SECRET });
  };
  const invoice = { doctype: 'Sales Invoice', name: 'ACC-SINV-2026-00001', customer: 'CUST-0001', grand_total: 119, outstanding_amount: 119, modified: '2026-07-01 10:00:00.000000' };

  it('takes a submitted or cancelled invoice and leaves a draft out (accepted, no change)', () => {
    expect(deliver({ ...invoice, docstatus: 1 }).records).toHaveLength(1);
    expect(deliver({ ...invoice, docstatus: 2 }).records).toHaveLength(1);
    expect(deliver({ ...invoice, docstatus: 0 })).toEqual({ entity: 'Sales Invoice', records: [] });
    // The on_trash template (a delete) passes whatever the document was.
    expect(deliver({ doctype: 'Sales Invoice', name: 'ACC-SINV-2026-00009', $deleted: true }).records).toHaveLength(1);
  });

  it('takes money received from a customer only', () => {
    const payment = { doctype: 'Payment Entry', name: 'ACC-PAY-2026-00001', docstatus: 1, payment_type: 'Receive', party_type: 'Customer', party: 'CUST-0001', paid_amount: 50 };
    expect(deliver(payment).records).toHaveLength(1);
    expect(deliver({ ...payment, payment_type: 'Pay' }).records).toEqual([]);
    expect(deliver({ ...payment, party_type: 'Supplier' }).records).toEqual([]);
    expect(deliver({ ...payment, docstatus: 0 }).records).toEqual([]);
    // Customers, items and stock have no such filter.
    expect(deliver({ doctype: 'Bin', name: 'b1', item_code: 'A', warehouse: 'Stores - WP', docstatus: 0 }).records).toHaveLength(1);
  });

  it('takes a submitted or cancelled Sales Order and leaves a draft out, as its list does', () => {
    const order = { doctype: 'Sales Order', name: 'SAL-ORD-2026-00001', customer: 'CUST-0001', items: [{ item_code: 'A', qty: 2 }] };
    expect(deliver({ ...order, docstatus: 1 }).records).toHaveLength(1);
    expect(deliver({ ...order, docstatus: 2 }).records).toHaveLength(1);
    expect(deliver({ ...order, docstatus: 0 }).records).toEqual([]);
  });

  it('takes a Contact linked to a customer (a Dynamic Link row), not one of a supplier only', () => {
    const contact = { doctype: 'Contact', name: 'Anna Schmidt-CUST-0001', first_name: 'Anna', links: [{ link_doctype: 'Customer', link_name: 'CUST-0001' }] };
    expect(deliver(contact).records).toHaveLength(1);
    expect(deliver({ ...contact, links: [{ link_doctype: 'Supplier', link_name: 'SUP-1' }] }).records).toEqual([]);
    expect(deliver({ ...contact, links: [] }).records).toEqual([]);
  });
});

describe('verifiedWebhook: the connector\'s own webhook, else the generic one', () => {
  const mapping = { name: 'erpnext.customer.in', entity: 'customer', externalEntity: 'Customer' } as unknown as InboundMapping;

  it('an ERPNext source reads Frappe\'s call and maps its doctype to the hub entity', () => {
    const body = Buffer.from(JSON.stringify(customer));
    const source = { name: 'erpnext', connector: erpnext(), inbound: { customer: mapping } };
    expect(verifiedWebhook(source, SECRET, { headers: { 'x-frappe-webhook-signature': frappeSign(body) }, body })).toEqual({ entity: 'customer', records: [customer] });
    // A doctype the connector reads but the source has no inbound mapping for.
    const item = Buffer.from(JSON.stringify({ doctype: 'Item', item_code: 'A' }));
    const error = hubError(() => verifiedWebhook(source, SECRET, { headers: { 'x-frappe-webhook-signature': frappeSign(item) }, body: item }));
    expect(error.status).toBe(422);
    expect(error.errors).toEqual([{ pointer: '', detail: 'erpnext has no inbound mapping for Item' }]);
    // The generic signature does not open an ERPNext source's webhook.
    const generic = hubError(() => verifiedWebhook(source, SECRET, { headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` }, body }));
    expect(generic.status).toBe(401);
  });

  it('a connector without a webhook of its own takes the generic { entity, records } call', () => {
    const { webhook: _, ...plain } = erpnext();
    const source = { name: 'ledger', connector: plain as Connector, inbound: { customer: mapping } };
    const body = Buffer.from(JSON.stringify({ entity: 'Customer', records: [customer] }));
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(verifiedWebhook(source, SECRET, { headers: { 'x-hub-signature-256': signature }, body })).toEqual({ entity: 'customer', records: [customer] });
    expect(hubError(() => verifiedWebhook(source, SECRET, { headers: { 'x-frappe-webhook-signature': frappeSign(body) }, body })).errors).toEqual([{ pointer: '/headers/x-hub-signature-256', detail: 'is missing' }]);
    const bad = Buffer.from(JSON.stringify({ entity: 'Nope', records: 'x' }));
    const both = hubError(() => verifiedWebhook(source, SECRET, { headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(bad).digest('hex')}` }, body: bad }));
    expect(both.errors).toEqual([
      { pointer: '/entity', detail: 'ledger has no inbound mapping for Nope' },
      { pointer: '/records', detail: 'is required: an array of records' },
    ]);
  });
});
