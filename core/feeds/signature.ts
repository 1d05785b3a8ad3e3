import { constants, createHash, privateEncrypt, publicDecrypt, verify as verifyWithCrypto, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Detached signatures of feed files: RSA-SHA256 with PKCS#1 v1.5 padding (RSASSA-PKCS1-v1_5, what
 * `openssl dgst -sha256 -sign` makes and `-verify` checks), as raw binary in `<file>.sig`.
 *
 * The hub's keys are made, stored and exported by node-rsa (key-ring.ts). node-rsa signs a whole
 * buffer, and a feed file is streamed (it may be larger than the memory a worker should hold), so the
 * file is hashed once as it is written (the same SHA-256 the manifest lists) and the signature is made
 * from that digest: RSASSA-PKCS1-v1_5 is the private-key operation over EMSA-PKCS1-v1_5(digest) =
 * 0x00 01 FF…FF 00 ‖ DigestInfo(SHA-256, digest), i.e. PKCS#1 v1.5 type-1 padding of the DER
 * DigestInfo — node-rsa's `encryptPrivate`. That operation runs through node's crypto on the
 * PKCS#8 PEM node-rsa exported: node-rsa re-encodes its key from big numbers on every call, which
 * costs ~150 ms per signature for a 3072-bit key against ~2 ms (five signatures per run). The unit
 * tests check the signature equals node-rsa's own `sign` with 'pkcs1-sha256' and `encryptPrivate`,
 * and node's `crypto.sign('sha256', …)`, byte for byte.
 */

/** DER of DigestInfo's AlgorithmIdentifier for SHA-256 and the OCTET STRING header of the 32-byte digest (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** Signs a SHA-256 digest: the RSA-SHA256 (PKCS#1 v1.5) signature of the data it digests. */
export function signDigest(privateKey: KeyObject, digest: Buffer): Buffer {
  if (digest.length !== 32) throw new RangeError('a SHA-256 digest is 32 bytes');
  if (privateKey.type !== 'private') throw new TypeError('signing needs a private key');
  return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
}

/** Signs bytes held in memory (a manifest): the same signature, from their digest. */
export function signBytes(privateKey: KeyObject, data: Buffer): Buffer {
  return signDigest(privateKey, createHash('sha256').update(data).digest());
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
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: publicPem, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([SHA256_DIGEST_INFO, digest]));
}
