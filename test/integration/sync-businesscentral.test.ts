import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { BcFake } from '../fixtures/bc-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * Business Central through the engine, against the local BC fake (test/fixtures/bc-fake.ts) with the
 * connector's default mappings: customers, products and orders made in the hub land in BC (orders
 * with their lines in one deep insert; a changed order changes its lines through their own endpoint
 * with their etags); a record changed in BC meanwhile is read again after 409 and written; stock,
 * posted invoices and customer payments come back, drafts never; a cancelled invoice withdraws its
 * receivable; a refused record is a dead letter naming BC's code but not the value; an expired token
 * is renewed and throttling (429 with Retry-After, also inside a $batch) is waited out.
 */

describe.sequential('Business Central through the engine', () => {
  const bc = new BcFake();
  let t: TestHub;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await bc.start();
    t = await startTestHub({
      workers: true,
      env: bc.env(),
      config: {
        connectors: { businesscentral: bc.config() as never },
        sync: {
          relayIntervalMs: 100,
          // Bound to the default policy's businesscentral receiver (the main ERP's view).
          targets: { businesscentral: { entities: ['customer', 'product', 'order'], backoffMs: 50, attempts: 8 } },
          sources: { businesscentral: { entities: ['customer', 'inventory', 'receivable', 'payment'], pollIntervalSeconds: 0, deletes: ['receivable'] } },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await bc.close();
  });

  const drained = async () => until('deliveries to BC to finish', async () => ((await t.hub.sync.targets.get('businesscentral')!.depth()).oldestMs === null ? true : undefined), 30_000);
  /** Waits until BC shows what `probe` looks for (the outbox relay and the delivery queue run on their own), then for the queue to drain. */
  const delivered = async (what = 'the delivery', probe: () => boolean = () => true) => {
    await until(what, () => (probe() ? true : undefined), 30_000);
    await drained();
  };
  const poll = async (entity: EntityName) => {
    const source = t.hub.sync.sources.get('businesscentral')!;
    await source.pollNow(entity);
    await until(`BC ${entity} polled`, async () => {
      const c = await source.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const batches = () => bc.requests.filter((r) => r.path === '/$batch');
  const inner = (method: string, pathPart: string) => bc.requests.filter((r) => r.inner && r.method === method && r.path.includes(pathPart));
  const get = async (path: string) => (await t.api.get(path).set(auth())).body;

  it('delivers customers and products to BC through $batch, numbered by the hub', async () => {
    for (const [code, name, currency] of [['C-100', 'Alpha Maschinenbau GmbH', 'EUR'], ['C-200', 'Beta Tools Inc', 'USD']] as const) {
      const res = await t.api.post('/api/v1/customers').set(auth()).send({ code, name, kind: 'company', currency, email: `ap@${code.toLowerCase()}.example`, billingAddress: { line1: 'Hafenstraße 1', city: 'Hamburg', country: 'DE' } });
      expect(res.status).toBe(201);
      ids[code] = res.body.id;
    }
    for (const [sku, name, price] of [['BOLT-M8', 'Hex bolt M8', '0.35'], ['NUT-M8', 'Hex nut M8', '0.12']] as const) {
      const res = await t.api.post('/api/v1/products').set(auth()).send({ sku, name, uom: 'EA', listPrice: price, cost: '0.10', currency: 'EUR', active: true });
      expect(res.status).toBe(201);
      ids[sku] = res.body.id;
    }
    await delivered('customers and items in BC', () => ['C-100', 'C-200'].every((n) => bc.byNumber('customers', n)) && ['BOLT-M8', 'NUT-M8'].every((n) => bc.byNumber('items', n)));
    expect(bc.byNumber('customers', 'C-100')).toMatchObject({ displayName: 'Alpha Maschinenbau GmbH', type: 'Company', email: 'ap@c-100.example', country: 'DE', currencyCode: 'EUR', blocked: ' ' });
    expect(bc.byNumber('customers', 'C-200')).toMatchObject({ currencyCode: 'USD' });
    expect(bc.byNumber('items', 'BOLT-M8')).toMatchObject({ displayName: 'Hex bolt M8', type: 'Inventory', baseUnitOfMeasureCode: 'PCS', unitPrice: 0.35, unitCost: 0.1, blocked: false });
    expect(batches().length).toBeGreaterThan(0);
    // The policy keeps the address lines from this target: only the country went.
    expect(JSON.stringify(inner('POST', '/customers'))).not.toContain('Hafenstraße');
  });

  it('reads the customers back without changing them (no ping-pong)', async () => {
    const before = await get(`/api/v1/customers/${ids['C-100']}`);
    await poll('customer');
    expect(await t.hub.store.records.count(ENTITIES.customer)).toBe(2);
    expect((await get(`/api/v1/customers/${ids['C-100']}`)).version).toBe(before.version);
  });

  it('writes only the changed field with the record\'s etag; after a change made in BC meanwhile (409) it reads the record again and keeps what the hub does not map', async () => {
    const bcId = bc.byNumber('customers', 'C-100')!.id;
    const customer = await t.api.get(`/api/v1/customers/${ids['C-100']}`).set(auth());
    // A BC user edits the street just before the hub's write arrives (the hub's mapping leaves it to BC).
    bc.interfere('customers', bcId, { addressLine1: 'Kaistraße 7' });
    const res = await t.api.patch(`/api/v1/customers/${ids['C-100']}`).set(auth()).set('If-Match', customer.headers['etag'] as string).send({ name: 'Alpha Maschinenbau AG' });
    expect(res.status).toBe(200);
    await delivered('the new name in BC', () => bc.byNumber('customers', 'C-100')?.['displayName'] === 'Alpha Maschinenbau AG');
    const patches = inner('PATCH', `/customers(${bcId})`);
    expect(patches.length).toBe(2);
    expect(patches.map((p) => p.body)).toEqual([{ displayName: 'Alpha Maschinenbau AG' }, { displayName: 'Alpha Maschinenbau AG' }]);
    expect(patches[0]!.headers['if-match']).not.toBe(patches[1]!.headers['if-match']);
    expect(bc.byNumber('customers', 'C-100')).toMatchObject({ displayName: 'Alpha Maschinenbau AG', addressLine1: 'Kaistraße 7' });
  });

  it('creates an order with its lines in one request, and changes them through the lines endpoint', async () => {
    const res = await t.api.post('/api/v1/orders').set(auth()).send({
      number: 'SO-1001', customerId: ids['C-100'], orderDate: '2026-11-20', deliveryDate: '2026-11-30', currency: 'EUR',
      lines: [{ productId: ids['BOLT-M8'], quantity: '100', unitPrice: '0.35' }, { productId: ids['NUT-M8'], quantity: '100', unitPrice: '0.12', discount: '10' }],
    });
    expect(res.status).toBe(201);
    await delivered('the order in BC', () => bc.records('salesOrders').some((o) => o['externalDocumentNumber'] === 'SO-1001'));
    const order = bc.records('salesOrders').find((o) => o['externalDocumentNumber'] === 'SO-1001')!;
    expect(order).toMatchObject({ customerNumber: 'C-100', orderDate: '2026-11-20', requestedDeliveryDate: '2026-11-30', totalAmountExcludingTax: 45.8 });
    expect(bc.orderLines(order.id).map((l) => [l['lineObjectNumber'], l['quantity'], l['unitPrice'], l['discountPercent']])).toEqual([['BOLT-M8', 100, 0.35, 0], ['NUT-M8', 100, 0.12, 10]]);
    expect(inner('POST', '/salesOrders').filter((r) => !r.path.includes('salesOrderLines'))).toHaveLength(1);

    const changed = await t.api.patch(`/api/v1/orders/${res.body.id}`).set(auth()).set('If-Match', res.headers['etag'] as string).send({
      lines: [{ productId: ids['BOLT-M8'], quantity: '250', unitPrice: '0.35' }, { productId: ids['NUT-M8'], quantity: '100', unitPrice: '0.12', discount: '10' }, { productId: ids['NUT-M8'], quantity: '5', unitPrice: '0.15' }],
    });
    expect(changed.status).toBe(200);
    await delivered('the order lines changed in BC', () => bc.orderLines(order.id).length === 3);
    expect(bc.orderLines(order.id).map((l) => [l['lineObjectNumber'], l['quantity']])).toEqual([['BOLT-M8', 250], ['NUT-M8', 100], ['NUT-M8', 5]]);
    expect(inner('PATCH', '/salesOrderLines(').map((r) => r.body)).toEqual([{ quantity: 250 }]);
    expect(inner('POST', `/salesOrders(${order.id})/salesOrderLines`)).toHaveLength(1);
    expect(bc.records('salesOrders').filter((o) => o['externalDocumentNumber'] === 'SO-1001')).toHaveLength(1);
  });

  it('a record BC refuses is a dead letter with BC\'s code and without the value; the rest land', async () => {
    const long = `Industrial lubricant for high-temperature bearings, food grade, NSF H1 registered, 400 g cartridge ${'x'.repeat(20)}`;
    const bad = await t.api.post('/api/v1/products').set(auth()).send({ sku: 'LUBE-400', name: long, uom: 'EA', listPrice: '9.90', currency: 'EUR' });
    const good = await t.api.post('/api/v1/products').set(auth()).send({ sku: 'WASHER-8', name: 'Washer 8 mm', uom: 'EA', listPrice: '0.05', currency: 'EUR' });
    expect([bad.status, good.status]).toEqual([201, 201]);
    await delivered('the good item in BC', () => bc.byNumber('items', 'WASHER-8') !== undefined);
    await until('the dead letter', async () => ((await t.hub.store.deadLetters.count({ target: 'businesscentral', entity: 'product', state: 'open' })) === 1 ? true : undefined));
    expect(bc.byNumber('items', 'WASHER-8')).toBeDefined();
    expect(bc.byNumber('items', 'LUBE-400')).toBeUndefined();
    const letters = await t.hub.store.deadLetters.list({ target: 'businesscentral', entity: 'product', state: 'open' }, 10);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.errorMessage).toContain('Application_StringExceededLength');
    expect(letters[0]!.errorMessage).not.toContain('lubricant');
    expect(letters[0]!.errorMessage).not.toContain('cartridge');
    expect(letters[0]!.errorMessage).not.toContain('LUBE');
  });

  it('renews an expired token and waits out throttling (429 with Retry-After), also inside a $batch', async () => {
    const issued = bc.issued;
    bc.expireTokens();
    bc.throttle(1, 1);
    const beta = await t.api.get(`/api/v1/customers/${ids['C-200']}`).set(auth());
    await t.api.patch(`/api/v1/customers/${ids['C-200']}`).set(auth()).set('If-Match', beta.headers['etag'] as string).send({ phone: '+1 312 555 0199' });
    await delivered('the phone number in BC', () => bc.byNumber('customers', 'C-200')?.['phoneNumber'] === '+1 312 555 0199');
    expect(bc.throttledAnswers).toBe(1);
    expect(bc.byNumber('customers', 'C-200')).toMatchObject({ phoneNumber: '+1 312 555 0199' });
    expect(bc.issued).toBe(issued + 1);

    bc.throttleInBatch(1, 1);
    const again = await t.api.get(`/api/v1/customers/${ids['C-200']}`).set(auth());
    await t.api.patch(`/api/v1/customers/${ids['C-200']}`).set(auth()).set('If-Match', again.headers['etag'] as string).send({ website: 'https://beta-tools.example' });
    await delivered('the website in BC', () => bc.byNumber('customers', 'C-200')?.['website'] === 'https://beta-tools.example');
    expect(bc.byNumber('customers', 'C-200')).toMatchObject({ website: 'https://beta-tools.example' });
    expect(bc.throttledAnswers).toBe(2);
    expect(await t.hub.store.deadLetters.count({ target: 'businesscentral', entity: 'customer', state: 'open' })).toBe(0);
  }, 30_000);

  it('brings stock back: every item on the first read, then the items whose ledger moved', async () => {
    bc.postStock('BOLT-M8', 1200);
    bc.postStock('NUT-M8', 800);
    await poll('inventory');
    const level = async (sku: string) => (await get(`/api/v1/inventory?productId=${ids[sku]}`)).items[0];
    expect(await level('BOLT-M8')).toMatchObject({ warehouse: 'ALL', onHand: '1200', reserved: '0', available: '1200' });
    expect(await level('NUT-M8')).toMatchObject({ onHand: '800' });
    const nutBefore = await level('NUT-M8');
    bc.postStock('BOLT-M8', -250);
    await poll('inventory');
    expect(await level('BOLT-M8')).toMatchObject({ onHand: '950', available: '950' });
    expect((await level('NUT-M8')).version).toBe(nutBefore.version);
  });

  it('brings posted invoices back as receivables (drafts never), follows payments, and withdraws a cancelled one', async () => {
    const a = bc.postInvoice({ customerNumber: 'C-100', total: 1190, tax: 190, invoiceDate: '2026-10-01', dueDate: '2026-10-31' });
    const b = bc.postInvoice({ customerNumber: 'C-200', total: 300.3, invoiceDate: '2026-11-01', dueDate: '2026-12-01', currencyCode: 'USD' });
    const draft = bc.draftInvoice('C-100', 55);
    await poll('receivable');
    const receivable = async (number: string) => (await t.hub.store.records.findByColumn(ENTITIES.receivable, 'number', [number]))[0];
    expect(await receivable(String(a['number']))).toMatchObject({ customerId: ids['C-100'], currency: 'EUR', amount: '1190', paidAmount: '0', balance: '1190.00', issueDate: '2026-10-01', dueDate: '2026-10-31' });
    expect(await receivable(String(b['number']))).toMatchObject({ customerId: ids['C-200'], currency: 'USD', amount: '300.3', balance: '300.30' });
    expect(await receivable(String(draft['number']))).toBeUndefined();

    // 300.3 − 100.1 is 200.20000000000002 in binary floats.
    bc.applyPayment(b.id, 100.1);
    bc.applyPayment(a.id, 1190);
    await poll('receivable');
    expect(await receivable(String(b['number']))).toMatchObject({ paidAmount: '100.1', balance: '200.20', status: 'partially_paid' });
    expect(await receivable(String(a['number']))).toMatchObject({ paidAmount: '1190', balance: '0.00', status: 'paid' });

    bc.addPayment({ customerNumber: 'C-100', amount: 1190, postingDate: '2026-11-10', appliesToInvoiceNumber: String(a['number']), documentNumber: 'BANK-0042' });
    bc.addPayment({ customerNumber: 'C-200', amount: -25, postingDate: '2026-11-12' });
    await poll('payment');
    const payments = (await get('/api/v1/payments?limit=50')).items as Record<string, unknown>[];
    expect(payments.map((p) => [p['amount'], p['customerId'], p['receivableId'] ?? null, p['reference'] ?? null]).sort()).toEqual([
      ['1190', ids['C-100'], (await receivable(String(a['number'])))!.id, 'BANK-0042'],
      ['25', ids['C-200'], null, 'G020000'],
    ].sort());

    bc.cancelInvoice(b.id);
    await poll('receivable');
    expect(await receivable(String(b['number']))).toBeUndefined();
    expect((await t.hub.sync.stats.get('businesscentral', 'receivable', 'in')).counts.deleted).toBe(1);
  });
});
