import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { SAP_COMPANY, SAP_PASSWORD, SAP_USER, SapB1Fake } from '../fixtures/sapb1-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * SAP Business One through the engine: the sapb1 connector (its default mappings) polls a local Service
 * Layer that keeps SAP's semantics (login cookies, OData paging, documents numbered by SAP, lines merged
 * by LineNum, cancellation instead of deletion). Customers, items, stock, A/R invoices and incoming
 * payments come in — invoices and payments whose customer has not come wait and land when it does,
 * amounts exact in local and foreign currency, a cancelled invoice or payment withdrawn — and orders
 * made in the hub go out: created with the hub's number in NumAtCard, their lines updated by LineNum
 * and dropped with B1S-ReplaceCollectionsOnPatch, cancelled when deleted; an order SAP refuses is a
 * dead letter with SAP's code, its message without the value SAP quoted. A session that timed out is
 * renewed on the way.
 */

const bp = (code: string, name: string, currency: string, extra: Record<string, unknown> = {}) => ({ CardCode: code, CardName: name, CardType: 'cCustomer', Currency: currency, EmailAddress: `${code.toLowerCase()}@example.com`, ...extra });

function invoice(card: string, s: { total: number; paid: number; fc?: [total: number, paid: number]; currency?: string; due: string }): Record<string, unknown> {
  return {
    CardCode: card,
    DocDate: '2026-10-01',
    DocDueDate: s.due,
    DocCurrency: s.currency ?? 'EUR',
    DocTotal: s.total,
    PaidToDate: s.paid,
    DocTotalFc: s.fc?.[0] ?? 0,
    PaidToDateFC: s.fc?.[1] ?? 0,
    DocumentStatus: s.paid === s.total ? 'bost_Close' : 'bost_Open',
    DocumentLines: [{ ItemCode: 'A1', Quantity: 1, UnitPrice: s.total }],
  };
}

describe.sequential('SAP Business One through the engine', () => {
  const sap = new SapB1Fake();
  let t: TestHub;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });

  beforeAll(async () => {
    await sap.start();
    t = await startTestHub({
      workers: true,
      env: { SAP_PASSWORD },
      config: {
        connectors: { sapb1: { type: 'sapb1', baseUrl: sap.url, companyDb: SAP_COMPANY, userName: SAP_USER, passwordEnv: 'SAP_PASSWORD', timeZone: 'UTC', pageSize: 2, timeoutMs: 5000 } },
        sync: {
          relayIntervalMs: 100,
          sources: { sapb1: { entities: ['customer', 'product', 'inventory', 'receivable', 'payment'], pollIntervalSeconds: 0, pageSize: 3, deletes: ['receivable', 'payment'] } },
          targets: { sapb1: { entities: ['order'], deletes: true, attempts: 2, backoffMs: 50 } },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await sap.close();
  });

  const runner = () => t.hub.sync.sources.get('sapb1')!;
  const poll = async (entity: EntityName) => {
    await runner().pollNow(entity);
    await until(`sapb1 ${entity} polled`, async () => {
      const c = await runner().queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const count = (entity: EntityName) => t.hub.store.records.count(ENTITIES[entity]);
  const receivable = async (number: string) => (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [number]))[0];
  const waiting = (entity: EntityName) => t.hub.store.deadLetters.count({ target: 'sapb1', direction: 'in', entity, errorCode: 'unresolved_reference', state: 'open' });
  const hubId = async (entity: 'customer' | 'product', column: string, value: string) => (await t.hub.store.records.findByColumn(ENTITIES[entity], column, [value]))[0]!.id as string;

  it('lets invoices and payments wait for their customer, then lands them with exact amounts', async () => {
    sap.insert('Items', { ItemCode: 'A1', ItemName: 'Hex bolt M8', InventoryUOM: 'Each', AvgStdPrice: 0.2, ItemPrices: [{ PriceList: 1, Price: 0.35, Currency: 'EUR' }] });
    const a = sap.insert('Invoices', invoice('C1', { total: 1190.45, paid: 0, due: '2026-10-31' }));
    // 300.3 − 100.2 is 200.10000000000002 in binary floats.
    const b = sap.insert('Invoices', invoice('C1', { total: 300.3, paid: 100.2, due: '2026-12-15' }));
    // A USD invoice of a EUR company: DocTotal in EUR, DocTotalFc / PaidToDateFC in USD.
    const c = sap.insert('Invoices', invoice('C2', { total: 920.5, paid: 0, fc: [999.99, 25], currency: 'USD', due: '2026-10-15' }));
    sap.insert('IncomingPayments', { DocType: 'rCustomer', CardCode: 'C1', DocDate: '2026-11-10', DocCurrency: 'EUR', CashSum: 0.1, TransferSum: 100.1, TransferReference: 'SEPA-2026-0042', BillOfExchangeAmount: 0, Cancelled: 'tNO', PaymentChecks: [], PaymentCreditCards: [], PaymentInvoices: [{ LineNum: 0, DocEntry: b['DocEntry'], SumApplied: 100.2, InvoiceType: 'it_Invoice' }] });
    sap.insert('IncomingPayments', { DocType: 'rCustomer', CardCode: 'C2', DocDate: '2026-11-11', DocCurrency: 'USD', CashSum: 25, TransferSum: 0, BillOfExchangeAmount: 0, Cancelled: 'tNO', PaymentChecks: [], PaymentCreditCards: [], PaymentInvoices: [{ LineNum: 0, DocEntry: c['DocEntry'], SumApplied: 25, InvoiceType: 'it_Invoice' }] });
    // Never read: a payment on account of a G/L account, and a supplier.
    sap.insert('IncomingPayments', { DocType: 'rAccount', CardCode: null, DocDate: '2026-11-11', DocCurrency: 'EUR', CashSum: 5, Cancelled: 'tNO' });
    sap.insert('BusinessPartners', bp('V1', 'Supplier One', 'EUR', { CardType: 'cSupplier' }));

    await poll('payment');
    await poll('receivable');
    expect(await count('receivable')).toBe(0);
    expect(await waiting('receivable')).toBe(3);
    expect(await waiting('payment')).toBe(2);

    sap.insert('BusinessPartners', bp('C1', 'Alpha GmbH', 'EUR'));
    sap.insert('BusinessPartners', bp('C2', 'Beta Inc', 'USD', { CompanyPrivate: 'cPrivate', Frozen: 'tYES' }));
    await poll('customer');
    expect(await count('customer')).toBe(2);
    expect(await count('receivable')).toBe(3);
    expect(await count('payment')).toBe(2);

    const alpha = await hubId('customer', 'code', 'C1');
    const pick = (r: Record<string, unknown> | undefined) => r && { customerId: r['customerId'], currency: r['currency'], amount: r['amount'], paidAmount: r['paidAmount'], balance: r['balance'], status: r['status'], dueDate: r['dueDate'] };
    expect(pick(await receivable(String(a['DocNum'])))).toEqual({ customerId: alpha, currency: 'EUR', amount: '1190.45', paidAmount: '0', balance: '1190.45', status: 'open', dueDate: '2026-10-31' });
    expect(pick(await receivable(String(b['DocNum'])))).toMatchObject({ amount: '300.3', paidAmount: '100.2', balance: '200.10', status: 'partially_paid' });
    expect(pick(await receivable(String(c['DocNum'])))).toMatchObject({ currency: 'USD', amount: '999.99', paidAmount: '25', balance: '974.99' });
    const beta = (await t.hub.store.records.findByColumn(ENTITIES.customer, 'code', ['C2']))[0]!;
    expect(beta).toMatchObject({ name: 'Beta Inc', kind: 'person', currency: 'USD', status: 'inactive', email: 'c2@example.com' });

    const payments = (await t.api.get('/api/v1/payments').query({ limit: 50 }).set(auth())).body.items as Record<string, unknown>[];
    const byAmount = Object.fromEntries(payments.map((p) => [p['amount'], p]));
    expect(byAmount['100.2']).toMatchObject({ customerId: alpha, receivableId: (await receivable(String(b['DocNum'])))!['id'], date: '2026-11-10', currency: 'EUR', method: 'bank_transfer', reference: 'SEPA-2026-0042' });
    expect(byAmount['25']).toMatchObject({ currency: 'USD', method: 'cash' });
  });

  it('withdraws a cancelled invoice and a cancelled payment', async () => {
    const [a] = [...sap.set('Invoices').values()];
    const before = await count('receivable');
    sap.update('Invoices', String(a!['DocEntry']), { Cancelled: 'tYES', CancelStatus: 'csYes', DocumentStatus: 'bost_Close' });
    await poll('receivable');
    expect(await count('receivable')).toBe(before - 1);
    expect(await receivable(String(a!['DocNum']))).toBeUndefined();
    const [p] = [...sap.set('IncomingPayments').values()];
    sap.update('IncomingPayments', String(p!['DocEntry']), { Cancelled: 'tYES' });
    await poll('payment');
    expect(await count('payment')).toBe(1);
  });

  it('takes products and stock per warehouse, available derived; a timed-out session is renewed on the way', async () => {
    sap.update('Items', 'A1', { ItemWarehouseInfoCollection: [{ WarehouseCode: '01', InStock: 120.5, Committed: 20, Ordered: 40 }, { WarehouseCode: 'WH-02', InStock: 0, Committed: 0, Ordered: 0 }] });
    sap.insert('Items', { ItemCode: 'A2', ItemName: 'Hex nut M8', InventoryUOM: 'Each', ItemPrices: [{ PriceList: 1, Price: 0.1, Currency: 'EUR' }], ItemWarehouseInfoCollection: [{ WarehouseCode: '01', InStock: 500, Committed: 0, Ordered: 0 }] });
    const logins = sap.logins;
    sap.expireSessions();
    await poll('product');
    expect(sap.logins).toBe(logins + 1);
    const bolt = (await t.hub.store.records.findByColumn(ENTITIES.product, 'sku', ['A1']))[0]!;
    expect(bolt).toMatchObject({ name: 'Hex bolt M8', uom: 'EA', listPrice: '0.35', cost: '0.20', currency: 'EUR', active: true });
    await poll('inventory');
    const res = await t.api.get('/api/v1/inventory').query({ productId: bolt.id }).set(auth());
    expect(res.body.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ warehouse: '01', onHand: '120.5', reserved: '20', available: '100.5' }),
      expect.objectContaining({ warehouse: 'WH-02', onHand: '0', reserved: '0' }),
    ]));
    expect(await count('inventory')).toBe(3);
  });

  it('sends an order made in the hub, updates its lines by LineNum, drops one, and cancels it when deleted', async () => {
    const [alpha, a1, a2] = [await hubId('customer', 'code', 'C1'), await hubId('product', 'sku', 'A1'), await hubId('product', 'sku', 'A2')];
    const created = await t.api.post('/api/v1/orders').set(auth()).send({ number: 'SO-1001', customerId: alpha, orderDate: '2026-11-21', currency: 'EUR', lines: [{ productId: a1, quantity: '10', unitPrice: '0.35' }, { productId: a2, quantity: '100', unitPrice: '0.10', discount: '10' }] });
    expect(created.status).toBe(201);
    const doc = await until('the order in SAP', () => [...sap.set('Orders').values()].find((o) => o['NumAtCard'] === 'SO-1001'));
    expect(doc).toMatchObject({ CardCode: 'C1', DocDate: '2026-11-21', DocDueDate: '2026-11-21', DocCurrency: 'EUR', DocTotal: 12.5 });
    expect((doc['DocumentLines'] as Record<string, unknown>[]).map((l) => [l['LineNum'], l['ItemCode'], l['Quantity']])).toEqual([[0, 'A1', 10], [1, 'A2', 100]]);

    const edit = await t.api.patch(`/api/v1/orders/${created.body.id}`).set(auth()).set('If-Match', `"${created.body.version}"`).send({ lines: [{ productId: a1, quantity: '12', unitPrice: '0.35' }] });
    expect(edit.status).toBe(200);
    await until('the lines updated in SAP', () => ((doc['DocumentLines'] as unknown[]).length === 1 ? true : undefined));
    expect((doc['DocumentLines'] as Record<string, unknown>[]).map((l) => [l['LineNum'], l['ItemCode'], l['Quantity']])).toEqual([[0, 'A1', 12]]);
    const patch = sap.requests.filter((r) => r.method === 'PATCH' && r.url === `/b1s/v1/Orders(${String(doc['DocEntry'])})`).at(-1)!;
    expect(patch.headers['b1s-replacecollectionsonpatch']).toBe('true');
    expect(sap.set('Orders').size).toBe(1);

    const removed = await t.api.delete(`/api/v1/orders/${created.body.id}`).set(auth()).set('If-Match', `"${edit.body.version}"`);
    expect(removed.status).toBe(204);
    await until('the order cancelled in SAP', () => (doc['Cancelled'] === 'tYES' ? true : undefined));
    expect(sap.set('Orders').size).toBe(1);
  });

  it('an order SAP refuses is a dead letter with SAP\'s code and no value; the next one lands', async () => {
    const [beta, alpha, a1] = [await hubId('customer', 'code', 'C2'), await hubId('customer', 'code', 'C1'), await hubId('product', 'sku', 'A1')];
    const line = [{ productId: a1, quantity: '1', unitPrice: '0.35' }];
    expect((await t.api.post('/api/v1/orders').set(auth()).send({ number: 'SO-2001', customerId: beta, orderDate: '2026-11-22', currency: 'USD', lines: line })).status).toBe(201);
    expect((await t.api.post('/api/v1/orders').set(auth()).send({ number: 'SO-2002', customerId: alpha, orderDate: '2026-11-22', currency: 'EUR', lines: line })).status).toBe(201);
    await until('the second order in SAP', () => [...sap.set('Orders').values()].find((o) => o['NumAtCard'] === 'SO-2002'));
    const letter = await until('the dead letter', async () => (await t.hub.store.deadLetters.list({ state: 'open', target: 'sapb1', direction: 'out' }, 10)).find((l) => l.entity === 'order'));
    // Beta is frozen in SAP: -10 "Business partner 'C2' is inactive".
    expect(letter).toMatchObject({ errorCode: 'sap_-10', errorMessage: 'sapb1: POST Orders was refused: HTTP 400 (SAP -10)' });
    expect([...sap.set('Orders').values()].some((o) => o['NumAtCard'] === 'SO-2001')).toBe(false);
  });
});
