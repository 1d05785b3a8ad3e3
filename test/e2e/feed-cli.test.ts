import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub } from '../../hub/create-hub.js';
import { deleteRedisPrefix, REDIS_URL } from '../helpers.js';
import { FIXTURE_PHONES, opensslVerify, seedReceivables } from '../integration/feed-fixtures.js';

const run = promisify(execFile);
const HUB_BIN = new URL('../../dist/hub/cli/hub.js', import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The newcomer's commands, as child processes of the built CLI: `hub feed run finance-daily --out
 * ./feeds` on a store with receivables (no Redis needed), again for the next sequence, `hub keys
 * public` for openssl, `hub feed verify`, `hub keys rotate`, and the receiving side's `hub feed decrypt`.
 */
describe('`hub feed` and `hub keys`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-feed-cli-'));
  const prefix = `hub-feedcli-${randomUUID().slice(0, 8)}`;
  const finance = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  // No Redis at all for the default feed: an address where nothing answers.
  const env = { ...process.env, HUB_CONFIG: '', HUB_DATA_DIR: join(dir, 'data'), HUB_DB: `sqlite:${join(dir, 'hub.sqlite')}`, REDIS_URL: 'redis://127.0.0.1:1', HUB_REDIS_PREFIX: prefix };
  const hub = (args: string[], extra: Record<string, string> = {}): Promise<Result> =>
    run(process.execPath, [HUB_BIN, ...args], { env: { ...env, ...extra }, cwd: dir, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    // The data, written by a hub over the same store (as `npm start` would have).
    const seeding = createHub({ env: { ...env, REDIS_URL, HUB_ADMIN_PASSWORD: 'feed-cli-admin-1' }, logger: pino({ level: 'silent' }), redisPrefix: prefix, runWorkers: false, serveApi: false });
    await seeding.start();
    await seedReceivables(seeding);
    await seeding.stop();
    writeFileSync(join(dir, 'finance-public.pem'), finance.publicKey);
    writeFileSync(join(dir, 'finance-private.pem'), finance.privateKey);
    writeFileSync(join(dir, 'sealed.yaml'), 'finance: { timeZone: Europe/Berlin }\nfeeds:\n  sealed:\n    formats: [csv]\n    encryptFor: finance-public.pem\n');
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await deleteRedisPrefix(prefix);
  });

  it('runs finance-daily into ./feeds; openssl verifies with `hub keys public`; no phone; the next run is sequence 2', async () => {
    const first = await hub(['feed', 'run', 'finance-daily', '--out', './feeds', '--as-of', '2026-12-03']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^finance-daily run 1 as of 2026-12-03 \(UTC\): 4 open receivables, 3 customer totals, signed by key [0-9a-f]{16}/);
    const feeds = join(dir, 'feeds');
    expect(readdirSync(feeds).filter((n) => !n.endsWith('.sig')).sort()).toEqual(['customer-totals.csv', 'customer-totals.jsonl', 'manifest.json', 'receivables.csv', 'receivables.jsonl'].map((b) => `finance-daily-000001-${b}`).sort());
    const pem = await hub(['keys', 'public']);
    expect(pem.code).toBe(0);
    expect(pem.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    writeFileSync(join(dir, 'hub-public.pem'), pem.stdout);
    expect(await opensslVerify(join(dir, 'hub-public.pem'), join(feeds, 'finance-daily-000001-receivables.csv'))).toEqual({ ok: true, output: 'Verified OK' });
    for (const f of readdirSync(feeds)) for (const phone of FIXTURE_PHONES) expect(readFileSync(join(feeds, f), 'latin1').includes(phone), f).toBe(false);

    const second = await hub(['feed', 'run', 'finance-daily', '--out', './feeds']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^finance-daily run 2 as of/);
    const list = await hub(['feed', 'list']);
    expect(list.stdout.split('\n')[1]).toMatch(/^finance-daily\tfinance\tcsv\+jsonl\t-\tarchive only\t2\t/);
  });

  it('`hub feed verify` checks the signature and the manifest hash, and fails on a changed file', async () => {
    const feeds = join(dir, 'feeds');
    const ok = await hub(['feed', 'verify', join(feeds, 'finance-daily-000001-receivables.csv')]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok\tfinance-daily-000001-receivables\.csv\tsignature valid/m);
    expect(ok.stdout).toMatch(/^ok\tfinance-daily-000001-manifest\.json\tlists finance-daily-000001-receivables\.csv with the same SHA-256/m);
    const all = await hub(['feed', 'verify', join(feeds, 'finance-daily-000002-manifest.json'), '--key', join(dir, 'hub-public.pem')]);
    expect(all.code, all.stdout).toBe(0);
    expect(all.stdout.split('\n').filter((l) => l.startsWith('ok\t'))).toHaveLength(1 + 4 * 2);

    const csv = join(feeds, 'finance-daily-000001-receivables.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').replace('1000.00', '1.00'));
    const bad = await hub(['feed', 'verify', csv]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED\tfinance-daily-000001-receivables\.csv\tthe signature .* is not valid/m);
    expect(bad.stdout).toMatch(/^FAILED\tfinance-daily-000001-manifest\.json\tlists finance-daily-000001-receivables\.csv with SHA-256/m);
  });

  it('`hub keys rotate` makes a new current key; the old one stays listed and older runs still verify', async () => {
    const before = (await hub(['keys', 'list'])).stdout;
    const rotated = await hub(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const id = rotated.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const after = (await hub(['keys', 'list'])).stdout.trim().split('\n').slice(1);
    expect(after).toHaveLength(2);
    expect(after.find((l) => l.startsWith(id))).toMatch(/\tcurrent$/);
    expect(before).toContain(after.find((l) => !l.startsWith(id))!.split('\t')[0]);
    const third = await hub(['feed', 'run', 'finance-daily']);
    expect(third.stdout).toContain(`signed by key ${id}`);
    const old = await hub(['feed', 'verify', join(dir, 'feeds', 'finance-daily-000002-receivables.csv')]);
    expect(old.code, old.stdout).toBe(0);
  });

  it('an encrypted feed decrypts on the receiving side with `hub feed decrypt`', async () => {
    const sealed = await hub(['feed', 'run', 'sealed', '--out', './sealed'], { HUB_CONFIG: join(dir, 'sealed.yaml') });
    expect(sealed.code, sealed.stderr).toBe(0);
    const enc = join(dir, 'sealed', 'sealed-000001-receivables.csv.enc');
    const verified = await hub(['feed', 'verify', enc], { HUB_CONFIG: join(dir, 'sealed.yaml') });
    expect(verified.code, verified.stdout).toBe(0);
    const out = join(dir, 'plain.csv');
    const decrypted = await hub(['feed', 'decrypt', enc, '--key', join(dir, 'finance-private.pem'), '--out', out]);
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(decrypted.stderr).toContain('its SHA-256 is the one the manifest lists');
    expect(readFileSync(out, 'utf8')).toMatch(/^customer_code,customer_name,number,issue_date,due_date,currency,amount,paid_amount,balance,days_past_due,bucket,status\r\n/);
    const wrongKey = await hub(['feed', 'decrypt', enc, '--key', join(dir, 'data', 'feed-keys', `${(await hub(['keys', 'list'])).stdout.split('\n')[1]!.split('\t')[0]}.private.pem`), '--out', join(dir, 'nope.csv')]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/encrypted for the key/);
  });

  it('refuses an unknown feed, a bad date and a bad command line clearly', async () => {
    const unknown = await hub(['feed', 'run', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No feed named nope (configured: finance-daily)');
    const date = await hub(['feed', 'run', 'finance-daily', '--as-of', '2026-13-01']);
    expect(date.code).toBe(1);
    expect(date.stderr).toMatch(/--as-of: must be a calendar date/);
    const usage = await hub(['feed', 'run', 'finance-daily', '--bogus']);
    expect(usage.code).toBe(2);
    // A folder the run cannot be written to is refused before the run: no sequence number is taken.
    const lastRun = async () => (await hub(['feed', 'list'])).stdout.split('\n')[1]!.split('\t')[5];
    const before = await lastRun();
    writeFileSync(join(dir, 'a-file'), 'x');
    const badOut = await hub(['feed', 'run', 'finance-daily', '--out', join(dir, 'a-file', 'feeds')]);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toContain('a part of the path is a file, not a folder; nothing was run');
    expect(await lastRun()).toBe(before);
    const badConfig = await hub(['feed', 'list'], { HUB_CONFIG: join(dir, 'bad.yaml') });
    expect(badConfig.code).toBe(1);
    writeFileSync(join(dir, 'bad.yaml'), 'feeds:\n  finance-daily:\n    columns: [customer.code, customer.phone]\n');
    const denied = await hub(['feed', 'list'], { HUB_CONFIG: join(dir, 'bad.yaml') });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('#/feeds/finance-daily/columns/1: names customer.phone, which target:finance may not see');
    // Eight `hub` processes one after the other: on a busy 2-core machine each start takes seconds.
  }, 120_000);
});
