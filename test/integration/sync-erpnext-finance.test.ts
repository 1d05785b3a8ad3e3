import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgingAccumulator, type CurrencyTotals } from '../../core/finance/aging.js';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { FRAPPE_KEY, FRAPPE_SECRET, FrappeFake } from '../fixtures/frappe-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * Receivables, payments and stock from ERPNext through the engine: the ERPNext connector (its
 * default mappings) polls a local Frappe server that keeps Frappe's list semantics (drafts listed
 * unless docstatus is filtered, parent fields only, modified/name order, offset paging). Submitted
 * invoices of every shape a finance clerk meets — unpaid and overdue, partly paid, a credit note, an
 * overpaid one, one in two currencies, one without rounding — land with amounts exact to the cent;
 * drafts never do, by poll or by webhook; a cancelled invoice or payment withdraws its record;
 * records whose customer has not come yet wait and land when it comes. The receivables are then aged
 * (core/finance/aging.ts) before and after a payment and a cancellation.
 */

const WEBHOOK_SECRET = 'frappe-finance-webhook-secret';
const AS_OF = '2026-11-30';

const customer = (name: string, currency: string) => ({ customer_name: name, customer_type: 'Company', customer_group: 'Commercial', territory: 'All Territories', default_currency: currency, disabled: 0 });

interface InvoiceShape {
  readonly currency?: string;
  /** The Debit To account's currency; default the invoice currency. */
  readonly party?: string;
  readonly grand: number;
  /** 0 where rounding is disabled. Default: grand. */
  readonly rounded?: number;
  readonly base?: readonly [grand: number, rounded: number];
  readonly outstanding: number;
  readonly due: string;
  /** Default 2026-10-01. */
  readonly posting?: string;
  readonly status: string;
  readonly isReturn?: boolean;
}

/** A Sales Invoice as ERPNext holds it (with an items child table the list never shows). */
function invoice(customerName: string, s: InvoiceShape): Record<string, unknown> {
  const currency = s.currency ?? 'EUR';
  const rounded = s.rounded ?? s.grand;
  return {
    customer: customerName,
    company: 'Windmill Parts GmbH',
    posting_date: s.posting ?? '2026-10-01',
    due_date: s.due,
    currency,
    party_account_currency: s.party ?? currency,
    conversion_rate: 1,
    is_return: s.isReturn ? 1 : 0,
    grand_total: s.grand,
    rounded_total: rounded,
    disable_rounded_total: rounded === 0 ? 1 : 0,
    base_grand_total: s.base?.[0] ?? s.grand,
    base_rounded_total: s.base?.[1] ?? rounded,
    outstanding_amount: s.outstanding,
    status: s.status,
    items: [{ item_code: 'BOLT-M8', qty: 1, rate: s.grand, amount: s.grand }],
  };
}

function payment(party: string, amount: number, references: { reference_doctype: string; reference_name: string; allocated_amount: number }[], mode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { payment_type: 'Receive', party_type: 'Customer', party, posting_date: '2026-11-10', mode_of_payment: mode, paid_from_account_currency: 'EUR', paid_amount: amount, paid_to_account_currency: 'EUR', received_amount: amount, reference_no: null, references, ...extra };
}

describe.sequential('ERPNext finance through the engine: receivables, payments, stock; aged', () => {
  const frappe = new FrappeFake();
  let t: TestHub;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const names: Record<string, string> = {};

  beforeAll(async () => {
    await frappe.start();
    t = await startTestHub({
      workers: true,
      env: { ERPNEXT_API_KEY: FRAPPE_KEY, ERPNEXT_API_SECRET: FRAPPE_SECRET, ERPNEXT_WEBHOOK_SECRET: WEBHOOK_SECRET },
      config: {
        connectors: { erpnext: { type: 'erpnext', baseUrl: frappe.url, apiKeyEnv: 'ERPNEXT_API_KEY', apiSecretEnv: 'ERPNEXT_API_SECRET', timeZone: 'UTC' } },
        sync: {
          sources: {
            erpnext: { entities: ['customer', 'product', 'receivable', 'payment', 'inventory'], pollIntervalSeconds: 0, pageSize: 3, deletes: ['receivable', 'payment'], webhookSecretEnv: 'ERPNEXT_WEBHOOK_SECRET' },
          },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await frappe.close();
  });

  const runner = () => t.hub.sync.sources.get('erpnext')!;
  const drained = async () => {
    const c = await runner().queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
  };
  const poll = async (entity: EntityName) => {
    await runner().pollNow(entity);
    await until(`erpnext ${entity} polled`, drained);
  };
  const count = (entity: EntityName) => t.hub.store.records.count(ENTITIES[entity]);
  const receivable = async (key: string) => (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [names[key]!]))[0];
  const waiting = async (entity: EntityName) => t.hub.store.deadLetters.count({ target: 'erpnext', direction: 'in', entity, errorCode: 'unresolved_reference', state: 'open' });
  const submitted = (key: string, doctype: string, fields: Record<string, unknown>) => {
    const doc = frappe.insert(doctype, fields);
    names[key] = doc.name;
    frappe.submit(doctype, doc.name);
  };
  /** The aging of every receivable the API lists (as a report reads them), per currency. */
  const aged = async (): Promise<Record<string, CurrencyTotals>> => {
    const res = await t.api.get('/api/v1/receivables').query({ limit: 500 }).set(auth());
    expect(res.status).toBe(200);
    const aging = new AgingAccumulator<{ currency: string; balance: string; dueDate: string; status: string }>(AS_OF);
    for (const r of res.body.items) aging.add(r);
    return Object.fromEntries(aging.total().map((c) => [c.currency, c]));
  };

  it('lets invoices and payments whose customer has not come wait, makes no customer up, and lands them when the customers come', async () => {
    frappe.insert('Customer', customer('Alpha GmbH', 'EUR'));
    frappe.insert('Customer', customer('Beta Inc', 'USD'));
    const [alpha, beta] = [...frappe.table('Customer').keys()] as [string, string];
    submitted('A', 'Sales Invoice', invoice(alpha, { grand: 1190.45, rounded: 1190, outstanding: 1190, due: '2026-10-31', status: 'Overdue' }));
    // 300.3 − 100.1 is 200.20000000000002 in binary floats.
    submitted('B', 'Sales Invoice', invoice(alpha, { grand: 300.3, rounded: 0, outstanding: 100.1, due: '2026-12-15', status: 'Partly Paid' }));
    submitted('C', 'Sales Invoice', invoice(beta, { currency: 'USD', grand: 999.99, rounded: 0, outstanding: 999.99, posting: '2026-07-16', due: '2026-08-15', status: 'Overdue' }));
    names['D'] = frappe.insert('Sales Invoice', invoice(alpha, { grand: 777, outstanding: 777, due: '2026-12-01', status: 'Draft' })).name;
    submitted('E', 'Sales Invoice', { ...invoice(alpha, { grand: -80, outstanding: -80, due: '2026-11-20', status: 'Return', isReturn: true }), return_against: names['A'] });
    submitted('F', 'Sales Invoice', invoice(beta, { currency: 'USD', grand: 50, outstanding: 50, due: '2026-12-31', status: 'Unpaid' }));
    // A USD invoice booked to the company's EUR debtors account: ERPNext keeps what is owed in EUR.
    submitted('G', 'Sales Invoice', invoice(alpha, { currency: 'USD', party: 'EUR', grand: 100, base: [90.12, 90], outstanding: 90, due: '2026-12-20', status: 'Unpaid' }));
    submitted('H', 'Sales Invoice', invoice(alpha, { grand: 100, outstanding: -20, due: '2026-11-01', status: 'Paid' }));
    submitted('P1', 'Payment Entry', payment(alpha, 200.2, [{ reference_doctype: 'Sales Invoice', reference_name: names['B']!, allocated_amount: 200.2 }], 'Wire Transfer', { reference_no: 'SEPA-2026-0042' }));
    submitted('P4', 'Payment Entry', payment(beta, 25, [{ reference_doctype: 'Sales Order', reference_name: 'SAL-ORD-2026-00001', allocated_amount: 25 }], 'Credit Card', { paid_from_account_currency: 'USD' }));
    // Never read: a payment to a supplier, and drafts.
    submitted('P2', 'Payment Entry', { ...payment('SUP-0001', 400, [], 'Cheque'), payment_type: 'Pay', party_type: 'Supplier' });
    names['P3'] = frappe.insert('Payment Entry', payment(alpha, 10, [], 'Cash')).name;

    // Payments and invoices polled before their customers: every one waits, visibly.
    await poll('payment');
    await poll('receivable');
    expect(await count('receivable')).toBe(0);
    expect(await count('payment')).toBe(0);
    expect(await count('customer')).toBe(0);
    expect(await waiting('receivable')).toBe(7);
    expect(await waiting('payment')).toBe(2);
    const [letter] = await t.hub.store.deadLetters.list({ target: 'erpnext', entity: 'receivable', state: 'open' }, 1);
    expect(letter?.errorMessage).toBe('erpnext.receivable.in: customerId: the customer it refers to has no id link in this system yet');

    // The customers come: the invoices land, then the payments that refer to them.
    await poll('customer');
    expect(await count('customer')).toBe(2);
    expect(await count('receivable')).toBe(7);
    expect(await count('payment')).toBe(2);
    expect(await waiting('receivable')).toBe(0);
    expect(await waiting('payment')).toBe(0);
    expect(await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [names['D']!])).toEqual([]);
  });

  it('maps each invoice shape exactly: rounding, partial payment, credit note, overpayment, two currencies', async () => {
    const alpha = (await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', ['CUST-2026-00001']))[0]!;
    const pick = (r: Record<string, unknown> | undefined) => r && { customerId: r['customerId'], currency: r['currency'], amount: r['amount'], paidAmount: r['paidAmount'], balance: r['balance'], status: r['status'], issueDate: r['issueDate'], dueDate: r['dueDate'] };
    // outstanding_amount is computed from rounded_total, so amount is 1190, not 1190.45.
    expect(pick(await receivable('A'))).toEqual({ customerId: alpha.id, currency: 'EUR', amount: '1190', paidAmount: '0', balance: '1190.00', status: 'open', issueDate: '2026-10-01', dueDate: '2026-10-31' });
    expect(pick(await receivable('B'))).toMatchObject({ amount: '300.3', paidAmount: '200.2', balance: '100.10', status: 'partially_paid' });
    expect(pick(await receivable('C'))).toMatchObject({ currency: 'USD', amount: '999.99', paidAmount: '0', balance: '999.99', status: 'open' });
    expect(pick(await receivable('E'))).toMatchObject({ currency: 'EUR', amount: '-80', paidAmount: '0', balance: '-80.00', status: 'open' });
    expect(pick(await receivable('G'))).toMatchObject({ currency: 'EUR', amount: '90', paidAmount: '0', balance: '90.00', status: 'open' });
    expect(pick(await receivable('H'))).toMatchObject({ amount: '100', paidAmount: '120', balance: '-20.00', status: 'paid' });

    const payments = (await t.api.get('/api/v1/payments').query({ limit: 50 }).set(auth())).body.items as Record<string, unknown>[];
    const byAmount = Object.fromEntries(payments.map((p) => [p['amount'], p]));
    expect(byAmount['200.2']).toMatchObject({ customerId: alpha.id, receivableId: (await receivable('B'))!.id, date: '2026-11-10', currency: 'EUR', method: 'bank_transfer', reference: 'SEPA-2026-0042' });
    expect(byAmount['25']).toMatchObject({ currency: 'USD', method: 'card' });
    expect(byAmount['25']?.['receivableId']).toBeUndefined();
  });

  it('ages the receivables per currency, and the aging follows a payment and a cancellation', async () => {
    const before = await aged();
    // EUR: B 100.10 + G 90 current; A 1190 and the credit note −80 1–30 days late; H is overpaid (paid).
    expect(before['EUR']).toEqual({ currency: 'EUR', count: 4, buckets: { current: '190.10', d1_30: '1110.00', d31_60: '0.00', d61_90: '0.00', over_90: '0.00' }, total: '1300.10' });
    expect(before['USD']).toEqual({ currency: 'USD', count: 2, buckets: { current: '50.00', d1_30: '0.00', d31_60: '0.00', d61_90: '0.00', over_90: '999.99' }, total: '1049.99' });

    // The customer pays A in full (ERPNext sets its outstanding to 0), and F is cancelled.
    submitted('P5', 'Payment Entry', payment(frappe.table('Sales Invoice').get(names['A']!)!['customer'] as string, 1190, [{ reference_doctype: 'Sales Invoice', reference_name: names['A']!, allocated_amount: 1190 }], 'Cash'));
    frappe.update('Sales Invoice', names['A']!, { outstanding_amount: 0, status: 'Paid' });
    const f = (await receivable('F'))!;
    frappe.cancel('Sales Invoice', names['F']!);
    await poll('receivable');
    await poll('payment');

    expect(await receivable('A')).toMatchObject({ paidAmount: '1190', balance: '0.00', status: 'paid' });
    expect(await receivable('F')).toBeUndefined();
    expect((await t.api.get(`/api/v1/receivables/${f.id}`).set(auth())).status).toBe(404);
    expect((await t.hub.sync.stats.get('erpnext', 'receivable', 'in')).counts.deleted).toBe(1);
    expect(await count('payment')).toBe(3);

    const after = await aged();
    expect(after['EUR']).toEqual({ currency: 'EUR', count: 3, buckets: { current: '190.10', d1_30: '-80.00', d31_60: '0.00', d61_90: '0.00', over_90: '0.00' }, total: '110.10' });
    expect(after['USD']).toEqual({ currency: 'USD', count: 1, buckets: { current: '0.00', d1_30: '0.00', d31_60: '0.00', d61_90: '0.00', over_90: '999.99' }, total: '999.99' });

    // A cancelled payment entry is withdrawn too.
    frappe.cancel('Payment Entry', names['P4']!);
    await poll('payment');
    expect(await count('payment')).toBe(2);
  });

  it('creates nothing from a draft that arrives by webhook; a submitted one for a customer not yet known waits and lands when the customer comes', async () => {
    const hook = async (doc: Record<string, unknown>) => {
      const body = JSON.stringify(doc);
      const signature = createHmac('sha256', WEBHOOK_SECRET).update(body).digest('base64');
      return t.api.post('/api/v1/webhooks/erpnext').set('Content-Type', 'application/json').set('X-Frappe-Webhook-Signature', signature).send(body);
    };
    const receivables = await count('receivable');
    const draft = frappe.insert('Sales Invoice', invoice('CUST-2026-00001', { grand: 55, outstanding: 55, due: '2026-12-31', status: 'Draft' }));
    const refused = await hook({ doctype: 'Sales Invoice', ...draft });
    expect(refused.status).toBe(202);
    expect(refused.body).toEqual({ accepted: 0 });

    // Gamma is made in ERPNext after its first invoice was submitted and sent.
    const gammaName = 'CUST-2026-00003';
    const early = frappe.insert('Sales Invoice', invoice(gammaName, { grand: 42, outstanding: 42, due: '2026-12-31', status: 'Unpaid' }));
    const sent = frappe.submit('Sales Invoice', early.name);
    expect((await hook({ doctype: 'Sales Invoice', ...sent })).body).toEqual({ accepted: 1 });
    await until('the invoice waiting', async () => ((await waiting('receivable')) === 1 ? true : undefined));
    await until('the webhook job done', drained);
    expect(await count('receivable')).toBe(receivables);
    expect(await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', [gammaName])).toEqual([]);

    expect(frappe.insert('Customer', customer('Gamma AG', 'EUR')).name).toBe(gammaName);
    await poll('customer');
    expect(await count('receivable')).toBe(receivables + 1);
    expect(await waiting('receivable')).toBe(0);
    const landed = (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [early.name]))[0];
    expect(landed).toMatchObject({ amount: '42', balance: '42.00' });
    // The draft was never polled either.
    await poll('receivable');
    expect(await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [draft.name])).toEqual([]);
  });

  it('drops an invoice that waited for its customer once it is cancelled: it does not land when the customer comes', async () => {
    const deltaName = 'CUST-2026-00004';
    const doc = frappe.insert('Sales Invoice', invoice(deltaName, { grand: 64, outstanding: 64, due: '2026-12-31', status: 'Unpaid' }));
    frappe.submit('Sales Invoice', doc.name);
    await poll('receivable');
    expect(await waiting('receivable')).toBe(1);
    frappe.cancel('Sales Invoice', doc.name);
    await poll('receivable');
    expect(await waiting('receivable')).toBe(0);
    expect(frappe.insert('Customer', customer('Delta SE', 'EUR')).name).toBe(deltaName);
    await poll('customer');
    expect(await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', [deltaName])).toHaveLength(1);
    expect(await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [doc.name])).toEqual([]);
  });

  it('takes stock levels from Bin: on hand and reserved, available derived, the warehouse as a code; waits for its item', async () => {
    frappe.insert('Bin', { item_code: 'BOLT-M8', warehouse: 'Finished Goods - WP', actual_qty: 120.5, reserved_qty: 20, ordered_qty: 40, projected_qty: 140.5, reserved_qty_for_production: 0, stock_uom: 'Nos' });
    await poll('inventory');
    expect(await count('inventory')).toBe(0);
    expect(await waiting('inventory')).toBe(1);
    frappe.insert('Item', { item_code: 'BOLT-M8', item_name: 'Hex bolt M8', item_group: 'Products', stock_uom: 'Nos', standard_rate: 0.35, valuation_rate: 0.2, disabled: 0 });
    await poll('product');
    const product = (await t.hub.store.records.findByColumn(ENTITIES.product, 'sku', ['BOLT-M8']))[0]!;
    const res = await t.api.get('/api/v1/inventory').query({ productId: product.id }).set(auth());
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ productId: product.id, warehouse: 'Finished_Goods-WP', onHand: '120.5', reserved: '20', available: '100.5' })]);
  });
});
