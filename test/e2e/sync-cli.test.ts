import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../core/store/store.js';
import { MYSQL_SERVER_URL, REDIS_URL } from '../helpers.js';

const run = promisify(execFile);
const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hub dlq` and `hub backfill` against a store on disk and the test Redis (no server, no workers). */
describe('`hub dlq` and `hub backfill`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-sync-cli-'));
  // A connector name of its own, so the queues this test leaves in Redis can be removed.
  const name = `cli_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const dbUrl = `sqlite:${join(dir, 'hub.sqlite')}`;
  const env = { ...process.env, HUB_CONFIG: join(dir, 'hub.config.yaml'), HUB_DATA_DIR: dir, HUB_DB: dbUrl, HUB_ADMIN_PASSWORD: 'cli-admin-password-1', REDIS_URL, HUB_REDIS_PREFIX: `hub-${name}`, CLI_ERP_URL: 'mysql://root@127.0.0.1:3306/not_contacted', CLI_OK_URL: `${MYSQL_SERVER_URL.replace(/\/$/, '')}/mysql` };
  const hub = (...args: string[]): Promise<Result> =>
    run(process.execPath, [HUB_BIN, ...args], { env, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(() => {
    mkdirSync(join(dir, 'mappings', name), { recursive: true });
    writeFileSync(join(dir, 'mappings', name, 'schema.yaml'), `connector: ${name}\nlinks: [customer]\nentities:\n  customers:\n    fields:\n      customer_no: { type: string, required: true }\n      name: { type: string, required: true }\n      currency: { type: string }\n`);
    writeFileSync(join(dir, 'mappings', name, 'customer.out.yaml'), `name: ${name}.customer.out\nconnector: ${name}\nentity: customer\ndirection: out\nexternalEntity: customers\nfields:\n  customer_no: { from: code }\n  name: { from: name }\n`);
    writeFileSync(join(dir, 'mappings', name, 'customer.in.yaml'), `name: ${name}.customer.in\nconnector: ${name}\nentity: customer\ndirection: in\nexternalEntity: customers\nfields:\n  code: { from: customer_no }\n  name: { from: name }\n  currency: { from: currency }\n`);
    writeFileSync(
      env.HUB_CONFIG,
      [
        'mappings:',
        `  dirs: [${JSON.stringify(join(dir, 'mappings'))}]`,
        'connectors:',
        `  ${name}:`,
        '    type: mysql',
        '    urlEnv: CLI_ERP_URL',
        '    tables:',
        '      customers: { table: erp_customers, key: [customer_no], watermark: modified_at, tieBreaker: id, columns: [name, currency] }',
        `  ${name}_ok:`,
        '    type: mysql',
        '    urlEnv: CLI_OK_URL',
        '    tables: {}',
        'sync:',
        `  targets: { ${name}: { entities: [customer], receiver: erpnext } }`,
        `  sources: { ${name}: { entities: [customer], pollIntervalSeconds: 0 } }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `hub-${name}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists no dead letters on an empty store, as JSON', async () => {
    const r = await hub('dlq', 'list', '--json');
    expect(r.stderr).toBe('');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  }, 180_000);

  it('lists, filters and discards dead letters, recording who did it', async () => {
    const store = await Store.open(dbUrl, dir);
    const at = new Date().toISOString();
    for (const [target, code] of [[name, 'refused'], ['other_erp', 'timeout']] as const) {
      await store.deadLetters.add({ target, entity: 'customer', recordId: `rec-${code}`, version: 1, payload: { customer_no: `C-${code}` }, errorCode: code, errorMessage: `the target said ${code}`, attempts: 1, createdAt: at });
    }
    await store.close();

    const all = await hub('dlq', 'list', '--json');
    expect(all.code).toBe(0);
    const letters = JSON.parse(all.stdout) as { id: string; target: string; payload: unknown; state: string }[];
    expect(letters.map((l) => l.target)).toEqual([name, 'other_erp']);
    expect(letters[0]).toMatchObject({ payload: { customer_no: 'C-refused' }, state: 'open' });
    expect(JSON.parse((await hub('dlq', 'list', '--json', '--target', 'other_erp')).stdout)).toHaveLength(1);
    expect(JSON.parse((await hub('dlq', 'list', '--json', '--entity', 'order')).stdout)).toHaveLength(0);
    const table = await hub('dlq', 'list', '--limit', '1');
    expect(table.stdout.split('\n')[0]).toMatch(/^id\tstate\tdir\ttarget/);
    expect(table.stdout).toContain(`\topen\tout\t${name}\tcustomer\trec-refused\trefused\t1\t`);
    expect(table.stderr).toContain('limit reached');

    const discard = await hub('dlq', 'discard', letters[1]!.id);
    expect(discard.code, discard.stderr).toBe(0);
    expect(discard.stdout).toBe('discarded 1 of 1\n');
    const discarded = JSON.parse((await hub('dlq', 'list', '--json', '--state', 'discarded')).stdout) as { id: string; resolvedBy: string }[];
    expect(discarded).toEqual([expect.objectContaining({ id: letters[1]!.id, resolvedBy: expect.stringMatching(/^cli:/) })]);
    // Not open any more: nothing to replay, exit 1.
    const again = await hub('dlq', 'replay', letters[1]!.id);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toContain(`not replayed (missing, not open, or no longer configured): ${letters[1]!.id}`);
  }, 180_000);

  it('refuses wrong command lines with exit code 2 and the usage', async () => {
    const cases = [
      ['backfill', '--detach'],
      ['backfill', name, 'customer', 'extra', '--detach'],
      ['backfill', name, 'spaceship', '--detach'],
      ['backfill', name, 'customer', '--direction', 'sideways', '--detach'],
      ['backfill', name, 'customer', '--since', 'last tuesday', '--detach'],
      ['backfill', name, 'customer', '--detach', '--bogus'],
      ['backfill', '--cancel'],
      ['dlq', 'frobnicate'],
      ['dlq', 'list', '--state', 'lost'],
      ['dlq', 'list', '--limit', '0'],
      ['dlq', 'replay', '1', '--all'],
      ['dlq', 'discard', 'not-a-number'],
      ['serve', '--bogus'],
      ['worker', 'extra'],
      ['help', '--verbose'],
      ['connectors', 'status', '--bogus'],
      ['connectors', 'frobnicate'],
      ['conflicts', 'list', '--state', 'lost'],
      ['conflicts', 'resolve', '1'],
      ['conflicts', 'resolve', '1', '--pick', 'value'],
      ['conflicts', 'resolve', '1', '--pick', 'value', '--value', 'not json'],
      ['conflicts', 'resolve', '1', '--pick', 'hub', '--value', '1'],
      ['conflicts', 'resolve', 'x', '--pick', 'hub'],
    ];
    // Independent: run them a few at a time (each is a process start).
    const results: Result[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map((args) => hub(...args)))));
    for (const [i, args] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^hub: /);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(results[0]!.stderr).toContain('usage: hub backfill <connector> <entity>');
  }, 180_000);

  it('reports what the engine refuses with exit code 1 and the pointers', async () => {
    const unknown = await hub('backfill', 'nowhere', 'customer', '--detach');
    expect(unknown.code, unknown.stderr).toBe(1);
    expect(unknown.stderr).toContain('No sync source or target named nowhere');
    const noMapping = await hub('backfill', name, 'order', '--detach');
    expect(noMapping.code, noMapping.stderr).toBe(1);
    // Says what the connector is, not merely what it is not.
    expect(noMapping.stderr).toContain(`hub: The backfill request is invalid\n  /entity: ${name} has no mapping for order in either direction (it reads customer; it is a target of customer)`);
    const missing = await hub('backfill', '--cancel', 'no-such-run');
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stderr).toContain('No run no-such-run');
  }, 180_000);

  it('runs an outbound backfill to the end in a `hub worker`, then will not cancel it', async () => {
    // Outbound backfills run in the workers: start one for this test.
    const worker = spawn(process.execPath, [HUB_BIN, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let workerErr = '';
    worker.stderr.on('data', (c: Buffer) => (workerErr += c.toString()));
    try {
      const r = await hub('backfill', name, 'customer', '--direction', 'out');
      expect(r.stderr).toContain('started');
      expect(r.code, `${r.stderr}\n--- worker:\n${workerErr}`).toBe(0);
      const id = r.stdout.trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.stderr).toMatch(/hub: done {2}0\/0 records {2}100\.0%/);
      const cancel = await hub('backfill', '--cancel', id);
      expect(cancel.code, cancel.stderr).toBe(1);
      expect(cancel.stderr).toContain('already done');
    } finally {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
  }, 180_000);

  it('detaches from an inbound backfill, and cancels it with --cancel', async () => {
    const r = await hub('backfill', name, 'customer', '--detach');
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(r.stderr).toContain(`hub backfill --cancel ${id}`);
    const cancel = await hub('backfill', '--cancel', id);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`${id}\tcancelled`);
  }, 180_000);

  it('watches an inbound backfill, says the workers are missing after 10 s, and cancels it on Ctrl-C (exit 130)', async () => {
    const child = spawn(process.execPath, [HUB_BIN, 'backfill', name, 'customer'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const hinted = new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('hub worker')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await hinted;
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('nothing has happened for 10 s');
    expect(stderr).toContain(`backfill ${stdout.trim()} cancelled`);
    // Plain lines, not a progress bar, when stderr is not a terminal.
    expect(stderr).not.toContain('\r');
    expect(stderr).toMatch(/hub: queued {2}0 records/);
  }, 180_000);

  it('prints each connector\'s status: state, breaker, queue, lag, counts, last error (as GET /api/v1/sync/connectors)', async () => {
    const json = await hub('connectors', 'status', '--json');
    expect(json.code, json.stderr).toBe(0);
    const items = JSON.parse(json.stdout) as { id: string; roles: string[]; state: string; breaker: { state: string } | null; queue: unknown; entities: { entity: string; direction: string; lastErrorCode: string | null }[] }[];
    expect(items).toEqual([expect.objectContaining({ id: name, roles: ['target', 'source'], breaker: expect.objectContaining({ state: 'closed' }), queue: expect.objectContaining({ waiting: expect.any(Number) }) })]);
    expect(items[0]!.entities.map((e) => `${e.entity}/${e.direction}`)).toEqual(['customer/out', 'customer/in']);
    const table = await hub('connectors', 'status');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe('connector\troles\tstate\tbreaker\tqueue w/a/d/f\tentity\tdir\tlag s\tlast success\tlast error\topen dead letters\tcounts');
    expect(table.stdout).toMatch(new RegExp(`^${name}\ttarget\\+source\t\\w+\tclosed\t\\d+/\\d+/\\d+/\\d+\tcustomer\tout\t`, 'm'));
  }, 180_000);

  it('checks connections: ok for a reachable database, the error code and message for the other, exit 1', async () => {
    const ok = await hub('connectors', 'check', `${name}_ok`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${name}_ok\tok\t\\d+ ms\n$`));
    const all = await hub('connectors', 'check');
    expect(all.code, all.stdout).toBe(1);
    // Unknown database 1049: the connector's code and its (secret-free) message.
    expect(all.stdout).toMatch(new RegExp(`^${name}\tfailed\tmysql_1049\t.*cannot connect`, 'm'));
    expect(all.stdout).not.toContain('root@');
    expect(all.stdout).toContain(`${name}_ok\tok`);
    expect(all.stderr).toContain('1 of 2 connectors failed the check');
    const unknown = await hub('connectors', 'check', 'nowhere');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no connector named nowhere; configured: ${name}, ${name}_ok`);
  }, 180_000);

  it('lists the conflict inbox and resolves a conflict, once', async () => {
    const store = await Store.open(dbUrl, dir);
    await store.conflicts.add({ entity: 'customer', recordId: 'cust-1', field: 'creditLimit', system: name, theirValue: '900.00', hubValue: '500.00', hubSystem: 'hub', createdAt: new Date().toISOString() });
    await store.close();
    const list = await hub('conflicts', 'list', '--json', '--entity', 'customer');
    expect(list.code, list.stderr).toBe(0);
    const [conflict] = JSON.parse(list.stdout) as { id: string; field: string; theirValue: unknown; hubValue: unknown; state: string }[];
    expect(conflict).toMatchObject({ field: 'creditLimit', theirValue: '900.00', hubValue: '500.00', state: 'open' });
    const table = await hub('conflicts', 'list');
    expect(table.stdout).toContain(`${conflict!.id}\topen\tcustomer\tcust-1\tcreditLimit\t${name}\t"900.00"\thub\t"500.00"\t`);
    expect(JSON.parse((await hub('conflicts', 'list', '--json', '--entity', 'order')).stdout)).toEqual([]);

    const resolved = await hub('conflicts', 'resolve', conflict!.id, '--pick', 'hub');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain(`${conflict!.id}\tresolved\t`);
    const again = await hub('conflicts', 'resolve', conflict!.id, '--pick', 'system');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already resolved');
    const missing = await hub('conflicts', 'resolve', '999999', '--pick', 'hub');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No conflict 999999');
    expect(JSON.parse((await hub('conflicts', 'list', '--json', '--state', 'resolved')).stdout)).toEqual([expect.objectContaining({ id: conflict!.id, resolution: 'hub', resolvedBy: expect.stringMatching(/^cli:/) })]);
  }, 180_000);
});
