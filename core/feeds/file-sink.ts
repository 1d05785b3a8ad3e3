import { createHash, type Hash } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvelopeEncryptor } from './envelope.js';

/** What a finished feed file is: its bytes on disk, their SHA-256 (hex and raw, for the signature). */
export interface WrittenFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  /** SHA-256 of the file as written (the envelope, when encrypted). */
  readonly sha256: string;
  readonly digest: Buffer;
  /** SHA-256 of the plaintext, when the file is encrypted. */
  readonly plaintextSha256?: string;
  /** Lines written after the header (records). */
  readonly records: number;
}

/**
 * One feed file being written: text goes in, UTF-8 bytes go to disk in large writes, hashed as they
 * go (and encrypted first, when the feed is encrypted for a recipient). Holds at most the text of
 * one page; `close()` flushes, syncs to disk and answers the hashes.
 */
export class FeedFileSink {
  private pending: string[] = [];
  private pendingChars = 0;
  private bytes = 0;
  private records = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly plainHash: Hash | undefined;

  private constructor(
    readonly name: string,
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly envelope: EnvelopeEncryptor | undefined,
  ) {
    this.plainHash = envelope ? createHash('sha256') : undefined;
  }

  /** Creates `<dir>/<name>` (which must not exist), mode 0600; with `encryptFor`, as an envelope for that public key. */
  static async create(dir: string, name: string, options: { readonly encryptFor?: string | undefined; readonly contentType: string; readonly plainName?: string }): Promise<FeedFileSink> {
    const path = join(dir, name);
    const handle = await open(path, 'wx', 0o600);
    const envelope = options.encryptFor ? new EnvelopeEncryptor(options.encryptFor, { name: options.plainName ?? name, contentType: options.contentType }) : undefined;
    const sink = new FeedFileSink(name, path, handle, envelope);
    if (envelope) await sink.put(envelope.head);
    return sink;
  }

  /** Adds text (a header or records); `records` counts the records it holds. */
  write(text: string, records = 0): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    this.records += records;
  }

  /** True when enough text waits to be worth a write. */
  get full(): boolean {
    return this.pendingChars >= 256 * 1024;
  }

  /** Writes out what waits. */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const plain = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    if (this.envelope) {
      this.plainHash?.update(plain);
      await this.put(this.envelope.update(plain));
    } else await this.put(plain);
  }

  private async put(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    let at = 0;
    while (at < bytes.length) at += (await this.handle.write(bytes, at, bytes.length - at)).bytesWritten;
  }

  /** Flushes, ends the envelope, syncs the file to disk and closes it. */
  async close(): Promise<WrittenFile> {
    try {
      await this.drain();
      if (this.envelope) await this.put(this.envelope.final());
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    const digest = this.hash.digest();
    return {
      name: this.name,
      path: this.path,
      bytes: this.bytes,
      sha256: digest.toString('hex'),
      digest,
      ...(this.plainHash ? { plaintextSha256: this.plainHash.digest('hex') } : {}),
      records: this.records,
    };
  }

  /** Gives up: closes and removes the file. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}
