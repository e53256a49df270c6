// Node composition root. Node 20 cannot run TypeScript, so `npm run build:node` bundles the CLI
// and the worker entry into dist/node/ (Bun's bundler, dependencies left in node_modules) and
// `node dist/node/cli.js serve` runs this. Same stack as Bun: native engine and decoder in
// worker threads. Requests go through @hono/node-server's listener (Request in, Response
// streamed out, Set-Cookie kept apart, aborts on disconnect) on a node:http server made here,
// so the listen options, timeouts and the answers to malformed requests are ours.

import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { type HttpBindings, RequestError, getRequestListener } from '@hono/node-server';
import type { ServerConfig } from '../config/server-config.ts';
import type { RequestEnv } from '../http/auth.ts';
import type { BodyEnv } from '../http/body.ts';
import { openNodeSqlite } from './gallery-db/node.ts';
import { bodyRead, listenError } from './listen.ts';
import { createLogger } from './log.ts';
import { nativeParts } from './native-parts.ts';
import { pullRepository } from './pull-repository.ts';
import { type RunningServer, type StackParts, announceAndLoad, createServerApp, createStack, localUrl, stopOnce } from './stack.ts';

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
    throw new Error(`REUSE_PORT=true needs Node ≥ 22.12 (SO_REUSEPORT in listen()); this is Node ${process.versions.node}. Run the servers on separate ports, or on Bun or Deno`);
  }
  const log = createLogger(cfg.logLevel, cfg.logFormat === 'json');
  if (cfg.pull) await pullRepository(cfg.models, { log, quiet: false });
  const parts = { ...(await nodeParts(cfg)), gallerySqlite: openNodeSqlite };
  const stack = createStack(cfg, parts, log);
  const app = createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery, stack.telemetry);
  const fetch = app.fetch as Fetch;
  const body = bodyRead(cfg); // node:http has no idle timer on a request being received
  const listener = getRequestListener(
    (req, env) => fetch(req, { clientAddress: (env as HttpBindings).incoming.socket.remoteAddress, bodyRead: body }),
    {
      // A request the adapter cannot turn into a Request (a malformed Host): 400 with our body.
      errorHandler: (e) => Response.json({ error: e instanceof RequestError ? `bad request: ${e.message}` : `internal error: ${(e as Error)?.message ?? String(e)}` }, { status: e instanceof RequestError ? 400 : 500 }),
    },
  );
  const server = createServer(listener);
  server.keepAliveTimeout = cfg.idleTimeoutS * 1000;
  // Node's own limit on receiving a whole request: just above ours, so the app's 408 (JSON) wins.
  server.requestTimeout = cfg.bodyTimeoutS * 1000 + 5000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await stack.shutdown();
      await closed;
    }),
  };
}

/**
 * What node:http's parser rejects before any handler runs (bad framing, headers too large, a
 * request that took too long) gets a `{"error"}` body like every other answer, then the close.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, reason, msg] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'request headers too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'the request took too long to arrive']
    : [400, 'Bad Request', `malformed HTTP request (${err.code ?? err.message})`];
  const body = JSON.stringify({ error: msg });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
