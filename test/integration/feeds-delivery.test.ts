import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptEnvelopeFile } from '../../core/feeds/envelope.js';
import { KeyRing } from '../../core/feeds/key-ring.js';
import { parseManifest, runFileName } from '../../core/feeds/manifest.js';
import { runDir } from '../../queues/feeds/run.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL, deleteRedisPrefix, startTestHub, type TestHub } from '../helpers.js';
import { opensslVerify, seedReceivables } from './feed-fixtures.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly parts: Map<string, Buffer>;
}

/** The parts of a multipart/form-data body, by part name. */
function partsOf(body: Buffer, contentType: string): Map<string, Buffer> {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  const parts = new Map<string, Buffer>();
  if (!boundary) return parts;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delimiter, headEnd);
    const name = /name="([^"]+)"/.exec(body.subarray(start, headEnd).toString())?.[1] ?? '';
    parts.set(name, body.subarray(headEnd + 4, next - 2));
    at = next;
  }
  return parts;
}

const until = async (what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('feed deliveries, dead letters, the API and the keys', () => {
  let t: TestHub;
  let server: Server;
  let work: string;
  const received: Received[] = [];
  let failures = { push: 1, dead: Infinity };
  let admin: Record<string, string>;
  let clerk: Record<string, string>;
  let rep: Record<string, string>;
  const finance = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hub-feed-delivery-'));
    writeFileSync(join(work, 'finance-public.pem'), finance.publicKey);
    mkdirSync(join(work, 'inbox'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, parts: partsOf(Buffer.concat(chunks), String(req.headers['content-type'])) });
        const key = req.url === '/push' ? 'push' : 'dead';
        if (failures[key] > 0) {
          failures[key]--;
          res.writeHead(503, { 'Retry-After': '0' }).end('try later');
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestHub({
      workers: true,
      env: { FEED_TOKEN: 'Bearer feed-secret-token' },
      config: {
        feeds: {
          'finance-daily': {},
          'finance-push': { formats: ['csv'], delivery: { http: { url: `${url}/push`, attempts: 3, backoffMs: 20, maxBackoffMs: 50, headersFromEnv: { Authorization: 'FEED_TOKEN' } } } },
          'finance-dead': { formats: ['csv'], delivery: { http: { url: `${url}/dead`, attempts: 2, backoffMs: 20, maxBackoffMs: 50 } } },
          'finance-sealed': { formats: ['csv'], encryptFor: join(work, 'finance-public.pem'), delivery: { dir: join(work, 'inbox') } },
          // Every second (cron with seconds), in Tokyo's time zone.
          'finance-tick': { formats: ['jsonl'], schedule: { cron: '* * * * * *', timeZone: 'Asia/Tokyo' } },
        },
      },
    });
    await seedReceivables(t.hub);
    admin = { Authorization: `Bearer ${t.adminToken}` };
    for (const [username, roles] of [['ar.one', ['ar_clerk']], ['rep.one', ['sales_rep']]] as const) {
      const res = await t.api.post('/api/v1/users').set(admin).send({ username, displayName: username, roles, password: `${username}-password-2026` });
      expect(res.status).toBe(201);
    }
    clerk = { Authorization: `Bearer ${await t.login('ar.one', 'ar.one-password-2026')}` };
    rep = { Authorization: `Bearer ${await t.login('rep.one', 'rep.one-password-2026')}` };
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    rmSync(work, { recursive: true, force: true });
  });

  const run = async (feed: string) => {
    const res = await t.api.post(`/api/v1/feeds/${feed}/run`).set(clerk).send({ asOf: '2026-12-03' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { sequence: number; files: { name: string; sha256: string }[]; delivery: { http: { state: string } | null } };
  };
  const state = async (feed: string, sequence: number) => (await t.hub.store.feeds.get(feed, sequence))?.http;

  it('posts a run to finance: a 503 is retried, then delivered, with the secret header and the archived bytes', async () => {
    const r = await run('finance-push');
    expect(r.delivery.http?.state).toBe('pending');
    await until('the delivery', async () => (await state('finance-push', r.sequence))?.state === 'delivered');
    expect(await state('finance-push', r.sequence)).toMatchObject({ state: 'delivered', attempts: 2, error: null });
    const posts = received.filter((x) => x.path === '/push');
    expect(posts).toHaveLength(2);
    const dir = runDir(t.hub.config.dataDir, 'finance-push', r.sequence);
    const manifest = runFileName('finance-push', r.sequence, 'manifest.json');
    for (const post of posts) {
      expect(post.headers).toMatchObject({ authorization: 'Bearer feed-secret-token', 'x-hub-feed': 'finance-push', 'x-hub-feed-sequence': String(r.sequence), 'idempotency-key': `finance-push-${r.sequence}` });
      expect([...post.parts.keys()].at(-1)).toBe(manifest);
      expect([...post.parts.keys()].sort()).toEqual(readdirSync(dir).sort());
      for (const [name, bytes] of post.parts) expect(bytes.equals(readFileSync(join(dir, name))), name).toBe(true);
    }
  });

  it('exhausted attempts make a dead letter (no secret in it); replaying it sends the identical bytes', async () => {
    const r = await run('finance-dead');
    await until('the dead letter', async () => (await state('finance-dead', r.sequence))?.state === 'dead');
    const list = await t.api.get('/api/v1/sync/dead-letters').set(admin);
    const letter = (list.body.items as { id: string; target: string; entity: string; recordId: string; errorCode: string; attempts: number }[]).find((l) => l.target === 'feed:finance-dead');
    expect(letter).toMatchObject({ entity: 'feed', recordId: `${r.sequence}:http`, errorCode: 'http_503', attempts: 2 });
    expect(JSON.stringify(list.body)).not.toContain('feed-secret-token');
    const first = received.filter((x) => x.path === '/dead');
    expect(first).toHaveLength(2);

    failures.dead = 0;
    const replay = await t.api.post(`/api/v1/sync/dead-letters/${letter!.id}/replay`).set(admin);
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(replay.body.state).toBe('replayed');
    await until('the replayed delivery', async () => (await state('finance-dead', r.sequence))?.state === 'delivered');
    const all = received.filter((x) => x.path === '/dead');
    expect(all).toHaveLength(3);
    const [before, after] = [all[0]!, all[2]!];
    expect([...after.parts.keys()]).toEqual([...before.parts.keys()]);
    for (const [name, bytes] of after.parts) expect(bytes.equals(before.parts.get(name)!), name).toBe(true);
    expect(after.headers['x-hub-feed-sequence']).toBe(String(r.sequence));
  });

  it('admins and AR clerks list and run feeds; a sales rep may not; anyone signed in lists the public keys', async () => {
    const feeds = await t.api.get('/api/v1/feeds').set(clerk);
    expect(feeds.status).toBe(200);
    expect(feeds.body.items.map((f: { name: string }) => f.name)).toEqual(['finance-daily', 'finance-dead', 'finance-push', 'finance-sealed', 'finance-tick']);
    expect(feeds.body.items.find((f: { name: string }) => f.name === 'finance-push').delivery).toEqual({ directory: false, http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(JSON.stringify(feeds.body)).not.toContain(work);
    expect((await t.api.get('/api/v1/feeds').set(admin)).status).toBe(200);
    for (const [method, path] of [['get', '/api/v1/feeds'], ['get', '/api/v1/feeds/finance-daily/runs'], ['post', '/api/v1/feeds/finance-daily/run']] as const) {
      const res = await t.api[method](path).set(rep);
      expect(res.status, path).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await t.api.post('/api/v1/feeds/finance-daily/run').set(rep).send({ asOf: 'garbage' })).status).toBe(403);
    const missing = await t.api.post('/api/v1/feeds/no-such/run').set(admin);
    expect(missing.status, JSON.stringify(missing.body)).toBe(404);
    expect((await t.api.post('/api/v1/feeds/finance-daily/run').set(admin).send({ asOf: '2026-02-30' })).status).toBe(400);
    expect((await t.api.get('/api/v1/feeds/finance-daily/runs')).status).toBe(401);

    const runs = await t.api.get('/api/v1/feeds/finance-push/runs?limit=1').set(clerk);
    expect(runs.status).toBe(200);
    expect(runs.body.items[0]).toMatchObject({ feed: 'finance-push', status: 'complete', delivery: { http: { state: 'delivered' } } });

    const keys = await t.api.get('/api/v1/feeds/keys').set(rep);
    expect(keys.status).toBe(200);
    expect(keys.body.items[0]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), current: true, algorithm: 'RSA-SHA256', publicKey: expect.stringContaining('-----BEGIN PUBLIC KEY-----') });
    expect(JSON.stringify(keys.body)).not.toMatch(/PRIVATE/);
  });

  it('after a key rotation, runs signed with the old key still verify with its listed public key', async () => {
    const old = await run('finance-daily');
    const rotated = KeyRing.of(t.hub.config.dataDir).rotate();
    const next = await run('finance-daily');
    const keys = (await t.api.get('/api/v1/feeds/keys').set(clerk)).body.items as { id: string; current: boolean; publicKey: string }[];
    expect(keys.filter((k) => k.current).map((k) => k.id)).toEqual([rotated.id]);
    for (const r of [old, next]) {
      const dir = runDir(t.hub.config.dataDir, 'finance-daily', r.sequence);
      const manifest = parseManifest(readFileSync(join(dir, runFileName('finance-daily', r.sequence, 'manifest.json')), 'utf8'));
      const pem = join(work, `${manifest.keyId}.pem`);
      writeFileSync(pem, keys.find((k) => k.id === manifest.keyId)!.publicKey);
      const file = join(dir, runFileName('finance-daily', r.sequence, 'receivables.csv'));
      expect(await opensslVerify(pem, file)).toEqual({ ok: true, output: 'Verified OK' });
      const other = keys.find((k) => k.id !== manifest.keyId)!;
      writeFileSync(join(work, 'other.pem'), other.publicKey);
      expect((await opensslVerify(join(work, 'other.pem'), file)).ok).toBe(false);
    }
    expect(parseManifest(readFileSync(join(runDir(t.hub.config.dataDir, 'finance-daily', next.sequence), runFileName('finance-daily', next.sequence, 'manifest.json')), 'utf8')).keyId).toBe(rotated.id);
  });

  it('runs a scheduled feed from its BullMQ job scheduler, the cron pattern in its time zone', async () => {
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('feeds.run', { connection, prefix: t.prefix });
    try {
      const schedulers = await queue.getJobSchedulers(0, -1);
      expect(schedulers.map((s) => ({ id: s.id ?? s.key, pattern: s.pattern, tz: s.tz }))).toEqual([{ id: 'finance-tick', pattern: '* * * * * *', tz: 'Asia/Tokyo' }]);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    await until('a scheduled run', async () => (await t.hub.store.feeds.list('finance-tick', 5)).some((r) => r.origin === 'schedule' && r.status === 'complete' && r.createdBy === 'scheduler'));
    const runs = (await t.hub.store.feeds.list('finance-tick', 100)).filter((r) => r.status === 'complete');
    expect(runs.map((r) => r.sequence).sort((a, b) => a! - b!)).toEqual(runs.map((_, i) => i + 1));
  });

  it('puts the feed schedule back when Redis loses the hub\'s keys (the sync watchdog), and scheduled runs go on', async () => {
    await deleteRedisPrefix(t.prefix);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('feeds.run', { connection, prefix: t.prefix });
    try {
      await until('the schedule restored', async () => (await queue.getJobSchedulers(0, -1)).some((s) => (s.id ?? s.key) === 'finance-tick'), 30_000);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const before = (await t.hub.store.feeds.list('finance-tick', 100)).length;
    await until('a scheduled run after the loss', async () => (await t.hub.store.feeds.list('finance-tick', 100)).length > before, 30_000);
  }, 70_000);

  it('encrypts for finance\'s key: the envelope is signed, finance decrypts it to the CSV the manifest hashes', async () => {
    const r = await run('finance-sealed');
    const inbox = join(work, 'inbox');
    const name = runFileName('finance-sealed', r.sequence, 'receivables.csv.enc');
    expect(readdirSync(inbox)).toContain(name);
    expect(readdirSync(inbox).filter((n) => n.endsWith('.csv'))).toEqual([]);
    const key = t.hub.feeds.keys().find((k) => k.current)!;
    writeFileSync(join(work, 'hub.pem'), key.publicKey);
    expect(await opensslVerify(join(work, 'hub.pem'), join(inbox, name))).toEqual({ ok: true, output: 'Verified OK' });
    expect(readFileSync(join(inbox, name)).includes(Buffer.from('INV-4'))).toBe(false);
    const out = join(work, 'receivables.csv');
    await decryptEnvelopeFile(join(inbox, name), out, finance.privateKey);
    const manifest = parseManifest(readFileSync(join(inbox, runFileName('finance-sealed', r.sequence, 'manifest.json')), 'utf8'));
    const entry = manifest.files.find((f) => f.name === name)!;
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(entry.plaintextSha256);
    expect(readFileSync(out, 'utf8')).toMatch(/^customer_code,customer_name,number,/);
    expect(readFileSync(out, 'utf8')).toContain('INV-4');
    expect(manifest.encryption).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM' });
    expect((await t.hub.store.feeds.get('finance-sealed', r.sequence))?.directory?.state).toBe('delivered');
  });
});
