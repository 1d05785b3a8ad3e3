import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldCatalog, fieldTypes, requiredOnCreate } from '../../core/model/spec-catalog.js';
import { loadPolicyFile } from '../../core/policy/load.js';
import { loadMappings } from '../../mappings/engine/load.js';
import { loadSpec } from '../../openapi/app/spec.js';
import { connectorFactory } from '../../connectors/config.js';
import type { Connector } from '../../connectors/contract.js';
import { CONNECTOR_MODULES, connectorModule, defaultMappingDirs } from '../../connectors/registry.js';
import { configErrorOf } from '../fixtures/config-error.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The connector registry: every connector type comes from one module in a folder, registered by one
 * line, and the configuration union and the factory are built from the list.
 */

/** A connector a host might add: a folder with this module and one line in the list. */
const ledgerModule = connectorModule({
  type: 'ledger',
  configSchema: z.strictObject({ type: z.literal('ledger'), tokenEnv: z.string(), books: z.array(z.string()).min(1) }),
  docs: 'docs/connectors/ledger.md',
  secrets: (config) => [{ pointer: 'tokenEnv', variable: config.tokenEnv }],
  create(name, config, ctx): Connector {
    const token = ctx.secret(config.tokenEnv);
    if (token.length < 4) throw ctx.invalid('tokenEnv', `environment variable ${config.tokenEnv} is too short for a ledger token`);
    return {
      describe: () => ({ connector: name, entities: Object.fromEntries(config.books.map((b) => [b, { read: true, write: false, detectChanges: false, detectDeletes: false, naturalKeys: [] }])) }),
      check: async () => undefined,
      read: async () => ({ records: [], cursor: null }),
      upsert: async () => [],
      keyOf: (_entity, record) => String(record['id']),
      close: async () => undefined,
    };
  },
});


describe('the connector registry', () => {
  it('lists every module once, with a type its configuration schema carries', () => {
    const types = CONNECTOR_MODULES.map((m) => m.type);
    expect(types).toEqual(['mysql', 'mssql', 'http', 'erpnext', 'postgres', 'odoo', 'sapb1', 'businesscentral']);
    expect(new Set(types).size).toBe(types.length);
    for (const m of CONNECTOR_MODULES) expect(m.configSchema.shape.type.value).toBe(m.type);
  });

  it('every module has its docs page, and the default mappings it ships exist and load', () => {
    const document = loadSpec().document;
    const policy = loadPolicyFile(undefined, fieldCatalog(document), Buffer.from('r'.repeat(32)));
    for (const m of CONNECTOR_MODULES) {
      expect(m.docs, m.type).toMatch(/^docs\/connectors\/[a-z0-9-]+\.md$/);
      expect(existsSync(join(ROOT, m.docs)), `${m.type}: ${m.docs}`).toBe(true);
      const dir = (m as { defaultMappingsDir?: string }).defaultMappingsDir;
      if (dir === undefined) continue;
      expect(isAbsolute(dir) && existsSync(dir) && statSync(dir).isDirectory(), `${m.type}: ${dir}`).toBe(true);
      const registry = loadMappings([], { types: fieldTypes(document), required: requiredOnCreate(document), policy, custom: new Map() }, [dir]);
      expect(registry.list().length, m.type).toBeGreaterThan(0);
      expect(registry.list().every((x) => x.connector === m.type), m.type).toBe(true);
    }
    expect(defaultMappingDirs()).toEqual([join(ROOT, 'connectors/erpnext/mappings/'), join(ROOT, 'connectors/odoo/mappings/'), join(ROOT, 'connectors/sapb1/mappings/'), join(ROOT, 'connectors/businesscentral/mappings/')]);
  });

  it('a module added to the list is a configuration type and a factory, with its secrets checked first', async () => {
    const factory = connectorFactory([...CONNECTOR_MODULES, ledgerModule]);
    const config = { type: 'ledger' as const, tokenEnv: 'LEDGER_TOKEN', books: ['journal'] };
    expect(factory.schema.safeParse(config).success).toBe(true);
    // The registered modules still parse as before.
    expect(factory.schema.safeParse({ type: 'erpnext', baseUrl: 'https://erp.example.com', apiKeyEnv: 'K', apiSecretEnv: 'S' }).success).toBe(true);
    const ledger = factory.create('books', config, { LEDGER_TOKEN: 'tok-1234' });
    expect(ledger.describe()).toEqual({ connector: 'books', entities: { journal: { read: true, write: false, detectChanges: false, detectDeletes: false, naturalKeys: [] } } });
    await ledger.close();

    expect(configErrorOf(() => factory.create('books', config, {})).errors).toEqual([{ pointer: '/connectors/books/tokenEnv', detail: 'environment variable LEDGER_TOKEN is not set' }]);
    expect(configErrorOf(() => factory.create('books', config, { LEDGER_TOKEN: 'x' })).errors).toEqual([{ pointer: '/connectors/books/tokenEnv', detail: 'environment variable LEDGER_TOKEN is too short for a ledger token' }]);
    expect(configErrorOf(() => factory.create('books', { ...config, books: [] }, {})).errors[0]?.pointer).toBe('/connectors/books/books');
    // The registered list alone does not know the type.
    expect(connectorFactory(CONNECTOR_MODULES).schema.safeParse(config).success).toBe(false);
  });

  it('refuses two modules of one type, and a module whose schema names another type', () => {
    expect(() => connectorFactory([ledgerModule, ledgerModule])).toThrow('two connector modules have the type ledger');
    expect(() => connectorFactory([{ ...ledgerModule, type: 'books' }])).toThrow('the connector module books has a configuration schema of type ledger');
  });
});
