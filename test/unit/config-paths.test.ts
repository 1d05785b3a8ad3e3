import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../hub/config/load.js';
import { ConfigError } from '../../core/errors.js';

const DEFAULT_POLICY = new URL('../../core/policy/default-policy.yaml', import.meta.url).pathname;

/** Relative paths in hub.config.yaml mean the same whatever directory the hub is started from. */
describe('paths in the configuration file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-config-paths-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const problems = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error.errors.map((p) => `${p.pointer}: ${p.detail}`);
      throw error;
    }
    return [];
  };

  it('resolves mappings.dirs and policy.file against the folder of the file, not the working directory', () => {
    const etc = join(dir, 'etc');
    mkdirSync(join(etc, 'mappings', 'erp'), { recursive: true });
    writeFileSync(join(etc, 'policy.yaml'), '');
    const file = join(etc, 'hub.config.yaml');
    writeFileSync(file, 'mappings:\n  dirs: [./mappings, mappings/erp]\npolicy:\n  file: ./policy.yaml\n');
    // The tests run with the repository as the working directory, where ./mappings also exists.
    const config = loadConfig({ HUB_CONFIG: file });
    expect(config.file.mappings.dirs).toEqual([join(etc, 'mappings'), join(etc, 'mappings', 'erp')]);
    expect(config.file.policy.file).toBe(join(etc, 'policy.yaml'));
  });

  it('refuses a folder or policy that does not exist, naming the key, the index and the resolved path', () => {
    const file = join(dir, 'missing.yaml');
    writeFileSync(file, 'mappings:\n  dirs: [/, ./nowhere]\npolicy:\n  file: ./no-policy.yaml\n');
    expect(problems(() => loadConfig({ HUB_CONFIG: file }))).toEqual([
      `${file}#/mappings/dirs/1: the folder ${join(dir, 'nowhere')} does not exist (relative to the configuration file's folder ${dir})`,
      `${file}#/policy/file: the file ${join(dir, 'no-policy.yaml')} does not exist (relative to the configuration file's folder ${dir})`,
    ]);
  });

  it('resolves configuration given in code against the working directory', () => {
    const config = loadConfig({ HUB_CONFIG: '' }, { file: { mappings: { dirs: ['test/fixtures/sync/mappings'] }, policy: { file: DEFAULT_POLICY } } });
    expect(config.file.mappings.dirs).toEqual([join(process.cwd(), 'test/fixtures/sync/mappings')]);
    expect(problems(() => loadConfig({ HUB_CONFIG: '' }, { file: { mappings: { dirs: ['no/such/dir'] } } }))).toEqual([
      `config#/mappings/dirs/0: the folder ${join(process.cwd(), 'no/such/dir')} does not exist (relative to the working directory ${process.cwd()})`,
    ]);
  });
});
