// `"source": {"quantize": "<fp32 model>", "recipe": "quantize.json", "sha256": …}`: the weights
// are built, not downloaded. The FP32 model is pulled first (it is any other model of the
// repository), the recipe's calibration images go through this model's own preprocessing, and
// src/onnx/quantize writes the QDQ model. Calibration runs on onnxruntime-web with one thread:
// WebAssembly arithmetic is the same on every CPU, so a fresh clone derives the same bytes
// and the sha256 in config.json is checked like any other source. Decoding uses the @jsquash
// WASM codecs for the same reason (and because the native addons belong in worker threads).

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ModelSource } from '../../core/model-config.ts';
import { createJsquashDecoder } from '../../image/decoders/jsquash.ts';
import { nodeJsquashWasm } from '../jsquash-wasm.ts';
import { createImageTensorizer } from '../../image/tensorizer.ts';
import { type Derivation, derive, type RepoAccess } from '../../onnx/quantize/pipeline.ts';
import { parseRecipe, type Recipe } from '../../onnx/quantize/recipe.ts';
import { ortSessions, type OpenSession } from '../../onnx/quantize/session.ts';
import { PullError } from './errors.ts';
import { pullModel, type PullOptions } from './pull.ts';

export type QuantizeSource = Extract<ModelSource, { quantize: string }>;

/** Pulls one model of the repository by name (so a derived model can pull its base). */
export type PullByName = (model: string) => Promise<string>;

/**
 * Pulls models of the repository at `root` by name, as `edgeserve pull` would (a derived
 * model's base is pulled first; a chain of derived models is followed, a cycle refused).
 */
export function pullSibling(root: string, opts: PullOptions, chain: string[] = []): PullByName {
  return async (model) => {
    if (chain.includes(model)) throw new PullError('CONFIG', `source.quantize cycle: ${[...chain, model].join(' → ')}`);
    const file = resolve(root, model, 'config.json');
    const raw = await readFile(file, 'utf8').catch(() => {
      throw new PullError('NOT_FOUND', `source.quantize names '${model}', but ${file} does not exist`);
    });
    const parsed = ModelSource.safeParse((JSON.parse(raw) as { source?: unknown }).source);
    if (!parsed.success) throw new PullError('CONFIG', `${file}: no valid "source" to pull '${model}' from`);
    const next = [...chain, model];
    const r = await pullModel(resolve(root, model), '1', parsed.data, {
      ...opts,
      derive: (dir, src) => deriveQuantized(dir, src, pullSibling(root, opts, next)),
    });
    return r.path;
  };
}

/** The repository as the quantization pipeline sees it: configs, pulled weights, recipe files. */
export function fsRepoAccess(root: string, modelDir: string, pull: PullByName): RepoAccess {
  const cache = new Map<string, Promise<Uint8Array>>();
  return {
    async config(model) {
      const file = resolve(root, model, 'config.json');
      const text = await readFile(file, 'utf8').catch(() => {
        throw new PullError('NOT_FOUND', `model '${model}' (named by ${resolve(modelDir, 'quantize.json')}) has no ${file}`);
      });
      return JSON.parse(text) as { image?: unknown };
    },
    weights(model) {
      const have = cache.get(model);
      if (have) return have;
      const p = pull(model)
        .then((path) => readFile(path))
        .then((b) => new Uint8Array(b));
      cache.set(model, p);
      return p;
    },
    async file(path) {
      const full = resolve(modelDir, path);
      return new Uint8Array(
        await readFile(full).catch((e: NodeJS.ErrnoException) => {
          throw new PullError('NOT_FOUND', `${full} (in ${resolve(modelDir, 'quantize.json')}) cannot be read: ${e.code ?? e.message}`);
        }),
      );
    },
    resolve: (path) => resolve(modelDir, path),
  };
}

/** onnxruntime-web on one thread: the deterministic engine calibration uses. */
export async function wasmSessions(): Promise<OpenSession> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return ortSessions(ort, 'wasm');
}

/** The WASM decoder (the same pixels on every machine) and the tensorizer over it. */
export function wasmImages() {
  const decoder = createJsquashDecoder(nodeJsquashWasm());
  return { decoder, tensorizer: createImageTensorizer(decoder, { downscaleHint: false }) };
}

export async function loadDerivation(modelDir: string, source: QuantizeSource, pull: PullByName): Promise<Derivation> {
  const recipeFile = resolve(modelDir, source.recipe);
  const text = await readFile(recipeFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new PullError('CONFIG', `source.recipe ${recipeFile} cannot be read (${e.code ?? e.message})`);
  });
  let recipe: Recipe;
  try {
    recipe = parseRecipe(JSON.parse(text), recipeFile);
  } catch (e) {
    throw new PullError('CONFIG', (e as Error).message);
  }
  const root = dirname(resolve(modelDir));
  return { model: modelDir.split(/[\\/]/).filter(Boolean).pop()!, base: source.quantize, recipe, repo: fsRepoAccess(root, modelDir, pull), ...wasmImages() };
}

/** What pull.ts calls for a quantize source: the derived model's bytes (it checks the sha256). */
export async function deriveQuantized(modelDir: string, source: QuantizeSource, pull: PullByName): Promise<Uint8Array> {
  const d = await loadDerivation(modelDir, source, pull);
  try {
    return (await derive(d, await wasmSessions())).bytes;
  } catch (e) {
    if (e instanceof PullError) throw e;
    throw new PullError('DERIVE', `quantizing ${d.base} for ${d.model}: ${(e as Error).message}`, { cause: e });
  }
}
