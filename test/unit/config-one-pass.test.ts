import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { prepareHub } from '../../hub/config/prepare.js';

/**
 * A newcomer's broken setup is reported whole, in one pass, before anything connects: the file's own
 * problems do not hide the connector secrets, webhook secrets, environment and sync references that
 * are checked after it. (Before, a file that did not parse stopped the checks there, one problem at a
 * time.)
 */
describe('configuration: every problem at once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-one-pass-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');

  const problemsOf = (run: () => unknown): { pointer: string; detail: string }[] => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return [...(error as ConfigError).errors];
    }
    throw new Error('the configuration was accepted');
  };

  it('a file with a bad section, a connector with an unset secret, an unset webhook secret and a bad port: all reported', () => {
    const path = join(dir, 'hub.config.yaml');
    writeFileSync(
      path,
      [
        'security:',
        '  allowedCidrs: [not-a-range]',
        'connectors:',
        '  erpnext:',
        '    type: erpnext',
        '    baseUrl: https://erp.example.com',
        '    apiKeyEnv: ERP_KEY',
        '    apiSecretEnv: ERP_SECRET',
        'sync:',
        '  sources:',
        '    erpnext: { entities: [customer], pollIntervalSeconds: 0, webhookSecretEnv: ERP_HOOK }',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(() => prepareHub({ env: { HUB_CONFIG: path, HUB_PORT: 'eighty', HUB_DATA_DIR: dataDir, ERP_SECRET: 's' } }));
    const pointers = problems.map((p) => p.pointer);
    expect(pointers).toContain(`${path}#/security/allowedCidrs/0`);
    expect(pointers).toContain('HUB_PORT');
    expect(pointers).toContain('/connectors/erpnext/apiKeyEnv');
    expect(pointers).toContain('/sync/sources/erpnext/webhookSecretEnv');
    expect(problems.find((p) => p.pointer === '/connectors/erpnext/apiKeyEnv')?.detail).toContain('ERP_KEY');
    // A valid secret is named nowhere, and nothing was created before the refusal.
    expect(JSON.stringify(problems)).not.toContain('"s"');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a connector entry that is itself invalid is reported once: the sync entries naming it are not reported again', () => {
    const problems = problemsOf(() =>
      prepareHub({
        env: { HUB_CONFIG: '', HUB_DATA_DIR: dataDir },
        config: {
          connectors: { erpnext: { type: 'erpnext', baseUrl: 'not a url', apiKeyEnv: 'K', apiSecretEnv: 'S' } },
          sync: { targets: { erpnext: { entities: ['customer'] } }, sources: { ghost: { entities: ['customer'] } } },
        },
      }),
    );
    const pointers = problems.map((p) => p.pointer);
    expect(pointers).toContain('config#/connectors/erpnext/baseUrl');
    expect(pointers).not.toContain('/sync/targets/erpnext');
    // A source naming no connector at all is still a problem of its own, in the same pass.
    expect(pointers).toContain('/sync/sources/ghost');
  });

  it('an invalid sync entry does not hide a missing connector secret of a valid one', () => {
    const problems = problemsOf(() =>
      prepareHub({
        env: { HUB_CONFIG: '', HUB_DATA_DIR: dataDir },
        config: {
          connectors: { shop: { type: 'mysql', urlEnv: 'SHOP_URL', tables: {} } },
          sync: { targets: { shop: { entities: ['customer'], batchSize: 0 } } },
        },
      }),
    );
    const pointers = problems.map((p) => p.pointer);
    expect(pointers).toContain('config#/sync/targets/shop/batchSize');
    expect(pointers).toContain('/connectors/shop/urlEnv');
  });
});
