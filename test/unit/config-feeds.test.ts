import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { keyIdOf } from '../../core/feeds/key-id.js';
import { prepareHub } from '../../hub/config/prepare.js';
import type { ConfigFileInput } from '../../hub/config/schema.js';

/**
 * The `feeds:` section: the default feed a newcomer runs at once, and every way a feed can be
 * misconfigured refused when the configuration loads, each naming its field, with nothing written.
 */
describe('feeds in the configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-config-feeds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');
  /** Where refused configurations would have written: it must stay empty. */
  const refusedDataDir = join(dir, 'refused');
  const log = pino({ level: 'silent' });
  const prepare = (config: ConfigFileInput | undefined, env: Record<string, string> = {}) =>
    prepareHub({ env: { HUB_CONFIG: '', HUB_DATA_DIR: dataDir, ...env }, logger: log, ...(config ? { config } : {}) });
  const problemsOf = (config: ConfigFileInput, env: Record<string, string> = {}): string[] => {
    try {
      prepare(config, { HUB_DATA_DIR: refusedDataDir, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).errors.map((p) => `${p.pointer}: ${p.detail}`);
    }
    throw new Error('the configuration was accepted');
  };

  it('has finance-daily by default: the finance receiver, CSV and JSON Lines, no phone column, no schedule or delivery', () => {
    const feed = prepare(undefined).feeds.get('finance-daily');
    expect(feed).toMatchObject({ receiver: 'finance', formats: ['csv', 'jsonl'], asOf: 'today', timeZone: 'UTC', schedule: undefined, delivery: { dir: undefined, http: undefined } });
    expect(feed?.columns.map((c) => c.header)).toEqual(['customer_code', 'customer_name', 'number', 'issue_date', 'due_date', 'currency', 'amount', 'paid_amount', 'balance', 'days_past_due', 'bucket', 'status']);
    expect(prepare({ feeds: {} }).feeds.size).toBe(0);
  });

  it('refuses a column that names a field the receiver may not read, like a mapping that reads one', () => {
    expect(problemsOf({ feeds: { f1: { columns: ['customer.code', 'customer.phone', 'receivable.number'] } } })).toEqual([
      'config#/feeds/f1/columns/1: names customer.phone, which target:finance may not see (no read rule of target:finance/customer names phone)',
    ]);
    // The ERP target may see the phone, but not receivables at all: the aging reads are refused.
    const erp = problemsOf({ feeds: { f2: { receiver: 'erpnext', columns: ['customer.phone'] } } });
    expect(erp).toContain('config#/feeds/f2/receiver: a feed ages receivables by receivable.dueDate, which target:erpnext may not see in plain form (the policy has no receivable rule for target:erpnext)');
    expect(problemsOf({ feeds: { f3: { receiver: 'nobody' } } })).toEqual(['config#/feeds/f3/receiver: the policy has no target nobody: it would receive nothing (default deny)']);
    expect(problemsOf({ feeds: { f4: { columns: ['customer.shoeSize', 'customer.billingAddress', 'aging.color', 'receivable.amount', 'receivable.amount'] } } })).toEqual([
      'config#/feeds/f4/columns/0: customer has no field shoeSize',
      expect.stringMatching(/^config#\/feeds\/f4\/columns\/1: customer\.billingAddress is a structure: name one of its fields \(customer\.billingAddress\.line1, /),
      'config#/feeds/f4/columns/2: aging has no column color (it has daysPastDue, bucket, status)',
      'config#/feeds/f4/columns/4: repeats the column amount (columns/3)',
    ]);
    expect(prepare({ feeds: { ok: { columns: ['customer.billingAddress.city', 'receivable.number', 'aging.bucket'] } } }).feeds.get('ok')?.columns.map((c) => c.header)).toEqual(['customer_billing_address_city', 'number', 'bucket']);
  });

  it('refuses a bad cron pattern, a bad time zone, a folder that is missing or not writable, a missing key file and an unset secret, all at once', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const found = problemsOf({
      feeds: {
        fa: { schedule: { cron: '61 * * * *' } },
        fb: { schedule: { cron: '0 6 * * *', timeZone: 'Mars/Olympus' } },
        fc: { delivery: { dir: join(dir, 'missing') } },
        fd: { delivery: { dir: file } },
        fe: { encryptFor: join(dir, 'finance.pem') },
        ff: { delivery: { http: { url: 'https://finance.example/feeds', headersFromEnv: { Authorization: 'FINANCE_FEED_TOKEN' } } } },
        fg: { formats: ['csv', 'csv'] },
        'Bad Name': {},
        ...(process.getuid?.() === 0 ? {} : { fh: { delivery: { dir: locked } } }),
      },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^config#\/feeds\/fa\/schedule\/cron: is not a cron pattern the scheduler can run: .*59/),
        expect.stringMatching(/^config#\/feeds\/fb\/schedule\/timeZone: .*IANA time zone/),
        `config#/feeds/fc/delivery/dir: the folder ${join(dir, 'missing')} does not exist`,
        `config#/feeds/fd/delivery/dir: ${file} is not a folder`,
        `config#/feeds/fe/encryptFor: the file ${join(dir, 'finance.pem')} does not exist`,
        'config#/feeds/ff/delivery/http/headersFromEnv/Authorization: the environment variable FINANCE_FEED_TOKEN is not set',
        'config#/feeds/fg/formats: lists a format twice',
        expect.stringMatching(/^config#\/feeds\/Bad Name: /),
      ]),
    );
    if (process.getuid?.() !== 0) expect(found).toContain(`config#/feeds/fh/delivery/dir: the folder ${locked} is not writable by this process`);
    // Nothing written: no data dir, no policy secret, no key.
    expect(existsSync(refusedDataDir) ? readdirSync(refusedDataDir) : []).toEqual([]);
  });

  it('resolves what it accepts: paths against the working directory, the secret read, the recipient key loaded, the schedule\'s zone', () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const pem = join(dir, 'finance-public.pem');
    writeFileSync(pem, keys.publicKey);
    mkdirSync(join(dir, 'out'), { recursive: true });
    const feed = prepare(
      {
        finance: { timeZone: 'Europe/Berlin' },
        feeds: { weekly: { schedule: { cron: '0 6 * * 1' }, delivery: { dir: join(dir, 'out'), http: { url: 'https://finance.example/in?x=1', headersFromEnv: { Authorization: 'TOKEN' } } }, encryptFor: pem, asOf: 'yesterday' } },
      },
      { TOKEN: 'Bearer s3cret' },
    ).feeds.get('weekly');
    expect(feed?.schedule).toEqual({ cron: '0 6 * * 1', timeZone: 'Europe/Berlin' });
    expect(feed?.delivery.dir).toBe(join(dir, 'out'));
    expect(feed?.delivery.http).toMatchObject({ url: 'https://finance.example/in?x=1', headers: { Authorization: 'Bearer s3cret' }, attempts: 8 });
    expect(feed?.encryptFor?.keyId).toBe(keyIdOf(keys.publicKey));
    expect(feed?.timeZone).toBe('Europe/Berlin');
  });
});
