// One in-process face job host for the verify benchmark (verify.ts): a worker thread that
// loads a model repository with the same LocalLoader, face platform, engine (onnxruntime-node,
// one intra-op thread, one instance) and native decoder as a pool worker, then runs verifies
// the way one pool worker runs them: image1's face job, then image2's, one after the other.
// It reports the job's own stage timings (face-job.ts: decode, detect, landmarks, align,
// embed, liveness), taken on a CPU clock (below), and the CPU and wall time of the whole run.
// A worker, so the native addon never loads on the bench's main thread (see PITFALLS: Bun).

import { parentPort } from 'node:worker_threads';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { assembleCore } from '../runtime/assemble.ts';
import { FsRepository } from '../runtime/fs-repository.ts';
import { nativeTensorizer } from '../runtime/native-image.ts';
import { facePlatforms } from '../tasks/faces/pipeline-loader.ts';
import { FaceService } from '../tasks/faces/service.ts';

export type VerifyToWorker =
  | { type: 'load'; models: string; maxImagePixels: number }
  | { type: 'run'; images: [Uint8Array, Uint8Array]; verifies: number; liveness: boolean };

export type VerifyFromWorker =
  | { type: 'ready' }
  | { type: 'done'; stagesUs: Record<string, number>; cpuUs: number; wallUs: number; verifies: number; similarity: number }
  | { type: 'error'; message: string };

const port = parentPort!;
let service: FaceService | undefined;

// The face job times its stages with performance.now(); here that clock is made the process's
// CPU time (getrusage: every thread of this process, so the decoder's thread pool counts too,
// while the bench's main thread and the other variant's worker sit idle), so each stage reads
// as the CPU it took even on a box other work is using. Only in this benchmark worker.
const cpuNowMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
Object.defineProperty(performance, 'now', { value: cpuNowMs, configurable: true });
const wallNow = () => Date.now();

async function load(m: Extract<VerifyToWorker, { type: 'load' }>): Promise<void> {
  const tensorizer = nativeTensorizer({ maxPixels: m.maxImagePixels });
  const loader = new LocalLoader({
    backend: () => nodeBackend(),
    defaultInstances: 1,
    intraOpThreads: 1,
    tensorizer,
    calibrateBatches: false,
    platforms: facePlatforms({ tensorizer: async () => tensorizer, maxPixels: m.maxImagePixels, defaultInstances: 1 }),
  });
  const { dataPlane, load: loadAll } = assembleCore({ repository: new FsRepository(m.models), loader, log: () => {}, maxQueueSize: 64, defaultInstances: 1 });
  await loadAll();
  service = new FaceService(dataPlane);
  port.postMessage({ type: 'ready' } satisfies VerifyFromWorker);
}

async function run(m: Extract<VerifyToWorker, { type: 'run' }>): Promise<void> {
  if (!service) throw new Error('run before load');
  const stagesUs: Record<string, number> = {};
  let similarity = Number.NaN;
  const u0 = process.cpuUsage();
  const t0 = wallNow();
  for (let i = 0; i < m.verifies; i++) {
    const e: Float32Array[] = [];
    for (const img of m.images) {
      const a = await service.analyze(img, { liveness: m.liveness });
      if (!a.embeddings.length) throw new Error('no face embedded: the verify benchmark needs a face in each image');
      e.push(a.embeddings[0]);
      for (const [k, v] of Object.entries(a.stages)) stagesUs[k] = (stagesUs[k] ?? 0) + v;
    }
    similarity = e[0].reduce((s, x, j) => s + x * e[1][j], 0);
  }
  const u = process.cpuUsage(u0);
  port.postMessage({
    type: 'done',
    stagesUs,
    cpuUs: u.user + u.system,
    wallUs: (wallNow() - t0) * 1000,
    verifies: m.verifies,
    similarity,
  } satisfies VerifyFromWorker);
}

port.on('message', (m: VerifyToWorker) => {
  const p = m.type === 'load' ? load(m) : run(m);
  p.catch((e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies VerifyFromWorker));
});
