// WorkerLoader: the ModelLoader that places a model's instances on the worker pool and hands
// the registry RemoteInstance proxies. The scheduler cannot tell them from in-process instances.
// A proxy names a slot, not a worker: after a crash its requests go to the slot's replacement.
// While the replacement starts, execute() waits up to the pool's restartWaitMs (2 s) rather than
// failing at once: a failing instance returns to the scheduler's idle list first and would
// otherwise drain the whole queue into 503s while the healthy workers are busy.
//
// Pipelining: each session gets `pipelineDepth` proxies (default 2), so the scheduler keeps up
// to that many requests on it at once. A worker then decodes the next image (on Bun's thread
// pool) while the current one runs inference on the worker thread, and never sits idle waiting
// for the main thread to hand it the next request. Measured on 2 cores (face detector, 2
// workers): +10-15% served throughput at c >= 8 with one session per worker, the same gain as a
// second session per worker without its memory. Proxies are listed round-robin (every session's
// first proxy, then every second one), so instances[i] for i < sessions is session i.

import type { TensorMetadata } from '../core/inference.ts';
import type { ExecutionBatchResult, ExecutionItem, ModelInstance } from '../core/instance.ts';
import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { instanceCount } from '../engine/onnx-loader.ts';
import { platformOf } from '../engine/platforms.ts';
import type { WorkerPool } from './pool.ts';

export interface WorkerLoaderOptions {
  /** Instances when instance_group does not say; 0 or absent = one per worker. */
  defaultInstances?: number;
  /** Requests the scheduler may have on one session at once (default 2; 1 = no overlap). */
  pipelineDepth?: number;
}

/** One session on one worker, shared by its proxies; freed when the last proxy is disposed. */
interface Session {
  slot: number;
  index: number;
  proxies: number;
}

class RemoteInstance implements ModelInstance {
  private disposed = false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly session: Session,
    private readonly key: string,
    private readonly onDispose: () => void,
  ) {}

  get slot(): number {
    return this.session.slot;
  }

  execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    return this.pool.execute(this.session.slot, this.key, this.session.index, items);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (--this.session.proxies > 0) return;
    this.onDispose();
    await this.pool.unload(this.session.slot, this.key, this.session.index);
  }
}

/**
 * Slots for k instances: each goes to the slot holding the fewest instances so far (lowest index
 * on ties), i.e. instance i on worker i % N when the pool starts balanced, and a second
 * single-instance model lands on another worker than the first.
 */
export function placeInstances(k: number, load: readonly number[]): number[] {
  const counts = [...load];
  return Array.from({ length: k }, () => {
    const slot = counts.indexOf(Math.min(...counts));
    counts[slot]++;
    return slot;
  });
}

export class WorkerLoader implements ModelLoader {
  private seq = 0;
  private readonly placed: number[];

  constructor(
    private readonly pool: WorkerPool,
    private readonly opts: WorkerLoaderOptions = {},
  ) {
    this.placed = new Array<number>(pool.size).fill(0);
  }

  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    const k = instanceCount(config, this.opts.defaultInstances || this.pool.size);
    const key = `${name}/${version}#${++this.seq}`;
    const slots = placeInstances(k, this.placed);
    const perSlot = new Map<number, number>();
    const local = slots.map((s) => {
      const i = perSlot.get(s) ?? 0;
      perSlot.set(s, i + 1);
      return i;
    });
    const loads = [...perSlot].map(([slot, instances]) => this.pool.load(slot, { key, name, version, config, bytes, instances }).then((io) => ({ slot, io })));
    const settled = await Promise.allSettled(loads);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      // All or nothing: free the sessions the other workers did create.
      await Promise.all(
        settled.flatMap((r) =>
          r.status === 'fulfilled' ? Array.from({ length: perSlot.get(r.value.slot)! }, (_, i) => this.pool.unload(r.value.slot, key, i)) : [],
        ),
      );
      throw failed.reason;
    }
    const io = (settled[0] as PromiseFulfilledResult<{ io: Omit<LoadedModel, 'instances'> }>).value.io;
    for (const s of slots) this.placed[s]++;
    const depth = Math.max(1, this.opts.pipelineDepth ?? 2);
    const sessions: Session[] = slots.map((slot, i) => ({ slot, index: local[i], proxies: depth }));
    const instances = Array.from({ length: depth }, () =>
      sessions.map(
        (s) =>
          new RemoteInstance(this.pool, s, key, () => {
            this.placed[s.slot]--;
          }),
      ),
    ).flat();
    return { instances, inputs: io.inputs, outputs: io.outputs, config: io.config, notes: io.notes, warnings: io.warnings };
  }

  modelFile(config: ModelConfig): string | undefined {
    return platformOf(config).modelFile;
  }
}
