// make_batchable through the loader chain, on the real face models: the edited model is verified
// and then serves batches whose per-item outputs equal single runs; a model whose edit cannot be
// verified is served unbatched, and the load says why.

import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInstance } from '../core/instance.ts';
import { ModelConfig } from '../core/model-config.ts';
import { LocalLoader } from './local-loader.ts';
import { nodeBackend } from './onnxruntime-node.ts';

const ROOT = join(import.meta.dir, '..', '..');
const loader = new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: 1, calibrateBatches: false });

test('face_embed made batchable: a batch of 3 equals 3 single runs', async () => {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'models', 'face_embed', '1', 'model.onnx')));
  const config = ModelConfig.parse({ name: 'face_embed', max_batch_size: 4, make_batchable: true });
  const loaded = await loader.load('face_embed', '1', config, bytes);
  expect(loaded.config).toBeUndefined();
  expect(loaded.inputs[0].shape).toEqual([-1, 3, 112, 112]);
  expect(loaded.notes?.[0]).toContain('bit-identical');

  const items = [0.1, -0.3, 0.5].map((v) => ({
    inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 3, 112, 112], data: new Float32Array(3 * 112 * 112).map((_, i) => Math.sin(i * v)) }],
    outputs: ['output'],
  }));
  const inst: ModelInstance = loaded.instances[0];
  const batched = await inst.execute(items);
  for (let i = 0; i < items.length; i++) {
    const single = await inst.execute([items[i]]);
    const a = (batched.results[i] as { outputs: { data: Float32Array }[] }).outputs[0].data;
    const b = (single.results[0] as { outputs: { data: Float32Array }[] }).outputs[0].data;
    expect(a.length).toBe(512);
    expect([...a]).toEqual([...b]);
  }
  await inst.dispose();
});

test('make_batchable without max_batch_size is an error, not ignored', async () => {
  const bytes = new Uint8Array(readFileSync(join(ROOT, 'models', 'face_embed', '1', 'model.onnx')));
  const config = ModelConfig.parse({ name: 'face_embed', make_batchable: true });
  await expect(loader.load('face_embed', '1', config, bytes)).rejects.toThrow(/make_batchable: true needs max_batch_size > 0/);
});
