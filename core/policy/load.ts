import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import type { FieldCatalog } from './catalog.js';
import { PolicyEngine } from './engine.js';

/** The policy shipped with the hub (roles of a typical sales organisation, three example targets). */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('./default-policy.yaml', import.meta.url));

/**
 * The hub's secret for per-receiver hash keys: `HUB_POLICY_SECRET` (at least 32 characters), or a
 * random one generated on first start and kept in `<dataDir>/policy-secret` (mode 0600). Keep it
 * stable: hashes change when it does.
 */
export function policySecret(env: Readonly<Record<string, string | undefined>>, dataDir: string): Buffer {
  const stored = storedPolicySecret(env, dataDir);
  if (stored) return stored;
  const file = join(dataDir, 'policy-secret');
  mkdirSync(dirname(file), { recursive: true });
  // Several processes may start at once on a new data dir: write aside, then link into place, which
  // fails when another process was first (a reader never sees a half-written file); theirs stands.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}

/** The policy secret from `HUB_POLICY_SECRET` or the data dir, without creating one (undefined: none yet). */
export function storedPolicySecret(env: Readonly<Record<string, string | undefined>>, dataDir: string): Buffer | undefined {
  const given = env['HUB_POLICY_SECRET'];
  if (given) {
    if (given.length < 32) throw new ConfigError('Configuration is invalid', [{ pointer: 'HUB_POLICY_SECRET', detail: 'must be at least 32 characters' }]);
    return Buffer.from(given, 'utf8');
  }
  const file = join(dataDir, 'policy-secret');
  return existsSync(file) ? Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8') : undefined;
}

/** Reads and compiles a policy file; a file that does not parse or validate stops the hub. */
export function loadPolicyFile(path: string | undefined, catalog: FieldCatalog, secret: Buffer, env: Readonly<Record<string, string | undefined>> = process.env): PolicyEngine {
  const file = resolve(path ?? DEFAULT_POLICY_PATH);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: 1000 });
  } catch (error) {
    throw new ConfigError(`The policy ${file} cannot be read`, [{ pointer: file, detail: (error as Error).message.split('\n')[0] ?? 'unreadable' }]);
  }
  return PolicyEngine.load(data, catalog, secret, file, env);
}
