// Cloudflare Workers composition root (wrangler.toml `main`): the same app, KServe routes and
// face routes as on Bun, over onnxruntime-web (WASM, one thread, in-process), the @jsquash WASM
// decoders behind libjpeg-turbo's DCT-scaled decoding for large JPEGs (the WASM codec Node and
// Deno use, so the same pixels; and a 8 MP photo decoded at 1/4 needs 1/16 of the isolate's
// memory), and a bundled repository whose weights are private Static Assets.
//
// workerd rules this file follows:
// - No async work and no WebAssembly instantiation at global scope: the server is built inside
//   the first fetch of each isolate and kept for the isolate's life (module state is the only
//   per-isolate cache a Worker has, hence the one module-level variable).
// - WebAssembly only from modules wrangler compiled at upload (static .wasm imports).
// - zod must not compile validators with `new Function`: jitless.ts is imported first.
// The face gallery runs on the D1 binding GALLERY_DB (wrangler.toml; runtime/gallery-db/d1.ts):
// each isolate keeps its own in-memory index, caught up from D1's change log on every request
// as a server process does with a shared PostgreSQL; thumbnails with the MozJPEG WASM encoder.
// What does not exist here, by design: the filesystem repository, pulling weights, the worker
// pool, repository polling, model load/unload (answered 400 below), and `render=png` (no
// canvas; the face routes answer 400).

import './cloudflare/jitless.ts';
import jpeg from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
// `?module`: the package ships a .d.ts for this file that would hide modules.d.ts's type.
import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm?module';
import webp from '@jsquash/webp/codec/dec/webp_dec.wasm';
import jpegTurbo from '@cwasm/jpeg-turbo/jpeg-turbo.wasm';
import jpegEncoder from '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { KeyTable, parseKeyFile } from '../auth/keys.ts';
import { authorizerFromConfig, describeAuth } from '../auth/settings.ts';
import { loadServerConfig } from '../config/server-config.ts';
import { jsquashJpegEncoder } from '../gallery/jpeg-jsquash.ts';
import { createThumbnailer } from '../gallery/thumbnail.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { mountGrpcWeb } from '../grpc/fetch.ts';
import { mountFaces } from '../http/routes/faces.ts';
import { mountGalleries } from '../http/routes/galleries.ts';
import { createJsquashDecoder } from '../image/decoders/jsquash.ts';
import { withScaledJpeg } from '../image/decoders/turbo-jpeg.ts';
import { LogControl, consoleLogger } from '../observability/logger.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';
import { facePlatforms } from '../tasks/faces/pipeline-loader.ts';
import { FaceService } from '../tasks/faces/service.ts';
import { assemble } from './assemble.ts';
import { openD1 } from './gallery-db/d1.ts';
import { deferredGallery } from './gallery-db/deferred.ts';
import { type Env, assetDocs, assetWeights } from './cloudflare/assets.ts';
import { BundledRepository } from './cloudflare/bundled-repository.ts';
import { WORKER_MODELS } from './cloudflare/models.ts';
import { workersOrtBackend } from './cloudflare/ort-wasm.ts';

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

// An isolate has 128 MB, WebAssembly memories included. ORT's memory is ~28 MB with the three
// models loaded; decoding N pixels grows the codec's memory to ~4N bytes for good and copies
// 4N bytes out to JS, so 8 MP (~64 MB at the peak) is about what fits, not the server's 50 MP.
// Both can be raised in [vars] (MAX_IMAGE_PIXELS, MAX_BODY_BYTES). The gallery's search index
// (~0.6 KB a face) gets 32 MB of the isolate by default (GALLERY_INDEX_MB): ~50,000 faces.
const WORKERS_DEFAULTS = { maxImagePixels: 8_000_000, maxBodyBytes: 16 * 1024 * 1024, galleryIndexMb: 32 };

let server: Server | undefined;

function createServer(env: Env): Server {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const cfg = loadServerConfig({
    MAX_IMAGE_PIXELS: String(WORKERS_DEFAULTS.maxImagePixels),
    MAX_BODY_BYTES: String(WORKERS_DEFAULTS.maxBodyBytes),
    GALLERY_INDEX_MB: String(WORKERS_DEFAULTS.galleryIndexMb),
    ...vars,
  });
  if (cfg.galleryDatabase !== undefined && cfg.galleryDatabase !== 'off') {
    throw new Error(
      `GALLERY_DATABASE: on Workers the gallery is the D1 binding GALLERY_DB (wrangler.toml); only 'off' may be set, got '${cfg.galleryDatabase}'`,
    );
  }
  // pino's Node build needs fs, absent here: the same Logger over console.log.
  const log = consoleLogger(new LogControl(cfg.logLevel, cfg.logFormat), (line) => console.log(line));
  const backend = workersOrtBackend();
  const decoder = withScaledJpeg(createJsquashDecoder({ jpeg, png, webp }), jpegTurbo);
  const tensorizer = createImageTensorizer(decoder, { maxPixels: cfg.maxImagePixels });
  const loader = new LocalLoader({
    backend: () => backend,
    defaultInstances: 1, // one thread per isolate: a second instance would only queue
    intraOpThreads: 1,
    tensorizer,
    platforms: facePlatforms({ tensorizer: async () => tensorizer, maxPixels: cfg.maxImagePixels, defaultInstances: 1 }),
  });
  // Hashed keys from the API_KEYS secret (fixed per deployment: `wrangler secret put` redeploys).
  const keys = new KeyTable(env.API_KEYS ? parseKeyFile(env.API_KEYS, 'the API_KEYS secret') : []);
  const authorizer = authorizerFromConfig(cfg, keys);
  log('info', describeAuth(authorizer, 'the API_KEYS secret'));
  const { app, load } = assemble({
    repository: new BundledRepository(WORKER_MODELS, assetWeights(env.ASSETS)),
    loader,
    docs: assetDocs(env.ASSETS),
    log,
    maxBodyBytes: cfg.maxBodyBytes,
    maxQueueSize: cfg.maxQueueSize,
    defaultInstances: 1,
    mount: [
      (app, dp) => mountFaces(app, new FaceService(dp), { maxBodyBytes: cfg.maxBodyBytes }),
      (app, dp) => {
        // No binding (or GALLERY_DATABASE=off in [vars]): no gallery routes, as GALLERY_DATABASE=off elsewhere.
        if (!env.GALLERY_DB || cfg.galleryDatabase === 'off') return;
        const gallery = deferredGallery({
          openDb: () => openD1(env.GALLERY_DB!),
          describe: 'Cloudflare D1 (GALLERY_DB)',
          dataPlane: dp,
          indexBytes: cfg.galleryIndexMb * 2 ** 20,
          thumbnails: createThumbnailer(decoder, jsquashJpegEncoder(jpegEncoder), { maxPixels: cfg.maxImagePixels }),
          // Isolates starting together each run the migrations; the loser of a race runs them again.
          migrateRetries: 2,
          log,
        });
        mountGalleries(app, gallery.service, { maxBodyBytes: cfg.maxBodyBytes });
      },
      // gRPC-Web and Connect (no native gRPC: no trailers here), unary methods; see src/grpc/fetch.ts.
      (app, dp) => mountGrpcWeb(app, dp, { maxMessageBytes: cfg.maxBodyBytes, log, repositoryControlDisabled: REPOSITORY_CONTROL_MESSAGE }),
    ],
    auth: { authorizer, corsOrigins: cfg.corsOrigins },
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

// Triton's load/unload would act on one isolate of many, each with its own copy of the models,
// so the next request could land anywhere: refused with a reason. The index stays (read-only).
const REPOSITORY_CONTROL = /^\/v2\/repository\/models\/[^/]+\/(load|unload)$/;
const REPOSITORY_CONTROL_MESSAGE =
  'model load/unload is not available on Cloudflare Workers: the models are fixed at deploy time (src/runtime/cloudflare/models.ts)';
const noRepositoryControl = () => Response.json({ error: REPOSITORY_CONTROL_MESSAGE }, { status: 400 });

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (request.method === 'POST' && REPOSITORY_CONTROL.test(path)) return noRepositoryControl();
    try {
      server ??= createServer(env);
    } catch (e) {
      // A bad [vars] value: say which, rather than workerd's bare 500.
      return Response.json({ error: `edgeserve configuration: ${(e as Error).message}` }, { status: 500 });
    }
    const s = server;
    if (!s.loaded) {
      if (NO_WAIT.has(path)) ctx.waitUntil(s.loading);
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
    // Cloudflare sets CF-Connecting-IP itself (a client cannot): the client's address.
    return s.app.fetch(request, { ...env, clientAddress: request.headers.get('cf-connecting-ip') ?? undefined });
  },
};
