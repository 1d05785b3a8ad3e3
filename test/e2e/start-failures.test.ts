import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisPrefix, REDIS_URL } from '../helpers.js';
import { startAndWait, stop } from './process.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const HUB_BIN = join(ROOT, 'dist/hub/cli/hub.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
const hub = (args: string[], env: Record<string, string>): Promise<Result> =>
  run(process.execPath, [HUB_BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Result) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** Processes whose environment carries `marker` (the hub a test started, however it was started). */
function processesWith(marker: string): number[] {
  return readdirSync('/proc').flatMap((pid) => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

describe('a start that cannot succeed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-start-fail-'));
  const prefix = `hub-start-fail-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every configuration problem at once and creates nothing: no data dir, no store, no admin', async () => {
    const dataDir = join(dir, 'bad-data');
    const config = join(dir, 'bad.config.yaml');
    writeFileSync(
      config,
      [
        'mappings:',
        '  dirs: [./nowhere]',
        'connectors:',
        '  erp: { type: mysql, urlEnv: BAD_ERP_URL, tables: { customers: { table: c, key: [no], watermark: m, tieBreaker: id, columns: [name] } } }',
        'sync:',
        '  sources: { erp: { entities: [customer], webhookSecretEnv: BAD_ERP_HOOK } }',
        '  targets: { ghost: { entities: [customer] } }',
        '',
      ].join('\n'),
    );
    const env = { HUB_PORT: 'x', HUB_CONFIG: config, HUB_DATA_DIR: dataDir, HUB_DB: '', HUB_ADMIN_PASSWORD: '', BAD_ERP_URL: '', BAD_ERP_HOOK: '', REDIS_URL, HUB_REDIS_PREFIX: prefix };
    for (const command of ['serve', 'worker']) {
      const r = await hub([command], env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('HUB_PORT: must be an integer port');
      expect(r.stderr).toContain(`${config}#/mappings/dirs/0: the folder ${join(dir, 'nowhere')} does not exist`);
      expect(r.stderr).toContain('/connectors/erp/urlEnv: environment variable BAD_ERP_URL is not set');
      expect(r.stderr).toContain('/sync/sources/erp/webhookSecretEnv: the environment variable BAD_ERP_HOOK is not set');
      expect(r.stderr).toContain('/sync/targets/ghost: no connector named ghost is configured');
      expect(r.stderr).toContain('/sync/sources/erp/entities: no inbound mapping for customer with connector erp');
      expect(r.stderr).not.toMatch(/password|\n\s+at /);
      expect(existsSync(dataDir)).toBe(false);
    }
  }, 120_000);

  it('says in one line that the port is in use, before creating the store or the admin', async () => {
    const dataDir = join(dir, 'port-data');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await hub(['serve'], { HUB_PORT: String(port), HUB_CONFIG: '', HUB_DATA_DIR: dataDir, HUB_DB: '', HUB_ADMIN_PASSWORD: '', REDIS_URL, HUB_REDIS_PREFIX: prefix });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`hub: port ${port} on 127.0.0.1 is in use (HUB_PORT)\n`);
      expect(r.stdout).toBe('');
      expect(existsSync(join(dataDir, 'hub.sqlite'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

describe('`npm start` under a process manager', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-npm-start-'));
  const prefix = `hub-npm-start-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends the hub and frees its port when npm gets SIGTERM', async () => {
    const marker = `HUB_E2E_MARKER_${randomUUID().replace(/-/g, '')}`;
    const env = { HUB_PORT: '0', HUB_DATA_DIR: dataDir, HUB_DB: '', HUB_CONFIG: '', HUB_ADMIN_PASSWORD: 'npm-start-password', HUB_DEMO: '0', REDIS_URL, HUB_REDIS_PREFIX: prefix, [marker]: '1' };
    const npm = await startAndWait('npm', ['start', '--prefix', ROOT], env, /serving on (http:\/\/\S+) /, 90_000);
    const base = npm.match[1]!;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(processesWith(marker).length).toBeGreaterThan(0);
      const exited = new Promise<void>((resolve) => npm.child.once('exit', () => resolve()));
      npm.child.kill('SIGTERM');
      // npm itself may hang on while an orphaned hub holds its output: bounded, then judged below.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      // Within a bound: the hub drains and exits; nothing of it is left, and the port is free.
      const deadline = Date.now() + 15_000;
      while (processesWith(marker).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(processesWith(marker)).toEqual([]);
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      await stop(npm.child);
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    }
  }, 120_000);
});
