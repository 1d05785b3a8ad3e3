import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCsv } from '../../core/feeds/lines.js';
import { parseManifest, parseRunFileName, runFileName } from '../../core/feeds/manifest.js';
import { verifyFeedFile } from '../../core/feeds/verify.js';
import { FeedRepository } from '../../core/store/feeds-repository.js';
import { archivedRun, deliverToDir } from '../../queues/feeds/archive.js';
import { runDir } from '../../queues/feeds/run.js';
import { startTestHub, STORE_KINDS, type TestHub } from '../helpers.js';
import { FIXTURE_PHONES, opensslVerify, seedReceivables } from './feed-fixtures.js';

const AS_OF = '2026-12-03';

describe.each(STORE_KINDS)('the receivables feed (%s store)', (kind) => {
  let t: TestHub;
  let out: string;
  let dataDir: string;

  beforeAll(async () => {
    t = await startTestHub({ store: kind });
    dataDir = t.hub.config.dataDir;
    out = mkdtempSync(join(tmpdir(), 'hub-feed-out-'));
    await seedReceivables(t.hub);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(out, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  const files = (sequence: number) => readdirSync(runDir(dataDir, 'finance-daily', sequence)).sort();

  it('writes signed CSV and JSON Lines that openssl verifies: open receivables projected for finance, aged, with per-currency customer totals', async () => {
    const run = await t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' });
    expect(run).toMatchObject({ status: 'complete', asOf: AS_OF, records: 4, customerTotals: 3, receiver: 'finance' });
    const dir = runDir(dataDir, 'finance-daily', run.sequence!);
    const name = (base: string) => runFileName('finance-daily', run.sequence!, base);
    expect(files(run.sequence!)).toEqual(
      ['customer-totals.csv', 'customer-totals.csv.sig', 'customer-totals.jsonl', 'customer-totals.jsonl.sig', 'manifest.json', 'manifest.json.sig', 'receivables.csv', 'receivables.csv.sig', 'receivables.jsonl', 'receivables.jsonl.sig'].map(name).sort(),
    );
    const pem = join(out, 'hub-public.pem');
    const key = t.hub.feeds.keys().find((k) => k.current)!;
    writeFileSync(pem, key.publicKey);
    for (const f of readdirSync(dir).filter((n) => !n.endsWith('.sig'))) {
      expect(await opensslVerify(pem, join(dir, f)), f).toEqual({ ok: true, output: 'Verified OK' });
    }
    // A changed byte no longer verifies.
    const copy = join(out, 'tampered.csv');
    writeFileSync(copy, readFileSync(join(dir, name('receivables.csv')), 'utf8').replace('100.00', '900.00'));
    expect((await opensslVerify(pem, copy, join(dir, `${name('receivables.csv')}.sig`))).ok).toBe(false);

    const csv = parseCsv(readFileSync(join(dir, name('receivables.csv')), 'utf8'));
    expect(csv[0]).toEqual(['customer_code', 'customer_name', 'number', 'issue_date', 'due_date', 'currency', 'amount', 'paid_amount', 'balance', 'days_past_due', 'bucket', 'status']);
    const byNumber = new Map(csv.slice(1).map((r) => [r[2], r]));
    expect([...byNumber.keys()].sort()).toEqual(['INV-1', 'INV-2', 'INV-3', 'INV-4']);
    expect(byNumber.get('INV-1')).toEqual(['C-1', '\'=HYPERLINK("http://evil.example","x")', 'INV-1', '2026-01-01', '2026-11-03', 'EUR', '100.00', '0.00', '100.00', '30', 'd1_30', 'overdue']);
    expect(byNumber.get('INV-2')?.slice(8)).toEqual(['30.00', '0', 'current', 'partially_paid']);
    expect(byNumber.get('INV-4')?.slice(0, 2)).toEqual(['C-2', 'Müller, "Söhne" GmbH']);
    expect(byNumber.get('INV-4')?.slice(9)).toEqual(['185', 'over_90', 'overdue']);
    const jsonl = readFileSync(join(dir, name('receivables.jsonl')), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(jsonl.find((r) => r['number'] === 'INV-1')).toMatchObject({ customer_name: '=HYPERLINK("http://evil.example","x")', balance: '100.00', days_past_due: 30 });

    const totals = parseCsv(readFileSync(join(dir, name('customer-totals.csv')), 'utf8'));
    expect(totals[0]).toEqual(['customer_code', 'customer_name', 'currency', 'receivables', 'current', 'd1_30', 'd31_60', 'd61_90', 'over_90', 'total']);
    expect(totals.slice(1).map((r) => [r[0], r[2], r[3], r[4], r[5], r[8], r[9]]).sort()).toEqual([
      ['C-1', 'EUR', '2', '30.00', '100.00', '0.00', '130.00'],
      ['C-1', 'USD', '1', '200.00', '0.00', '0.00', '200.00'],
      ['C-2', 'USD', '1', '0.00', '0.00', '1000.00', '1000.00'],
    ]);

    // No phone (finance may not see it), in any file, in any form.
    for (const f of readdirSync(dir)) {
      const text = readFileSync(join(dir, f), 'latin1');
      for (const phone of FIXTURE_PHONES) expect(text.includes(phone) || text.includes(phone.replace(/\D/g, '')), `${f} holds a phone`).toBe(false);
      expect(text, f).not.toMatch(/phone/i);
    }

    const manifest = parseManifest(readFileSync(join(dir, name('manifest.json')), 'utf8'));
    expect(manifest).toMatchObject({ feed: 'finance-daily', sequence: run.sequence, asOf: AS_OF, keyId: key.id, records: 4, customerTotals: 3, encryption: null });
    for (const f of manifest.files) expect(createHash('sha256').update(readFileSync(join(dir, f.name))).digest('hex'), f.name).toBe(f.sha256);
    expect(run.manifestSha256).toBe(createHash('sha256').update(readFileSync(join(dir, name('manifest.json')))).digest('hex'));
    expect((await verifyFeedFile(join(dir, name('manifest.json')), new Map([[key.id, key.publicKey]]))).filter((l) => !l.ok)).toEqual([]);
  });

  it('numbers runs gap-free: the next run takes the next number, four at once take four, a failed run takes none', async () => {
    const before = (await t.hub.store.feeds.latest('finance-daily'))?.sequence ?? 0;
    const next = await t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' });
    expect(next.sequence).toBe(before + 1);
    // At once (on MySQL, each in its own connection and transaction: they queue on the counter's row lock, no deadlock).
    const both = await Promise.all([1, 2, 3, 4].map(() => t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' })));
    expect(both.map((r) => r.sequence!).sort((a, b) => a - b)).toEqual([before + 2, before + 3, before + 4, before + 5]);
    // The same data, the same bytes: only the manifest (its sequence, its time) differs between runs.
    expect(both[0]!.files.map((f) => f.sha256)).toEqual(next.files.map((f) => f.sha256));

    // Fails inside the transaction that took the number: the number rolls back, the failure is recorded.
    vi.spyOn(FeedRepository.prototype, 'insert').mockRejectedValueOnce(new Error('the store refused'));
    await expect(t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' })).rejects.toThrow('the store refused');
    vi.restoreAllMocks();
    const after = await t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' });
    expect(after.sequence).toBe(before + 6);
    const runs = await t.hub.feeds.runs('finance-daily', 100);
    const sequences = runs.filter((r) => r.status === 'complete').map((r) => r.sequence!).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    expect(runs.find((r) => r.status === 'failed')).toMatchObject({ sequence: null, files: [], message: 'the run failed (Error)' });
    // The failed run's files were never archived under a number; no staging folder is left.
    expect(readdirSync(join(dataDir, 'feeds', 'finance-daily')).filter((n) => n.startsWith('.staging-'))).toEqual([]);
  });

  it('an invalid as-of date is refused, naming the field, and takes no number', async () => {
    const before = (await t.hub.store.feeds.latest('finance-daily'))?.sequence;
    await expect(t.hub.feeds.run('finance-daily', { asOf: '2026-02-30', origin: 'api', by: 'test', pointer: '/asOf' })).rejects.toMatchObject({ status: 422, errors: [{ pointer: '/asOf' }] });
    await expect(t.hub.feeds.run('no-such-feed', { origin: 'api', by: 'test' })).rejects.toMatchObject({ status: 404 });
    expect((await t.hub.store.feeds.latest('finance-daily'))?.sequence).toBe(before);
  });

  it.runIf(kind === 'sqlite')('delivers into a folder atomically: no reader sees part of a file, and the manifest comes last', async () => {
    // Enough receivables that copying takes a while.
    const customer = (await t.hub.records.create('customer', { code: 'C-BULK', name: 'Bulk AG', currency: 'EUR' })).record;
    await t.hub.store.transaction(async (tx) => {
      await t.hub.records.createMany('receivable', Array.from({ length: 3000 }, (_, i) => ({ number: `BULK-${i}`, customerId: customer.id, issueDate: '2026-01-01', dueDate: '2026-10-01', currency: 'EUR', amount: '12.34' })), tx);
    });
    const run = await t.hub.feeds.run('finance-daily', { asOf: AS_OF, origin: 'api', by: 'test' });
    const archive = await archivedRun(dataDir, run);
    const target = join(out, 'inbox');
    const finalSize = new Map(archive.names.map((n) => [n, statSync(join(archive.dir, n)).size]));
    const seen: string[] = [];
    const problems: string[] = [];
    let done = false;
    const watcher = (async () => {
      while (!done) {
        const names = existsSync(target) ? readdirSync(target) : [];
        for (const n of names) {
          if (parseRunFileName(n)) {
            let size = -1;
            try {
              size = statSync(join(target, n)).size;
            } catch {
              continue;
            }
            if (size !== finalSize.get(n)) problems.push(`${n} seen at ${size} of ${finalSize.get(n)} bytes`);
            if (n.endsWith('-manifest.json') && !seen.includes(n)) {
              const missing = archive.names.filter((m) => m !== n && !names.includes(m));
              if (missing.length > 0) problems.push(`the manifest appeared before ${missing.join(', ')}`);
            }
          } else if (!n.startsWith('.') || !n.endsWith('.tmp')) problems.push(`unexpected name ${n}`);
          if (!seen.includes(n)) seen.push(n);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await deliverToDir(archive, target);
    done = true;
    await watcher;
    expect(problems).toEqual([]);
    expect(readdirSync(target).sort()).toEqual([...archive.names].sort());
    for (const n of archive.names) expect(readFileSync(join(target, n)).equals(readFileSync(join(archive.dir, n))), n).toBe(true);
  });
});
