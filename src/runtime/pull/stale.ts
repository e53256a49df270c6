// Temporaries left by a pull that was killed (kill -9, power loss): atomic.ts names every temp
// file `.<target>.<pid>.<8 hex>.tmp` (npm-pack.ts's folders too), so one whose pid no longer runs
// can never be finished and is removed at the start of the next pull. A temp of a live process
// (another pull running now) is left alone.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Whether a process with this id exists (a process of another user counts as alive). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the stale temporaries directly inside each folder (missing folders are fine); returns their paths. */
export async function removeStaleTemps(dirs: readonly string[], alive: (pid: number) => boolean = pidAlive): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = TEMP.exec(name);
      if (!m || alive(Number(m[1]))) continue;
      const path = join(dir, name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}
