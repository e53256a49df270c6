// The DataPlane: health, metadata and inference, with no HTTP and no runtime APIs. REST, gRPC and
// the face-task routes are thin adapters over it, so every path shares validation, queueing,
// batching and statistics.

import { invalid, unavailable } from './errors.ts';
import type { InferRequest, InferResponse, ModelMetadata } from './inference.ts';
import type { ModelConfig } from './model-config.ts';
import type { ModelRegistry, ServedVersion } from './registry.ts';
import type { RequestTiming } from './scheduler.ts';
import type { ModelStats } from './stats.ts';
import { validateRequest } from './validate.ts';

export interface ServerInfo {
  name: string;
  version: string;
  extensions: string[];
}

/** One infer() as observers see it (request logs, metrics, traces): beside the response, never
 *  on the wire. `timing` is the scheduler's, present once the request's batch has run. */
export interface InferObservation {
  model: string;
  /** The version that served it, once resolved. */
  version?: string;
  request: InferRequest;
  error?: unknown;
  timing?: RequestTiming;
}

export class DataPlane {
  private live = true;
  /** Called after every infer(), successful or not (src/observability attaches here). */
  readonly hooks: { inferred: Array<(o: InferObservation) => void> } = { inferred: [] };

  constructor(
    readonly registry: ModelRegistry,
    private readonly info: ServerInfo,
  ) {}

  isLive(): boolean {
    return this.live;
  }
  /** Ready when every model in the repository has a READY version (Triton's strict readiness). */
  isReady(): boolean {
    return this.live && this.registry.isReady();
  }
  serverMetadata(): ServerInfo {
    return this.info;
  }

  modelReady(name: string, version?: string): boolean {
    try {
      this.registry.resolve(name, version);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'UNAVAILABLE') return false;
      throw e;
    }
  }

  modelMetadata(name: string, version?: string): ModelMetadata {
    const { model, served } = this.resolveAny(name, version);
    return {
      name,
      versions: [...model.versions.keys()].sort((a, b) => Number(a) - Number(b)),
      platform:
        served.config.platform ?? (served.config.backend === undefined || served.config.backend === 'onnxruntime' ? 'onnxruntime_onnx' : served.config.backend),
      inputs: served.inputs,
      outputs: served.outputs,
    };
  }

  modelConfig(name: string, version?: string): ModelConfig {
    return this.resolveAny(name, version).served.config;
  }

  modelStats(name: string, version?: string): Array<{ name: string; version: string; stats: ModelStats }> {
    const list = name ? [this.registry.get(name)].filter((m) => m !== undefined) : this.registry.list();
    if (name && list.length === 0) this.registry.resolve(name); // throws the 404
    return list.flatMap((m) =>
      [...m.versions.values()]
        .filter((v) => (version ? v.version === version : true) && v.scheduler)
        .map((v) => ({ name: m.name, version: v.version, stats: v.scheduler!.stats })),
    );
  }

  /** Throws now what infer() would: unknown model (404), not ready or queue full (503). Cheap:
   *  for transports to call before they read a request body. */
  admit(name: string, version?: string): void {
    this.refuseWhenStopping();
    this.registry.resolve(name, version).served.scheduler!.admit();
  }

  async infer(name: string, version: string | undefined, req: InferRequest): Promise<InferResponse> {
    if (this.hooks.inferred.length === 0) return this.inferNow(name, version, req);
    const o: InferObservation = { model: name, request: req };
    try {
      return await this.inferNow(name, version, req, o);
    } catch (e) {
      o.error = e;
      throw e;
    } finally {
      for (const h of this.hooks.inferred) h(o);
    }
  }

  private async inferNow(name: string, version: string | undefined, req: InferRequest, seen?: InferObservation): Promise<InferResponse> {
    this.refuseWhenStopping();
    // No await between resolving the version and queueing on it: a reload swaps versions
    // between two requests, never inside one.
    const { served } = this.registry.resolve(name, version);
    if (seen) seen.version = served.version;
    const config = served.config;
    const imageInput = config.image ? (config.image.input ?? served.inputs[0]?.name) : undefined;
    let batch: number;
    try {
      batch = validateRequest(req, { inputs: served.inputs, outputs: served.outputs, maxBatchSize: config.max_batch_size, imageInput });
      const timeout = req.parameters?.timeout;
      if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0)) {
        throw invalid(`parameter 'timeout' must be a non-negative number of microseconds, got ${JSON.stringify(timeout)}`);
      }
    } catch (e) {
      served.scheduler!.recordFailure();
      throw e;
    }
    const outputs = req.outputs?.length ? req.outputs.map((o) => o.name) : served.outputs.map((o) => o.name);
    const timeout = req.parameters?.timeout as number | undefined;
    const result = await served.scheduler!.enqueue({ inputs: req.inputs, outputs, parameters: req.parameters }, batch, {
      signal: req.signal,
      timeoutUs: timeout,
      onTiming:
        seen &&
        ((t) => {
          seen.timing = t;
        }),
    });
    return {
      model_name: name,
      model_version: served.version,
      ...(req.id !== undefined ? { id: req.id } : {}),
      ...(result.parameters ? { parameters: result.parameters } : {}),
      outputs: result.outputs,
    };
  }

  repositoryIndex() {
    return this.registry.index();
  }

  /** (Re)loads a model, load-then-swap; fails with the reason when the new load did not come up
   *  (what was serving before keeps serving). */
  async loadModel(name: string): Promise<void> {
    const m = await this.registry.loadByName(name);
    const reason =
      m.error ??
      [...m.versions.values()]
        .filter((v) => v.state !== 'READY')
        .map((v) => `version ${v.version}: ${v.reason}`)
        .join('; ');
    if (reason) throw invalid(`failed to load '${name}': ${reason}`);
  }

  /** Lets queued and running requests finish, then frees the model's instances. */
  async unloadModel(name: string): Promise<void> {
    await this.registry.unloadByName(name);
  }

  /** A request that arrives while the server drains is a 503, not the 404 of a model already
   *  unloaded (a client retries a 503 against another server). */
  private refuseWhenStopping(): void {
    if (!this.live) throw unavailable('the server is shutting down', 1);
  }

  /** Stop answering ready, then drain every model's queue. */
  async shutdown(): Promise<void> {
    this.live = false;
    await this.registry.unloadAll();
  }

  /** Metadata is served for any known version, ready or not (Triton does the same). */
  private resolveAny(name: string, version?: string): { model: NonNullable<ReturnType<ModelRegistry['get']>>; served: ServedVersion } {
    try {
      return this.registry.resolve(name, version);
    } catch (e) {
      const model = this.registry.get(name);
      if (!model || (e as { code?: string }).code !== 'UNAVAILABLE') throw e;
      const number = version && !/^[0-9]+$/.test(version) ? model.labels.get(version) : version;
      const served = number ? model.versions.get(number) : [...model.versions.values()].at(-1);
      if (!served) throw e;
      return { model, served };
    }
  }
}
