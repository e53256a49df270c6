// Build step for Cloudflare Workers (wrangler.toml `[build] command`, so `wrangler dev` and
// `wrangler deploy` both run it): stages the Worker's Static Assets directory with exactly the
// files the Worker reads (the shipped models' weights and Swagger UI's two files), nothing else,
// so no stray file is uploaded. Copies only what changed. Run with Bun: it imports the manifest.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { WORKER_MODELS } from './models.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
/** Keep in step with wrangler.toml [assets] directory. */
export const ASSETS_DIR = join(ROOT, '.wrangler', 'edgeserve-assets');

export function stageAssets(out = ASSETS_DIR): { files: string[]; missing: string[] } {
  const require = createRequire(import.meta.url);
  const wanted = new Map<string, string>(); // asset path → source file
  for (const [name, m] of Object.entries(WORKER_MODELS)) {
    for (const v of m.versions) wanted.set(`models/${name}/${v}/model.onnx`, join(ROOT, 'models', name, v, 'model.onnx'));
  }
  for (const f of ['swagger-ui.css', 'swagger-ui-bundle.js']) wanted.set(`docs/${f}`, require.resolve(`swagger-ui-dist/${f}`));

  const missing: string[] = [];
  for (const [path, src] of wanted) {
    const dst = join(out, path);
    if (!existsSync(src)) {
      missing.push(relative(ROOT, src));
      rmSync(dst, { force: true });
      continue;
    }
    const s = statSync(src);
    const d = existsSync(dst) ? statSync(dst) : undefined;
    if (d && d.size === s.size && d.mtimeMs >= s.mtimeMs) continue;
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
  }
  // Whatever is not wanted any more (a dropped model or version) must not be uploaded.
  for (const f of walk(out)) if (!wanted.has(f)) rmSync(join(out, f));
  return { files: [...wanted.keys()].filter((p) => existsSync(join(out, p))), missing };
}

function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

if (import.meta.main) {
  const { files, missing } = stageAssets();
  console.log(`staged ${files.length} Worker assets in ${relative(ROOT, ASSETS_DIR)}`);
  if (missing.length) console.warn(`missing (those models will be unavailable; run \`bun src/cli.ts pull\`): ${missing.join(', ')}`);
}
