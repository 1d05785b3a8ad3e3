import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers.js';
import { expectDocumented } from './spec-support.js';

/**
 * Each disagreement a property-based tester found between openapi.yaml and the hub, pinned: the
 * hub answers as the spec says, with a status the spec lists for the operation.
 */
describe('the spec says exactly what the hub does', () => {
  let t: TestHub;
  let admin: Record<string, string>;

  beforeAll(async () => {
    t = await startTestHub();
    admin = { Authorization: `Bearer ${t.adminToken}` };
  });
  afterAll(async () => t?.close());

  describe('deletes that conflict answer a documented 409', () => {
    it('a customer still referenced by an order', async () => {
      const customer = await t.api.post('/api/v1/customers').set(admin).send({ code: 'C-REF', name: 'Referenced AG', currency: 'EUR' });
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-REF', name: 'Pump', currency: 'EUR' });
      const order = await t.api.post('/api/v1/orders').set(admin).send({ number: 'SO-REF', customerId: customer.body.id, orderDate: '2026-01-02', currency: 'EUR', lines: [{ productId: product.body.id, quantity: '1', unitPrice: '1.00' }] });
      expect(order.status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/customers/${customer.body.id}`).set(admin), 'deleteCustomer', 409);
    });

    it('a product that still has inventory', async () => {
      const product = await t.api.post('/api/v1/products').set(admin).send({ sku: 'SKU-INV', name: 'Valve', currency: 'EUR' });
      expect((await t.api.post('/api/v1/inventory').set(admin).send({ productId: product.body.id, warehouse: 'W1', onHand: '3' })).status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/products/${product.body.id}`).set(admin), 'deleteProduct', 409);
    });

    it('a team that still has users', async () => {
      const team = await t.api.post('/api/v1/teams').set(admin).send({ name: 'North' });
      expect((await t.api.post('/api/v1/users').set(admin).send({ username: 'north.one', displayName: 'North One', roles: ['staff'], teamId: team.body.id, password: 'north-one-password' })).status).toBe(201);
      expectDocumented(await t.api.delete(`/api/v1/teams/${team.body.id}`).set(admin), 'deleteTeam', 409);
    });

    it('the caller deleting their own user', async () => {
      const me = await t.api.get('/api/v1/auth/me').set(admin);
      expectDocumented(await t.api.delete(`/api/v1/users/${me.body.id}`).set(admin), 'deleteUser', 409);
    });
  });
});
