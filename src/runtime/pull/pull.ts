// pullModel: put a model's weights at <modelDir>/<versionDir>/model.onnx from its config
// `source` (npm package tarball, https URL, local file, or a built-in generator), verified by
// sha256 and written atomically. Idempotent: a target that already has the right hash is left
// alone, so `edgeserve pull` can run before every test run.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ModelSource } from '../../core/model-config.ts';
import { commit, tempPathFor, writeAtomic } from './atomic.ts';
import { downloadToFile } from './download.ts';
import { PullError } from './errors.ts';
import { hashFile, sha256Hex } from './integrity.ts';
import { loadNpmConfig, type NpmConfig } from './npm-config.ts';
import { getTarball, parseNpmSpec } from './npm-package.ts';
import type { NpmPack } from './npm-pack.ts';
import { closestNames } from './suggest.ts';
import { findInTgz } from './tar.ts';

export interface PullOptions {
  /** Holds downloaded npm tarballs (keyed by integrity) across pulls and models. */
  cacheDir: string;
  /** Download progress; total is 0 when the server sent no Content-Length. */
  progress?: (done: number, total: number) => void;
  /** Builds the bytes of a `{ quantize: model, recipe }` source (derive.ts); pull checks their sha256. */
  derive?: (modelDir: string, source: Extract<ModelSource, { quantize: string }>) => Promise<Uint8Array>;
  /** Builders for `{ generate: name }` sources. */
  generators?: Record<string, () => Uint8Array | Promise<Uint8Array>>;
  fetch?: typeof fetch;
  /** npm packages through npm itself (npm-pack.ts findNpm); without it, the built-in registry client. */
  npmPack?: NpmPack;
  /** Share one across pulls: it may spawn `npm config get` once. Default: loadNpmConfig(). */
  npmConfig?: NpmConfig;
  /** Default "model.onnx". */
  fileName?: string;
  /** Abort a download after this long without data (default 30 s). */
  idleTimeoutMs?: number;
}

export interface PullResult {
  /** Absolute path of the model file. */
  path: string;
  sha256: string;
  bytes: number;
  /** True when nothing was downloaded (already present, or the npm tarball was cached). */
  fromCache: boolean;
  /** present: target already verified; cached: extracted from a cached tarball. */
  status: 'present' | 'cached' | 'downloaded' | 'copied' | 'generated' | 'derived';
  /** Human description of the source, e.g. "faceplugin-face-recognition-js@0.0.1". */
  from: string;
}

export async function pullModel(modelDir: string, versionDir: string, source: ModelSource, opts: PullOptions): Promise<PullResult> {
  const target = resolve(modelDir, versionDir, opts.fileName ?? 'model.onnx');
  const from = describeSource(source);
  const done = (status: PullResult['status'], sha256: string, bytes: number): PullResult => ({
    path: target,
    sha256,
    bytes,
    fromCache: status === 'present' || status === 'cached',
    status,
    from,
  });

  if ('generate' in source) {
    const gen = opts.generators?.[source.generate];
    if (!gen)
      throw new PullError(
        'CONFIG',
        `no generator "${source.generate}" was given to pullModel (known: ${Object.keys(opts.generators ?? {}).join(', ') || 'none'})`,
      );
    const bytes = await gen();
    const sha = sha256Hex(bytes);
    if ((await existingSha256(target)) === sha) return done('present', sha, bytes.length);
    await writeAtomic(target, bytes);
    return done('generated', sha, bytes.length);
  }

  if ((await existingSha256(target)) === source.sha256) return done('present', source.sha256, (await stat(target)).size);

  if ('quantize' in source) {
    if (!opts.derive) throw new PullError('CONFIG', `source.quantize needs a deriver; none was given to pullModel`);
    const bytes = await opts.derive(resolve(modelDir), source);
    verify(sha256Hex(bytes), source.sha256, `${source.quantize} quantized by ${source.recipe}`, target);
    await writeAtomic(target, bytes);
    return done('derived', source.sha256, bytes.length);
  }

  if ('file' in source) {
    const file = resolve(modelDir, source.file);
    const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new PullError('NOT_FOUND', `source.file ${file} cannot be read (${e.code ?? e.message}); the path is relative to ${resolve(modelDir)}`);
    });
    verify(sha256Hex(bytes), source.sha256, file, target);
    await writeAtomic(target, bytes);
    return done('copied', source.sha256, bytes.length);
  }

  if ('url' in source) {
    await mkdir(resolve(modelDir, versionDir), { recursive: true });
    const temp = tempPathFor(target);
    const got = await downloadToFile(source.url, temp, ['sha256'], {
      fetch: opts.fetch ?? fetch,
      what: source.url,
      hint: 'check your network and source.url in config.json',
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    });
    const sha = got.hash.digest('sha256', 'hex');
    if (sha !== source.sha256) await rm(temp, { force: true });
    verify(sha, source.sha256, source.url, target);
    await commit(temp, target);
    return done('downloaded', sha, got.bytes);
  }

  const spec = parseNpmSpec(source.npm);
  const tarball = await getTarball(spec, {
    config: opts.npmConfig ?? loadNpmConfig(),
    fetch: opts.fetch ?? fetch,
    cacheDir: opts.cacheDir,
    ...(opts.npmPack ? { npmPack: opts.npmPack } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  });
  const { found, names } = await findInTgz(tarball.file, (name) => samePackagePath(name, source.path));
  if (!found) {
    const close = closestNames(source.path, names);
    throw new PullError(
      'NOT_IN_TARBALL',
      `${source.path} is not in ${spec.name}@${tarball.version}${close.length ? `; closest files: ${close.join(', ')}` : ' (the tarball has no files)'}; fix source.path in config.json`,
    );
  }
  verify(sha256Hex(found.data), source.sha256, `${spec.name}@${tarball.version}:${source.path}`, target);
  await writeAtomic(target, found.data);
  return done(tarball.fromCache ? 'cached' : 'downloaded', source.sha256, found.data.length);
}

/** "faceplugin-face-recognition-js@0.0.1", "https://host/x.onnx", "file ../w.onnx", "generator simple". */
export function describeSource(source: ModelSource): string {
  if ('npm' in source) return source.npm;
  if ('url' in source) return source.url;
  if ('file' in source) return `file ${source.file}`;
  if ('quantize' in source) return `${source.quantize} (INT8, ${source.recipe})`;
  return `generator ${source.generate}`;
}

/**
 * npm strips the first path component of every tarball entry (usually "package/"), so a path
 * matches exactly or with the first component ignored on both sides.
 */
function samePackagePath(entry: string, wanted: string): boolean {
  const norm = (p: string) => p.replace(/^\.\//, '');
  const strip = (p: string) => norm(p).slice(norm(p).indexOf('/') + 1);
  return norm(entry) === norm(wanted) || (norm(entry).includes('/') && norm(wanted).includes('/') && strip(entry) === strip(wanted));
}

function verify(got: string, expected: string, what: string, target: string): void {
  if (got === expected) return;
  throw new PullError(
    'SHA256',
    `sha256 mismatch for ${what}: expected ${expected}, got ${got}; ${target} was not written. ` +
      'Check that source points at the right file; change source.sha256 only if you trust the new bytes.',
  );
}

async function existingSha256(target: string): Promise<string | undefined> {
  return existsSync(target) ? hashFile(target, 'sha256') : undefined;
}

/** Model name for messages: the model directory's name. */
export const modelNameOf = (modelDir: string) => basename(resolve(modelDir));
