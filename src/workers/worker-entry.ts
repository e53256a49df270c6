// A pool worker: owns the engine sessions of the model instances placed on it. It runs the same
// loader chain as in-process serving (LocalLoader: image input → platform → engine), answers each
// request with a reply carrying the same reqId, and never lets an error escape: anything that
// does escape ends the worker, and the pool treats that as a crash. When workers are used this
// is the only place onnxruntime-node and the native image decoder are loaded (both are imported
// lazily, on the first load that needs them). Must stay an entrypoint of a compiled binary:
// `bun build --compile src/cli.ts src/workers/worker-entry.ts` (see workerEntryUrl in pool.ts).

import { parentPort } from 'node:worker_threads';
import type { Backend } from '../engine/backend.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { webBackend } from '../engine/onnxruntime-web.ts';
import type { ImageTensorizer } from '../engine/image-input.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { facePlatforms } from '../tasks/faces/pipeline-loader.ts';
import { unavailable } from '../core/errors.ts';
import type { ModelInstance } from '../core/instance.ts';
import { type FromWorker, type LoadSpec, type ToWorker, type WorkerSettings, toWire } from './messages.ts';
import { moveResults } from './transfer.ts';

const port = parentPort!; // always set: this file only runs as a worker

interface Held {
  instances: Array<ModelInstance | undefined>;
}

let settings: WorkerSettings | undefined;
let loader: LocalLoader | undefined;
let tensorizer: Promise<ImageTensorizer> | undefined;
const models = new Map<string, Held>();
/** Loads still creating sessions: an execute for such a key waits instead of failing. */
const loading = new Map<string, Promise<unknown>>();

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

/** The native decoder is imported on first need, so models without `image` never load it. */
function getTensorizer(): Promise<ImageTensorizer> {
  return (tensorizer ??= import('../runtime/native-image.ts').then((m) => m.nativeTensorizer({ maxPixels: settings!.maxImagePixels })));
}

function init(reqId: number, s: WorkerSettings): void {
  settings = s;
  const backends: Record<string, Backend> = { 'onnxruntime-node': nodeBackend(), 'onnxruntime-web': webBackend() };
  loader = new LocalLoader({
    backend: (c) => backends[c.engine ?? s.engine],
    defaultInstances: 1,
    intraOpThreads: s.intraOpThreads,
    // Resolved before any load that needs it (see load), so this proxy never waits long.
    tensorizer: { toTensor: async (...a) => (await getTensorizer()).toTensor(...a) },
    // The face job (one decode per image, its component models reached in this worker).
    platforms: facePlatforms({ tensorizer: getTensorizer, maxPixels: s.maxImagePixels, defaultInstances: 1 }),
  });
  post({ type: 'ready', reqId });
}

async function load(m: LoadSpec & { reqId: number }): Promise<void> {
  if (!loader) throw new Error('worker received a load before init');
  // Surface a missing or broken decoder at load time, not on the first request.
  if (m.config.image) await getTensorizer();
  const config = { ...m.config, instance_group: [{ count: m.instances, kind: 'KIND_CPU' as const }] };
  const p = loader.load(m.name, m.version, config, m.bytes);
  loading.set(m.key, p);
  try {
    const loaded = await p;
    models.set(m.key, { instances: loaded.instances });
    // The config as served, when loading changed it, with the caller's instance_group back.
    const served = loaded.config ? { ...loaded.config, instance_group: m.config.instance_group } : undefined;
    post({ type: 'loaded', reqId: m.reqId, inputs: loaded.inputs, outputs: loaded.outputs, config: served, notes: loaded.notes, warnings: loaded.warnings });
  } finally {
    loading.delete(m.key);
  }
}

async function execute(m: Extract<ToWorker, { type: 'execute' }>): Promise<void> {
  await loading.get(m.key)?.catch(() => {});
  const inst = models.get(m.key)?.instances[m.instanceIndex];
  if (!inst) throw unavailable(`model instance ${m.key}[${m.instanceIndex}] is not loaded in this worker`, 1);
  const batchResult = await inst.execute(m.items);
  post({ type: 'result', reqId: m.reqId, batchResult }, moveResults(batchResult));
}

async function unload(m: Extract<ToWorker, { type: 'unload' }>): Promise<void> {
  const held = models.get(m.key);
  if (held) {
    const idx = m.instanceIndex === undefined ? held.instances.map((_, i) => i) : [m.instanceIndex];
    for (const i of idx) {
      const inst = held.instances[i];
      held.instances[i] = undefined;
      await inst?.dispose();
    }
    if (held.instances.every((i) => i === undefined)) models.delete(m.key);
  }
  post({ type: 'unloaded', reqId: m.reqId });
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      return init(m.reqId, m.settings);
    case 'load':
      return load(m);
    case 'execute':
      return execute(m);
    case 'unload':
      return unload(m);
    case 'crash':
      return process.exit(1);
    case 'hang': {
      const end = performance.now() + m.ms;
      while (performance.now() < end);
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  handle(m).catch((err: unknown) => {
    if ('reqId' in m) post({ type: 'error', reqId: m.reqId, error: toWire(err) });
  });
});
