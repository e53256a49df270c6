// Deno composition root (`deno task start`, see deno.json): the same app and stack as Bun, served
// with Deno.serve. Which engine depends on what the process may do:
// - FFI allowed (--allow-ffi): the native engine (onnxruntime-node) and decoder (@napi-rs/canvas)
//   in a pool of node:worker_threads workers, exactly as on Bun.
// - FFI not allowed: native addons cannot load, so onnxruntime-web (WASM) and the @jsquash
//   decoder run in-process. The pool's worker entry always loads the native decoder, hence
//   in-process rather than in workers; the WASM engine's own threads still work.
// Deno's globals are declared locally (tsconfig type-checks against Bun's types only).

import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../config/server-config.ts';
import { webBackend } from '../engine/onnxruntime-web.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';
import { fsDocsAssets } from './docs-assets.ts';
import { FsRepository } from './fs-repository.ts';
import { bodyRead, listenError } from './listen.ts';
import { createLogger } from './log.ts';
import { nativeParts } from './native-parts.ts';
import { openDenoSqlite } from './gallery-db/deno.ts';
import { wasmThumbnails } from './gallery-db/thumbnails.ts';
import { pullRepository } from './pull-repository.ts';
import { type RunningServer, type StackParts, announceAndLoad, createServerApp, createStack, localUrl, sleep, stopOnce, ACCEPT_GRACE_MS } from './stack.ts';

export { exitOnSignals } from './signals.ts';

interface DenoHttpServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
}
interface DenoApi {
  serve(
    o: { port: number; hostname: string; reusePort?: boolean; onListen?: () => void },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoHttpServer;
  permissions: { querySync(d: { name: 'ffi'; path?: string }): { state: 'granted' | 'prompt' | 'denied' } };
}
const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/**
 * Whether native addons may load: FFI granted outright, or for the installed packages' folder
 * (deno.json grants `--allow-ffi=./node_modules`, no wider).
 */
export function ffiAllowed(): boolean {
  if (deno.permissions.querySync({ name: 'ffi' }).state === 'granted') return true;
  const dir = (pkg: string) => fileURLToPath(new URL('.', import.meta.resolve(pkg)));
  try {
    return ['onnxruntime-node', '@napi-rs/canvas'].every((p) => deno.permissions.querySync({ name: 'ffi', path: dir(p) }).state === 'granted');
  } catch {
    return false; // a package that does not resolve cannot be loaded either
  }
}

export async function denoParts(cfg: ServerConfig): Promise<StackParts> {
  if (ffiAllowed()) return nativeParts(cfg.models);
  return {
    repository: new FsRepository(cfg.models),
    docs: fsDocsAssets,
    thumbnails: wasmThumbnails,
    engines: {
      engine: 'onnxruntime-web',
      note: 'FFI not allowed: WASM engine and decoder; add --allow-ffi for the native ones',
      inProcess: {
        backends: () => ({ 'onnxruntime-web': webBackend() }),
        tensorizer: async (maxPixels) => {
          const [{ createJsquashDecoder }, { nodeJsquashWasm }] = await Promise.all([import('../image/decoders/jsquash.ts'), import('./jsquash-wasm.ts')]);
          return createImageTensorizer(createJsquashDecoder(nodeJsquashWasm()), { maxPixels });
        },
      },
    },
  };
}

export async function serveDeno(cfg: ServerConfig): Promise<RunningServer> {
  const log = createLogger(cfg.logLevel, cfg.logFormat === 'json');
  if (cfg.pull) await pullRepository(cfg.models, { log, quiet: false });
  const parts = { ...(await denoParts(cfg)), gallerySqlite: openDenoSqlite };
  const stack = createStack(cfg, parts, log);
  const app = createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery, stack.telemetry);
  // Deno.serve has no body-size or idle-timeout knobs: the app's bounded reader answers 413.
  // onListen replaces Deno's own "Listening on" line with our log line below.
  // The socket peer's address goes to auth (loopback rule, rate limits, TRUST_PROXY).
  // reusePort (SO_REUSEPORT) only when asked: otherwise a port in use is an error.
  const body = bodyRead(cfg); // Deno.serve has no idle timer on a request being received
  let server: DenoHttpServer;
  try {
    server = deno.serve({ port: cfg.port, hostname: cfg.host, reusePort: cfg.reusePort, onListen: () => {} }, (req, info) =>
      app.fetch(req, { clientAddress: info.remoteAddr.hostname, bodyRead: body }),
    );
  } catch (e) {
    await stack.shutdown();
    throw listenError(e, cfg);
  }
  const url = localUrl(cfg.host, server.addr.port);
  await announceAndLoad(stack, log, { server: 'edgeserve (Deno)', url, models: cfg.models });
  // shutdown() stops accepting and waits for the responses in flight; the stack drains queues.
  return {
    url,
    stop: stopOnce(log, async () => {
      const drained = stack.shutdown();
      await sleep(ACCEPT_GRACE_MS); // see ACCEPT_GRACE_MS: requests already on their way in
      await Promise.all([server.shutdown(), drained]);
    }),
  };
}
