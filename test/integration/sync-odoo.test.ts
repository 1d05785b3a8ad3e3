import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, type EntityName } from '../../core/model/entities.js';
import { ODOO_API_KEY, ODOO_DB, OdooFake } from '../fixtures/odoo-fake.js';
import { startTestHub, type TestHub } from '../helpers.js';
import { until } from './sync-fixtures.js';

/**
 * Odoo through the engine, both ways, with the connector's default mappings over JSON-2, against the
 * local Odoo fake (whole-second write_date answers over microsecond stamps, `false` for empty values,
 * many2one pairs, archived records, one2many commands, Odoo's own error classes): customers, contacts,
 * products, stock, orders, invoices and payments come in; customers and orders go out, orders with
 * their lines updated in place; a refused customer fails alone, with Odoo's words withheld where they
 * quote the record; archived contacts and cancelled invoices withdraw their records.
 */

describe.sequential('Odoo through the engine', () => {
  const odoo = new OdooFake();
  let t: TestHub;
  const auth = () => ({ Authorization: `Bearer ${t.adminToken}` });
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    await odoo.start();
    t = await startTestHub({
      workers: true,
      env: { ODOO_API_KEY },
      config: {
        connectors: { odoo: { type: 'odoo', baseUrl: odoo.url, protocol: 'json2', database: ODOO_DB, apiKeyEnv: 'ODOO_API_KEY', timeoutMs: 5000 } },
        sync: {
          relayIntervalMs: 100,
          sources: { odoo: { entities: ['customer', 'contact', 'product', 'inventory', 'order', 'receivable', 'payment'], pollIntervalSeconds: 0, pageSize: 2, deletes: ['contact', 'receivable', 'payment'] } },
          targets: { odoo: { entities: ['customer', 'order'], backoffMs: 50 } },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await odoo.close();
  });

  const source = () => t.hub.sync.sources.get('odoo')!;
  const poll = async (entity: EntityName) => {
    await source().pollNow(entity);
    await until(`odoo ${entity} polled`, async () => {
      const c = await source().queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0) === 0 ? true : undefined;
    });
  };
  const quiet = async () => until('deliveries to finish', async () => ((await t.hub.sync.targets.get('odoo')!.depth()).oldestMs === null ? true : undefined));
  const hub = async (entity: EntityName, column: string, value: string) => (await t.hub.store.records.findByColumn(ENTITIES[entity], column, [value]))[0];
  const count = (entity: EntityName) => t.hub.store.records.count(ENTITIES[entity]);

  it('brings customers, contacts, products and stock in; quants of one product and location are summed', async () => {
    ids['alpha'] = odoo.insert('res.partner', { name: 'Alpha GmbH', ref: 'C-ALPHA', is_company: true, vat: 'DE811234567', email: 'ap@alpha.example', customer_rank: 2, country_id: 1 }).id;
    ids['beta'] = odoo.insert('res.partner', { name: 'Beta Einzelhandel', is_company: false, customer_rank: 1 }).id;
    // A vendor (no customer rank) is not a customer.
    odoo.insert('res.partner', { name: 'Supplier Ltd', is_company: true, customer_rank: 0 });
    ids['anna'] = odoo.insert('res.partner', { name: 'Anna Schmidt', parent_id: ids['alpha'], function: 'Buyer', email: 'anna@alpha.example', type: 'contact' }).id;
    ids['bolt'] = odoo.insert('product.product', { name: 'Hex bolt M8', default_code: 'BOLT-M8', list_price: 0.35, standard_price: 0.2 }).id;
    ids['nut'] = odoo.insert('product.product', { name: 'Hex nut M8', default_code: 'NUT-M8', list_price: 0.1 }).id;
    const stock = odoo.insert('stock.location', { name: 'Stock', complete_name: 'WH/Stock', usage: 'internal' }).id;
    const customers = odoo.insert('stock.location', { name: 'Customers', complete_name: 'Partners/Customers', usage: 'customer' }).id;
    // Two lots of bolts in WH/Stock: 100.1 + 20.2 on hand (binary floats would make 120.30000000000001).
    odoo.insert('stock.quant', { product_id: ids['bolt'], location_id: stock, quantity: 100.1, reserved_quantity: 5 });
    odoo.insert('stock.quant', { product_id: ids['bolt'], location_id: stock, quantity: 20.2, reserved_quantity: 15 });
    odoo.insert('stock.quant', { product_id: ids['bolt'], location_id: customers, quantity: 999, reserved_quantity: 0 });

    await poll('customer');
    await poll('contact');
    await poll('product');
    await poll('inventory');
    expect(await count('customer')).toBe(2);
    expect(await hub('customer', 'code', 'C-ALPHA')).toMatchObject({ name: 'Alpha GmbH', kind: 'company', taxId: 'DE811234567', email: 'ap@alpha.example', status: 'active' });
    // No Internal Reference: the code is made from the Odoo id; no value is the text "false".
    const beta = await hub('customer', 'code', `${ids['beta']}-odoo`);
    expect(beta).toMatchObject({ name: 'Beta Einzelhandel', kind: 'person' });
    expect(beta?.['taxId'] ?? null).toBeNull();
    const alpha = (await hub('customer', 'code', 'C-ALPHA'))!;
    const contacts = (await t.api.get('/api/v1/contacts').query({ customerId: alpha.id }).set(auth())).body.items;
    expect(contacts).toEqual([expect.objectContaining({ lastName: 'Anna Schmidt', title: 'Buyer', email: 'anna@alpha.example' })]);
    const bolt = (await hub('product', 'sku', 'BOLT-M8'))!;
    expect(bolt).toMatchObject({ name: 'Hex bolt M8', listPrice: '0.35', cost: '0.20', active: true });
    const levels = (await t.api.get('/api/v1/inventory').query({ productId: bolt.id }).set(auth())).body.items;
    expect(levels).toEqual([expect.objectContaining({ warehouse: 'WH-Stock', onHand: '120.3', reserved: '20', available: '100.3' })]);
  });

  it('brings invoices, credit notes and payments in with exact amounts; a draft never posted stays out', async () => {
    const move = (name: string, type: string, total: number, residual: number, extra: Record<string, unknown> = {}) => ({
      name, move_type: type, state: 'posted', posted_before: true, partner_id: ids['anna'], commercial_partner_id: ids['alpha'], invoice_date: '2026-10-01', invoice_date_due: '2026-10-31', currency_id: 1,
      amount_untaxed: total, amount_tax: 0, amount_total: total, amount_residual: residual, amount_total_in_currency_signed: type === 'out_refund' ? -total : total, payment_state: residual === 0 ? 'paid' : residual < total ? 'partial' : 'not_paid', ...extra,
    });
    ids['inv1'] = odoo.insert('account.move', move('INV/2026/00001', 'out_invoice', 300.3, 100.1)).id;
    ids['inv2'] = odoo.insert('account.move', move('INV/2026/00002', 'out_invoice', 1190, 1190)).id;
    ids['rev1'] = odoo.insert('account.move', move('RINV/2026/00001', 'out_refund', 80, 80)).id;
    odoo.insert('account.move', move('/', 'out_invoice', 55, 55, { state: 'draft', posted_before: false }));
    odoo.insert('account.payment', { name: 'PBNK1/2026/00001', payment_type: 'inbound', partner_type: 'customer', partner_id: ids['alpha'], amount: 200.2, currency_id: 1, date: '2026-11-10', state: 'paid', payment_reference: 'SEPA-42', payment_method_code: 'manual', reconciled_invoice_ids: [ids['inv1']] });
    odoo.insert('account.payment', { name: 'PBNK1/2026/00002', payment_type: 'outbound', partner_type: 'supplier', partner_id: ids['alpha'], amount: 400, currency_id: 1, date: '2026-11-10', state: 'paid' });

    await poll('receivable');
    await poll('payment');
    expect(await count('receivable')).toBe(3);
    expect(await hub('receivable', 'number', 'INV/2026/00001')).toMatchObject({ amount: '300.3', paidAmount: '200.2', balance: '100.10', status: 'partially_paid', currency: 'EUR', dueDate: '2026-10-31' });
    expect(await hub('receivable', 'number', 'RINV/2026/00001')).toMatchObject({ amount: '-80', paidAmount: '0', balance: '-80.00' });
    const payments = (await t.api.get('/api/v1/payments').set(auth())).body.items;
    expect(payments).toEqual([expect.objectContaining({ amount: '200.2', reference: 'SEPA-42', method: 'other', receivableId: (await hub('receivable', 'number', 'INV/2026/00001'))!.id })]);
  });

  it('withdraws an archived contact and a cancelled invoice', async () => {
    odoo.update('res.partner', ids['anna']!, { active: false });
    odoo.update('account.move', ids['inv2']!, { state: 'cancel' });
    await poll('contact');
    await poll('receivable');
    expect(await count('contact')).toBe(0);
    expect(await hub('receivable', 'number', 'INV/2026/00002')).toBeUndefined();
    expect(await count('receivable')).toBe(2);
  });

  it('delivers a new customer once (ref, customer rank, country by code); a refused one fails alone', async () => {
    const made = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'C-NEW', name: 'Neu GmbH', kind: 'company', currency: 'EUR', billingAddress: { line1: 'Hauptstr. 1', city: 'Wien', postalCode: '1010', country: 'AT' } });
    expect(made.status).toBe(201);
    const bad = await t.api.post('/api/v1/customers').set(auth()).send({ code: 'C-BAD', name: 'Bad VAT KG', kind: 'company', currency: 'EUR', taxId: 'XX12' });
    expect(bad.status).toBe(201);
    await until('delivered', () => (odoo.records('res.partner').some((p) => p['ref'] === 'C-NEW') ? true : undefined));
    await until('a dead letter', async () => ((await t.hub.store.deadLetters.count({ target: 'odoo', direction: 'out', state: 'open' })) === 1 ? true : undefined));
    const partner = odoo.records('res.partner').find((p) => p['ref'] === 'C-NEW')!;
    expect(partner).toMatchObject({ name: 'Neu GmbH', is_company: true, customer_rank: 1, street: 'Hauptstr. 1', city: 'Wien', zip: '1010', country_id: 2 });
    const [letter] = await t.hub.store.deadLetters.list({ target: 'odoo', direction: 'out', state: 'open' }, 5);
    expect(letter).toMatchObject({ errorCode: 'validation' });
    expect(letter!.errorMessage).toContain('odoo.exceptions.ValidationError');
    expect(letter!.errorMessage).not.toContain('XX12');
    expect(letter!.errorMessage).not.toContain('Bad VAT');
    expect(odoo.records('res.partner').filter((p) => p['ref'] === 'C-BAD')).toEqual([]);

    expect((await t.api.patch(`/api/v1/customers/${made.body.id as string}`).set(auth()).send({ phone: '+43 1 234' })).status).toBe(200);
    await until('updated in place', () => (partner['phone'] === '+43 1 234' ? true : undefined));
    expect(odoo.records('res.partner').filter((p) => p['ref'] === 'C-NEW')).toHaveLength(1);
  });

  it('delivers an order with its lines, then updates the lines of the confirmed order in place', async () => {
    await quiet();
    const alpha = (await hub('customer', 'code', 'C-ALPHA'))!;
    const [bolt, nut] = [(await hub('product', 'sku', 'BOLT-M8'))!, (await hub('product', 'sku', 'NUT-M8'))!];
    const made = await t.api.post('/api/v1/orders').set(auth()).send({
      number: 'SO-HUB-1', customerId: alpha.id, orderDate: '2026-11-20', currency: 'EUR',
      lines: [{ productId: bolt.id, quantity: '100', unitPrice: '0.35' }, { productId: nut.id, quantity: '100', unitPrice: '0.10' }],
    });
    expect(made.status).toBe(201);
    await until('the order in Odoo', () => (odoo.records('sale.order').some((o) => o['client_order_ref'] === 'SO-HUB-1') ? true : undefined));
    await quiet();
    const order = odoo.records('sale.order').find((o) => o['client_order_ref'] === 'SO-HUB-1')!;
    expect(order).toMatchObject({ partner_id: ids['alpha'], date_order: '2026-11-20 12:00:00', amount_total: 45 });
    const before = odoo.orm.linesOf(order.id);
    expect(before.map((l) => [l['product_id'], l['product_uom_qty'], l['price_unit']])).toEqual([[ids['bolt'], 100, 0.35], [ids['nut'], 100, 0.1]]);

    odoo.confirm(order.id);
    odoo.orm.commands.length = 0;
    const changed = await t.api.patch(`/api/v1/orders/${made.body.id as string}`).set(auth()).send({ lines: [{ productId: bolt.id, quantity: '150', unitPrice: '0.35' }] });
    expect(changed.status).toBe(200);
    await until('the lines updated', () => (odoo.orm.linesOf(order.id).some((l) => l['product_uom_qty'] === 150) ? true : undefined));
    await quiet();
    const after = odoo.orm.linesOf(order.id);
    // The same line records, changed in place; the dropped line of a confirmed order is set to 0.
    expect(after.map((l) => [l.id, l['product_uom_qty']])).toEqual([[before[0]!.id, 150], [before[1]!.id, 0]]);
    expect(odoo.orm.commands.map(([, , c]) => c[0])).toEqual([1, 1]);
    expect(await t.hub.store.deadLetters.count({ target: 'odoo', direction: 'out', entity: 'order', state: 'open' })).toBe(0);
  });

  it('reads the order back with its lines, and one made in Odoo under Odoo’s own number', async () => {
    odoo.orm.create('sale.order', [{ partner_id: ids['alpha'], order_line: [[0, 0, { product_id: ids['nut'], product_uom_qty: 5, price_unit: 0.1 }], [0, 0, { display_type: 'line_note', name: 'Deliver to gate 3', product_uom_qty: 0 }]] }]);
    await poll('order');
    const own = (await t.api.get('/api/v1/orders').query({ q: 'S0000' }).set(auth())).body.items as { number: string; lines: { quantity: string }[]; status: string }[];
    expect(own).toEqual([expect.objectContaining({ number: 'S00002', status: 'draft', lines: [expect.objectContaining({ quantity: '5' })] })]);
    // The hub's own order read back is an echo (its lines as delivered, the line set to 0 left out).
    const mine = (await hub('order', 'number', 'SO-HUB-1'))!;
    expect((mine['lines'] as unknown[]).length).toBe(1);
  });
});
