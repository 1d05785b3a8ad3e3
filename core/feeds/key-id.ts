import { createHash, createPublicKey } from 'node:crypto';

/**
 * The id of a public key: the first 16 hex digits of the SHA-256 of its DER SubjectPublicKeyInfo
 * (what `openssl pkey -pubin -outform DER | sha256sum` hashes), the same for the key in any PEM form.
 */
export function keyIdOf(publicPem: string): string {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** The key as a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), from any PEM form of it. */
export function spkiPem(publicPem: string): string {
  return createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** Why a PEM cannot be a feed recipient's key (an RSA public key of at least 2048 bits), or undefined when it can. */
export function recipientKeyProblem(pem: string): string | undefined {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return `is a ${key.asymmetricKeyType ?? 'non-RSA'} key; an RSA public key is needed`;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'is an RSA key of fewer than 2048 bits';
    return undefined;
  } catch {
    return 'is not a PEM public key';
  }
}
