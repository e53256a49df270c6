// The quantizer on the real face detector (fr_detect.onnx, opset 9): deterministic bytes, the
// QDQ layout ONNX Runtime fuses (checked in the graph ORT itself writes out), Relus implied by
// their Q, exclusions left in FP32, and calibration methods that stay inside the data.

import { beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { ImagePreprocessing } from '../../core/model-config.ts';
import { createJsquashDecoder } from '../../image/decoders/jsquash.ts';
import { nodeJsquashWasm } from '../../runtime/jsquash-wasm.ts';
import { createImageTensorizer } from '../../image/tensorizer.ts';
import { rangesFor } from './calibrate.ts';
import { type FileAccess, optimizedGraph } from './inspect.ts';
import { build, prepareQuantization, type Prepared } from './quantize.ts';
import { imageSamples } from './samples.ts';
import { ortSessions } from './session.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const MODEL = join(ROOT, 'models', 'face_detect', '1', 'model.onnx');
if (!existsSync(MODEL)) throw new Error(`${MODEL} is missing: run \`npm run pull\` first`);
const fp32 = new Uint8Array(readFileSync(MODEL));
const spec = ImagePreprocessing.parse(JSON.parse(readFileSync(join(ROOT, 'models', 'face_detect', 'config.json'), 'utf8')).image);
const tz = createImageTensorizer(createJsquashDecoder(nodeJsquashWasm()), { downscaleHint: false });
const image = (f: string) => ({ name: f, bytes: new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', f))) });

ortWeb.env.wasm.numThreads = 1;
const wasm = ortSessions(ortWeb, 'wasm');
const native = ortSessions(ortNode, 'native');
const files: FileAccess = {
  read: async (p) => new Uint8Array(readFileSync(p)),
  list: async (dir, prefix) =>
    readdirSync(dir)
      .filter((n) => n.startsWith(prefix))
      .map((n) => join(dir, n)),
  remove: async (p) => rmSync(p, { force: true }),
};

let prepared: Prepared;
beforeAll(async () => {
  const samples = await imageSamples([image('camera.png'), image('coffee.png')], spec, tz, { flip: true });
  prepared = await prepareQuantization(
    fp32,
    samples.map((s) => s.feeds),
    wasm,
  );
}, 60_000);

describe('quantizing fr_detect', () => {
  test('upgraded to opset 13 without changing the outputs', () => {
    expect(prepared.upgrade.from).toBe(9);
    expect(prepared.upgrade.changes.length).toBe(15); // 8 Unsqueeze, 6 Slice, 1 Softmax
    expect(prepared.upgradeMaxDiff).toBe(0);
  });

  test('same inputs, same bytes (the derived model sha256 is reproducible)', async () => {
    const a = build(prepared, { calibration: { method: 'minmax' } }).bytes;
    const again = await prepareQuantization(
      fp32,
      (await imageSamples([image('camera.png'), image('coffee.png')], spec, tz, { flip: true })).map((s) => s.feeds),
      wasm,
    );
    expect(Buffer.from(build(again, { calibration: { method: 'minmax' } }).bytes).equals(Buffer.from(a))).toBe(true);
    expect(a.length).toBeLessThan(fp32.length * 0.45);
  }, 30_000);

  test('every Conv is quantized; a Relu after a Conv is implied by a Q that starts at 0', () => {
    const b = build(prepared, { calibration: { method: 'minmax' } });
    expect(b.plan.nodes.length).toBe(52);
    expect(b.plan.skipped).toEqual([]);
    const reluOut = b.plan.tensors.find((t) => t.name === '247'); // Relu_1 after Conv_0
    expect(reluOut?.nonNegative).toBe(true);
    expect(b.qdq.activations.get('247')?.zeroPoint).toBe(0);
    // Graph outputs stay FP32.
    expect(b.plan.tensors.some((t) => t.name === 'scores' || t.name === 'boxes')).toBe(false);
  });

  test('ONNX Runtime fuses every quantized Conv into QLinearConv (its own optimized graph)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeserve-fusion-'));
    try {
      const all = await optimizedGraph(native, build(prepared, { calibration: { method: 'minmax' } }).bytes, join(dir, 'int8.onnx'), files);
      expect(all.int8Kernels).toBe(52);
      expect(all.ops['com.microsoft:QLinearConv']).toBe(52);
      expect(all.fp32WeightOps).toBe(0);
      const excluded = await optimizedGraph(
        native,
        build(prepared, { calibration: { method: 'minmax' }, exclude: ['Conv_0', '530'] }).bytes,
        join(dir, 'ex.onnx'),
        files,
      );
      // Conv_0 by node name, Conv_26 by its output tensor; Conv_24 goes with them: its output
      // (through a Relu) is also read in FP32 by Conv_26, so it cannot end in a Q alone.
      expect(excluded.int8Kernels).toBe(49);
      expect(excluded.fp32WeightOps).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test('percentile, entropy and mse ranges lie within min/max and hold zero', () => {
    const minmax = rangesFor(prepared.stats, { method: 'minmax' });
    for (const m of [{ method: 'percentile', percentile: 99.9 }, { method: 'entropy' }, { method: 'mse' }] as const) {
      const r = rangesFor(prepared.stats, m);
      let narrower = 0;
      for (const [t, mm] of minmax) {
        const x = r.get(t)!;
        expect(x.lo).toBeGreaterThanOrEqual(mm.lo);
        expect(x.hi).toBeLessThanOrEqual(mm.hi);
        if (x.hi < mm.hi) narrower++;
      }
      expect(narrower).toBeGreaterThan(0);
    }
  });

  test('the INT8 detector still finds the face at the same place (native, 7-bit weights)', async () => {
    const [a, b] = [await native(fp32), await native(build(prepared, { calibration: { method: 'minmax' }, reduceRange: true }).bytes)];
    const [s] = await imageSamples([image('astronaut.png')], spec, tz);
    const [oa, ob] = [await a.run(s.feeds), await b.run(s.feeds)];
    const best = (o: typeof oa) => {
      let k = 0;
      for (let i = 1; i < o.scores.data.length / 2; i++) if (o.scores.data[i * 2 + 1] > o.scores.data[k * 2 + 1]) k = i;
      return { score: o.scores.data[k * 2 + 1], box: Array.from(o.boxes.data.subarray(k * 4, k * 4 + 4)) };
    };
    const [fa, fb] = [best(oa), best(ob)];
    expect(fb.score).toBeGreaterThan(0.95);
    for (let i = 0; i < 4; i++) expect(Math.abs(fb.box[i] - fa.box[i])).toBeLessThan(0.03);
  });
});
