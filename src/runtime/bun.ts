// Bun composition root: the parts Bun runs from source (native engine and decoder in worker
// threads, repository and docs on disk), Bun.serve with explicit body and idle limits, graceful
// shutdown, and `bun --hot` support. The compiled binary (runtime/compile/) reuses serveBun with
// its own parts.
//
// Hot reload: `bun --hot` re-evaluates every module in the same process and runs cli.ts again,
// which calls serveBun again. Anything created per call would leak (a worker pool and its ONNX
// sessions per reload) and a second Bun.serve would fail on the taken port. So the listener,
// the pool and the registry live on globalThis under one symbol; a repeated call only builds a
// new Hono app from the freshly evaluated route modules and swaps it in with server.reload().
// If the server settings changed (env, flags or config defaults), the old server is stopped and
// a new one started instead.

import type { ServerConfig } from '../config/server-config.ts';
import type { RequestEnv } from '../http/auth.ts';
import type { BodyEnv } from '../http/body.ts';
import { bodyRead, listenError } from './listen.ts';
import { type Logger, createLogger } from './log.ts';
import { nativeParts } from './native-parts.ts';
import { openBunSqlite } from './gallery-db/bun.ts';
import { pullRepository } from './pull-repository.ts';
import {
  type RunningServer,
  type Stack,
  type StackParts,
  announceAndLoad,
  createServerApp,
  createStack,
  localUrl,
  sleep,
  stopOnce,
  ACCEPT_GRACE_MS,
} from './stack.ts';

export { exitOnSignals } from './signals.ts';
export type { RunningServer } from './stack.ts';

/** Parts for Bun running from source. */
export function bunParts(cfg: ServerConfig): Promise<StackParts> {
  return nativeParts(cfg.models);
}

export interface ServeBunOptions {
  /** The runtime's parts (default: bunParts). */
  parts?: (cfg: ServerConfig, log: Logger) => Promise<StackParts>;
  /** Pull missing weights first (default cfg.pull; the compiled binary has nothing to pull). */
  pull?: boolean;
}

interface HotState {
  /** The settings the listener and pool were built for; a reload with others restarts. */
  key: string;
  server: Bun.Server<undefined>;
  stack: Stack;
  running: RunningServer;
  reloads: number;
  stopped: boolean;
}

const HOT = Symbol.for('edgeserve.bun.server');
const hot = globalThis as typeof globalThis & { [HOT]?: HotState };

export async function serveBun(cfg: ServerConfig, o: ServeBunOptions = {}): Promise<RunningServer> {
  const log = createLogger(cfg.logLevel, cfg.logFormat === 'json');
  const makeParts = o.parts ?? ((c: ServerConfig) => bunParts(c));
  const key = JSON.stringify(cfg);
  // Only under --hot: elsewhere two calls mean two servers (tests, embedding), not a reload.
  const hotMode = process.execArgv.includes('--hot');
  const prev = hotMode ? hot[HOT] : undefined;
  if (prev && !prev.stopped) {
    if (prev.key === key) return reloadApp(prev, cfg, await makeParts(cfg, log), log);
    log('info', 'hot reload: server settings changed; restarting the listener and the worker pool');
    await prev.running.stop();
  }

  if (o.pull ?? cfg.pull) await pullRepository(cfg.models, { log, quiet: false });
  const parts = await makeParts(cfg, log);
  parts.gallerySqlite ??= openBunSqlite; // the compiled binary's parts too
  const stack = createStack(cfg, parts, log);
  const app = createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery, stack.telemetry);
  let server: Bun.Server<undefined>;
  try {
    server = Bun.serve({
      port: cfg.port,
      hostname: cfg.host,
      fetch: withPeer(app, cfg),
      // Bun's own limit answers an empty 413 (before the app sees the request, for a declared
      // length): the app's reader enforces MAX_BODY_BYTES with a JSON error instead. Bun drops an
      // unread body as it arrives, without buffering it.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: cfg.idleTimeoutS,
      // Bun sets SO_REUSEPORT by default with development: false, and a second server on the port
      // would then start and split the traffic: a port in use is an error unless asked for.
      reusePort: cfg.reusePort,
      development: false,
    });
  } catch (e) {
    await stack.shutdown();
    throw listenError(e, cfg);
  }
  const url = localUrl(cfg.host, server.port!);
  const state: HotState = {
    key,
    server,
    stack,
    reloads: 0,
    stopped: false,
    running: {
      url,
      stop: stopOnce(log, async () => {
        state.stopped = true;
        const drained = stack.shutdown();
        await sleep(ACCEPT_GRACE_MS); // see ACCEPT_GRACE_MS: requests already on their way in
        void server.stop(false);
        await drained;
        await server.stop(true);
      }),
    },
  };
  if (hotMode) hot[HOT] = state;
  await announceAndLoad(stack, log, { server: 'edgeserve', url, models: parts.repositoryLabel ?? cfg.models });
  return state.running;
}

/**
 * The app's fetch, told the socket peer's address (auth: loopback, rate limits, proxies) and the
 * body clocks. Bun's idle timer is not reset by body data, so it is off while the app reads a
 * body (the reader measures inactivity itself) and back on afterwards.
 */
function withPeer(app: { fetch: (req: Request, env: RequestEnv & BodyEnv) => Response | Promise<Response> }, cfg: ServerConfig) {
  return (req: Request, server: Bun.Server<undefined>) =>
    app.fetch(req, {
      clientAddress: server.requestIP(req)?.address,
      bodyRead: bodyRead(cfg, () => {
        server.timeout(req, 0);
        return () => server.timeout(req, cfg.idleTimeoutS);
      }),
    });
}

/** A `bun --hot` re-run: same listener, pool and models; a new app from the new modules. */
function reloadApp(s: HotState, cfg: ServerConfig, parts: StackParts, log: Logger): RunningServer {
  const app = createServerApp(cfg, s.stack.dataPlane, parts, log, s.stack.auth, s.stack.gallery, s.stack.telemetry);
  s.server.reload({ fetch: withPeer(app, cfg) });
  s.reloads++;
  // Every dependency was re-evaluated: the old module graph is garbage now. Collecting it at once
  // keeps RSS flat across reloads (without this it grew ~3 MB per reload until a GC came).
  setTimeout(() => Bun.gc(true), 200);
  log('info', `hot reload ${s.reloads}: routes rebuilt; listener, worker pool and models kept`);
  return s.running;
}
