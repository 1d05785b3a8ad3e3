import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareHub } from '../../hub/config/prepare.js';
import type { ConfigFileInput } from '../../hub/config/schema.js';
import { configFileSchema } from '../../hub/config/schema.js';

/**
 * A user's own MySQL source of customers, wired from the docs: its inbound mapping writes email,
 * phone and creditLimit. With no ownership block those fields are the source's to write; with one
 * that gives them to other systems, the start says so (source, mapping, fields, rule), never silently.
 */
describe('field ownership of a configured source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-ownership-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'shopdb'), { recursive: true });
  writeFileSync(
    join(dir, 'shopdb', 'schema.yaml'),
    'connector: shopdb\nlinks: [customer]\nentities:\n  customers:\n    fields:\n      no: { type: string, required: true }\n      name: { type: string, required: true }\n      mail: { type: string }\n      tel: { type: string }\n      credit: { type: decimal }\n',
  );
  writeFileSync(
    join(dir, 'shopdb', 'customer.in.yaml'),
    'name: shopdb.customer.in\nconnector: shopdb\nentity: customer\ndirection: in\nexternalEntity: customers\nfields:\n  code: { from: no }\n  name: { from: name }\n  currency: { const: EUR }\n  email: { from: mail }\n  phone: { from: tel }\n  creditLimit: { from: credit }\n',
  );
  const config = (ownership?: ConfigFileInput['ownership']): ConfigFileInput => ({
    mappings: { dirs: [dir] },
    connectors: { shopdb: { type: 'mysql', urlEnv: 'SHOPDB_URL', tables: { customers: { table: 'customers', key: ['no'], watermark: 'updated_at', tieBreaker: 'id', columns: ['name', 'mail', 'tel', 'credit'] } } } },
    sync: { sources: { shopdb: { entities: ['customer'], pollIntervalSeconds: 0 } } },
    ...(ownership ? { ownership } : {}),
  });
  const env = { HUB_CONFIG: '', HUB_POLICY_SECRET: 'x'.repeat(40), HUB_DATA_DIR: join(dir, 'data'), SHOPDB_URL: 'mysql://shop@127.0.0.1:3306/shop' };
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    return { logger, lines };
  };

  it('has no built-in ownership: no rule names a system the user did not configure', () => {
    expect(configFileSchema.parse({}).ownership.fields).toEqual({});
  });

  it('applies email, phone and creditLimit from the source when no ownership is configured, and warns about nothing', async () => {
    const { logger, lines } = capture();
    const hub = prepareHub({ env, config: config(), logger });
    try {
      const decision = hub.ownership.decide('shopdb', 'customer', ['email', 'phone', 'creditLimit', 'name'], () => undefined);
      expect(decision).toEqual({ accepted: ['email', 'phone', 'creditLimit', 'name'], ignored: [], conflicts: [] });
      expect(lines).toEqual([]);
    } finally {
      await Promise.all([...hub.connectors.values()].map((c) => c.close()));
    }
  });

  it('warns at start, naming the source, the mapping, the fields and the rules, when ownership gives them to others', async () => {
    const { logger, lines } = capture();
    const hub = prepareHub({ env, config: config({ fields: { customer: { phone: ['hub'], creditLimit: ['hub', 'shopdb'], email: ['hub'] } } }), logger });
    try {
      expect(hub.ownership.decide('shopdb', 'customer', ['email', 'phone', 'creditLimit'], () => undefined).ignored).toEqual(['email', 'phone']);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 40,
        source: 'shopdb',
        mapping: 'shopdb.customer.in',
        entity: 'customer',
        fields: ['email', 'phone'],
        rules: ['ownership.fields.customer.email: [hub]', 'ownership.fields.customer.phone: [hub]'],
      });
      expect(lines[0]!['msg']).toContain('shopdb.customer.in writes email, phone, which shopdb does not own');
    } finally {
      await Promise.all([...hub.connectors.values()].map((c) => c.close()));
    }
  });
});
