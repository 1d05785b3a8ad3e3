import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseManifest, parseRunFileName, runFileName, type FeedManifest } from './manifest.js';
import { verifyDigest } from './signature.js';

/**
 * What a receiver checks of a delivered feed file (`hub feed verify <file>`): its detached
 * signature `<file>.sig` by one of the given public keys, the manifest beside it (its own signature,
 * and that it lists the file with the same SHA-256), or, given the manifest, every file it lists.
 */

export interface VerifyLine {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}

async function digestOf(path: string): Promise<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

/** The key (id) whose signature `<path>.sig` is, among `keys` (preferred id first), or undefined. */
async function signer(path: string, digest: Buffer, keys: ReadonlyMap<string, string>, preferred?: string): Promise<string | undefined> {
  const sig = `${path}.sig`;
  if (!existsSync(sig)) return undefined;
  const signature = await readFile(sig);
  const order = [...keys.keys()].sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0));
  return order.find((id) => verifyDigest(keys.get(id)!, digest, signature));
}

async function signatureLine(path: string, digest: Buffer, keys: ReadonlyMap<string, string>, preferred?: string): Promise<VerifyLine> {
  const name = basename(path);
  if (!existsSync(`${path}.sig`)) return { what: name, ok: false, detail: `no signature ${name}.sig beside it` };
  const id = await signer(path, digest, keys, preferred);
  if (!id) return { what: name, ok: false, detail: `the signature ${name}.sig is not valid for any of the ${keys.size} public key(s) given` };
  return { what: name, ok: true, detail: `signature valid (RSA-SHA256, key ${id})${preferred && id !== preferred ? `; the manifest names key ${preferred}` : ''}` };
}

/** Verifies a delivered feed file, or a manifest and every file it lists; every line must be ok. */
export async function verifyFeedFile(path: string, keys: ReadonlyMap<string, string>): Promise<VerifyLine[]> {
  const name = basename(path);
  if (!existsSync(path)) return [{ what: name, ok: false, detail: 'no such file' }];
  const parsed = parseRunFileName(name);
  if (parsed?.signature) return [{ what: name, ok: false, detail: 'is a signature: give the file it signs' }];
  if (keys.size === 0) return [{ what: name, ok: false, detail: 'no public keys to verify with (hub keys list, GET /api/v1/feeds/keys, or --key)' }];
  const lines: VerifyLine[] = [];
  const manifestPath = parsed ? join(dirname(path), runFileName(parsed.feed, parsed.sequence, 'manifest.json')) : undefined;
  let manifest: FeedManifest | undefined;
  if (manifestPath && existsSync(manifestPath)) {
    try {
      manifest = parseManifest(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      lines.push({ what: basename(manifestPath), ok: false, detail: `is not a feed manifest: ${(error as Error).message}` });
    }
  }
  const digest = await digestOf(path);
  lines.push(await signatureLine(path, digest, keys, manifest?.keyId));
  if (parsed?.base === 'manifest.json') {
    if (!manifest) return lines;
    for (const f of manifest.files) {
      const file = join(dirname(path), f.name);
      if (!existsSync(file)) {
        lines.push({ what: f.name, ok: false, detail: 'listed by the manifest, not found beside it' });
        continue;
      }
      const d = await digestOf(file);
      const sha = d.toString('hex');
      lines.push(sha === f.sha256 ? { what: f.name, ok: true, detail: 'SHA-256 as the manifest lists it' } : { what: f.name, ok: false, detail: `SHA-256 ${sha} differs from the manifest's ${f.sha256}` });
      lines.push(await signatureLine(file, d, keys, manifest.keyId));
    }
    return lines;
  }
  if (!manifestPath || !existsSync(manifestPath)) {
    lines.push({ what: 'manifest', ok: false, detail: `no manifest ${manifestPath ? basename(manifestPath) : '<feed>-<sequence>-manifest.json'} beside the file: its hash is unchecked` });
    return lines;
  }
  if (!manifest) return lines;
  const mName = basename(manifestPath);
  lines.push(await signatureLine(manifestPath, await digestOf(manifestPath), keys, manifest.keyId));
  const entry = manifest.files.find((f) => f.name === name);
  const sha = digest.toString('hex');
  if (!entry) lines.push({ what: mName, ok: false, detail: `does not list ${name}` });
  else if (entry.sha256 !== sha) lines.push({ what: mName, ok: false, detail: `lists ${name} with SHA-256 ${entry.sha256}, the file has ${sha}` });
  else lines.push({ what: mName, ok: true, detail: `lists ${name} with the same SHA-256 (${sha}), run ${manifest.sequence} of ${manifest.feed} as of ${manifest.asOf}` });
  return lines;
}
