// Cloudflare Workers composition root (wrangler.toml `main`): the same app, KServe routes and
// face routes as on Bun, over onnxruntime-web (WASM, one thread, in-process), the @jsquash WASM
// decoders and a bundled repository whose weights are private Static Assets.
//
// workerd rules this file follows:
// - No async work and no WebAssembly instantiation at global scope: the server is built inside
//   the first fetch of each isolate and kept for the isolate's life (module state is the only
//   per-isolate cache a Worker has, hence the one module-level variable).
// - WebAssembly only from modules wrangler compiled at upload (static .wasm imports).
// - zod must not compile validators with `new Function`: jitless.ts is imported first.
// What does not exist here, by design: the filesystem repository, pulling weights, the worker
// pool, repository polling, and `render=png` (no canvas; the face routes answer 400).

import './workers/jitless.ts';
import jpeg from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
// `?module`: the package ships a .d.ts for this file that would hide modules.d.ts's type.
import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module';
import webp from '@jsquash/webp/codec/dec/webp_dec.wasm';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { loadServerConfig } from '../config/server-config.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { mountFaces } from '../http/routes/faces.ts';
import { createJsquashDecoder } from '../image/decoders/jsquash.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';
import { FaceService } from '../tasks/faces/service.ts';
import { assemble } from './assemble.ts';
import { createLogger } from './log.ts';
import { type Env, assetDocs, assetWeights } from './workers/assets.ts';
import { BundledRepository } from './workers/bundled-repository.ts';
import { WORKER_MODELS } from './workers/models.ts';
import { workersOrtBackend } from './workers/ort-wasm.ts';

/** The part of workerd's ExecutionContext we use (kept local: no @cloudflare/workers-types). */
interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
}

interface Server {
  app: OpenAPIHono;
  /** Settles when every model has been tried (a model that fails is marked unavailable). */
  loading: Promise<void>;
  loaded: boolean;
}

// Workers limits differ from a server's: 128 MB per isolate, so a 50 MP image (200 MB of RGBA)
// cannot be decoded here. Each can still be set in [vars].
const WORKERS_DEFAULTS = { maxImagePixels: 16_000_000, maxBodyBytes: 32 * 1024 * 1024 };

let server: Server | undefined;

function createServer(env: Env): Server {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const cfg = loadServerConfig({
    MAX_IMAGE_PIXELS: String(WORKERS_DEFAULTS.maxImagePixels),
    MAX_BODY_BYTES: String(WORKERS_DEFAULTS.maxBodyBytes),
    ...vars,
  });
  const log = createLogger(cfg.logLevel, false, (s) => console.log(s.trimEnd()));
  const backend = workersOrtBackend();
  const loader = new LocalLoader({
    backend: () => backend,
    defaultInstances: 1, // one thread per isolate: a second instance would only queue
    intraOpThreads: 1,
    tensorizer: createImageTensorizer(createJsquashDecoder({ jpeg, png, webp }), { maxPixels: cfg.maxImagePixels }),
  });
  const { app, load } = assemble({
    repository: new BundledRepository(WORKER_MODELS, assetWeights(env.ASSETS)),
    loader,
    docs: assetDocs(env.ASSETS),
    log,
    maxBodyBytes: cfg.maxBodyBytes,
    maxQueueSize: cfg.maxQueueSize,
    defaultInstances: 1,
    mount: [(app, dp) => mountFaces(app, new FaceService(dp), { maxBodyBytes: cfg.maxBodyBytes })],
  });
  const s: Server = { app, loaded: false, loading: Promise.resolve() };
  const t0 = Date.now();
  s.loading = load().then(() => {
    s.loaded = true;
    log('info', `models loaded in ${Date.now() - t0} ms`);
  });
  return s;
}

/** Health probes answer at once (ready is false while models load); everything else waits. */
const NO_WAIT = new Set(['/v2/health/live', '/v2/health/ready']);

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (!server) server = createServer(env);
    const s = server;
    if (!s.loaded) {
      if (NO_WAIT.has(new URL(request.url).pathname)) ctx.waitUntil(s.loading);
      else {
        try {
          await s.loading;
        } catch (e) {
          // Listing the bundled repository cannot really fail; if it did, start over next time.
          if (server === s) server = undefined;
          throw e;
        }
      }
    }
    return s.app.fetch(request, env);
  },
};
