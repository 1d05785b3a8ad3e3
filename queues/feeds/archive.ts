import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../../core/errors.js';
import { copyAtomic, syncDir } from '../../core/feeds/atomic.js';
import { runFileName, type ManifestFile } from '../../core/feeds/manifest.js';
import { fileSha256 } from '../../core/feeds/signature.js';
import type { FeedRunRow } from '../../core/store/feeds-repository.js';
import { runDir } from './run.js';

/**
 * A run's files in the hub's archive (`<dataDir>/feeds/<feed>/<sequence>/`), in the order they are
 * delivered: each data file's signature, then the file, and the manifest's signature and the
 * manifest last, so that a receiver who waits for the manifest finds everything it lists.
 */

export interface ArchivedRun {
  readonly dir: string;
  /** Names in delivery order. */
  readonly names: readonly string[];
  readonly manifest: string;
}

/** The archive of a completed run; throws when its folder or a file is missing or changed since the run. */
export async function archivedRun(dataDir: string, run: Pick<FeedRunRow, 'feed' | 'sequence' | 'files' | 'manifestSha256'>): Promise<ArchivedRun> {
  if (run.sequence === null) throw new HubError('feed_run_failed', 409, 'The run failed: it has no files to deliver');
  const dir = runDir(dataDir, run.feed, run.sequence);
  const manifest = runFileName(run.feed, run.sequence, 'manifest.json');
  const expected: [string, string | null][] = [...run.files.flatMap((f: ManifestFile): [string, string | null][] => [[f.signature, null], [f.name, f.sha256]]), [`${manifest}.sig`, null], [manifest, run.manifestSha256]];
  for (const [name, sha256] of expected) {
    const path = join(dir, name);
    if (!existsSync(path)) throw new HubError('feed_archive_missing', 409, `The archived file ${name} of ${run.feed} run ${run.sequence} is missing (${dir})`);
    if (sha256 && (await fileSha256(path)) !== sha256) throw new HubError('feed_archive_changed', 409, `The archived file ${name} of ${run.feed} run ${run.sequence} changed since the run (its SHA-256 differs from the recorded one)`);
  }
  return { dir, names: expected.map(([n]) => n), manifest };
}

/**
 * Writes a run's files into `target` (created when missing), each atomically: written aside under a
 * dot-name, synced, renamed; the manifest last. A reader of `target` never sees part of a file, and
 * sees the manifest only when every file it lists is in place. Sends exactly the archived bytes.
 */
export async function deliverToDir(archive: ArchivedRun, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const name of archive.names) await copyAtomic(join(archive.dir, name), target, name);
  await syncDir(target);
}
