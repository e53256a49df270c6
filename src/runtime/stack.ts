// The serving stack every server root shares (Bun, Deno, the compiled binary): decides where model
// instances run (a pool of worker threads, or in-process), builds the registry/DataPlane once,
// builds the Hono app as often as asked (a `bun --hot` reload rebuilds only the app), and shuts
// down in order. A root supplies its parts (repository, docs, what its engines can do) and its
// own listener; nothing here touches a runtime global.

import { availableParallelism } from 'node:os';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ServerConfig } from '../config/server-config.ts';
import type { DataPlane } from '../core/dataplane.ts';
import type { ModelLoader } from '../core/loader.ts';
import type { ModelRepository } from '../core/repository.ts';
import type { Backend, EngineName } from '../engine/backend.ts';
import type { ImageTensorizer } from '../engine/image-input.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import type { DocsAssets } from '../http/docs.ts';
import { type FaceRenderer, mountFaces } from '../http/routes/faces.ts';
import { mountGalleries } from '../http/routes/galleries.ts';
import { facePlatforms } from '../tasks/faces/pipeline-loader.ts';
import { FaceService } from '../tasks/faces/service.ts';
import { WorkerPool, defaultIntraOpThreads } from '../workers/pool.ts';
import { WorkerLoader } from '../workers/worker-loader.ts';
import { classifyGrpc } from '../auth/scopes.ts';
import { authorizationInterceptor } from '../grpc/hooks.ts';
import { assembleApp, assembleCore } from './assemble.ts';
import { type ServerAuth, createServerAuth } from './auth-store.ts';
import { type GrpcListener, startGrpcServer } from './grpc-server.ts';
import { type GalleryHandle, type GalleryParts, createGallery } from './gallery-db/open.ts';
import type { Logger } from './log.ts';
import { telemetryInterceptor } from '../observability/grpc.ts';
import type { Telemetry } from '../observability/telemetry.ts';
import { createServerTelemetry, flushTraces } from './telemetry.ts';

/** A listening server, whatever the runtime. */
export interface RunningServer {
  url: string;
  /** Graceful: stop accepting, drain queued and running requests, free everything. */
  stop(): Promise<void>;
}

/** The address clients use for a listener bound to `host` (0.0.0.0 is reached via loopback). */
export function localUrl(host: string, port: number): string {
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

/** What every root does once its listener is up: say where, load the models, say how it went. */
export async function announceAndLoad(stack: Stack, log: Logger, o: { server: string; url: string; models: string }): Promise<void> {
  log('info', `${o.server} listening on ${o.url} (${stack.describe}); loading models from ${o.models}`);
  await stack.listenGrpc();
  await stack.load();
  log('info', stack.dataPlane.isReady() ? 'ready' : 'started, but some models are unavailable (see above); /v2/health/ready answers 503');
}

/** How long a stopping server still accepts connections that were already on their way in.
 *  Closing a listener resets the connections the kernel has completed but the runtime has not
 *  accepted yet, whose clients have sent their requests (Bun and Node accept them a few
 *  event-loop turns late): they are accepted for a moment first, answered 503 while the stack
 *  drains, then the listener closes. */
export const ACCEPT_GRACE_MS = 100;

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A stop() that runs `drain` once, however often it is called, logging around it. */
export function stopOnce(log: Logger, drain: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      log('info', 'shutting down: no new connections, draining in-flight requests');
      await drain();
      log('info', 'stopped');
    })());
}

/** What a runtime can run, decided once by its root. */
export interface EngineParts {
  /**
   * Present where worker threads can load the native engine and decoder (src/workers/worker-entry.ts
   * always uses onnxruntime-node/-web plus @napi-rs/canvas). `entry` overrides the worker script
   * (a compiled binary keeps it elsewhere).
   */
  workers?: { entry?: URL };
  /** Engines and decoder for in-process serving: WORKERS=0, or no `workers` above. */
  inProcess: {
    backends: () => Partial<Record<EngineName, Backend>>;
    tensorizer: (maxPixels: number) => Promise<ImageTensorizer>;
  };
  /** Overrides cfg.engine (e.g. onnxruntime-web where native code may not load). */
  engine?: EngineName;
  /** Why this runtime serves the way it does, for the start-up log. */
  note?: string;
}

export interface StackParts {
  repository: ModelRepository;
  docs: DocsAssets;
  engines: EngineParts;
  /** Where the models come from, for the start-up log (default: the repository directory). */
  repositoryLabel?: string;
  /** `?render=png` on /v1/faces/detect; absent where no canvas loads. */
  render?: FaceRenderer;
  /** The face gallery's SQLite binding and thumbnail encoder (runtime/gallery-db). */
  gallerySqlite?: GalleryParts['gallerySqlite'];
  thumbnails?: GalleryParts['thumbnails'];
}

export interface Stack {
  dataPlane: DataPlane;
  /** Loads every model in the repository. */
  load(): Promise<void>;
  /** One line for the start-up log: engine, workers, threads. */
  describe: string;
  pool?: WorkerPool;
  /** Who may call what: the key store and the Authorizer (REST middleware and gRPC both ask it). */
  auth: ServerAuth;
  /** The face gallery (absent with GALLERY_DATABASE=off); its database opens in load(). */
  gallery?: GalleryHandle;
  /** Request logs, metrics and traces, shared by REST and gRPC (src/observability). */
  telemetry: Telemetry;
  /** Starts the gRPC listener (GRPC_PORT, unless `off`); stopped by shutdown(). */
  listenGrpc(): Promise<GrpcListener | undefined>;
  /** Stop answering ready, drain queues, free sessions, end the workers. Idempotent. */
  shutdown(): Promise<void>;
}

/** The long-lived part: loader (and pool), registry, DataPlane. */
export function createStack(cfg: ServerConfig, parts: Pick<StackParts, 'repository' | 'engines' | 'gallerySqlite' | 'thumbnails'>, log: Logger): Stack {
  // First: a broken key store fails the start before any worker is spawned.
  const auth = createServerAuth(cfg, log);
  const cores = availableParallelism();
  const engine = parts.engines.engine ?? cfg.engine;
  const workers = parts.engines.workers ? (cfg.workers ?? cores) : 0;
  const intraOpThreads = cfg.intraOpThreads || (workers > 0 ? defaultIntraOpThreads(workers, cores) : cores);
  const defaultInstances = cfg.instances || Math.max(1, workers);
  let pool: WorkerPool | undefined;
  let loader: ModelLoader;
  if (workers > 0) {
    // Engines and the image decoder load only inside the workers: the main thread does HTTP.
    pool = new WorkerPool({ workers, engine, intraOpThreads, maxImagePixels: cfg.maxImagePixels, cores, log, entry: parts.engines.workers?.entry });
    loader = new WorkerLoader(pool, { defaultInstances });
  } else {
    const ip = parts.engines.inProcess;
    const backends = ip.backends();
    let tensorizer: Promise<ImageTensorizer> | undefined;
    const getTensorizer = () => (tensorizer ??= ip.tensorizer(cfg.maxImagePixels));
    loader = new LocalLoader({
      backend: (c) => backends[c.engine ?? engine] ?? unavailableBackend(c.engine ?? engine, parts.engines.note),
      defaultInstances,
      intraOpThreads,
      // The decoder is loaded on first use, so models without `image` never load it.
      tensorizer: { toTensor: async (...a) => (await getTensorizer()).toTensor(...a) },
      platforms: facePlatforms({ tensorizer: getTensorizer, maxPixels: cfg.maxImagePixels, defaultInstances }),
    });
  }
  const { dataPlane, load } = assembleCore({
    repository: parts.repository,
    loader,
    log,
    maxQueueSize: cfg.maxQueueSize,
    defaultInstances,
    lifecycle: {
      controlMode: cfg.modelControlMode,
      startupModels: cfg.loadModel,
      pollIntervalMs: cfg.repositoryPollSecs * 1000,
      maxQueueWaitMs: cfg.maxQueueWaitMs,
    },
    extensions: ['trace'],
  });
  const telemetry = createServerTelemetry(cfg, dataPlane, log, auth.authorizer.metrics);
  let down: Promise<void> | undefined;
  let grpc: GrpcListener | undefined;
  const gallery = createGallery(cfg, parts, dataPlane, log);
  return {
    dataPlane,
    load: async () => {
      await Promise.all([load(), gallery?.open()]);
    },
    gallery,
    describe: `engine ${engine}, ${workers ? `${workers} workers × ${intraOpThreads} threads` : `in-process, ${intraOpThreads} threads`}, ${cores} cores${parts.engines.note ? ` (${parts.engines.note})` : ''}`,
    pool,
    auth,
    telemetry,
    listenGrpc: async () => {
      if (cfg.grpcPort === 'off' || grpc) return grpc;
      grpc = await startGrpcServer(dataPlane, {
        host: cfg.host,
        port: cfg.grpcPort,
        maxMessageBytes: cfg.grpcMaxMessageBytes,
        tlsCert: cfg.grpcTlsCert,
        tlsKey: cfg.grpcTlsKey,
        log,
        trace: telemetry.trace,
        // The same decision as REST's, by method (src/auth/scopes.ts GRPC_TABLE).
        hooks: {
          telemetry: telemetryInterceptor(telemetry),
          auth: authorizationInterceptor(async (authorization, call) => {
            return await auth.authorizer.authorize({
              credentials: { authorization, apiKey: call.header('x-api-key') ?? null },
              peer: call.peer,
              header: call.header,
              need: classifyGrpc(call.method).need,
            });
          }),
        },
      });
      log('info', `gRPC listening on ${grpc.address} (${grpc.tls ? 'TLS' : 'h2c'}; messages up to ${cfg.grpcMaxMessageBytes} bytes)`);
      return grpc;
    },
    shutdown: () =>
      (down ??= (async () => {
        // In-flight gRPC calls finish while the queues drain; then what is left is closed.
        grpc?.stopAccepting();
        await dataPlane.shutdown();
        await gallery?.close();
        await grpc?.close();
        await pool?.dispose();
        auth.close();
        await flushTraces(telemetry);
      })()),
  };
}

/**
 * The Hono app over a DataPlane, with the face routes. Cheap: a `bun --hot` reload calls the
 * freshly evaluated copy of this function so edited routes take effect.
 */
export function createServerApp(
  cfg: ServerConfig,
  dataPlane: DataPlane,
  parts: Pick<StackParts, 'docs' | 'render'>,
  log: Logger,
  auth: ServerAuth,
  gallery?: GalleryHandle,
  telemetry?: Telemetry,
): OpenAPIHono {
  const mount = [(app: OpenAPIHono, dp: DataPlane) => mountFaces(app, new FaceService(dp), { maxBodyBytes: cfg.maxBodyBytes, render: parts.render })];
  if (gallery) mount.push((app) => mountGalleries(app, gallery.service, { maxBodyBytes: cfg.maxBodyBytes }));
  return assembleApp(dataPlane, { docs: parts.docs, log, maxBodyBytes: cfg.maxBodyBytes, mount, auth, telemetry });
}

/** A model asked for an engine this runtime cannot load: its load fails with the reason. */
function unavailableBackend(name: EngineName, why?: string): Backend {
  return {
    name,
    createSession: () => Promise.reject(new Error(`engine ${name} is not available here${why ? `: ${why}` : ''}`)),
  };
}
