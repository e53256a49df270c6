// One contract suite for every Backend: onnxruntime-node (native) and onnxruntime-web (WASM)
// must load the same models and agree — exactly on `simple`, within 1e-3 on the face models fed
// a real photo's tensor.

import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../core/tensor.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';
import { preprocess } from '../image/preprocess.ts';
import { ImagePreprocessing } from '../core/model-config.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import type { Backend } from './backend.ts';
import { nodeBackend } from './onnxruntime-node.ts';
import { webBackend } from './onnxruntime-web.ts';

const ROOT = join(import.meta.dir, '..', '..');
const model = (m: string) => new Uint8Array(readFileSync(join(ROOT, 'models', m, '1', 'model.onnx')));

async function photoTensor(file: string, width: number, height: number): Promise<Tensor> {
  const img = await createCanvasDecoder().decode(new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', file))));
  const spec = ImagePreprocessing.parse({ width, height, mean: 127, std: 128 });
  const p = preprocess(img, spec);
  return { name: 'input', datatype: 'FP32', shape: [1, ...p.shape], data: p.data as Float32Array };
}

const backends: Backend[] = [nodeBackend(), webBackend()];
const results: Record<string, Record<string, Tensor[]>> = {};

for (const backend of backends) {
  describe(backend.name, () => {
    test('simple: metadata and exact sums/differences', async () => {
      const s = await backend.createSession(buildSimpleModel(), { intraOpThreads: 1 });
      expect(s.inputs).toEqual([
        { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
      ]);
      const a = Int32Array.from({ length: 32 }, (_, i) => i * 1000);
      const b = Int32Array.from({ length: 32 }, (_, i) => 7 - i);
      const [o0, o1] = await s.run(
        [
          { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], data: a },
          { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], data: b },
        ],
        ['OUTPUT0', 'OUTPUT1'],
      );
      expect(o0.shape).toEqual([2, 16]);
      expect([...(o0.data as Int32Array)]).toEqual([...a].map((x, i) => x + b[i]));
      expect([...(o1.data as Int32Array)]).toEqual([...a].map((x, i) => x - b[i]));
      (results[backend.name] ??= {}).simple = [o0, o1];
      await s.release();
    });

    test('face_detect and face_embed on a real photo', async () => {
      const det = await backend.createSession(model('face_detect'), { intraOpThreads: 1 });
      expect(det.outputs.map((o) => [o.name, o.shape])).toEqual([
        ['scores', [1, 4420, 2]],
        ['boxes', [1, 4420, 4]],
      ]);
      const d = await det.run([await photoTensor('astronaut.jpg', 320, 240)], ['scores', 'boxes']);
      const emb = await backend.createSession(model('face_embed'), { intraOpThreads: 1 });
      const e = await emb.run([await photoTensor('astronaut.jpg', 112, 112)], ['output']);
      expect(e[0].shape).toEqual([1, 512]);
      (results[backend.name] ??= {}).faces = [...d, ...e];
      await det.release();
      await emb.release();
    });
  });
}

describe('the engines agree', () => {
  test('simple exactly; face models within 1e-3', () => {
    const [n, w] = backends.map((b) => results[b.name]);
    expect(n.simple.map((t) => [...(t.data as Int32Array)])).toEqual(w.simple.map((t) => [...(t.data as Int32Array)]));
    for (let k = 0; k < n.faces.length; k++) {
      const x = n.faces[k].data as Float32Array;
      const y = w.faces[k].data as Float32Array;
      let max = 0;
      for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
      expect({ output: n.faces[k].name, max: max <= 1e-3 }).toEqual({ output: n.faces[k].name, max: true });
    }
  });
});
