// T₀, the in-process ceiling: the face detector's whole per-image work (decode + preprocess +
// infer + post-process) with the served configuration's thread budget and no HTTP, no
// scheduler, no messages. `workers` worker threads each hold `pipelines` sessions of
// `intraOpThreads` threads and run them as closed loops, exactly the concurrency a pool worker
// sees; every thread starts on one signal and runs for the same time. T₀ img/s is the sum;
// T₀ per-image time is the median latency of a single pipeline running alone.

import { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../core/model-config.ts';
import { cpuSampler } from './cpu.ts';
import { summarize, type Summary } from './stats.ts';
import type { T0FromWorker, T0ToWorker } from './t0-worker.ts';

export interface T0Options {
  config: ModelConfig;
  model: Uint8Array;
  image: Uint8Array;
  workers: number;
  pipelinesPerWorker: number;
  intraOpThreads: number;
  maxImagePixels: number;
  durationMs: number;
  warmup?: number;
}

export interface T0Result {
  workers: number;
  pipelinesPerWorker: number;
  intraOpThreads: number;
  imagesPerSecond: number;
  latency: Summary;
  faces: number;
  /** Cores this process used, and cores other tenants of the box used, during the run. */
  selfCores: number;
  otherCores: number;
}

function reply(w: Worker, want: T0FromWorker['type']): Promise<T0FromWorker> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: T0FromWorker) => {
      w.off('message', onMsg);
      if (m.type === 'error') reject(new Error(`T₀ worker: ${m.message}`));
      else if (m.type !== want) reject(new Error(`T₀ worker answered ${m.type}, expected ${want}`));
      else resolve(m);
    };
    w.on('message', onMsg);
    w.once('error', reject);
  });
}

export async function measureT0(o: T0Options): Promise<T0Result> {
  const workers = Array.from({ length: o.workers }, (_, i) => new Worker(new URL('./t0-worker.ts', import.meta.url), { name: `t0 ${i}` }));
  try {
    const load: T0ToWorker = {
      type: 'load',
      config: o.config,
      model: o.model,
      image: o.image,
      intraOpThreads: o.intraOpThreads,
      pipelines: o.pipelinesPerWorker,
      maxImagePixels: o.maxImagePixels,
      warmup: o.warmup ?? 20,
    };
    // Loaded one after another, so warm-ups never overlap (they are not measured anyway).
    for (const w of workers) {
      const ready = reply(w, 'ready');
      w.postMessage(load);
      await ready;
    }
    const done = workers.map((w) => reply(w, 'done'));
    const u0 = process.cpuUsage();
    const cpu = cpuSampler();
    for (const w of workers) w.postMessage({ type: 'go', durationMs: o.durationMs } satisfies T0ToWorker);
    const results = (await Promise.all(done)) as Array<Extract<T0FromWorker, { type: 'done' }>>;
    const use = cpu.stop();
    const u1 = process.cpuUsage(u0);
    const latencies = results.flatMap((r) => r.latencies);
    return {
      workers: o.workers,
      pipelinesPerWorker: o.pipelinesPerWorker,
      intraOpThreads: o.intraOpThreads,
      imagesPerSecond: latencies.length / (o.durationMs / 1000),
      latency: summarize(latencies),
      faces: results[0]?.faces ?? 0,
      selfCores: (u1.user + u1.system) / 1e6 / (o.durationMs / 1000),
      otherCores: use.otherCores,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
