// Native code in the compiled binary. Bun embeds the addons' .node files and writes each to a
// temporary file when it is required, but onnxruntime_binding.node also needs its neighbour
// libonnxruntime.so.1 (found through $ORIGIN), which is not beside that temporary file. So the
// .so is built in as a plain file, written once to a cache directory and dlopen'ed here, on the
// main thread, before any worker imports the addon: the dynamic linker then satisfies the
// addon's DT_NEEDED from the already-loaded library by its soname, in every thread.

import { dlopen } from 'bun:ffi';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedFile } from './embedded.ts';

const SONAME = 'libonnxruntime.so.1';
/** Kept for the life of the process: a library that is closed would unload under the addon. */
const loaded: unknown[] = [];

/** Writes the built-in ONNX Runtime library out (once per build) and loads it; throws why not. */
export async function preloadOnnxRuntime(): Promise<string> {
  const blob = embeddedFile(`${process.arch}/${SONAME}`);
  if (!blob) throw new Error(`this binary carries no ${SONAME} for ${process.platform}-${process.arch}`);
  // Keyed by size and the first and last 256 KiB, so a new build never reuses a stale copy while
  // a restart reads half a megabyte rather than the whole library.
  const edge = 1 << 18;
  const hash = createHash('sha256').update(String(blob.size));
  hash.update(new Uint8Array(await blob.slice(0, edge).arrayBuffer()));
  hash.update(new Uint8Array(await blob.slice(Math.max(0, blob.size - edge)).arrayBuffer()));
  const path = await writeOnce(hash.digest('hex').slice(0, 16), blob);
  const lib = dlopen(path, { OrtGetApiBase: { args: [], returns: 'ptr' } });
  loaded.push(lib);
  return path;
}

/** The library under the user's cache (or the temp) directory, written atomically if missing. */
async function writeOnce(key: string, blob: Blob): Promise<string> {
  const roots = [process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), tmpdir()];
  let lastError: unknown;
  for (const root of roots) {
    const dir = join(root, 'edgeserve', 'native', key);
    const path = join(dir, SONAME);
    try {
      if (statSync(path, { throwIfNoEntry: false })?.size === blob.size) return path;
      mkdirSync(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, new Uint8Array(await blob.arrayBuffer()));
      renameSync(tmp, path); // atomic: a concurrent start sees either nothing or the whole file
      return path;
    } catch (e) {
      lastError = e; // read-only home: try the next root
    }
  }
  throw new Error(`cannot write ${SONAME}: ${(lastError as Error)?.message ?? lastError}`);
}
