import { createHmac, publicEncrypt, constants, type KeyObject } from 'node:crypto';
import type { MaskKind } from './schema.js';

/** Prefixes of values the projection produced; such a value sent back in a write is refused. */
export const MASK_PREFIX = '***';
export const HASH_PREFIX = 'h1:';
export const ENCRYPT_PREFIX = 'enc1:';

export function looksProjected(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith(MASK_PREFIX) || value.startsWith(HASH_PREFIX) || value.startsWith(ENCRYPT_PREFIX) || /^[^@\s]\*{3}@/.test(value));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function maskValue(kind: MaskKind, value: unknown): string {
  const s = text(value);
  switch (kind) {
    case 'last4':
      return MASK_PREFIX + (s.length > 4 ? s.slice(-4) : '');
    case 'email': {
      const at = s.lastIndexOf('@');
      return at > 0 ? `${s[0]}***${s.slice(at)}` : MASK_PREFIX;
    }
    case 'redact':
      return MASK_PREFIX;
  }
}

/** HMAC-SHA256 under the receiver's own key: joinable by that receiver, not reversible by dictionary. */
export function hashValue(key: Buffer | KeyObject, value: unknown): string {
  return HASH_PREFIX + createHmac('sha256', key).update(text(value)).digest('base64url');
}

/** RSA-OAEP (SHA-256) encryption to the receiver's public key. */
export function encryptValue(publicKeyPem: string, value: unknown): string {
  const data = Buffer.from(text(value), 'utf8');
  return ENCRYPT_PREFIX + publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data).toString('base64');
}

/** The per-receiver hash key, derived from the hub's secret so two receivers' hashes never match. */
export function receiverKey(secret: Buffer, receiver: string): Buffer {
  return createHmac('sha256', secret).update(`receiver:${receiver}`).digest();
}
