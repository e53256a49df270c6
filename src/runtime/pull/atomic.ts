// Atomic file replacement: write a temp file in the target's own directory (same file system,
// so rename is atomic), fsync it, rename it over the target, fsync the directory. A server
// loading models/x/1/model.onnx therefore sees the old file or the new one, never half of one.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A hidden, unique sibling of `target` (the leading dot keeps directory scans from loading it). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeAtomic(target: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    const fh = await open(temp, 'w', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await commit(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Rename an already-synced temp file into place and make the rename itself durable. */
export async function commit(temp: string, target: string): Promise<void> {
  await rename(temp, target);
  await syncDir(dirname(target));
}

async function syncDir(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on Windows; durability there is best effort.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}
