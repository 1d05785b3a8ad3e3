import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { foreignErrorSummary, HubError } from '../../core/errors.js';
import { syncDir, writeAtomic } from '../../core/feeds/atomic.js';
import type { KeyRing } from '../../core/feeds/key-ring.js';
import { manifestText, MANIFEST_VERSION, runFileName, sequenceText, SIGNATURE_ALGORITHM, type FeedManifest, type ManifestFile } from '../../core/feeds/manifest.js';
import { signBytes, signDigest } from '../../core/feeds/signature.js';
import type { PolicyEngine } from '../../core/policy/engine.js';
import type { DeliveryState, FeedRunOrigin, FeedRunRow } from '../../core/store/feeds-repository.js';
import type { Store } from '../../core/store/store.js';
import type { FeedConfig } from './config.js';
import { produceFeed } from './produce.js';

/**
 * One run of a feed, start to finish: the files are written and signed in a private staging folder;
 * then one transaction takes the feed's next sequence number, moves the folder into the archive as
 * `<dataDir>/feeds/<feed>/<sequence>/` (the delivered names), writes the signed manifest and records
 * the run. A run that fails before it commits takes no number (the counter rolls back with it) and
 * is recorded as failed, without one. The archive keeps each run's exact bytes: a redelivery sends them.
 */

export interface RunDeps {
  readonly store: Store;
  readonly policy: PolicyEngine;
  readonly keys: KeyRing;
  readonly dataDir: string;
}

export interface RunRequest {
  readonly asOf: string;
  readonly origin: FeedRunOrigin;
  readonly by: string;
}

/** Staging folders older than this are a crashed run's leftovers. */
const STALE_STAGING_MS = 24 * 3600_000;

export const feedDir = (dataDir: string, feed: string): string => join(dataDir, 'feeds', feed);
export const runDir = (dataDir: string, feed: string, sequence: number): string => join(feedDir(dataDir, feed), sequenceText(sequence));

async function removeStaleStaging(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('.staging-')) continue;
    const path = join(dir, name);
    const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
  }
}

/** What may be said of a failure (no driver text, which may quote values). */
function safeMessage(error: unknown): string {
  if (error instanceof HubError) return error.message;
  const s = foreignErrorSummary(error);
  return `the run failed (${s.name}${s.code ? ` ${s.code}` : ''})`;
}

export async function runFeed(deps: RunDeps, feed: FeedConfig, request: RunRequest): Promise<FeedRunRow> {
  const { store } = deps;
  const base = feedDir(deps.dataDir, feed.name);
  const createdAt = new Date().toISOString();
  const id = randomUUID();
  const delivery = { directory: feed.delivery.dir ? ('pending' as DeliveryState) : null, http: feed.delivery.http ? ('pending' as DeliveryState) : null };
  let staging: string | undefined;
  try {
    await mkdir(base, { recursive: true, mode: 0o700 });
    await removeStaleStaging(base);
    staging = await mkdtemp(join(base, '.staging-'));
    const signing = deps.keys.current();
    const produced = await produceFeed({ store, policy: deps.policy, feed, asOf: request.asOf, dir: staging });
    for (const f of produced.files) await writeFile(join(staging, `${f.file.name}.sig`), signDigest(signing.privateKey, f.file.digest), { mode: 0o600 });
    const stagingDir = staging;
    await store.feeds.ensureSequence(feed.name);
    const run = await store.transaction(async (tx) => {
      const sequence = await tx.feeds.nextSequence(feed.name);
      const files: ManifestFile[] = produced.files.map((f) => {
        const name = runFileName(feed.name, sequence, f.file.name);
        return {
          name,
          content: f.content,
          format: f.format,
          records: f.file.records,
          bytes: f.file.bytes,
          sha256: f.file.sha256,
          encrypted: feed.encryptFor !== undefined,
          ...(f.file.plaintextSha256 ? { plaintextSha256: f.file.plaintextSha256 } : {}),
          signature: `${name}.sig`,
        };
      });
      for (const [i, f] of produced.files.entries()) {
        await rename(join(stagingDir, f.file.name), join(stagingDir, files[i]!.name));
        await rename(join(stagingDir, `${f.file.name}.sig`), join(stagingDir, files[i]!.signature));
      }
      const finalDir = runDir(deps.dataDir, feed.name, sequence);
      // Left by a run whose commit failed after its move: no committed run has this number (it is ours now).
      if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
      await rename(stagingDir, finalDir);
      staging = undefined;
      const at = new Date().toISOString();
      const manifest: FeedManifest = {
        manifest: MANIFEST_VERSION,
        feed: feed.name,
        sequence,
        asOf: request.asOf,
        timeZone: feed.timeZone,
        receiver: feed.receiver,
        createdAt: at,
        keyId: signing.id,
        signatureAlgorithm: SIGNATURE_ALGORITHM,
        encryption: feed.encryptFor ? { alg: 'RSA-OAEP-256', enc: 'A256GCM', recipientKeyId: feed.encryptFor.keyId } : null,
        records: produced.records,
        customerTotals: produced.customerTotals,
        files,
      };
      const text = Buffer.from(manifestText(manifest), 'utf8');
      const manifestName = runFileName(feed.name, sequence, 'manifest.json');
      const manifestSha256 = createHash('sha256').update(text).digest('hex');
      await writeAtomic(finalDir, manifestName, text, 0o600);
      await writeAtomic(finalDir, `${manifestName}.sig`, signBytes(signing.privateKey, text), 0o600);
      await syncDir(finalDir);
      const row = {
        id,
        feed: feed.name,
        sequence,
        status: 'complete' as const,
        origin: request.origin,
        asOf: request.asOf,
        timeZone: feed.timeZone,
        receiver: feed.receiver,
        records: produced.records,
        customerTotals: produced.customerTotals,
        keyId: signing.id,
        manifestSha256,
        files,
        message: null,
        createdBy: request.by,
        createdAt,
        finishedAt: at,
      };
      await tx.feeds.insert({ ...row, ...delivery });
      return row;
    });
    await syncDir(base);
    return { ...run, directory: delivery.directory ? { state: delivery.directory, at: null, error: null } : null, http: delivery.http ? { state: delivery.http, at: null, error: null, attempts: 0 } : null };
  } catch (error) {
    if (staging) await rm(staging, { recursive: true, force: true });
    const message = safeMessage(error);
    await store.feeds
      .insert({ id, feed: feed.name, sequence: null, status: 'failed', origin: request.origin, asOf: request.asOf, timeZone: feed.timeZone, receiver: feed.receiver, records: 0, customerTotals: 0, keyId: null, manifestSha256: null, files: [], message, createdBy: request.by, createdAt, finishedAt: new Date().toISOString(), directory: null, http: null })
      .catch(() => undefined);
    throw error;
  }
}
