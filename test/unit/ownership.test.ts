import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { EntityName } from '../../core/model/entities.js';
import { Ownership } from '../../mappings/engine/ownership.js';

const known = {
  fields: new Map<EntityName, Set<string>>([['customer', new Set(['creditLimit', 'phone', 'email', 'name', 'status'])]]),
  systems: new Set(['hub', 'erpnext', 'odoo']),
};
const own = Ownership.load({ conflictWindowSeconds: 300, fields: { customer: { creditLimit: ['erpnext'], phone: ['hub'], status: ['hub', 'erpnext'] } } }, known);
const now = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

describe('field ownership', () => {
  it('ignores an inbound change to a field the system does not own', () => {
    expect(own.decide('erpnext', 'customer', ['creditLimit', 'phone', 'name'], () => undefined, now)).toEqual({ accepted: ['creditLimit', 'name'], ignored: ['phone'], conflicts: [] });
    expect(own.decide('hub', 'customer', ['creditLimit'], () => undefined, now).ignored).toEqual(['creditLimit']);
  });

  it('sends a change to the conflict inbox when another system that may write the field changed it within the window', () => {
    const lineage = (field: string) => (field === 'status' ? { system: 'hub', at: ago(60) } : field === 'name' ? { system: 'odoo', at: ago(10) } : undefined);
    expect(own.decide('erpnext', 'customer', ['status', 'name', 'creditLimit'], lineage, now)).toEqual({ accepted: ['creditLimit'], ignored: [], conflicts: ['status', 'name'] });
    // Outside the window, or the same system again: accepted.
    expect(own.decide('erpnext', 'customer', ['status'], () => ({ system: 'hub', at: ago(301) }), now).accepted).toEqual(['status']);
    expect(own.decide('erpnext', 'customer', ['status'], () => ({ system: 'erpnext', at: ago(5) }), now).accepted).toEqual(['status']);
  });

  it('gives a field named like an Object.prototype member no owners (own keys only)', () => {
    for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      expect(own.owners('customer', field)).toBeUndefined();
      expect(own.decide('erpnext', 'customer', [field], () => undefined, now)).toEqual({ accepted: [field], ignored: [], conflicts: [] });
    }
  });

  it('refuses unknown fields and systems when it loads, listing every problem', () => {
    let error: ConfigError | undefined;
    try {
      Ownership.load({ conflictWindowSeconds: 300, fields: { customer: { credit: ['erpnext'], phone: ['sap'], email: [] } } }, known);
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.errors.map((p) => `${p.pointer}: ${p.detail}`)).toEqual([
      'config#/ownership/fields/customer/credit: customer has no field credit',
      'config#/ownership/fields/customer/phone: sap is not a known system (hub, erpnext, odoo)',
      'config#/ownership/fields/customer/email: names no system; leave the field out to let every system write it',
    ]);
  });
});
