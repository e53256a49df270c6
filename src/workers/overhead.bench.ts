// What the worker hop costs: round-trip latency of a pool execute vs an in-process LocalInstance
// (same engine, same threads) for `simple` and a 1x3x240x320 FP32 face_detect tensor, and
// throughput with several requests outstanding. Run: bun src/workers/overhead.bench.ts
// Each configuration runs in its own process so sessions and threads never overlap.

import { availableParallelism } from 'node:os';
import type { ExecutionItem, ModelInstance } from '../core/instance.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { loadFaceModel } from '../onnx/testing.ts';
import { simpleItem, simpleModel } from './testing.ts';

type Mode = { kind: 'local' | 'pool'; workers: number; threads: number };

const MODES: Mode[] = [
  { kind: 'local', workers: 1, threads: 1 },
  { kind: 'pool', workers: 1, threads: 1 },
  { kind: 'pool', workers: 2, threads: 1 },
  { kind: 'local', workers: 1, threads: 2 },
  { kind: 'pool', workers: 1, threads: 2 },
];

function workload(model: string): { config: ModelConfig; bytes: Uint8Array; item: ExecutionItem } | undefined {
  if (model === 'simple') return { ...simpleModel(), item: simpleItem(1, 1) };
  const bytes = loadFaceModel('face_detect');
  if (!bytes) return undefined;
  const config = { name: 'face_detect', max_batch_size: 0, input: [], output: [], version_policy: { latest: { num_versions: 1 } } } as ModelConfig;
  const data = Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => Math.sin(i));
  return { config, bytes, item: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 240, 320], data }], outputs: ['scores', 'boxes'] } };
}

async function instancesFor(mode: Mode, w: NonNullable<ReturnType<typeof workload>>): Promise<{ instances: ModelInstance[]; close: () => Promise<void> }> {
  if (mode.kind === 'local') {
    const { LocalLoader } = await import('../engine/local-loader.ts');
    const { nodeBackend } = await import('../engine/onnxruntime-node.ts');
    const loader = new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: mode.threads });
    const { instances } = await loader.load('m', '1', w.config, w.bytes);
    return { instances, close: async () => {} };
  }
  const { WorkerPool } = await import('./pool.ts');
  const { WorkerLoader } = await import('./worker-loader.ts');
  const pool = new WorkerPool({ workers: mode.workers, engine: 'onnxruntime-node', intraOpThreads: mode.threads, maxImagePixels: 1e6 });
  const { instances } = await new WorkerLoader(pool).load('m', '1', w.config, w.bytes);
  return { instances, close: () => pool.dispose() };
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function measure(model: string, mode: Mode): Promise<string> {
  const w = workload(model);
  if (!w) return `${model}: model not found, skipped`;
  const { instances, close } = await instancesFor(mode, w);
  const n = model === 'simple' ? 3000 : 400;
  for (let i = 0; i < n / 10; i++) await instances[0].execute([w.item]); // warm up
  // Latency: one request at a time on instance 0.
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await instances[0].execute([w.item]);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  // Throughput: every instance kept busy, as the scheduler would with a full queue.
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    instances.map(async (inst) => {
      while (done < n) {
        done++;
        await inst.execute([w.item]);
      }
    }),
  );
  const rps = n / ((performance.now() - t0) / 1000);
  await close();
  const name = `${mode.kind}${mode.kind === 'pool' ? ` ${mode.workers}w` : ''} x${mode.threads}t`;
  return `${model.padEnd(11)} ${name.padEnd(14)} p50 ${pct(lat, 0.5).toFixed(3)} ms  p99 ${pct(lat, 0.99).toFixed(3)} ms  mean ${(lat.reduce((a, b) => a + b, 0) / n).toFixed(3)} ms  ${rps.toFixed(0)} req/s`;
}

const [model, kind, workers, threads] = process.argv.slice(2);
if (model) {
  console.log(await measure(model, { kind: kind as Mode['kind'], workers: Number(workers), threads: Number(threads) }));
  process.exit(0);
}
console.log(`bun ${Bun.version}, ${availableParallelism()} cores`);
for (const m of ['simple', 'face_detect']) {
  for (const mode of MODES) {
    const p = Bun.spawnSync([process.execPath, import.meta.path, m, mode.kind, String(mode.workers), String(mode.threads)], { stderr: 'inherit' });
    process.stdout.write(p.stdout.toString());
  }
}
