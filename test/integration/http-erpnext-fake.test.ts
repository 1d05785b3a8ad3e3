import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createErpnextConnector, type ErpnextOptions } from '../../connectors/erpnext/erpnext.js';
import type { Connector, ExternalRecord } from '../../connectors/contract.js';
import { FRAPPE_KEY, FRAPPE_SECRET, FrappeFake } from '../fixtures/frappe-fake.js';
import { mapped } from '../fixtures/mapped.js';

/**
 * The ERPNext connector against the local Frappe fake, which keeps Frappe's document rules
 * (frappe-docs.ts): MariaDB's case-insensitive order of names, child rows replaced by a PUT unless sent
 * with their names, docstatus transitions and UpdateAfterSubmitError, amendments named `<name>-1`,
 * contacts derived from their child tables, a customer's e-mail and mobile copied from its primary contact.
 */

const frappe = new FrappeFake();
let open: Connector[] = [];
const erp = (o: Partial<ErpnextOptions> = {}) => {
  const c = createErpnextConnector({ baseUrl: frappe.url, apiKey: FRAPPE_KEY, apiSecret: FRAPPE_SECRET, timeZone: 'UTC', ...o });
  open.push(c);
  return c;
};
const names = (records: readonly ExternalRecord[]) => records.map((r) => String(r['name']));

beforeAll(() => frappe.start());
afterAll(() => frappe.close());
beforeEach(async () => {
  for (const c of open) await c.close();
  open = [];
  frappe.docs.clear();
  frappe.requests.length = 0;
  frappe.fault = 'none';
  frappe.forbidden.clear();
  frappe.store.unique.clear();
});

async function readAll(c: Connector, entity: string, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page = await c.read(entity, cursor, limit);
    seen.push(...names(page.records));
    if (page.cursor !== null) cursor = page.cursor;
    if (page.records.length < limit) return seen;
  }
  throw new Error('never caught up');
}

describe('reads through a tie on modified, in the server\'s collation', () => {
  it('names a, B, c stamped with the same modified are read once each, in MariaDB order, at any page size', async () => {
    frappe.store.stampAt('2026-11-21 08:00:00.000000');
    for (const code of ['c', 'B', 'a']) frappe.insert('Item', { item_code: code, item_name: code, item_group: 'Products' });
    frappe.store.releaseStamp();
    frappe.insert('Item', { item_code: 'd', item_name: 'd', item_group: 'Products' });
    for (const limit of [1, 2, 3, 10]) expect(await readAll(erp(), 'Item', limit), `limit ${limit}`).toEqual(['a', 'B', 'c', 'd']);
  });

  it('with an overlap window, the tie is read again from inside the window and the read still moves on to what is new', async () => {
    frappe.store.stampAt('2026-11-21 08:00:00.000000');
    for (const code of ['c', 'B', 'a']) frappe.insert('Item', { item_code: code, item_name: code, item_group: 'Products' });
    frappe.store.releaseStamp();
    const c = erp({ overlapMs: 60_000 });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 6; i++) {
      if (i === 3) frappe.insert('Item', { item_code: 'd', item_name: 'd', item_group: 'Products' });
      const page = await c.read('Item', cursor, 2);
      seen.push(...names(page.records));
      if (page.cursor !== null) cursor = page.cursor;
    }
    expect(seen.slice(0, 3)).toEqual(['a', 'B', 'c']);
    // Re-reads of the window repeat the tie (ingest drops them as unchanged); the new row is read.
    expect(new Set(seen)).toEqual(new Set(['a', 'B', 'c', 'd']));
    expect(seen.filter((n) => n === 'd').length).toBeGreaterThanOrEqual(1);
  });
});

describe('Sales Order lines and docstatus', () => {
  const customer = () => frappe.insert('Customer', { customer_name: 'Acme GmbH', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' }).name;
  const order = (cust: string, qtys: number[]) => ({
    custom_hub_code: 'SO-1',
    customer: cust,
    transaction_date: '2026-11-20',
    currency: 'EUR',
    items: qtys.map((qty, i) => ({ item_code: i === 1 ? 'NUT' : 'BOLT', description: null, qty, price_list_rate: 2.5, discount_percentage: 0 })),
  });
  const rowNames = (name: string) => (frappe.table('Sales Order').get(name)!['items'] as { name: string }[]).map((r) => r.name);

  it('an update keeps every row (same names); a PUT without row names, as before, would delete and recreate them', async () => {
    const cust = customer();
    const c = erp();
    const [created] = await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [10, 20, 5])) }]);
    const id = (created as { externalId: string }).externalId;
    const before = rowNames(id);
    expect(before).toHaveLength(3);
    expect(await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [12, 20, 6])), externalId: id }])).toEqual([{ ok: true, externalId: id }]);
    expect(rowNames(id)).toEqual(before);
    expect((frappe.table('Sales Order').get(id)!['items'] as { qty: number }[]).map((r) => r.qty)).toEqual([12, 20, 6]);
    // The same change sent the old way (lines without names): Frappe drops the three rows and inserts new ones.
    frappe.store.restUpdate('Sales Order', id, { items: order(cust, [12, 20, 7]).items });
    expect(rowNames(id).filter((n) => before.includes(n))).toEqual([]);
    expect(frappe.table('Sales Order').size).toBe(1);
  });

  it('drafts are not read; with submitOrders the order is created submitted and read whole, with its lines', async () => {
    const cust = customer();
    frappe.insert('Sales Order', { customer: cust, transaction_date: '2026-11-19', items: [{ item_code: 'BOLT', qty: 1 }] });
    const c = erp({ submitOrders: true });
    const [created] = await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [10, 20, 5])) }]);
    const id = (created as { externalId: string }).externalId;
    expect(frappe.table('Sales Order').get(id)).toMatchObject({ docstatus: 1, status: 'To Deliver and Bill' });
    const page = await c.read('Sales Order', null, 10);
    expect(names(page.records)).toEqual([id]);
    expect((page.records[0]!['items'] as { item_code: string }[]).map((i) => i.item_code)).toEqual(['BOLT', 'NUT', 'BOLT']);
    expect(c.isDeleted!('Sales Order', page.records[0]!)).toBe(false);
  });

  it('a submitted order: unchanged, nothing is written; changed, ERPNext refuses and the record fails permanently, the document untouched', async () => {
    const cust = customer();
    const c = erp({ submitOrders: true });
    const id = ((await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [10, 20, 5])) }]))[0] as { externalId: string }).externalId;
    frappe.requests.length = 0;
    expect(await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [10, 20, 5])), externalId: id }])).toEqual([{ ok: true, externalId: id }]);
    expect(frappe.requests.map((r) => r.method)).toEqual(['GET']);
    const modified = frappe.table('Sales Order').get(id)!.modified;
    const [refused] = await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [11, 20, 5])), externalId: id }]);
    expect(refused).toMatchObject({ ok: false, kind: 'permanent', code: 'update_after_submit' });
    expect((refused as { message: string }).message).toContain('UpdateAfterSubmitError): Row #1: Not allowed to change Quantity after submission');
    expect(frappe.table('Sales Order').get(id)!.modified).toBe(modified);
  });

  it('with amendSubmittedOrders: the original is cancelled (read as deleted), the amendment <name>-1 holds the change, and later updates go to it', async () => {
    const cust = customer();
    const c = erp({ submitOrders: true, amendSubmittedOrders: true });
    const id = ((await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [10, 20, 5])) }]))[0] as { externalId: string }).externalId;
    const [amended] = await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [11, 20, 5])), externalId: id }]);
    expect(amended).toEqual({ ok: true, externalId: `${id}-1` });
    expect(frappe.table('Sales Order').get(id)).toMatchObject({ docstatus: 2, status: 'Cancelled' });
    expect(frappe.table('Sales Order').get(`${id}-1`)).toMatchObject({ docstatus: 1, amended_from: id, custom_hub_code: 'SO-1' });
    const page = await c.read('Sales Order', null, 10);
    expect(page.records.map((r) => [r['name'], c.isDeleted!('Sales Order', r)])).toEqual([[id, true], [`${id}-1`, false]]);
    // Sent again with the old link (a retry): the live amendment is found, and nothing more is made.
    expect(await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [11, 20, 5])), externalId: id }])).toEqual([{ ok: true, externalId: `${id}-1` }]);
    const [again] = await c.upsert('Sales Order', [{ hubId: 'o', payload: mapped(order(cust, [12, 20, 5])), externalId: `${id}-1` }]);
    expect(again).toEqual({ ok: true, externalId: `${id}-2` });
    expect([...frappe.table('Sales Order').keys()].sort()).toEqual([id, `${id}-1`, `${id}-2`]);
  });
});

describe('customers\' e-mail and mobile through their primary Contact', () => {
  const cust = (email: string, mobile: string) => ({ custom_hub_code: 'C-1', customer_name: 'Acme GmbH', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany', email_id: email, mobile_no: mobile });

  it('a create makes the primary contact (ERPNext does); an update changes that contact\'s rows in place and the customer shows them', async () => {
    const c = erp();
    const id = ((await c.upsert('Customer', [{ hubId: 'c', payload: mapped(cust('info@acme.example', '+49 30 1000')) }]))[0] as { externalId: string }).externalId;
    const customer = frappe.table('Customer').get(id)!;
    const contactName = String(customer['customer_primary_contact']);
    expect(contactName).toBe(`Acme GmbH-${id}`);
    const rowsBefore = frappe.table('Contact').get(contactName)!;
    expect(await c.upsert('Customer', [{ hubId: 'c', payload: mapped(cust('sales@acme.example', '+49 30 2000')), externalId: id }])).toEqual([{ ok: true, externalId: id }]);
    expect(frappe.table('Customer').get(id)).toMatchObject({ email_id: 'sales@acme.example', mobile_no: '+49 30 2000', customer_primary_contact: contactName });
    const contact = frappe.table('Contact').get(contactName)!;
    expect(contact).toMatchObject({ email_id: 'sales@acme.example', mobile_no: '+49 30 2000' });
    expect((contact['email_ids'] as { name: string }[]).map((r) => r.name)).toEqual((rowsBefore['email_ids'] as { name: string }[]).map((r) => r.name));
    expect(frappe.table('Contact').size).toBe(1);
    expect(frappe.table('Customer').size).toBe(1);
  });

  it('writing the copies on the Customer alone changes nothing (what the connector did before)', async () => {
    const c = erp();
    const id = ((await c.upsert('Customer', [{ hubId: 'c', payload: mapped(cust('info@acme.example', '+49 30 1000')) }]))[0] as { externalId: string }).externalId;
    frappe.store.restUpdate('Customer', id, { email_id: 'sales@acme.example' });
    expect(frappe.table('Customer').get(id)!['email_id']).toBe('info@acme.example');
  });

  it('a Contact of the hub: its e-mail and numbers become the primary rows, its customer the Dynamic Link row; an update keeps the rows', async () => {
    const c = erp();
    const customerId = ((await c.upsert('Customer', [{ hubId: 'c', payload: mapped({ custom_hub_code: 'C-2', customer_name: 'Beta AG', customer_type: 'Company', customer_group: 'Commercial', territory: 'Germany' }) }]))[0] as { externalId: string }).externalId;
    const person = { custom_hub_code: 'K-1', customer: customerId, first_name: 'Anna', last_name: 'Schmidt', designation: 'Einkauf', email_id: 'anna@beta.example', phone: '+49 40 100', mobile_no: '+49 170 200' };
    const [made] = await c.upsert('Contact', [{ hubId: 'k', payload: mapped(person) }]);
    expect(made).toEqual({ ok: true, externalId: `Anna Schmidt-${customerId}` });
    const doc = frappe.table('Contact').get(`Anna Schmidt-${customerId}`)!;
    expect(doc).toMatchObject({ email_id: 'anna@beta.example', phone: '+49 40 100', mobile_no: '+49 170 200', links: [expect.objectContaining({ link_doctype: 'Customer', link_name: customerId })] });
    const rowNames = (doc['phone_nos'] as { name: string }[]).map((r) => r.name);
    expect(await c.upsert('Contact', [{ hubId: 'k', payload: mapped({ ...person, mobile_no: '+49 170 999' }), externalId: `Anna Schmidt-${customerId}` }])).toEqual([{ ok: true, externalId: `Anna Schmidt-${customerId}` }]);
    const after = frappe.table('Contact').get(`Anna Schmidt-${customerId}`)!;
    expect(after).toMatchObject({ mobile_no: '+49 170 999', phone: '+49 40 100' });
    expect((after['phone_nos'] as { name: string }[]).map((r) => r.name)).toEqual(rowNames);
    // Read back: only contacts of customers, each whole with its links.
    frappe.insert('Contact', { first_name: 'Lieferant', links: [{ link_doctype: 'Supplier', link_name: 'SUP-1' }] });
    const page = await c.read('Contact', null, 10);
    expect(page.records.map((r) => [r['name'], (r['links'] as { link_name: string }[])[0]?.link_name])).toEqual([[`Anna Schmidt-${customerId}`, customerId]]);
  });
});

describe('faults of the Frappe fake, per record', () => {
  const item = (code: string) => ({ item_code: code, item_name: code, item_group: 'Products' });

  it('a document the user may not write (403) fails alone; the others land', async () => {
    for (const code of ['W-1', 'W-2', 'W-3']) frappe.insert('Item', item(code));
    frappe.forbidden.add('Item/W-2');
    const outcomes = await erp().upsert('Item', ['W-1', 'W-2', 'W-3'].map((code) => ({ hubId: code, payload: mapped({ ...item(code), item_name: `${code} new` }) })));
    expect(outcomes.map((o) => (o.ok ? 'ok' : `${o.kind} ${o.code}`))).toEqual(['ok', 'permanent forbidden', 'ok']);
    expect(frappe.table('Item').get('W-3')!['item_name']).toBe('W-3 new');
  });

  it('the rate limiters: 417 RateLimitExceededError and 429 TooManyRequestsError are retryable after their window', async () => {
    frappe.fault = 'rate-limited';
    const [limited] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-1')) }]);
    expect(limited).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 60_000 });
    frappe.fault = 'throttled';
    const [throttled] = await erp().upsert('Item', [{ hubId: 'a', payload: mapped(item('W-1')) }]);
    expect(throttled).toMatchObject({ ok: false, kind: 'retryable', code: 'rate_limited', retryAfterMs: 7000 });
  });

  it('a unique custom field already taken (417 UniqueValidationError) resolves to the document that holds it', async () => {
    frappe.store.unique.set('Customer', ['custom_hub_code']);
    const existing = frappe.insert('Customer', { customer_name: 'Acme GmbH', custom_hub_code: 'C-9' });
    // The lookup misses it (a create racing the lookup), so the POST meets the unique index.
    let first = true;
    const racing = createErpnextConnector({
      baseUrl: frappe.url,
      apiKey: FRAPPE_KEY,
      apiSecret: FRAPPE_SECRET,
      fetch: async (url, init) => {
        if (first && init.method === 'GET' && url.includes('custom_hub_code')) {
          first = false;
          return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify({ data: [] }) };
        }
        return fetch(url, init);
      },
    });
    open.push(racing);
    expect(await racing.upsert('Customer', [{ hubId: 'c', payload: mapped({ customer_name: 'Acme GmbH & Co', custom_hub_code: 'C-9' }) }])).toEqual([{ ok: true, externalId: existing.name }]);
    expect(frappe.table('Customer').size).toBe(1);
    expect(frappe.table('Customer').get(existing.name)!['customer_name']).toBe('Acme GmbH & Co');
  });
});
