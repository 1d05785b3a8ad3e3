import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMappingDirs } from '../../../connectors/registry.js';
import { ConfigError } from '../../../core/errors.js';
import { load, mappingDir } from './fixtures.js';
import type { InboundMapping, OutboundMapping } from '../../../mappings/engine/compile.js';
import type { Projected } from '../../../core/policy/engine.js';

/** A projection made by hand: these tests exercise the mapping engine, the policy's own tests the projection. */
const handProjected = (record: Record<string, string>): Projected => record as unknown as Projected;

function problems(files: Record<string, string>): string[] {
  try {
    load([mappingDir(files)]);
  } catch (e) {
    if (e instanceof ConfigError) return e.errors.map((p) => `${p.pointer.replace(/^.*\/hub-mappings-[^/]+\//, '')}: ${p.detail}`);
    throw e;
  }
  return [];
}

const head = (name: string, extra = '') => `name: ${name}\nconnector: erpnext\nentity: customer\ndirection: out\nexternalEntity: Customer\n${extra}fields:\n`;
const valid = `  name: { from: code }
  customer_name: { from: name }
  customer_type: { from: kind, transforms: [{ map: { values: { company: Company, person: Individual } } }] }
  customer_group: { const: Commercial }
  territory: { const: All Territories }
`;

describe('mapping files are checked when they load, every problem at once', () => {
  it('loads the shipped defaults', () => {
    // Every mapping file each connector module ships loads, named <connector>.<file>; none is missing.
    const shipped = defaultMappingDirs().flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'schema.yaml').map((f) => `${basename(dirname(dir))}.${f.replace(/\.yaml$/, '')}`));
    expect(shipped.length).toBeGreaterThan(20);
    expect(shipped).toContain('erpnext.contact.in');
    expect(load([]).list().map((m) => m.name).sort()).toEqual(shipped.sort());
  });

  it('refuses a typo in a field name, an unmapped enum value and a read of a denied field with three precise messages', () => {
    const file = `${head('typo.customer.out')}  name: { from: code }
  customer_name: { from: nmae }
  customer_type: { from: kind, transforms: [{ map: { values: { company: Company } } }] }
  customer_group: { const: Commercial }
  territory: { const: All Territories }
  mobile_no: { from: ownerId }
`;
    expect(problems({ 'typo.yaml': file })).toEqual([
      'typo.yaml#/fields/customer_name: customer has no field nmae',
      'typo.yaml#/fields/customer_type/transforms/0: value map has no entry for person (add them or a fallback)',
      'typo.yaml#/fields/mobile_no: reads customer.ownerId, which target:erpnext may not see (no read rule of target:erpnext/customer names ownerId)',
    ]);
  });

  it.each([
    ['an unknown target field', `${valid}  colour: { const: red }\n`, 'x.yaml#/fields/colour: erpnext Customer has no field colour'],
    ['a type mismatch', `${valid}  website: { from: creditLimit }\n`, 'x.yaml#/fields/website: gives decimal but erpnext Customer.website takes string (add a transform)'],
    ['a transform that does not take the type', `${valid}  website: { from: creditLimit, transforms: [upper] }\n`, 'x.yaml#/fields/website/transforms/0: upper expects string, got decimal'],
    ['an unknown transform', `${valid}  website: { from: website, transforms: [shout] }\n`, "x.yaml#/fields/website/transforms/0: unknown transform 'shout'"],
    ['a bad transform argument', `${valid}  website: { from: website, transforms: [{ pad: { length: 0 } }] }\n`, 'x.yaml#/fields/website/transforms/0: pad: length must be an integer from 1 to 1000'],
    ['a required target field left unmapped', valid.replace('  customer_group: { const: Commercial }\n', ''), 'x.yaml#/fields: required erpnext Customer field customer_group is not mapped'],
    ['a lookup to an entity without id links', `${valid}  industry: { lookup: { entity: payment, from: id } }\n`, 'x.yaml#/fields/industry/lookup: erpnext keeps no id links for payment'],
  ])('refuses %s', (_name, fields, message) => {
    expect(problems({ 'x.yaml': head('x.customer.out') + fields })).toEqual([message]);
  });

  it('refuses files that do not parse, unknown connectors or entities, and broken extends', () => {
    expect(problems({ 'bad.yaml': 'name: [unclosed\n' })[0]).toMatch(/^bad\.yaml: is not valid YAML/);
    expect(problems({ 'c.yaml': head('c.customer.out').replace('connector: erpnext', 'connector: sap') + valid })).toEqual(['c.yaml#/connector: no schema is declared for connector sap']);
    expect(problems({ 'e.yaml': head('e.customer.out').replace('externalEntity: Customer', 'externalEntity: Client') + valid })).toEqual(['e.yaml#/externalEntity: erpnext declares no entity Client']);
    expect(problems({ 'x.yaml': head('x.customer.out', 'extends: nothing.here\n') + valid })).toEqual(['x.yaml#/extends: there is no mapping nothing.here']);
    expect(problems({ 'x.yaml': head('x.customer.out').replace('direction: out', 'direction: sideways') + valid })[0]).toMatch(/^x\.yaml#\/direction: /);
  });

  it('lets a user file extend a default, replacing and removing rules, still checked', () => {
    const registry = load([mappingDir({ 'mine.yaml': `${head('mine.customer.out', 'extends: erpnext.customer.out\n')}  customer_group: { const: Wholesale }\n  website: null\n` })]);
    const mine = registry.get('mine.customer.out');
    const out = (mine as OutboundMapping | undefined)?.map(handProjected({ id: 'c1', code: 'C-1', name: 'Acme', kind: 'company', website: 'https://acme.example', status: 'active', currency: 'EUR' }), { link: () => undefined });
    expect(out).toMatchObject({ custom_hub_code: 'C-1', customer_name: 'Acme', customer_group: 'Wholesale', customer_type: 'Company' });
    expect(out).not.toHaveProperty('website');
    expect(problems({ 'mine.yaml': `${head('mine.customer.out', 'extends: erpnext.customer.out\n')}  mobile_no: { from: ownerId }\n` })[0]).toContain('which target:erpnext may not see');
  });

  it('calls transforms the host registered by name, and refuses unknown ones', () => {
    const registry = load([mappingDir({ 'c.yaml': `${head('c.customer.out')}${valid}  website: { from: website, transforms: [{ custom: { name: reverse } }] }\n` })], {
      reverse: { fn: (v) => (typeof v === 'string' ? [...v].reverse().join('') : v), input: ['string'], output: 'string' },
    });
    expect((registry.get('c.customer.out') as OutboundMapping | undefined)?.map(handProjected({ code: 'C', name: 'N', kind: 'company', website: 'abc' }), { link: () => undefined })['website']).toBe('cba');
    expect(problems({ 'c.yaml': `${head('c.customer.out')}${valid}  website: { from: website, transforms: [{ custom: { name: reverse } }] }\n` })[0]).toMatch(/reverse/);
  });
});

describe('nested targets', () => {
  const inbound = (fields: string) => `name: n.customer.in\nconnector: erpnext\nentity: customer\ndirection: in\nexternalEntity: Customer\nfields:\n  code: { from: name }\n  name: { from: customer_name }\n  currency: { from: default_currency }\n${fields}`;

  it('builds the nested object for a dotted target field', () => {
    const registry = load([mappingDir({ 'n.yaml': inbound('  billingAddress.city: { from: territory }\n  billingAddress.country: { const: DE }\n') })]);
    const out = (registry.get('n.customer.in') as InboundMapping | undefined)?.map({ name: 'C-1', customer_name: 'X', default_currency: 'EUR', territory: 'Berlin' }, { link: () => undefined });
    expect(out).toEqual({ code: 'C-1', name: 'X', currency: 'EUR', billingAddress: { city: 'Berlin', country: 'DE' } });
  });

  it('refuses a whole object next to rules for its fields', () => {
    expect(problems({ 'n.yaml': inbound('  billingAddress: { const: null }\n  billingAddress.city: { from: territory }\n') })).toEqual([
      'n.yaml#/fields/billingAddress.city: billingAddress is mapped whole by another rule; map it whole or field by field, not both',
    ]);
  });
});
