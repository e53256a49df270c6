// The PRelu rewrite on the real face embedder (fr_feature.onnx): every PRelu is replaced, the
// bytes are the same on every run, and on the real aligned faces the face job embeds (the
// embedder gate's faces: every fixture, mirrored and zoomed, detected, 68 landmarks, 5-point
// warp) 'relu-min' gives exactly FP32's outputs and 'min-add' the same embedding within float
// rounding (cosine ≥ 0.9999), on onnxruntime-node as served. Through the loader chain, a
// config's `rewrite_prelu` is applied and named in the load notes, and left out on
// onnxruntime-web (where the rewritten model is the slower one).

import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { ModelConfig } from '../../core/model-config.ts';
import { LocalLoader } from '../../engine/local-loader.ts';
import { nodeBackend } from '../../engine/onnxruntime-node.ts';
import { webBackend } from '../../engine/onnxruntime-web.ts';
import { fsRepoAccess, pullSibling, wasmImages } from '../../runtime/pull/derive.ts';
import { type Derivation, gateSamples } from '../quantize/pipeline.ts';
import { parseModel } from '../quantize/graph.ts';
import { parseRecipe } from '../quantize/recipe.ts';
import { ortSessions } from '../quantize/session.ts';
import { rewritePrelu } from './prelu.ts';

const MODELS = resolve(import.meta.dir, '..', '..', '..', 'models');
const FILE = join(MODELS, 'face_embed', '1', 'model.onnx');
if (!existsSync(FILE)) throw new Error(`${FILE} is missing: run \`npm run pull\` first`);
const fp32 = new Uint8Array(readFileSync(FILE));
const native = ortSessions(ortNode, 'native');

const ops = (b: Uint8Array) => parseModel(b).graph.nodes.reduce((m, n) => m.set(n.opType, (m.get(n.opType) ?? 0) + 1), new Map<string, number>());

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** The aligned faces the embedder gate uses (models/face_embed/quantize.json's gate images). */
async function alignedFaces() {
  const dir = join(MODELS, 'face_embed');
  const recipe = parseRecipe(JSON.parse(readFileSync(join(dir, 'quantize.json'), 'utf8')), join(dir, 'quantize.json'));
  const d: Derivation = {
    model: 'face_embed',
    base: 'face_embed',
    recipe,
    repo: fsRepoAccess(MODELS, dir, pullSibling(MODELS, { cacheDir: join(MODELS, '..', '.cache', 'edgeserve') })),
    ...wasmImages(),
  };
  return gateSamples(d, native);
}

describe('PRelu rewrite (face embedder)', () => {
  test('replaces all 33 PRelus, deterministically', () => {
    const before = ops(fp32);
    expect(before.get('PRelu')).toBe(33);
    for (const form of ['relu-min', 'min-add'] as const) {
      const r = rewritePrelu(fp32, form);
      expect(r.rewritten).toBe(33);
      expect(r.kept).toEqual([]);
      const after = ops(r.bytes);
      expect(after.get('PRelu')).toBeUndefined();
      expect(after.get('Min')).toBe(33);
      expect(after.get('Conv')).toBe(before.get('Conv'));
      expect(Bun.hash(rewritePrelu(fp32, form).bytes)).toBe(Bun.hash(r.bytes));
    }
  });

  test('on real aligned faces: relu-min equals FP32 exactly, min-add within float rounding', async () => {
    const samples = await alignedFaces();
    expect(samples.length).toBeGreaterThanOrEqual(10);
    const ref = await native(fp32);
    const exact = await native(rewritePrelu(fp32, 'relu-min').bytes);
    const close = await native(rewritePrelu(fp32, 'min-add').bytes);
    try {
      let worst = 1;
      for (const s of samples) {
        const a = (await ref.run(s.feeds)).output.data;
        const b = (await exact.run(s.feeds)).output.data;
        const c = (await close.run(s.feeds)).output.data;
        expect(b).toEqual(a);
        worst = Math.min(worst, cosine(a, c));
      }
      expect(worst).toBeGreaterThanOrEqual(0.9999);
    } finally {
      await Promise.all([ref.release(), exact.release(), close.release()]);
    }
  }, 120_000);

  test('a config with rewrite_prelu loads rewritten, and says so', async () => {
    // Tensors in, tensors out: the image section (decoding) is not what this checks.
    const { image: _image, ...raw } = JSON.parse(readFileSync(join(MODELS, 'face_embed', 'config.json'), 'utf8'));
    const loader = new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: 1, calibrateBatches: false });
    const plain = await loader.load('face_embed', '1', ModelConfig.parse({ ...raw, rewrite_prelu: undefined }), fp32);
    const rewritten = await loader.load('face_embed', '1', ModelConfig.parse({ ...raw, rewrite_prelu: 'relu-min' }), fp32);
    try {
      expect(rewritten.notes?.[0]).toBe('rewrite_prelu relu-min: 33 PRelu rewritten');
      expect(plain.notes?.some((n) => n.includes('rewrite_prelu')) ?? false).toBe(false);
      const x = new Float32Array(3 * 112 * 112).map((_, i) => Math.sin(i * 0.37));
      const item = { inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 3, 112, 112], data: x }], outputs: ['output'] };
      const [a, b] = await Promise.all([plain.instances[0].execute([item]), rewritten.instances[0].execute([item])]);
      const out = (r: typeof a) => {
        const o = r.results[0];
        if ('error' in o) throw new Error(o.error.message);
        return o.outputs[0].data;
      };
      expect(out(b)).toEqual(out(a));
    } finally {
      await Promise.all([...plain.instances, ...rewritten.instances].map((i) => i.dispose()));
    }
  });

  test('onnxruntime-web loads the file as it is, and says why', async () => {
    const { image: _image, ...raw } = JSON.parse(readFileSync(join(MODELS, 'face_embed', 'config.json'), 'utf8'));
    const loader = new LocalLoader({ backend: () => webBackend(), defaultInstances: 1, intraOpThreads: 1, calibrateBatches: false });
    const loaded = await loader.load('face_embed', '1', ModelConfig.parse({ ...raw, rewrite_prelu: 'relu-min' }), fp32);
    try {
      expect(loaded.notes?.[0]).toBe('rewrite_prelu relu-min: not applied on onnxruntime-web (PRelu is not slower there)');
    } finally {
      await Promise.all(loaded.instances.map((i) => i.dispose()));
    }
  });
});
