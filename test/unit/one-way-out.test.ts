import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { JsonObject } from '../../core/model/entities.js';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../../core/model/spec-catalog.js';
import { loadPolicyFile } from '../../core/policy/load.js';
import type { InboundMapping, OutboundMapping } from '../../mappings/engine/compile.js';
import { loadMappings } from '../../mappings/engine/load.js';
import { WayOut } from '../../mappings/engine/way-out.js';
import { loadSpec } from '../../openapi/app/spec.js';
import { completeCustomer } from '../fixtures/customers.js';
import { mappingDir } from '../fixtures/files.js';

/**
 * One way out of the hub: the receiver of a target is bound by the target's configuration, never by
 * a mapping file, and every way out (delivery, ingest's echo check, reconciliation, preview) goes
 * through `WayOut` — project, map, hash.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const document = loadSpec().document;
const catalog = fieldCatalog(document);
const policy = loadPolicyFile(undefined, catalog, Buffer.from('w'.repeat(32)));

const SCHEMA = `
connector: sink
links: [customer]
entities:
  customers:
    fields:
      code: { type: string, required: true }
      name: { type: string, required: true }
      phone: { type: string }
`;
// Reads the customer's phone: the default policy's erpnext receiver may see it, finance may not.
const OUT = (extra = '') => `
name: sink.customer.out
connector: sink
entity: customer
direction: out
externalEntity: customers
${extra}fields:
  code: { from: code }
  name: { from: name }
  phone: { from: phone }
`;
const IN = `
name: sink.customer.in
connector: sink
entity: customer
direction: in
externalEntity: customers
fields:
  code: { from: code }
  name: { from: name }
  phone: { from: phone }
  currency: { const: EUR }
`;

function load(files: Record<string, string>, receiver: string | undefined) {
  return loadMappings([mappingDir(files)], { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map(), receiverOf: (c) => (c === 'sink' ? receiver : c) });
}

function problems(files: Record<string, string>, receiver: string | undefined): string[] {
  try {
    load(files, receiver);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors.map((p) => `${p.pointer.replace(/^.*\/hub-mappings-[^/]+\//, '')}: ${p.detail}`);
    throw error;
  }
  return [];
}

const customer: JsonObject = completeCustomer(1);

describe('the policy receiver of a target is bound by its configuration', () => {
  it('a mapping file cannot pick another target\'s (more generous) policy', () => {
    // The target is bound to finance, which may not see the phone; the file asks for erpnext's policy.
    expect(problems({ 'sink/schema.yaml': SCHEMA, 'sink/customer.out.yaml': OUT('target: erpnext\n') }, 'finance')).toEqual([
      expect.stringMatching(/^sink\/customer\.out\.yaml#\/target: is not set in a mapping file: the policy receiver is bound by the target's configuration \(sync\.targets\.<name>\.receiver/),
    ]);
  });

  it('checks what a mapping reads against the receiver the configuration binds', () => {
    const files = { 'sink/schema.yaml': SCHEMA, 'sink/customer.out.yaml': OUT() };
    expect(problems(files, 'finance')).toEqual(['sink/customer.out.yaml#/fields/phone: reads customer.phone, which target:finance may not see (no read rule of target:finance/customer names phone)']);
    expect(load(files, 'erpnext').get('sink.customer.out')?.target).toBe('target:erpnext');
  });

  it('leaves the reads of a connector that delivers nothing (no target, no receiver of its name) to be checked when it becomes a target', () => {
    const files = { 'sink/schema.yaml': SCHEMA, 'sink/customer.out.yaml': OUT() };
    expect(problems(files, undefined)).toEqual([]);
    // As a target without a receiver of its name in the policy, it is refused: it would receive nothing.
    expect(problems(files, 'sink')).toEqual(['sink/customer.out.yaml#/fields: target sink has no policy: it receives nothing (default deny)']);
  });
});

describe('WayOut: project, map, hash', () => {
  const registry = load({ 'sink/schema.yaml': SCHEMA, 'sink/customer.out.yaml': OUT(), 'sink/customer.in.yaml': IN }, 'erpnext');
  const out = registry.get('sink.customer.out') as OutboundMapping;
  const back = registry.get('sink.customer.in') as InboundMapping;
  const noLinks = { link: () => undefined };

  it('projects for the bound receiver, maps and hashes in one step', () => {
    const way = new WayOut(policy, out, back);
    expect(way.receiver.roles).toEqual(['erpnext']);
    const leaving = way.leave(customer, noLinks)!;
    expect(leaving.payload).toEqual({ code: customer['code'], name: customer['name'], phone: customer['phone'] });
    expect(leaving.hash).toBe(contentHash(leaving.payload));
    expect(way.map(leaving.view, noLinks)).toEqual({ payload: leaving.payload, hash: leaving.hash });
    expect(way.readBack(leaving.payload, noLinks)).toEqual({ code: customer['code'], name: customer['name'], phone: customer['phone'], currency: 'EUR' });
    expect(new WayOut(policy, out).readBack(leaving.payload, noLinks)).toBeUndefined();
  });

  it('leaves nothing for a record outside the receiver\'s rows, and only what the receiver may see', () => {
    // reporting_db receives DACH customers only and may not see the phone: bound to it, the same mapping sends less.
    const bound = { ...out, target: 'target:reporting_db' } as OutboundMapping;
    const way = new WayOut(policy, bound);
    expect(way.leave({ ...customer, billingAddress: { country: 'FR' } }, noLinks)).toBeUndefined();
    const dach = way.leave({ ...customer, billingAddress: { country: 'DE' } }, noLinks)!;
    expect(dach.payload).toEqual({ code: customer['code'], name: customer['name'] });
  });
});

describe('no other way out (a static check of the source tree)', () => {
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []));
  const source = ['core', 'mappings', 'connectors', 'queues', 'openapi', 'hub'].flatMap(files).map((f) => ({ f, text: readFileSync(join(ROOT, f), 'utf8') }));

  it('a mapped payload can be re-encoded for a column type, never given a field the mapping did not make', async () => {
    const { reencoded } = await import('../../core/model/mapped.js');
    const payload = { at: '2026-12-03T10:00:00Z' } as unknown as Parameters<typeof reencoded>[0];
    expect(reencoded(payload, { at: '2026-12-03 11:00:00' })).toEqual({ at: '2026-12-03 11:00:00' });
    expect(() => reencoded(payload, { price: '9.99' })).toThrow(/price is not a field of the mapped payload/);
  });

  it('only WayOut projects for a target, and only an outbound mapping makes a payload a connector takes', () => {
    expect(source.filter(({ text }) => /kind: 'target'/.test(text)).map(({ f }) => f)).toEqual(['mappings/engine/way-out.ts']);
    expect(source.filter(({ text }) => /as MappedPayload\b/.test(text)).map(({ f }) => f)).toEqual(['core/model/mapped.ts', 'mappings/engine/load.ts']);
  });

  it('a feed projects every receivable and customer it writes for its receiver, bound as a target\'s is', () => {
    const text = source.find((s) => s.f === 'queues/feeds/produce.ts')?.text ?? '';
    expect(text).toMatch(/const receiver = targetReceiver\(feed\.receiver\);/);
    expect(text).toMatch(/policy\.project\(receiver, 'receivable', r\)/);
    expect(text).toMatch(/policy\.project\(receiver, 'customer', c\)/);
    // Only projected records reach a line: the producer never reads a field of a stored record.
    expect(text).not.toMatch(/\br\[['"]/);
  });

  it('delivery, ingest, reconciliation and preview all go through WayOut', () => {
    for (const f of ['queues/delivery.ts', 'queues/delivery-batch.ts', 'queues/ingest.ts', 'queues/reconcile.ts', 'mappings/engine/preview.ts']) {
      const text = source.find((s) => s.f === f)?.text ?? '';
      expect(text, f).toMatch(/\bway\.(project|map|leave|readBack)\(/);
      expect(text, f).not.toMatch(/policy\.project\(/);
    }
  });
});
