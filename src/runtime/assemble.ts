// Builds the runtime-neutral server (registry → DataPlane → Hono app) from settings and the
// runtime's parts. Bun, Deno and Node composition roots call this and add only their listener.

import type { OpenAPIHono } from '@hono/zod-openapi';
import { DataPlane } from '../core/dataplane.ts';
import type { ModelLoader } from '../core/loader.ts';
import type { ModelRepository } from '../core/repository.ts';
import { type ControlMode, ModelRegistry } from '../core/registry.ts';
import { type AppOptions, createApp } from '../http/app.ts';
import type { DocsAssets } from '../http/docs.ts';
import type { Logger } from './log.ts';
import { VERSION } from './version.ts';

export interface AssembleOptions {
  repository: ModelRepository;
  loader: ModelLoader;
  docs: DocsAssets;
  log: Logger;
  maxBodyBytes: number;
  maxQueueSize: number;
  defaultInstances: number;
  /** Model lifecycle settings (default: load everything at start, no time bound on queues). */
  lifecycle?: Lifecycle;
  mount?: AppOptions['mount'];
  /** Auth and CORS; server roots always pass it (see AppOptions.auth). */
  auth?: AppOptions['auth'];
  /** Request logs, metrics, traces (see AppOptions.telemetry). */
  telemetry?: AppOptions['telemetry'];
  /** Extensions beyond EXTENSIONS this runtime implements (`trace` where spans can be exported). */
  extensions?: string[];
}

export interface Lifecycle {
  controlMode: ControlMode;
  /** explicit mode: models loaded at start (`*` = all). */
  startupModels: string[];
  pollIntervalMs: number;
  /** 0 = no time bound on queues. */
  maxQueueWaitMs: number;
}

/** KServe/Triton extensions this server implements, advertised at GET /v2. */
export const EXTENSIONS = ['binary_tensor_data', 'logging', 'model_configuration', 'model_repository', 'statistics'];

/** The app answers at once (live, not ready); call `load()` to load the repository's models. */
export function assemble(o: AssembleOptions): { app: OpenAPIHono; dataPlane: DataPlane; load: () => Promise<void> } {
  const { dataPlane, load } = assembleCore(o);
  return { app: assembleApp(dataPlane, o), dataPlane, load };
}

/** The long-lived half: registry and DataPlane. Kept across `bun --hot` reloads (runtime/bun.ts). */
export function assembleCore(o: Pick<AssembleOptions, 'repository' | 'loader' | 'log' | 'maxQueueSize' | 'defaultInstances' | 'lifecycle' | 'extensions'>): {
  dataPlane: DataPlane;
  load: () => Promise<void>;
} {
  const registry = new ModelRegistry(o.repository, o.loader, {
    defaultInstanceCount: o.defaultInstances,
    maxQueueSize: o.maxQueueSize,
    log: o.log,
    controlMode: o.lifecycle?.controlMode,
    startupModels: o.lifecycle?.startupModels,
    pollIntervalMs: o.lifecycle?.pollIntervalMs,
    maxQueueWaitMs: o.lifecycle?.maxQueueWaitMs,
  });
  const extensions = [...EXTENSIONS, ...(o.extensions ?? [])].sort();
  const dataPlane = new DataPlane(registry, { name: 'edgeserve', version: VERSION, extensions });
  return { dataPlane, load: () => registry.loadAll() };
}

/** The cheap half: the Hono app over an existing DataPlane; rebuilt on every hot reload. */
export function assembleApp(dataPlane: DataPlane, o: Pick<AssembleOptions, 'docs' | 'log' | 'maxBodyBytes' | 'mount' | 'auth' | 'telemetry'>): OpenAPIHono {
  return createApp({ dataPlane, docs: o.docs, maxBodyBytes: o.maxBodyBytes, log: o.log, mount: o.mount, auth: o.auth, telemetry: o.telemetry });
}
