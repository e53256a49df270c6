// One T₀ pipeline host: a worker thread that does what a pool worker does for a face-detect
// request, minus every message and the HTTP around it. It loads the detector with the same
// LocalLoader, engine (onnxruntime-node), session options and image tensorizer as
// workers/worker-entry.ts, then runs `pipelines` closed loops of decode + preprocess + infer +
// decodeDetections over one encoded image and reports each image's latency. Runs in a worker
// so the native addon is never loaded on the bench's main thread (see PITFALLS: Bun).

import { parentPort } from 'node:worker_threads';
import type { ModelConfig } from '../core/model-config.ts';
import type { ModelInstance } from '../core/instance.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { nativeTensorizer } from '../runtime/native-image.ts';
import { decodeDetections } from '../tasks/faces/geometry.ts';
import { DEFAULT_DETECT } from '../tasks/faces/service.ts';

export type T0ToWorker =
  | {
      type: 'load';
      config: ModelConfig;
      model: Uint8Array;
      intraOpThreads: number;
      pipelines: number;
      maxImagePixels: number;
      image: Uint8Array;
      warmup: number;
    }
  | { type: 'go'; durationMs: number };

export type T0FromWorker = { type: 'ready' } | { type: 'done'; latencies: number[]; faces: number } | { type: 'error'; message: string };

const port = parentPort!;
let instances: ModelInstance[] = [];
let image: Uint8Array = new Uint8Array(0);
let input = 'input';

/** One request through a LocalInstance (the worker's own path) and the face post-processing. */
async function once(inst: ModelInstance): Promise<number> {
  const { results } = await inst.execute([{ inputs: [{ name: input, datatype: 'BYTES', shape: [1], data: [image] }], outputs: ['scores', 'boxes'] }]);
  const r = results[0];
  if ('error' in r) throw new Error(`${r.error.code}: ${r.error.message}`);
  const out = (n: string) => r.outputs.find((o) => o.name === n)!.data as Float32Array;
  const w = Number(r.parameters?.image_width);
  const h = Number(r.parameters?.image_height);
  return decodeDetections(out('scores'), out('boxes'), w, h, DEFAULT_DETECT).length;
}

async function load(m: Extract<T0ToWorker, { type: 'load' }>): Promise<void> {
  image = m.image;
  input = m.config.image?.input ?? 'input';
  const loader = new LocalLoader({
    backend: () => nodeBackend(),
    defaultInstances: m.pipelines,
    intraOpThreads: m.intraOpThreads,
    tensorizer: nativeTensorizer({ maxPixels: m.maxImagePixels }),
  });
  const config = { ...m.config, instance_group: [{ count: m.pipelines, kind: 'KIND_CPU' as const }] };
  ({ instances } = await loader.load('face_detect', '1', config, m.model));
  // Warm-up: JIT, allocator and ORT's first-run costs stay out of the measurement.
  for (let i = 0; i < m.warmup; i++) await Promise.all(instances.map((inst) => once(inst)));
  port.postMessage({ type: 'ready' } satisfies T0FromWorker);
}

async function go(durationMs: number): Promise<void> {
  const end = performance.now() + durationMs;
  const latencies: number[] = [];
  let faces = 0;
  await Promise.all(
    instances.map(async (inst) => {
      while (performance.now() < end) {
        const t = performance.now();
        faces = await once(inst);
        latencies.push(performance.now() - t);
      }
    }),
  );
  port.postMessage({ type: 'done', latencies, faces } satisfies T0FromWorker);
}

port.on('message', (m: T0ToWorker) => {
  const p = m.type === 'load' ? load(m) : go(m.durationMs);
  p.catch((e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies T0FromWorker));
});
