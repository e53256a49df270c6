// Shared test setup: builds the real server stack (FsRepository → registry → DataPlane → Hono
// app) over a model repository, with the engine under test, for in-memory `app.request` tests.

import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../src/engine/backend.ts';
import type { ImageTensorizer } from '../src/engine/image-input.ts';
import { LocalLoader } from '../src/engine/local-loader.ts';
import { buildSimpleModel } from '../src/onnx/build-simple.ts';
import { assemble } from '../src/runtime/assemble.ts';
import { fsDocsAssets } from '../src/runtime/docs-assets.ts';
import { FsRepository } from '../src/runtime/fs-repository.ts';

export const ROOT = join(import.meta.dir, '..');
export const MODELS = join(ROOT, 'models');
export const FIXTURES = join(import.meta.dir, 'fixtures');

/** A temp repository holding `simple` (generated) plus copies of the named models' dirs. */
export function tempRepository(copy: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-repo-'));
  mkdirSync(join(dir, 'simple', '1'), { recursive: true });
  cpSync(join(MODELS, 'simple', 'config.json'), join(dir, 'simple', 'config.json'));
  writeFileSync(join(dir, 'simple', '1', 'model.onnx'), buildSimpleModel());
  for (const m of copy) cpSync(join(MODELS, m), join(dir, m), { recursive: true });
  return dir;
}

export async function buildApp(
  repoDir: string,
  backend: Backend,
  tensorizer?: ImageTensorizer,
  mount?: Parameters<typeof assemble>[0]['mount'],
  platforms?: ConstructorParameters<typeof LocalLoader>[0]['platforms'],
) {
  const logs: string[] = [];
  const parts = assemble({
    repository: new FsRepository(repoDir),
    loader: new LocalLoader({ backend: () => backend, defaultInstances: 1, intraOpThreads: 1, tensorizer, platforms }),
    docs: fsDocsAssets,
    log: (level, msg) => logs.push(`${level} ${msg}`),
    maxBodyBytes: 8 * 1024 * 1024,
    maxQueueSize: 64,
    defaultInstances: 1,
    mount,
  });
  await parts.load();
  return { ...parts, logs };
}
