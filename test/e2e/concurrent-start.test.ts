import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, deleteRedisPrefix, REDIS_URL } from '../helpers.js';
import { startAndWait, stop } from './process.js';

const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;

/**
 * What a new user does with the README: two `hub serve` and two `hub worker` started at the same
 * moment on an empty MySQL store. All of them must come up, with one admin, announced once.
 */
describe('first start of several processes at once on an empty MySQL store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-concurrent-'));
  const prefix = `hub-concurrent-${randomUUID().slice(0, 8)}`;
  const children: ChildProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => stop(c)));
    await drop?.();
    await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates once, creates one admin, prints its password once, and every process stays up', async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    const env = { HUB_PORT: '0', HUB_DB: db.url, HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: '', HUB_CONFIG: '', HUB_DEMO: '0', REDIS_URL, HUB_REDIS_PREFIX: prefix };
    const commands = [['serve'], ['serve'], ['worker'], ['worker']];
    const started = await Promise.allSettled(
      commands.map((args) => startAndWait(process.execPath, [HUB_BIN, ...args], env, args[0] === 'serve' ? /serving on (http:\/\/\S+) / : /worker running/, 90_000)),
    );
    for (const s of started) if (s.status === 'fulfilled') children.push(s.value.child);
    const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    expect(failures).toEqual([]);
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));

    // Still up a moment later (a loser of a race would have exited by now).
    await new Promise((r) => setTimeout(r, 1500));
    expect(ok.map((s) => s.child.exitCode)).toEqual([null, null, null, null]);
    const outputs = ok.map((s) => s.output()).join('\n');
    expect(outputs).not.toMatch(/same username|ER_DUP_ENTRY|Error:/);
    const announced = [...outputs.matchAll(/generated password: (\S+)/g)].map((m) => m[1]);
    expect(announced).toHaveLength(1);

    const pool = createPool({ uri: db.url, connectionLimit: 1 });
    try {
      const [rows] = await pool.query("select count(*) as n from hub_users where username = 'admin'");
      expect(Number((rows as { n: number }[])[0]?.n)).toBe(1);
    } finally {
      await pool.end();
    }
    // The announced password is the admin's, whichever process announced it.
    const base = ok[0]!.match[1]!;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: announced[0] }) });
    expect(login.status).toBe(200);
  }, 180_000);
});
