import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub } from '../../../hub/create-hub.js';
import { ConfigError } from '../../../core/errors.js';
import { startTestHub, type TestHub } from '../../helpers.js';
import { WAREHOUSE_ORDER_OUT, WAREHOUSE_SCHEMA, mappingDir } from './fixtures.js';

describe('mapping preview', () => {
  let t: TestHub;
  let admin: Record<string, string>;
  let orderId = '';
  let customerId = '';

  beforeAll(async () => {
    const dir = mappingDir({ 'warehouse/schema.yaml': WAREHOUSE_SCHEMA, 'warehouse/order.out.yaml': WAREHOUSE_ORDER_OUT });
    t = await startTestHub({ config: { mappings: { dirs: [dir] } } });
    admin = { Authorization: `Bearer ${t.adminToken}` };
    customerId = (await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-PV', name: 'Preview GmbH', phone: '+49 40 5550101', currency: 'EUR' })).body.id;
    const productId = (await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-PV', name: 'Pump', currency: 'EUR' })).body.id;
    const order = await t.api.post('/api/v1/orders').set(admin).send({
      number: 'SO-PV-1', customerId, orderDate: '2026-11-02', deliveryDate: '2026-11-20', currency: 'EUR', paymentTerms: 'NET30',
      lines: [{ productId, quantity: '2.5', unitPrice: '1999.99', discount: '5', taxRate: '19' }],
    });
    expect(order.status).toBe(201);
    orderId = order.body.id;
  });
  afterAll(async () => t?.close());

  it('lists the loaded mappings', async () => {
    const res = await t.api.get('/api/v1/mappings').set(admin);
    expect(res.status).toBe(200);
    expect(res.body.items.map((m: { name: string }) => m.name)).toContain('warehouse.order.out');
    expect(res.body.items.find((m: { name: string }) => m.name === 'warehouse.order.out')).toEqual({ name: 'warehouse.order.out', connector: 'warehouse_erp', entity: 'order', direction: 'out', externalEntity: 'orders', target: 'target:warehouse_erp' });
  });

  it('shows the payload a price-blind target gets, with every removed field and its rule', async () => {
    const res = await t.api.post('/api/v1/mappings/warehouse.order.out/preview').set(admin).send({ recordId: orderId });
    expect(res.status).toBe(200);
    expect(res.body.payload).toEqual({ order_no: 'SO-PV-1', customer_ref: customerId, due: '20.11.2026', state: 'DRAFT', lines: [{ sku: 'SKU-PV', qty: 2.5 }] });
    expect(res.body.receiver).toBe('target:warehouse_erp');
    const removed = Object.fromEntries(res.body.policy.map((p: { field: string; action: string; rule: string }) => [p.field, `${p.action} by ${p.rule}`]));
    for (const f of ['paymentTerms', 'lines.unitPrice', 'lines.discount', 'lines.taxRate', 'lines.lineTotal', 'subtotal', 'taxTotal', 'total']) {
      expect(removed[f], f).toBe('deny by target:warehouse_erp/order');
    }
    expect(JSON.stringify(res.body)).not.toContain('1999.99');
  });

  it('previews an ERPNext order, naming references that have no id link yet', async () => {
    const res = await t.api.post('/api/v1/mappings/erpnext.order.out/preview').set(admin).send({ recordId: orderId });
    expect(res.status).toBe(200);
    expect(res.body.payload).toMatchObject({ custom_hub_code: 'SO-PV-1', customer: `unlinked:${customerId}`, items: [{ item_code: 'SKU-PV', qty: 2.5, price_list_rate: 1999.99, discount_percentage: 5 }] });
    // ERPNext computes the totals itself (sent, they would count as a change of a submitted order).
    expect(res.body.payload).not.toHaveProperty('grand_total');
    expect(res.body.unlinked).toEqual([`customer:${customerId}`]);
    await t.hub.store.links.link('erpnext', 'customer', customerId, 'Preview GmbH', new Date().toISOString());
    const linked = await t.api.post('/api/v1/mappings/erpnext.order.out/preview').set(admin).send({ recordId: orderId });
    expect(linked.body.payload.customer).toBe('Preview GmbH');
    expect(linked.body.unlinked).toEqual([]);
  });

  it('previews a sample record and an inbound mapping', async () => {
    const out = await t.api.post('/api/v1/mappings/erpnext.customer.out/preview').set(admin).send({ record: { code: 'S-1', name: '  Sample AG ', kind: 'person', status: 'inactive', currency: 'CHF', billingAddress: { line1: 'x', city: 'Bern', country: 'CH' } } });
    expect(out.status).toBe(200);
    expect(out.body.payload).toEqual({ custom_hub_code: 'S-1', customer_name: 'Sample AG', customer_type: 'Individual', customer_group: 'Commercial', territory: 'Switzerland', default_currency: 'CHF', disabled: 1 });
    const back = await t.api.post('/api/v1/mappings/erpnext.customer.in/preview').set(admin).send({ record: { name: 'S-1', customer_name: 'Sample AG', customer_type: 'Partnership', disabled: 0, default_currency: 'CHF' } });
    expect(back.body).toMatchObject({ receiver: null, payload: { code: 'S-1', name: 'Sample AG', kind: 'company', status: 'active', currency: 'CHF' }, policy: [] });
  });

  it('answers bad requests precisely', async () => {
    expect((await t.api.post('/api/v1/mappings/nope/preview').set(admin).send({ recordId: orderId })).status).toBe(404);
    expect((await t.api.post('/api/v1/mappings/warehouse.order.out/preview').set(admin).send({ recordId: 'missing' })).status).toBe(404);
    const both = await t.api.post('/api/v1/mappings/warehouse.order.out/preview').set(admin).send({ recordId: orderId, record: {} });
    expect(both.status).toBe(400);
    const unmappable = await t.api.post('/api/v1/mappings/erpnext.customer.out/preview').set(admin).send({ record: { code: 'S', name: 'N', kind: 'robot', currency: 'EUR' } });
    expect(unmappable.status).toBe(422);
    expect(unmappable.body.errors[0]).toEqual({ pointer: '/payload/customer_type', detail: 'erpnext.customer.out: customer_type: map: value is not in the value map' });
    const rep = await t.api.post('/api/v1/users').set(admin).send({ username: 'rep.pv', displayName: 'Rep', roles: ['sales_rep'], password: 'rep-password-12345' });
    expect(rep.status).toBe(201);
    const token = await t.login('rep.pv', 'rep-password-12345');
    expect((await t.api.post('/api/v1/mappings/warehouse.order.out/preview').set('Authorization', `Bearer ${token}`).send({ recordId: orderId })).status).toBe(403);
  });
});

describe('the hub refuses to start with a broken mapping', () => {
  it('throws a ConfigError naming the file and rule', () => {
    const dir = mappingDir({ 'w/schema.yaml': WAREHOUSE_SCHEMA, 'w/order.out.yaml': WAREHOUSE_ORDER_OUT.replace('{ from: sku }', '{ from: lines_sku }').replace('from: quantity', 'from: unitPrice') });
    let error: unknown;
    try {
      createHub({ env: { HUB_CONFIG: '', HUB_DATA_DIR: dir }, config: { mappings: { dirs: [dir] } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const details = (error as ConfigError).errors.map((p) => `${p.pointer.split('#')[1]}: ${p.detail}`);
    expect(details).toEqual([
      '/fields/lines/fields/sku: order has no field lines.lines_sku',
      '/fields/lines/fields/qty: reads order.lines.unitPrice, which target:warehouse_erp may not see (no read rule of target:warehouse_erp/order names lines.unitPrice)',
    ]);
  });
});
