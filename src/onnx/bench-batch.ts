// Measures what batching buys: one batch-N run of the edited model vs N batch-1 runs of the
// original, same inputs, same session options (one thread by default). Run directly:
//   bun src/onnx/bench-batch.ts path/to/model.onnx [batch=4] [rounds=200]

import { makeBatchDimSymbolic } from './batchable.ts';
import { readModelIO } from './model-info.ts';

type Ort = Pick<typeof import('onnxruntime-node'), 'InferenceSession' | 'Tensor'>;

export interface BatchTiming {
  batch: number;
  singlesMs: { median: number; p90: number };
  batchedMs: { median: number; p90: number };
}

/** FP32 single-input models only (what the face models are); enough to answer "does batching pay?". */
export async function timeBatching(ort: Ort, original: Uint8Array, batch = 4, rounds = 200, threads = 1): Promise<BatchTiming> {
  const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 as const };
  const [input] = readModelIO(original).inputs;
  if (!input || input.datatype !== 'FP32') throw new Error('timeBatching supports one FP32 input');
  const dims = input.shape.slice(1).map(Number);
  const per = dims.reduce((a, b) => a * b, 1);
  const single = await ort.InferenceSession.create(original, opts);
  const batched = await ort.InferenceSession.create(makeBatchDimSymbolic(original), opts);
  const data = Float32Array.from({ length: batch * per }, () => Math.random() * 2 - 1);
  const items = Array.from({ length: batch }, (_, i) => new ort.Tensor('float32', data.slice(i * per, (i + 1) * per), [1, ...dims]));
  const all = new ort.Tensor('float32', data, [batch, ...dims]);
  const a: number[] = [];
  const b: number[] = [];
  const warmup = Math.min(20, rounds);
  // Interleaved so drift (thermal, other load) hits both sides alike.
  for (let r = 0; r < rounds + warmup; r++) {
    let t = performance.now();
    for (const x of items) await single.run({ [input.name]: x });
    const ta = performance.now() - t;
    t = performance.now();
    await batched.run({ [input.name]: all });
    const tb = performance.now() - t;
    if (r >= warmup) {
      a.push(ta);
      b.push(tb);
    }
  }
  return { batch, singlesMs: stats(a), batchedMs: stats(b) };
}

function stats(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((p, q) => p - q);
  return { median: s[s.length >> 1], p90: s[Math.floor(s.length * 0.9)] };
}

if (import.meta.main) {
  const [path, batch = '4', rounds = '200'] = process.argv.slice(2);
  if (!path) throw new Error('usage: bun src/onnx/bench-batch.ts model.onnx [batch] [rounds]');
  const ort = await import('onnxruntime-node');
  const bytes = new Uint8Array(await Bun.file(path).arrayBuffer());
  const t = await timeBatching(ort, bytes, Number(batch), Number(rounds));
  const f = (x: { median: number; p90: number }) => `median ${x.median.toFixed(2)} ms, p90 ${x.p90.toFixed(2)} ms`;
  console.log(`${t.batch} x batch-1 (original): ${f(t.singlesMs)}\nbatch-${t.batch} (edited): ${f(t.batchedMs)}`);
}
