import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { loadPolicyFile } from '../../core/policy/load.js';
import { PolicyEngine, type Receiver } from '../../core/policy/engine.js';
import { checkMappingReads } from '../../core/policy/mapping-check.js';
import { fieldCatalog } from '../../core/model/spec-catalog.js';
import { loadSpec } from '../../openapi/app/spec.js';

const catalog = fieldCatalog(loadSpec().document);
const secret = Buffer.from('s'.repeat(32));
const engine = loadPolicyFile(undefined, catalog, secret);
const who = (roles: string[], userId: string | null = 'u1', teamId: string | null = null, subtree: string[] = []): Receiver => ({ kind: 'principal', roles, userId, teamId, subtree: new Set(subtree) });

const order = {
  id: 'o1', version: 3, number: 'SO-1', customerId: 'c1', ownerId: 'u1', teamId: 't1', type: 'standard', status: 'confirmed',
  orderDate: '2026-01-01', deliveryDate: '2026-01-09', currency: 'EUR', paymentTerms: 'NET30', countsTowardQuota: true,
  lines: [{ productId: 'p1', sku: 'S1', quantity: '2', unitPrice: '10.00', discount: '0', taxRate: '19', lineTotal: '20.00' }],
  subtotal: '20.00', taxTotal: '3.80', total: '23.80', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};

describe('policy engine', () => {
  it('projects orders for quality without any price, keeping what quality needs', () => {
    const p = engine.project(who(['quality']), 'order', order);
    expect(p).toMatchObject({ id: 'o1', version: 3, number: 'SO-1', deliveryDate: '2026-01-09', lines: [{ productId: 'p1', sku: 'S1', quantity: '2' }] });
    for (const f of ['paymentTerms', 'subtotal', 'taxTotal', 'total']) expect(p).not.toHaveProperty(f);
    expect(Object.keys((p?.['lines'] as object[])[0] ?? {})).toEqual(['productId', 'sku', 'quantity']);
  });

  it('adds row scopes across roles and applies field grants only inside each role\'s scope', () => {
    const both = who(['quality', 'sales_rep'], 'u1');
    expect(engine.project(both, 'order', order)).toHaveProperty('total', '23.80');
    expect(engine.project(both, 'order', { ...order, ownerId: 'u2' })).not.toHaveProperty('total');
    expect(engine.project(who(['sales_rep'], 'u2'), 'order', order)).toBeUndefined();
    expect(engine.project(who(['team_lead'], 'u9', 't0', ['t0', 't1']), 'order', order)).toHaveProperty('total');
    expect(engine.project(who(['team_lead'], 'u9', 't2', ['t2']), 'order', order)).toBeUndefined();
    expect(engine.project(who(['purchasing']), 'order', order)).toBeUndefined();
    expect(engine.project(who([]), 'order', order)).toBeUndefined();
  });

  it('masks and hashes per receiver, and filters target rows', () => {
    const customer = { id: 'c1', version: 1, code: 'C1', name: 'N', phone: '+49 30 1234567', taxId: 'DE123456789', billingAddress: { line1: 'x', city: 'Berlin', country: 'DE' } };
    expect(engine.project(who(['ar_clerk']), 'customer', customer)?.['phone']).toBe('***4567');
    const reporting: Receiver = { kind: 'target', roles: ['reporting_db'], userId: null, teamId: null, subtree: new Set() };
    const r = engine.project(reporting, 'customer', customer);
    expect(r?.['taxId']).toMatch(/^h1:[A-Za-z0-9_-]{43}$/);
    expect(r?.['billingAddress']).toEqual({ city: 'Berlin', country: 'DE' });
    expect(engine.project(reporting, 'customer', { ...customer, billingAddress: { line1: 'x', city: 'Paris', country: 'FR' } })).toBeUndefined();
  });

  it('refuses at load every problem of a policy at once, and never falls back to allowing', () => {
    const bad = {
      version: 1,
      roles: {
        clerk: {
          customer: { rows: 'all', read: { allow: ['nmae', '$nope'], hash: ['phone'], mask: { phone: 'last4' } }, write: ['email'] },
          order: { rows: { where: { field: 'status', in: ['x'] } } },
        },
      },
      targets: { erp: { entities: { product: { rows: 'all', read: { encrypt: ['cost'] } } } } },
    };
    let error: ConfigError | undefined;
    try {
      PolicyEngine.load(bad, catalog, secret, 'bad.yaml');
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.errors.map((p) => p.detail).sort()).toEqual([
      'customer has no field nmae',
      'email is writable but not readable in plain form',
      'needs a publicKey for this receiver',
      'phone is given more than one action in this rule',
      'roles take all, own, team, subtree or none; where-filters are for targets',
      'unknown field set $nope',
    ]);
    expect(() => PolicyEngine.load({ version: 2 }, catalog, secret, 'v2.yaml')).toThrow(ConfigError);
  });

  it('refuses a field set named like an Object.prototype member as unknown instead of crashing', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      let error: unknown;
      try {
        PolicyEngine.load({ version: 1, roles: { staff: { customer: { rows: 'all', read: { allow: [`$${name}`] } } } } }, catalog, secret, 'proto.yaml');
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).errors.map((p) => p.detail)).toEqual([`unknown field set $${name}`]);
    }
  });

  it('checks outbound mappings against the target\'s policy, naming mapping, field and rule', () => {
    expect(checkMappingReads(engine, { name: 'wh-orders', target: 'warehouse_erp', entity: 'order', reads: ['number', 'lines.quantity', 'deliveryDate'] })).toEqual([]);
    expect(checkMappingReads(engine, { name: 'wh-orders', target: 'warehouse_erp', entity: 'order', reads: ['number', 'lines.unitPrice', 'total'] })).toEqual([
      { pointer: 'mapping:wh-orders#lines.unitPrice', detail: 'reads order.lines.unitPrice, which target:warehouse_erp may not see (no read rule of target:warehouse_erp/order names lines.unitPrice)' },
      { pointer: 'mapping:wh-orders#total', detail: 'reads order.total, which target:warehouse_erp may not see (no read rule of target:warehouse_erp/order names total)' },
    ]);
    expect(checkMappingReads(engine, { name: 'fin-orders', target: 'finance', entity: 'order', reads: ['number'] })[0]?.detail).toContain('the policy has no order rule for target:finance');
  });
});
