import { createHash, verify as verifyWithCrypto } from 'node:crypto';
import { createReadStream } from 'node:fs';
import NodeRSA from 'node-rsa';
import { spkiPem } from './key-id.js';

/**
 * Detached signatures of feed files: RSA-SHA256 with PKCS#1 v1.5 padding (RSASSA-PKCS1-v1_5, what
 * `openssl dgst -sha256 -sign` makes and `-verify` checks), as raw binary in `<file>.sig`.
 *
 * The hub's keys are node-rsa keys. node-rsa signs a whole buffer, and a feed file is streamed (it
 * may be larger than the memory a worker should hold), so the file is hashed once as it is written
 * (the same SHA-256 the manifest lists) and the signature is made from that digest: RSASSA-PKCS1-v1_5
 * is the private-key operation over EMSA-PKCS1-v1_5(digest) = 0x00 01 FF…FF 00 ‖ DigestInfo(SHA-256,
 * digest), which is exactly node-rsa's `encryptPrivate` (PKCS#1 v1.5 type-1 padding) of the DER
 * DigestInfo. The unit tests check it equals node-rsa's own `sign` with 'pkcs1-sha256' and node's
 * `crypto.sign('sha256', …)` byte for byte.
 */

/** DER of DigestInfo's AlgorithmIdentifier for SHA-256 and the OCTET STRING header of the 32-byte digest (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** Signs a SHA-256 digest with a node-rsa private key: the RSA-SHA256 (PKCS#1 v1.5) signature of the data it digests. */
export function signDigest(key: NodeRSA, digest: Buffer): Buffer {
  if (digest.length !== 32) throw new RangeError('a SHA-256 digest is 32 bytes');
  if (!key.isPrivate()) throw new TypeError('signing needs a private key');
  return Buffer.from(key.encryptPrivate(Buffer.concat([SHA256_DIGEST_INFO, digest])));
}

/** Signs bytes held in memory (a manifest): the same signature, from their digest. */
export function signBytes(key: NodeRSA, data: Buffer): Buffer {
  return signDigest(key, createHash('sha256').update(data).digest());
}

/** True when `signature` is a valid RSA-SHA256 (PKCS#1 v1.5) signature of `data` by the public key `pem`. */
export function verifyBytes(publicPem: string, data: Buffer, signature: Buffer): boolean {
  return verifyWithCrypto('sha256', data, publicPem, signature);
}

/** SHA-256 of a file, streamed (hex). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * True when `signature` is a valid RSA-SHA256 (PKCS#1 v1.5) signature of the data whose SHA-256 is
 * `digest` (a streamed file's), by the public key `pem`: the public-key operation recovers
 * EMSA-PKCS1-v1_5(digest), which must equal what the digest encodes to.
 */
export function verifyDigest(publicPem: string, digest: Buffer, signature: Buffer): boolean {
  const key = new NodeRSA(spkiPem(publicPem), 'pkcs8-public-pem');
  let recovered: Buffer;
  try {
    recovered = Buffer.from(key.decryptPublic(signature));
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([SHA256_DIGEST_INFO, digest]));
}
