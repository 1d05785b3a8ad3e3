import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, type CipherGCM } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import NodeRSA from 'node-rsa';
import { HubError } from '../errors.js';
import { keyIdOf, spkiPem } from './key-id.js';

/**
 * The encryption envelope of a feed file for one recipient (finance's public key): a random
 * AES-256-GCM content key, wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256). Layout (docs/feeds.md):
 *
 *   "HUBENV01"                 8 bytes, the format and its version
 *   header length              4 bytes, unsigned big-endian
 *   header                     UTF-8 JSON: v, alg, enc, kid (the recipient key's id), name, contentType,
 *                              wrappedKeyBytes, ivBytes, tagBytes
 *   wrapped key                wrappedKeyBytes (the modulus size: 256 for RSA-2048)
 *   iv                         12 bytes
 *   ciphertext                 as long as the plaintext
 *   tag                        16 bytes, GCM's authentication tag
 *
 * The magic, the length and the header are GCM's additional authenticated data: a changed header
 * fails decryption like changed ciphertext. The tag comes last so that a writer can stream: it is
 * known only once the last byte is encrypted.
 */

export const ENVELOPE_MAGIC = Buffer.from('HUBENV01', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EnvelopeHeader {
  readonly v: 1;
  readonly alg: 'RSA-OAEP-256';
  readonly enc: 'A256GCM';
  /** Id of the recipient's public key (first 16 hex of the SHA-256 of its DER SubjectPublicKeyInfo). */
  readonly kid: string;
  /** The plaintext file's name, as it would be delivered unencrypted. */
  readonly name: string;
  readonly contentType: string;
  readonly wrappedKeyBytes: number;
  readonly ivBytes: number;
  readonly tagBytes: number;
}

const oaep = { encryptionScheme: { scheme: 'pkcs1_oaep', hash: 'sha256' } } as const;

/** Encrypts one file as it is written: `head` first, then every `update`, then `final()`. */
export class EnvelopeEncryptor {
  readonly head: Buffer;
  readonly header: EnvelopeHeader;
  private readonly cipher: CipherGCM;

  constructor(recipientPem: string, file: { readonly name: string; readonly contentType: string }) {
    const contentKey = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const wrapped = Buffer.from(new NodeRSA(spkiPem(recipientPem), 'pkcs8-public-pem', oaep).encrypt(contentKey));
    this.header = { v: 1, alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: keyIdOf(recipientPem), name: file.name, contentType: file.contentType, wrappedKeyBytes: wrapped.length, ivBytes: IV_BYTES, tagBytes: TAG_BYTES };
    const json = Buffer.from(JSON.stringify(this.header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const aad = Buffer.concat([ENVELOPE_MAGIC, length, json]);
    this.cipher = createCipheriv('aes-256-gcm', contentKey, iv);
    this.cipher.setAAD(aad);
    contentKey.fill(0);
    this.head = Buffer.concat([aad, wrapped, iv]);
  }

  update(plain: Buffer): Buffer {
    return this.cipher.update(plain);
  }

  /** The last ciphertext bytes and the tag. */
  final(): Buffer {
    const rest = this.cipher.final();
    return Buffer.concat([rest, this.cipher.getAuthTag()]);
  }
}

/** The envelope could not be opened: not an envelope, another recipient's, or changed since it was made. */
export class EnvelopeError extends HubError {
  constructor(message: string) {
    super('envelope_invalid', 422, message);
  }
}

async function readExactly(handle: import('node:fs/promises').FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new EnvelopeError('The file is shorter than its envelope says (truncated?)');
  return buffer;
}

/** Reads an envelope's header (no key needed): who it is for and what it holds. */
export async function readEnvelopeHeader(path: string): Promise<EnvelopeHeader> {
  const handle = await open(path, 'r');
  try {
    return (await readHead(handle)).header;
  } finally {
    await handle.close();
  }
}

async function readHead(handle: import('node:fs/promises').FileHandle): Promise<{ header: EnvelopeHeader; aad: Buffer; wrapped: Buffer; iv: Buffer; start: number }> {
  const fixed = await readExactly(handle, 0, 12);
  if (!fixed.subarray(0, 8).equals(ENVELOPE_MAGIC)) throw new EnvelopeError('The file is not a hub feed envelope (no HUBENV01 at its start)');
  const length = fixed.readUInt32BE(8);
  if (length > 64 * 1024) throw new EnvelopeError('The envelope header is implausibly long');
  const json = await readExactly(handle, 12, length);
  let header: EnvelopeHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as EnvelopeHeader;
  } catch {
    throw new EnvelopeError('The envelope header is not JSON');
  }
  if (header.v !== 1 || header.alg !== 'RSA-OAEP-256' || header.enc !== 'A256GCM' || header.ivBytes !== IV_BYTES || header.tagBytes !== TAG_BYTES || !Number.isInteger(header.wrappedKeyBytes) || header.wrappedKeyBytes < 128 || header.wrappedKeyBytes > 2048) {
    throw new EnvelopeError('The envelope header names an unknown version or algorithm');
  }
  const wrapped = await readExactly(handle, 12 + length, header.wrappedKeyBytes);
  const iv = await readExactly(handle, 12 + length + header.wrappedKeyBytes, IV_BYTES);
  return { header, aad: Buffer.concat([fixed, json]), wrapped, iv, start: 12 + length + header.wrappedKeyBytes + IV_BYTES };
}

/**
 * Decrypts an envelope into `outPath`, which appears only once the whole file is authenticated
 * (written aside in its folder, renamed into place after GCM's tag checked out). Throws
 * EnvelopeError for another recipient's file, a wrong key or a changed file; writes nothing then.
 */
export async function decryptEnvelopeFile(inPath: string, outPath: string, privatePem: string): Promise<{ header: EnvelopeHeader; bytes: number }> {
  let key: NodeRSA;
  try {
    // Any PEM form of the key (PKCS#1 or PKCS#8), as the PKCS#8 node-rsa imports.
    const pkcs8 = createPrivateKey(privatePem).export({ type: 'pkcs8', format: 'pem' }).toString();
    key = new NodeRSA(pkcs8, 'pkcs8-private-pem', oaep);
  } catch {
    throw new EnvelopeError('The private key cannot be read (a PEM RSA private key is needed)');
  }
  if (!key.isPrivate()) throw new EnvelopeError('The key is not a private key');
  const handle = await open(inPath, 'r');
  const temp = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(4).toString('hex')}.tmp`);
  let out: import('node:fs/promises').FileHandle | undefined;
  try {
    const { header, aad, wrapped, iv, start } = await readHead(handle);
    const mine = keyIdOf(key.exportKey('pkcs8-public-pem'));
    if (header.kid !== mine) throw new EnvelopeError(`The file is encrypted for the key ${header.kid}, not for this one (${mine})`);
    let contentKey: Buffer;
    try {
      contentKey = Buffer.from(key.decrypt(wrapped));
    } catch {
      throw new EnvelopeError('The content key cannot be unwrapped with this key');
    }
    const size = (await handle.stat()).size;
    const end = size - TAG_BYTES;
    if (end < start) throw new EnvelopeError('The file is shorter than its envelope says (truncated?)');
    const tag = await readExactly(handle, end, TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', contentKey, iv);
    contentKey.fill(0);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    out = await open(temp, 'wx', 0o600);
    const chunk = Buffer.alloc(1 << 20);
    let bytes = 0;
    for (let at = start; at < end; ) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - at), at);
      if (bytesRead === 0) throw new EnvelopeError('The file ended early');
      at += bytesRead;
      const plain = decipher.update(chunk.subarray(0, bytesRead));
      bytes += plain.length;
      await out.write(plain);
    }
    try {
      const rest = decipher.final();
      bytes += rest.length;
      await out.write(rest);
    } catch {
      throw new EnvelopeError('The file does not authenticate: it was changed, or the envelope is damaged');
    }
    await out.sync();
    await out.close();
    out = undefined;
    await rename(temp, outPath);
    return { header, bytes };
  } finally {
    await out?.close().catch(() => undefined);
    await rm(temp, { force: true });
    await handle.close();
  }
}
