// `edgeserve pull`: for every model in the repository (or the ones named), put its weights in
// place from config.json `source`. Configs that don't parse are skipped here (the server reports
// them with file, field and reason when it loads); a failed pull is reported and counted.

import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelSource } from '../core/model-config.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import type { Logger } from './log.ts';
import { loadNpmConfig } from './pull/npm-config.ts';
import { createPullProgress } from './pull/progress.ts';
import { pullModel } from './pull/pull.ts';

export interface PullRepositoryOptions {
  log: Logger;
  /** No progress bar or summaries, only errors. */
  quiet: boolean;
  /** Model names to pull; all when empty. */
  only?: string[];
  cacheDir?: string;
}

/** Built-in model generators (`"source": {"generate": name}`). */
export const GENERATORS = { simple: buildSimpleModel };

/** Returns true when every selected model's weights are in place. */
export async function pullRepository(root: string, o: PullRepositoryOptions): Promise<boolean> {
  const dirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const wanted = o.only?.length ? o.only : dirs;
  for (const n of wanted) if (!dirs.includes(n)) { o.log('error', `pull: no model '${n}' in ${root}`); return false; }
  const npmConfig = loadNpmConfig({ cwd: resolve(root) });
  const cacheDir = o.cacheDir ?? resolve(root, '..', '.cache', 'edgeserve');
  let ok = true;
  for (const name of wanted) {
    const source = await readSource(join(root, name, 'config.json'));
    if (source === undefined) continue;
    const progress = o.quiet ? undefined : createPullProgress(name);
    try {
      const base = { cacheDir, npmConfig, generators: GENERATORS };
      const r = await pullModel(join(root, name), '1', source, {
        ...base,
        progress: progress?.update,
        // Derived (quantized) models: loaded only when a config asks for one.
        derive: async (dir, src) => {
          const d = await import('./pull/derive.ts');
          return d.deriveQuantized(dir, src, d.pullSibling(root, base, [name]));
        },
      });
      if (r.status === 'present') progress?.fail(); // nothing to say for weights already in place
      else progress?.finish(r);
    } catch (e) {
      progress?.fail();
      o.log('error', `pull ${name}: ${(e as Error).message}`);
      ok = false;
    }
  }
  return ok;
}

async function readSource(file: string): Promise<ModelSource | undefined> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as { source?: unknown };
    const r = ModelSource.safeParse(raw.source);
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
