import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import NodeRSA from 'node-rsa';
import { keyIdOf } from './key-id.js';

/**
 * The hub's feed signing keys, in `<dataDir>/feed-keys/` (mode 0700; every file 0600): per key
 * `<id>.private.pem` (PKCS#8), `<id>.public.pem` (SubjectPublicKeyInfo) and `<id>.json` (when it
 * was made, its size), and `current`, the id of the key that signs. The first key is made on first
 * use; `rotate()` makes a new current key and keeps the old ones, whose public keys stay listed so
 * that feeds they signed can still be verified. A private key never leaves this module except as
 * the node-rsa key object the signer uses: not in a listing, a log line or an error.
 */

/** Bits of a new key: 3072 (NIST's size for keys used past 2030). */
export const FEED_KEY_BITS = 3072;

export interface FeedKeyInfo {
  readonly id: string;
  readonly createdAt: string;
  readonly bits: number;
  /** True for the key that signs new runs. */
  readonly current: boolean;
  /** The public key, PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKey: string;
}

/** The key that signs: its id, the node-rsa key, the private key as node's crypto holds it (from node-rsa's PKCS#8 export), its public PEM. */
export interface SigningKey {
  readonly id: string;
  readonly key: NodeRSA;
  readonly privateKey: KeyObject;
  readonly publicKey: string;
}

const ID = /^[0-9a-f]{16}$/;

/** Writes a file that no reader sees half-written (aside, then renamed into place), mode 0600. */
function writePrivate(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  renameSync(temp, path);
}

export class KeyRing {
  private signing: SigningKey | undefined;

  constructor(
    readonly dir: string,
    private readonly bits: number = FEED_KEY_BITS,
  ) {}

  /** The key ring of a hub's data directory. */
  static of(dataDir: string, bits?: number): KeyRing {
    return new KeyRing(join(dataDir, 'feed-keys'), bits);
  }

  private ensureDir(): void {
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      chmodSync(this.dir, 0o700);
    }
  }

  private currentId(): string | undefined {
    const file = join(this.dir, 'current');
    if (!existsSync(file)) return undefined;
    const id = readFileSync(file, 'utf8').trim();
    if (!ID.test(id) || !existsSync(join(this.dir, `${id}.private.pem`))) throw new Error(`${file} does not name a key of ${this.dir}`);
    return id;
  }

  /** Makes a key pair and stores it (not yet current); returns its id. */
  private generate(): string {
    this.ensureDir();
    const key = new NodeRSA({ b: this.bits });
    const publicKey = key.exportKey('pkcs8-public-pem');
    const id = keyIdOf(publicKey);
    writePrivate(join(this.dir, `${id}.private.pem`), key.exportKey('pkcs8-private-pem'));
    writePrivate(join(this.dir, `${id}.public.pem`), publicKey.endsWith('\n') ? publicKey : publicKey + '\n');
    writePrivate(join(this.dir, `${id}.json`), JSON.stringify({ id, createdAt: new Date().toISOString(), bits: this.bits }) + '\n');
    return id;
  }

  /**
   * The key that signs, made on first use. Processes that start on a new data dir at once each make
   * one; the first to link `current` into place wins and the others use its key (their own stays
   * listed, unused).
   */
  current(): SigningKey {
    const id = this.currentId() ?? this.first();
    if (this.signing?.id !== id) {
      const key = new NodeRSA(readFileSync(join(this.dir, `${id}.private.pem`), 'utf8'), 'pkcs8-private-pem');
      this.signing = { id, key, privateKey: createPrivateKey(key.exportKey('pkcs8-private-pem')), publicKey: this.publicKey(id) ?? key.exportKey('pkcs8-public-pem') };
    }
    return this.signing;
  }

  private first(): string {
    const id = this.generate();
    const file = join(this.dir, 'current');
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, id + '\n', { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temp, file);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temp, { force: true });
    }
    return this.currentId() ?? id;
  }

  /** Makes a new key and makes it current; the old keys stay listed. Returns the new key. */
  rotate(): FeedKeyInfo {
    const id = this.generate();
    writePrivate(join(this.dir, 'current'), id + '\n');
    const info = this.list().find((k) => k.id === id);
    if (!info) throw new Error(`the new key ${id} is not in ${this.dir}`);
    return info;
  }

  /** A public key by id (PEM), if the ring has it. */
  publicKey(id: string): string | undefined {
    if (!ID.test(id)) return undefined;
    const file = join(this.dir, `${id}.public.pem`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /** Every key (public parts only), oldest first; none before the first use. */
  list(): FeedKeyInfo[] {
    if (!existsSync(this.dir)) return [];
    const current = this.currentId();
    const out: FeedKeyInfo[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = /^([0-9a-f]{16})\.json$/.exec(name);
      if (!m) continue;
      const id = m[1]!;
      const publicKey = this.publicKey(id);
      if (!publicKey) continue;
      const meta = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as { createdAt?: unknown; bits?: unknown };
      out.push({ id, createdAt: String(meta.createdAt ?? ''), bits: Number(meta.bits ?? 0), current: id === current, publicKey });
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }
}
