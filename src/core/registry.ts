// The model registry: name → versions → state. Loads every model the repository holds, each on
// its own (a broken config or model file marks that model unavailable with the file, the field
// and the reason, and never stops the others), and resolves (name, version) for the DataPlane.

import { notFound, unavailable } from './errors.ts';
import type { TensorMetadata } from './inference.ts';
import type { ModelInstance } from './instance.ts';
import type { ModelLoader } from './loader.ts';
import { ModelConfig, describeConfigError } from './model-config.ts';
import { resolveIO } from './model-io.ts';
import type { ModelRepository } from './repository.ts';
import { Scheduler } from './scheduler.ts';

export type VersionState = 'LOADING' | 'READY' | 'UNAVAILABLE' | 'UNLOADING';

export interface ServedVersion {
  version: string;
  state: VersionState;
  reason?: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  scheduler?: Scheduler;
  instances: ModelInstance[];
}

export interface ServedModel {
  name: string;
  config?: ModelConfig;
  /** Why the model as a whole could not be loaded (bad config, no versions). */
  error?: string;
  versions: Map<string, ServedVersion>;
}

export interface IndexEntry {
  name: string;
  version?: string;
  state: VersionState;
  reason?: string;
}

export interface RegistryOptions {
  /** Instances per version when instance_group does not say. */
  defaultInstanceCount: number;
  /** Bound on waiting requests per model version when the config does not set a smaller one. */
  maxQueueSize: number;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export class ModelRegistry {
  private readonly models = new Map<string, ServedModel>();
  /** False until the first loadAll() finishes: the server is not ready while models load. */
  private loaded = false;

  constructor(
    private readonly repo: ModelRepository,
    private readonly loader: ModelLoader,
    private readonly opts: RegistryOptions,
  ) {}

  async loadAll(): Promise<void> {
    const names = await this.repo.list();
    // One at a time: loading sessions is CPU-bound and the order of log lines stays readable.
    for (const n of names) await this.load(n);
    this.loaded = true;
  }

  /** Triton's repository index: every model in the repository, loaded or not, per version. */
  async index(): Promise<IndexEntry[]> {
    const names = new Set([...(await this.repo.list()), ...this.models.keys()]);
    return [...names].sort().flatMap((name): IndexEntry[] => {
      const m = this.models.get(name);
      if (!m) return [{ name, state: 'UNAVAILABLE' as const, reason: 'unloaded' }];
      if (m.error || m.versions.size === 0) return [{ name, state: 'UNAVAILABLE' as const, reason: m.error ?? 'no versions' }];
      return [...m.versions.values()].map((v) => ({ name, version: v.version, state: v.state, ...(v.reason ? { reason: v.reason } : {}) }));
    });
  }

  /** Loads a model by name if the repository has it (Triton's load API). */
  async loadByName(name: string): Promise<ServedModel> {
    if (!(await this.repo.list()).includes(name)) throw notFound(`no model '${name}' in the model repository`);
    return this.load(name);
  }

  list(): ServedModel[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): ServedModel | undefined {
    return this.models.get(name);
  }

  /** Loads (or reloads) one model: reads and validates its config, then each selected version. */
  async load(name: string): Promise<ServedModel> {
    if (this.models.has(name)) await this.unload(name);
    const model: ServedModel = { name, versions: new Map() };
    this.models.set(name, model);
    let file = `${name}/config.json`;
    try {
      const { text, source } = await this.repo.readConfig(name);
      file = source;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
      }
      const parsed = ModelConfig.safeParse(raw);
      if (!parsed.success) throw new Error(describeConfigError(file, parsed.error));
      if (parsed.data.name !== name) throw new Error(`${file}: name: '${parsed.data.name}' must match the directory name '${name}'`);
      model.config = parsed.data;
      const versions = selectVersions(await this.repo.listVersions(name), parsed.data);
      if (versions.length === 0) throw new Error(`${file}: no model version directory (e.g. ${name}/1/model.onnx) matches version_policy; run \`edgeserve pull\``);
      for (const v of versions) await this.loadVersion(model, v, file);
    } catch (e) {
      model.error = (e as Error).message;
      this.opts.log('error', `model '${name}' unavailable: ${model.error}`);
    }
    return model;
  }

  private async loadVersion(model: ServedModel, version: string, file: string): Promise<void> {
    let config = model.config!;
    const sv: ServedVersion = { version, state: 'LOADING', inputs: [], outputs: [], instances: [] };
    model.versions.set(version, sv);
    try {
      const { bytes, source } = await this.repo.readModel(model.name, version);
      const loaded = await this.loader.load(model.name, version, config, bytes).catch((e: Error) => {
        throw new Error(`${source}: cannot load: ${e.message}`);
      });
      sv.instances = loaded.instances;
      if (loaded.config) config = model.config = loaded.config;
      sv.inputs = resolveIO(config, config.input, loaded.inputs, 'input', file);
      sv.outputs = resolveIO(config, config.output, loaded.outputs, 'output', file);
      const img = config.image;
      if (img?.input && !sv.inputs.some((i) => i.name === img.input)) throw new Error(`${file}: image.input: '${img.input}' is not an input of the model`);
      const db = config.dynamic_batching;
      const qp = db?.default_queue_policy;
      sv.scheduler = new Scheduler(loaded.instances, {
        maxBatchSize: config.max_batch_size,
        dynamicBatching: db && config.max_batch_size > 0
          ? { maxQueueDelayUs: db.max_queue_delay_microseconds, preferredBatchSizes: db.preferred_batch_size }
          : undefined,
        maxQueueSize: qp?.max_queue_size ? Math.min(qp.max_queue_size, this.opts.maxQueueSize) : this.opts.maxQueueSize,
        defaultTimeoutUs: qp?.default_timeout_microseconds ?? 0,
        allowTimeoutOverride: qp?.allow_timeout_override ?? true,
        timeoutAction: qp?.timeout_action ?? 'REJECT',
      });
      sv.state = 'READY';
      for (const note of loaded.notes ?? []) this.opts.log('info', `model '${model.name}' version ${version}: ${note}`);
      this.opts.log('info', `model '${model.name}' version ${version} ready (${loaded.instances.length} instance${loaded.instances.length > 1 ? 's' : ''})`);
    } catch (e) {
      sv.state = 'UNAVAILABLE';
      sv.reason = (e as Error).message;
      await Promise.all(sv.instances.map((i) => i.dispose().catch(() => {})));
      this.opts.log('error', `model '${model.name}' version ${version} unavailable: ${sv.reason}`);
    }
  }

  /** Stops new work, lets queued and running requests finish, then frees the instances. */
  async unload(name: string): Promise<void> {
    const model = this.models.get(name);
    if (!model) throw notFound(`unknown model '${name}'`);
    this.models.delete(name);
    await Promise.all([...model.versions.values()].map(async (v) => {
      v.state = 'UNLOADING';
      await v.scheduler?.drain();
      await Promise.all(v.instances.map((i) => i.dispose().catch(() => {})));
      v.state = 'UNAVAILABLE';
      v.reason = 'unloaded';
    }));
  }

  async unloadAll(): Promise<void> {
    await Promise.all([...this.models.keys()].map((n) => this.unload(n)));
  }

  /** The version to serve: the one named, or the highest READY version. */
  resolve(name: string, version?: string): { model: ServedModel; served: ServedVersion } {
    const model = this.models.get(name);
    if (!model) throw notFound(`unknown model '${name}'`);
    if (version !== undefined && version !== '') {
      const sv = model.versions.get(version);
      if (!sv) throw notFound(`unknown version '${version}' of model '${name}' (available: ${[...model.versions.keys()].join(', ') || 'none'})`);
      if (sv.state !== 'READY') throw unavailable(`model '${name}' version ${version} is not ready: ${sv.reason ?? sv.state}`);
      return { model, served: sv };
    }
    const ready = [...model.versions.values()].filter((v) => v.state === 'READY').sort((a, b) => Number(b.version) - Number(a.version));
    if (ready.length === 0) throw unavailable(`model '${name}' is not ready: ${model.error ?? [...model.versions.values()].map((v) => `version ${v.version}: ${v.reason ?? v.state}`).join('; ') ?? 'no versions'}`);
    return { model, served: ready[0] };
  }

  isReady(): boolean {
    return this.loaded && [...this.models.values()].every((m) => !m.error && [...m.versions.values()].some((v) => v.state === 'READY'));
  }
}

/** Triton's version_policy over the numeric version directories present. */
export function selectVersions(present: string[], config: ModelConfig): string[] {
  const nums = present.filter((v) => /^[1-9][0-9]*$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const p = config.version_policy;
  if ('all' in p) return nums;
  if ('specific' in p) return nums.filter((v) => p.specific.versions.includes(Number(v)));
  return nums.slice(0, p.latest.num_versions);
}

