// One model version as the registry serves it, and how one comes and goes: build (read the file,
// run the loader chain, resolve inputs/outputs against config.json, put a scheduler in front,
// warm up every instance) and retire (stop admitting, drain what is queued or running, free the
// instances). A version that fails to build frees whatever it had created.

import type { TensorMetadata } from './inference.ts';
import type { ComponentRun, ModelInstance } from './instance.ts';
import type { ModelLoader } from './loader.ts';
import type { ModelConfig } from './model-config.ts';
import { resolveIO } from './model-io.ts';
import type { ModelRepository } from './repository.ts';
import { Scheduler } from './scheduler.ts';
import type { ModelStats } from './stats.ts';
import { runWarmup, warmupItems } from './warmup.ts';

export type VersionState = 'LOADING' | 'READY' | 'UNAVAILABLE' | 'UNLOADING';

export interface ServedVersion {
  version: string;
  state: VersionState;
  reason?: string;
  /** The config this version was loaded with (and as served: loading may have changed it). */
  config: ModelConfig;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  scheduler?: Scheduler;
  instances: ModelInstance[];
}

export interface BuildOptions {
  name: string;
  version: string;
  config: ModelConfig;
  /** The version directory's file, or undefined for a platform that needs none. */
  file: string | undefined;
  repo: ModelRepository;
  loader: ModelLoader;
  maxQueueSize: number;
  maxQueueWaitMs: number;
  /** Statistics to keep counting into (a reload of the same version keeps its counters). */
  stats?: ModelStats;
  onComponents?: (runs: ComponentRun[]) => void;
}

export type Built = { version: ServedVersion; notes: string[]; warnings: string[] } | { error: string };

export async function buildVersion(o: BuildOptions): Promise<Built> {
  let instances: ModelInstance[] = [];
  try {
    const { bytes, source } =
      o.file === undefined ? { bytes: new Uint8Array(0), source: `${o.name}/config.json` } : await o.repo.readModel(o.name, o.version, o.file);
    const loaded = await o.loader.load(o.name, o.version, o.config, bytes).catch((e: Error) => {
      throw new Error(`${source}: cannot load: ${e.message}`);
    });
    instances = loaded.instances;
    const config = loaded.config ?? o.config;
    const label = `${o.name}/config.json`;
    const inputs = resolveIO(config, config.input, loaded.inputs, 'input', label);
    const outputs = resolveIO(config, config.output, loaded.outputs, 'output', label);
    const db = config.dynamic_batching;
    const qp = db?.default_queue_policy;
    const scheduler = new Scheduler(
      instances,
      {
        maxBatchSize: config.max_batch_size,
        dynamicBatching:
          db && config.max_batch_size > 0 ? { maxQueueDelayUs: db.max_queue_delay_microseconds, preferredBatchSizes: db.preferred_batch_size } : undefined,
        maxQueueSize: qp?.max_queue_size ? Math.min(qp.max_queue_size, o.maxQueueSize) : o.maxQueueSize,
        maxQueueWaitMs: o.maxQueueWaitMs,
        defaultTimeoutUs: qp?.default_timeout_microseconds ?? 0,
        allowTimeoutOverride: qp?.allow_timeout_override ?? true,
        timeoutAction: qp?.timeout_action ?? 'REJECT',
        onComponents: o.onComponents,
      },
      o.stats,
    );
    await runWarmup(
      instances,
      await warmupItems(
        o.name,
        config,
        o.repo,
        outputs.map((t) => t.name),
      ),
    );
    return {
      version: { version: o.version, state: 'READY', config, inputs, outputs, scheduler, instances },
      notes: [...(loaded.notes ?? []), ...(config.model_warmup?.length ? [`warmed up (${config.model_warmup.map((w) => w.name).join(', ')})`] : [])],
      warnings: loaded.warnings ?? [],
    };
  } catch (e) {
    await Promise.all(instances.map((i) => i.dispose().catch(() => {})));
    return { error: (e as Error).message };
  }
}

/** Stops new work, lets queued and running requests finish, then frees the instances. */
export async function retireVersion(v: ServedVersion): Promise<void> {
  if (v.state === 'UNAVAILABLE' && v.instances.length === 0) return;
  v.state = 'UNLOADING';
  await v.scheduler?.drain();
  await Promise.all(v.instances.map((i) => i.dispose().catch(() => {})));
  v.instances = [];
  v.state = 'UNAVAILABLE';
  v.reason = 'unloaded';
}
