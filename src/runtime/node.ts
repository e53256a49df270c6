// Node composition root. Node 20 cannot run TypeScript, so `npm run build:node` bundles the CLI
// and the worker entry into dist/node/ (Bun's bundler, dependencies left in node_modules) and
// `node dist/node/cli.js serve` runs this. Same stack as Bun: native engine and decoder in
// worker threads. Requests go through @hono/node-server's listener (Request in, Response
// streamed out, Set-Cookie kept apart, aborts on disconnect) on a node:http server made here,
// so the listen options, timeouts and the answers to malformed requests are ours.

import { createServer } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { type HttpBindings, RequestError, getRequestListener } from '@hono/node-server';
import type { ServerConfig } from '../config/server-config.ts';
import type { RequestEnv } from '../http/auth.ts';
import type { BodyEnv } from '../http/body.ts';
import { openNodeSqlite } from './gallery-db/node.ts';
import { bodyRead, listenError } from './listen.ts';
import { createLogger } from './log.ts';
import { nativeParts } from './native-parts.ts';
import { pullRepository } from './pull-repository.ts';
import { type RunningServer, type StackParts, announceAndLoad, createServerApp, createStack, localUrl, sleep, stopOnce, ACCEPT_GRACE_MS } from './stack.ts';

export { exitOnSignals } from './signals.ts';

type Fetch = (req: Request, env: RequestEnv & BodyEnv) => Response | Promise<Response>;

export function nodeParts(cfg: ServerConfig): Promise<StackParts> {
  // Bundled beside this file as workers/worker-entry.js (scripts/build-node.sh).
  return nativeParts(cfg.models, { entry: new URL('./workers/worker-entry.js', import.meta.url) });
}

/** SO_REUSEPORT in net.Server#listen came with Node 22.12 / 23.1. */
function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export async function serveNode(cfg: ServerConfig): Promise<RunningServer> {
  if (cfg.reusePort && !nodeHasReusePort()) {
    throw new Error(
      `REUSE_PORT=true needs Node ≥ 22.12 (SO_REUSEPORT in listen()); this is Node ${process.versions.node}. Run the servers on separate ports, or on Bun or Deno`,
    );
  }
  const log = createLogger(cfg.logLevel, cfg.logFormat === 'json');
  if (cfg.pull) await pullRepository(cfg.models, { log, quiet: false });
  const parts = { ...(await nodeParts(cfg)), gallerySqlite: openNodeSqlite };
  const stack = createStack(cfg, parts, log);
  const app = createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery, stack.telemetry);
  const fetch = app.fetch as Fetch;
  const body = bodyRead(cfg); // node:http has no idle timer on a request being received
  const listener = getRequestListener((req, env) => fetch(req, { clientAddress: (env as HttpBindings).incoming.socket.remoteAddress, bodyRead: body }), {
    // A request the adapter cannot turn into a Request (a malformed Host): 400 with our body.
    errorHandler: (e) =>
      Response.json(
        { error: e instanceof RequestError ? `bad request: ${e.message}` : `internal error: ${(e as Error)?.message ?? String(e)}` },
        { status: e instanceof RequestError ? 400 : 500 },
      ),
  });
  const server = createServer(listener);
  server.keepAliveTimeout = cfg.idleTimeoutS * 1000;
  // Node's own limit on receiving a whole request: just above ours, so the app's 408 (JSON) wins.
  server.requestTimeout = cfg.bodyTimeoutS * 1000 + 5000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
  const traffic = trackTraffic(server);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: cfg.port, host: cfg.host, ...(cfg.reusePort ? { reusePort: true } : {}) }, () => resolve());
    });
  } catch (e) {
    await stack.shutdown();
    throw listenError(e, cfg);
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const url = localUrl(cfg.host, port);
  await announceAndLoad(stack, log, { server: 'edgeserve (Node)', url, models: cfg.models });
  return {
    url,
    stop: stopOnce(log, async () => {
      const drained = stack.shutdown();
      await traffic.acceptsQuiet(ACCEPT_GRACE_MS, DRAIN_QUIET_LIMIT_MS);
      // net.Server's close, not http.Server's: that one (Node ≥ 19) also destroys idle connections
      // at once, and a connection whose request has arrived but is not parsed yet counts as idle.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      await drained;
      // Node counts a connection whose request bytes have arrived but are not parsed yet as idle,
      // and a busy machine can hold such bytes for longer than the grace: close the idle ones only
      // once no request is open and no byte has arrived for a grace period (bounded).
      await traffic.quiet(ACCEPT_GRACE_MS, DRAIN_QUIET_LIMIT_MS);
      server.closeIdleConnections();
      await closed;
    }),
  };
}

/** The longest a stopping server waits for new connections, then for its connections, to go quiet. */
const DRAIN_QUIET_LIMIT_MS = 10_000;

/** Requests open and the time of the last byte received or request answered, on every connection. */
function trackTraffic(server: ReturnType<typeof createServer>) {
  let open = 0;
  let last = 0;
  let lastConnection = 0;
  const seen = () => {
    last = performance.now();
  };
  server.on('connection', (socket: Socket) => {
    lastConnection = performance.now();
    seen();
    socket.on('data', seen);
  });
  server.on('request', (_req, res) => {
    open++;
    seen();
    res.once('close', () => {
      open--;
      seen();
    });
  });
  const untilPolled = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    /** Resolves once no connection has been accepted for `quietMs` (or after `limitMs`). Each
     *  check runs after an event-loop poll phase, so connections waiting in the kernel's backlog
     *  when the timer fires (a busy machine can stall the loop past the timer) are accepted first. */
    async acceptsQuiet(quietMs: number, limitMs: number): Promise<void> {
      const end = performance.now() + limitMs;
      do {
        await sleep(quietMs);
        await untilPolled();
      } while (performance.now() - lastConnection < quietMs && performance.now() < end);
    },
    /** Resolves once no request is open and nothing has arrived for `quietMs`, or after `limitMs`. */
    async quiet(quietMs: number, limitMs: number): Promise<void> {
      const end = performance.now() + limitMs;
      while ((open > 0 || performance.now() - last < quietMs) && performance.now() < end) await sleep(10);
    },
  };
}

/**
 * What node:http's parser rejects before any handler runs (bad framing, headers too large, a
 * request that took too long) gets a `{"error"}` body like every other answer, then the close.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, reason, msg] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', `malformed HTTP request (${err.code ?? err.message})`];
  const body = JSON.stringify({ error: msg });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
