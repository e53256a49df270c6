// The accuracy gates of issue 14 on the real face models, on onnxruntime-node (the engine that
// serves them): each face model's recipe (models/<m>/quantize.json) is derived as `pull` would
// and its full gate is run. The invariant: the face pipeline serves a model's INT8 derivation
// exactly when its gate passes. Today both gates fail (figures in the README, "Quantization"),
// so the face models are served in FP32; a quantizer that makes a gate pass fails this test
// until the config is switched, and a config switched to a failing model fails it too.
// Also: the embedder gate takes its face crops from a function the caller can swap.

import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { ModelSource } from '../src/core/model-config.ts';
import type { EmbedderGate, DetectorGate } from '../src/onnx/quantize/gates.ts';
import { type Derivation, derive, gateSamples, runGate } from '../src/onnx/quantize/pipeline.ts';
import { parseRecipe } from '../src/onnx/quantize/recipe.ts';
import { gateLines } from '../src/onnx/quantize/report.ts';
import { ortSessions } from '../src/onnx/quantize/session.ts';
import { fsRepoAccess, pullSibling, wasmSessions, wasmImages } from '../src/runtime/pull/derive.ts';

const MODELS = resolve(import.meta.dir, '..', 'models');
for (const m of ['face_detect', 'face_embed']) {
  if (!existsSync(join(MODELS, m, '1', 'model.onnx'))) throw new Error(`models/${m}/1/model.onnx is missing: run \`npm run pull\` first`);
}
const native = ortSessions(ortNode, 'native');

function derivation(model: string): Derivation {
  const dir = join(MODELS, model);
  const recipe = parseRecipe(JSON.parse(readFileSync(join(dir, 'quantize.json'), 'utf8')), join(dir, 'quantize.json'));
  return {
    model,
    base: model,
    recipe,
    repo: fsRepoAccess(MODELS, dir, pullSibling(MODELS, { cacheDir: join(MODELS, '..', '.cache', 'edgeserve') })),
    ...wasmImages(),
  };
}

/** The detector and embedder the face pipeline runs (models/face/config.json, when present). */
function servedFaceModels(): { detect: string; embed: string } {
  const job = join(MODELS, 'face', 'config.json');
  if (!existsSync(job)) return { detect: 'face_detect', embed: 'face_embed' };
  const f = JSON.parse(readFileSync(job, 'utf8')).face;
  return { detect: f.detector.model, embed: f.embedder.model };
}

/** Whether `name` is a derived (quantized) model. */
function isQuantized(name: string): boolean {
  const src = ModelSource.safeParse(JSON.parse(readFileSync(join(MODELS, name, 'config.json'), 'utf8')).source);
  return src.success && 'quantize' in src.data;
}

async function gateOf(model: string) {
  const d = derivation(model);
  const { bytes } = await derive(d, await wasmSessions());
  const samples = await gateSamples(d, native);
  const [a, b] = [await native(await d.repo.weights(model)), await native(bytes)];
  try {
    return await runGate(d, a, b, samples);
  } finally {
    await Promise.all([a.release(), b.release()]);
  }
}

describe('INT8 face models: served exactly when the gate passes', () => {
  const served = servedFaceModels();

  test('detector', async () => {
    const g = (await gateOf('face_detect')) as DetectorGate;
    console.log(gateLines(g).join('\n'));
    expect(g.kind).toBe('detector');
    expect(g.samples.length).toBe(32); // 8 photos x (as is, mirrored) x (whole, zoom 0.75)
    expect(g.samples.filter((s) => s.heldOut).length).toBe(20);
    // Every human face in the photos is still found (the failures are box precision and the cat).
    for (const s of g.samples.filter((x) => x.label.startsWith('astronaut'))) expect([s.fp32, s.int8]).toEqual([1, 1]);
    expect(isQuantized(served.detect)).toBe(g.pass);
  }, 60_000);

  test('embedder (faces aligned as the face job aligns them)', async () => {
    const g = (await gateOf('face_embed')) as EmbedderGate;
    console.log(gateLines(g).join('\n'));
    expect(g.kind).toBe('embedder');
    expect(g.genuine + g.impostor).toBe((g.faces.length * (g.faces.length - 1)) / 2);
    expect(g.fp32Errors).toBe(0);
    expect(g.changed).toEqual([]);
    expect(g.minCosine).toBeGreaterThan(0.9);
    expect(isQuantized(served.embed)).toBe(g.pass);
  }, 60_000);
});

test('the embedder gate embeds the faces the given FaceInputs returns', async () => {
  const d = derivation('face_embed');
  d.recipe = {
    ...d.recipe,
    gate: { ...d.recipe.gate, images: ['../../test/fixtures/astronaut.png'], augment: { flip: false, zoom: [1] } } as typeof d.recipe.gate,
  };
  const calls: string[] = [];
  const samples = await gateSamples(d, native, async (img) => {
    calls.push(img.name);
    return [
      [180, 60, 270, 150],
      [100, 100, 200, 200],
    ];
  });
  expect(calls).toEqual(['astronaut.png']);
  expect(samples.map((s) => [s.label, s.size.width, s.identity])).toEqual([
    ['astronaut.png face 1', 90, 'eileen_collins'],
    ['astronaut.png face 2', 100, 'eileen_collins'],
  ]);
  // Finished inputs (an aligned face, as the face job will feed the embedder) pass through as given.
  const aligned = { data: Float32Array.from({ length: 3 * 112 * 112 }, (_, i) => (i % 97) / 97), shape: [3, 112, 112] };
  const [s] = await gateSamples(d, native, async () => [aligned]);
  expect(s.feeds.input.data).toBe(aligned.data);
  expect(s.feeds.input.dims).toEqual([1, 3, 112, 112]);
}, 30_000);
