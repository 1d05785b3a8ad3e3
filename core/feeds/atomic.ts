import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Files that appear whole or not at all. A file is written aside in the same folder under a name no
 * reader looks for (it starts with a dot and ends in `.tmp`: never a feed file's name), synced to
 * disk, and renamed into place (atomic within one file system); then the folder is synced, so the
 * rename itself survives a crash.
 */

/** The temporary name a file is written under before it is renamed to `name`. */
export function tempName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Syncs a folder's entries to disk (after a rename into it). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and platforms) cannot sync a directory; the rename is still atomic.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

async function place(temp: string, dir: string, name: string): Promise<void> {
  try {
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Mode of a delivered file: the owner reads and writes, its group reads (finance's reader), others nothing. */
export const DELIVERED_MODE = 0o640;

/** Writes `data` to `<dir>/<name>` atomically (replacing a file of that name). Does not sync the folder: call `syncDir` after the last. */
export async function writeAtomic(dir: string, name: string, data: string | Buffer, mode = DELIVERED_MODE): Promise<void> {
  const temp = join(dir, tempName(name));
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await place(temp, dir, name);
}

/** Copies the file `source` to `<dir>/<name>` atomically. Does not sync the folder: call `syncDir` after the last. */
export async function copyAtomic(source: string, dir: string, name: string, mode = DELIVERED_MODE): Promise<void> {
  const temp = join(dir, tempName(name));
  try {
    await copyFile(source, temp, constants.COPYFILE_EXCL);
    await chmod(temp, mode);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await place(temp, dir, name);
}
