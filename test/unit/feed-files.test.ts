import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NodeRSA from 'node-rsa';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptEnvelopeFile, ENVELOPE_MAGIC, EnvelopeError, readEnvelopeHeader } from '../../core/feeds/envelope.js';
import { FeedFileSink } from '../../core/feeds/file-sink.js';
import { keyIdOf, recipientKeyProblem } from '../../core/feeds/key-id.js';
import { KeyRing } from '../../core/feeds/key-ring.js';
import { csvField, csvHeader, csvLine, guardFormula, jsonLine, parseCsv } from '../../core/feeds/lines.js';
import { manifestText, MANIFEST_VERSION, parseManifest, parseRunFileName, runFileName, SIGNATURE_ALGORITHM, type FeedManifest } from '../../core/feeds/manifest.js';
import { signBytes, signDigest, verifyBytes, verifyDigest } from '../../core/feeds/signature.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hub-feed-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const hub = pair();
const hubRsa = new NodeRSA(hub.privateKey, 'pkcs8-private-pem');
// As the key ring holds it: node crypto's key object made from node-rsa's PKCS#8 export.
const hubKey = createPrivateKey(hubRsa.exportKey('pkcs8-private-pem'));
const finance = pair();

describe('CSV lines (RFC 4180)', () => {
  it('separates by commas, ends records with CRLF, quotes fields holding a comma, quote or line break', () => {
    expect(csvHeader(['a', 'b'])).toBe('a,b\r\n');
    expect(csvLine(['x', 'Müller, Söhne', 'say "hi"', 'two\nlines', null, 42])).toBe('x,"Müller, Söhne","say ""hi""","two\nlines",,42\r\n');
    const text = csvHeader(['name', 'note']) + csvLine(['A "B", C', 'line1\r\nline2']) + csvLine(['', null]);
    expect(parseCsv(text)).toEqual([['name', 'note'], ['A "B", C', 'line1\r\nline2'], ['', '']]);
  });

  it('puts an apostrophe before a text cell a spreadsheet would run as a formula, not before a number', () => {
    for (const bad of ['=HYPERLINK("http://x","y")', '+1 555 0100', '-2+3', '@SUM(A1)', '\tcmd', '\rx']) expect(guardFormula(bad)).toBe(`'${bad}`);
    for (const fine of ['-12.50', '-5', '1234.00', 'ACME =', 'a-b', '']) expect(guardFormula(fine)).toBe(fine);
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('=A1,"x"')).toBe(`"'=A1,""x"""`);
    expect(csvField(-3)).toBe('-3');
  });
});

describe('JSON Lines', () => {
  it('writes one object per line in column order, money as strings, nothing guarded', () => {
    const line = jsonLine(['code', 'balance', 'days', 'note'], ['=C1', '-12.50', 3, null]);
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ code: '=C1', balance: '-12.50', days: 3, note: null });
    expect(Object.keys(JSON.parse(line))).toEqual(['code', 'balance', 'days', 'note']);
  });
});

describe('the manifest and file names', () => {
  const manifest: FeedManifest = {
    manifest: MANIFEST_VERSION, feed: 'finance-daily', sequence: 7, asOf: '2026-12-03', timeZone: 'Europe/Berlin', receiver: 'finance',
    createdAt: '2026-12-03T05:00:00.000Z', keyId: '0123456789abcdef', signatureAlgorithm: SIGNATURE_ALGORITHM, encryption: null, records: 1, customerTotals: 1,
    files: [{ name: 'finance-daily-000007-receivables.csv', content: 'receivables', format: 'csv', records: 1, bytes: 10, sha256: 'a'.repeat(64), encrypted: false, signature: 'finance-daily-000007-receivables.csv.sig' }],
  };

  it('names files <feed>-<six-digit sequence>-<content>.<format>, and reads the names back', () => {
    expect(runFileName('finance-daily', 7, 'receivables.csv')).toBe('finance-daily-000007-receivables.csv');
    expect(runFileName('f', 1234567, 'manifest.json')).toBe('f-1234567-manifest.json');
    expect(parseRunFileName('finance-daily-000007-customer-totals.jsonl.enc.sig')).toEqual({ feed: 'finance-daily', sequence: 7, base: 'customer-totals.jsonl.enc', signature: true });
    expect(parseRunFileName('finance-daily-000007-manifest.json')).toEqual({ feed: 'finance-daily', sequence: 7, base: 'manifest.json', signature: false });
    for (const other of ['.finance-daily-000007-receivables.csv.1.abc.tmp', 'finance-daily-7-receivables.csv', 'finance-daily-000007-receivables.json', 'finance-daily-000007-manifest.csv']) expect(parseRunFileName(other), other).toBeUndefined();
  });

  it('is stable JSON text that parses back, and refuses a document that is not one', () => {
    const text = manifestText(manifest);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseManifest(text)).toEqual(manifest);
    expect(() => parseManifest('{"manifest":"other"}')).toThrow(/not a feed manifest/);
    expect(() => parseManifest(JSON.stringify({ ...manifest, files: [{ name: 'x' }] }))).toThrow(/SHA-256/);
  });
});

describe('signatures: RSA-SHA256, PKCS#1 v1.5, from a streamed digest', () => {
  const data = Buffer.from('customer_code,balance\r\nC-1,10.00\r\n');
  const digest = createHash('sha256').update(data).digest();

  it('signing the digest gives node-rsa\'s own pkcs1-sha256 signature (and its encryptPrivate of the DigestInfo) and node\'s crypto.sign, byte for byte', () => {
    const fromDigest = signDigest(hubKey, digest);
    const ref = new NodeRSA(hub.privateKey, 'pkcs8-private-pem', { signingScheme: 'pkcs1-sha256' });
    expect(fromDigest.equals(Buffer.from(ref.sign(data)))).toBe(true);
    expect(fromDigest.equals(Buffer.from(hubRsa.encryptPrivate(Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]))))).toBe(true);
    expect(fromDigest.equals(sign('sha256', data, hub.privateKey))).toBe(true);
    expect(signBytes(hubKey, data).equals(fromDigest)).toBe(true);
    expect(fromDigest.length).toBe(256);
  });

  it('verifies with the public key, and not for other data or another key', () => {
    const signature = signDigest(hubKey, digest);
    expect(verifyDigest(hub.publicKey, digest, signature)).toBe(true);
    expect(verifyBytes(hub.publicKey, data, signature)).toBe(true);
    expect(verifyDigest(hub.publicKey, createHash('sha256').update('other').digest(), signature)).toBe(false);
    expect(verifyDigest(finance.publicKey, digest, signature)).toBe(false);
    expect(() => signDigest(hubKey, Buffer.alloc(31))).toThrow(RangeError);
  });

  it('a key id is the first 16 hex of the SHA-256 of the DER SubjectPublicKeyInfo, whatever the PEM form', () => {
    const der = createPublicKey(hub.publicKey).export({ type: 'spki', format: 'der' });
    const id = createHash('sha256').update(der).digest('hex').slice(0, 16);
    expect(keyIdOf(hub.publicKey)).toBe(id);
    expect(keyIdOf(createPublicKey(hub.publicKey).export({ type: 'pkcs1', format: 'pem' }).toString())).toBe(id);
    expect(keyIdOf(finance.publicKey)).not.toBe(id);
  });

  it('a recipient key must be an RSA public key of at least 2048 bits', () => {
    expect(recipientKeyProblem(finance.publicKey)).toBeUndefined();
    expect(recipientKeyProblem('not a key')).toMatch(/not a PEM public key/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(recipientKeyProblem(small.publicKey)).toMatch(/fewer than 2048 bits/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(recipientKeyProblem(ec.publicKey)).toMatch(/ec key; an RSA public key is needed/);
  });
});

describe('the encryption envelope (AES-256-GCM, key wrapped with RSA-OAEP-256)', () => {
  const plain = 'customer_code,balance\r\n' + Array.from({ length: 5000 }, (_, i) => `C-${i},${i}.00\r\n`).join('');

  async function sealed(dir: string): Promise<{ path: string; sha256: string; plaintextSha256?: string }> {
    const sink = await FeedFileSink.create(dir, 'receivables.csv.enc', { encryptFor: finance.publicKey, contentType: 'text/csv', plainName: 'receivables.csv' });
    sink.write(plain.slice(0, 1000));
    await sink.drain();
    sink.write(plain.slice(1000), 5000);
    const f = await sink.close();
    return { path: f.path, sha256: f.sha256, ...(f.plaintextSha256 ? { plaintextSha256: f.plaintextSha256 } : {}) };
  }

  it('round-trips: the recipient decrypts the exact plaintext; the hashes are the file\'s and the plaintext\'s', async () => {
    const dir = tmp();
    const f = await sealed(dir);
    const bytes = readFileSync(f.path);
    expect(bytes.subarray(0, 8).equals(ENVELOPE_MAGIC)).toBe(true);
    expect(bytes.includes(Buffer.from('C-4999,4999.00'))).toBe(false);
    expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(f.plaintextSha256).toBe(createHash('sha256').update(plain).digest('hex'));
    const header = await readEnvelopeHeader(f.path);
    expect(header).toMatchObject({ v: 1, alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: keyIdOf(finance.publicKey), name: 'receivables.csv', contentType: 'text/csv', wrappedKeyBytes: 256 });
    const out = join(dir, 'plain.csv');
    expect((await decryptEnvelopeFile(f.path, out, finance.privateKey)).bytes).toBe(Buffer.byteLength(plain));
    expect(readFileSync(out, 'utf8')).toBe(plain);
  });

  it('wraps the content key with standard RSA-OAEP SHA-256 (what node and openssl unwrap)', async () => {
    const f = await sealed(tmp());
    const bytes = readFileSync(f.path);
    const headerLength = bytes.readUInt32BE(8);
    const wrapped = bytes.subarray(12 + headerLength, 12 + headerLength + 256);
    const key = privateDecrypt({ key: finance.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
    expect(key.length).toBe(32);
  });

  it('a changed byte (ciphertext or header), a truncated file or another key fails and writes nothing', async () => {
    const dir = tmp();
    const f = await sealed(dir);
    const original = readFileSync(f.path);
    const cases: [string, Buffer][] = [
      ['ciphertext', Buffer.from(original.map((b, i) => (i === original.length - 100 ? b ^ 1 : b)))],
      ['header', Buffer.from(original.toString('latin1').replace('"text/csv"', '"text/CSV"'), 'latin1')],
      ['tag', Buffer.from(original.map((b, i) => (i === original.length - 1 ? b ^ 0x80 : b)))],
      ['truncated', original.subarray(0, 300)],
    ];
    for (const [what, bytes] of cases) {
      const path = join(dir, `${what}.enc`);
      writeFileSync(path, bytes);
      await expect(decryptEnvelopeFile(path, join(dir, `${what}.out`), finance.privateKey), what).rejects.toBeInstanceOf(EnvelopeError);
      expect(existsSync(join(dir, `${what}.out`)), what).toBe(false);
    }
    await expect(decryptEnvelopeFile(f.path, join(dir, 'other.out'), hub.privateKey)).rejects.toThrow(/encrypted for the key/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('the key ring', () => {
  it('makes a key on first use, private (0700 folder, 0600 files), and lists only public halves', () => {
    const dataDir = tmp();
    const ring = KeyRing.of(dataDir, 2048);
    expect(ring.list()).toEqual([]);
    const key = ring.current();
    expect(key.id).toBe(keyIdOf(key.publicKey));
    expect(statSync(ring.dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(ring.dir)) expect(statSync(join(ring.dir, name)).mode & 0o777, name).toBe(0o600);
    expect(ring.current().id).toBe(key.id);
    const listed = ring.list();
    expect(listed).toEqual([expect.objectContaining({ id: key.id, current: true, bits: 2048 })]);
    expect(JSON.stringify(listed)).not.toMatch(/PRIVATE KEY/);
    expect(KeyRing.of(dataDir).current().id).toBe(key.id);
  });

  it('rotates to a new key; the old one stays listed and still verifies what it signed', () => {
    const ring = KeyRing.of(tmp(), 2048);
    const old = ring.current();
    const digest = createHash('sha256').update('run 1').digest();
    const signature = signDigest(old.privateKey, digest);
    const next = ring.rotate();
    expect(next.id).not.toBe(old.id);
    expect(ring.current().id).toBe(next.id);
    expect(ring.list().map((k) => [k.id, k.current])).toEqual([[old.id, false], [next.id, true]]);
    expect(verifyDigest(ring.publicKey(old.id)!, digest, signature)).toBe(true);
    expect(verifyDigest(ring.publicKey(next.id)!, digest, signature)).toBe(false);
  });
});
