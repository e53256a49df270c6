// Bun composition root: picks the engine, decoder and loader for Bun, pulls missing weights,
// serves the app with Bun.serve (explicit body and idle limits), and shuts down gracefully on
// SIGTERM/SIGINT: stop accepting, drain queued and running requests, then exit.

import { availableParallelism } from 'node:os';
import type { ServerConfig } from '../config/server-config.ts';
import type { ModelLoader } from '../core/loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { webBackend } from '../engine/onnxruntime-web.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { mountFaces } from '../http/routes/faces.ts';
import { FaceService } from '../tasks/faces/service.ts';
import { assemble } from './assemble.ts';
import { renderFaces } from './render-faces.ts';
import { fsDocsAssets } from './docs-assets.ts';
import { FsRepository } from './fs-repository.ts';
import { createLogger } from './log.ts';
import { pullRepository } from './pull-repository.ts';
import { WorkerPool, defaultIntraOpThreads } from '../workers/pool.ts';
import { WorkerLoader } from '../workers/worker-loader.ts';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function serveBun(cfg: ServerConfig): Promise<RunningServer> {
  const log = createLogger(cfg.logLevel, process.env.LOG_FORMAT === 'json');
  if (cfg.pull) await pullRepository(cfg.models, { log, quiet: false });

  const cores = availableParallelism();
  const workers = cfg.workers ?? cores;
  const intraOpThreads = cfg.intraOpThreads || (workers > 0 ? defaultIntraOpThreads(workers, cores) : cores);
  const defaultInstances = cfg.instances || Math.max(1, workers);
  let pool: WorkerPool | undefined;
  let loader: ModelLoader;
  if (workers > 0) {
    // Engines and the image decoder load only inside the workers: the main thread does HTTP.
    pool = new WorkerPool({ workers, engine: cfg.engine, intraOpThreads, maxImagePixels: cfg.maxImagePixels, cores, log });
    loader = new WorkerLoader(pool, { defaultInstances });
  } else {
    const { nativeTensorizer } = await import('./native-image.ts');
    const backends = { 'onnxruntime-node': nodeBackend(), 'onnxruntime-web': webBackend() };
    loader = new LocalLoader({
      backend: (c) => backends[c.engine ?? cfg.engine],
      defaultInstances,
      intraOpThreads,
      tensorizer: nativeTensorizer({ maxPixels: cfg.maxImagePixels }),
    });
  }
  const { app, dataPlane, load } = assemble({
    repository: new FsRepository(cfg.models),
    loader,
    docs: fsDocsAssets,
    log,
    maxBodyBytes: cfg.maxBodyBytes,
    maxQueueSize: cfg.maxQueueSize,
    defaultInstances,
    mount: [(app, dp) => mountFaces(app, new FaceService(dp), { maxBodyBytes: cfg.maxBodyBytes, render: renderFaces })],
  });

  const server = Bun.serve({
    port: cfg.port,
    hostname: cfg.host,
    fetch: app.fetch,
    // Our own reader answers 413 with a JSON error; this is Bun's hard stop just above it.
    maxRequestBodySize: cfg.maxBodyBytes + 1024 * 1024,
    idleTimeout: cfg.idleTimeoutS,
    development: false,
  });
  const url = `http://${cfg.host === '0.0.0.0' ? '127.0.0.1' : cfg.host}:${server.port}`;
  log('info', `edgeserve listening on ${url} (engine ${cfg.engine}, ${workers ? `${workers} workers × ${intraOpThreads} threads` : `in-process, ${intraOpThreads} threads`}, ${cores} cores); loading models from ${cfg.models}`);
  await load();
  log('info', dataPlane.isReady() ? 'ready' : 'started, but some models are unavailable (see above); /v2/health/ready answers 503');

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    log('info', 'shutting down: no new connections, draining in-flight requests');
    server.stop(false);
    await dataPlane.shutdown();
    await pool?.dispose();
    await server.stop(true);
    log('info', 'stopped');
  })());
  return { url, stop };
}

/** SIGTERM/SIGINT → graceful stop, then exit. */
export function exitOnSignals(s: RunningServer): void {
  const onSignal = () => { void s.stop().then(() => process.exit(0)); };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
