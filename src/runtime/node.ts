// Node composition root. Node 20 cannot run TypeScript, so `npm run build:node` bundles the CLI
// and the worker entry into dist/node/ (Bun's bundler, dependencies left in node_modules) and
// `node dist/node/cli.js serve` runs this. Same stack as Bun: native engine and decoder in
// worker threads. @hono/node-server is not a dependency; the adapter below is the small part of
// it this server needs (a Request in, the app's Response streamed out, aborts on disconnect).

import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { Readable } from 'node:stream';
import type { ServerConfig } from '../config/server-config.ts';
import type { RequestEnv } from '../http/auth.ts';
import { createLogger } from './log.ts';
import { nativeParts } from './native-parts.ts';
import { openNodeSqlite } from './gallery-db/node.ts';
import { pullRepository } from './pull-repository.ts';
import { type RunningServer, type StackParts, announceAndLoad, createServerApp, createStack, localUrl, stopOnce } from './stack.ts';

export { exitOnSignals } from './signals.ts';

type Fetch = (req: Request, env: RequestEnv) => Response | Promise<Response>;

export function nodeParts(cfg: ServerConfig): Promise<StackParts> {
  // Bundled beside this file as workers/worker-entry.js (scripts/build-node.sh).
  return nativeParts(cfg.models, { entry: new URL('./workers/worker-entry.js', import.meta.url) });
}

export async function serveNode(cfg: ServerConfig): Promise<RunningServer> {
  const log = createLogger(cfg.logLevel, process.env.LOG_FORMAT === 'json');
  if (cfg.pull) await pullRepository(cfg.models, { log, quiet: false });
  const parts = { ...(await nodeParts(cfg)), gallerySqlite: openNodeSqlite };
  const stack = createStack(cfg, parts, log);
  const app = createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery);
  const server = createServer((req, res) => void handle(app.fetch as Fetch, req, res, log));
  server.keepAliveTimeout = cfg.idleTimeoutS * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
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

/** One request through the app. Bodies stream both ways; a client that goes away aborts. */
async function handle(fetch: Fetch, req: IncomingMessage, res: ServerResponse, log: ReturnType<typeof createLogger>): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => { if (!res.writableFinished) abort.abort(); });
  try {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.append(k, x);
      else if (v !== undefined) headers.set(k, v);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>) : undefined,
      signal: abort.signal,
      // Required by Node's fetch for a streamed request body.
      ...(hasBody ? { duplex: 'half' } : {}),
    } as RequestInit);
    // The socket peer's address: auth's loopback rule, rate limits and TRUST_PROXY read it.
    const response = await fetch(request, { clientAddress: req.socket.remoteAddress });
    res.statusCode = response.status;
    // Set-Cookie is the one header that must not be folded; this server sends none.
    response.headers.forEach((v, k) => res.setHeader(k, v));
    if (!response.body || req.method === 'HEAD') return void res.end();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  } catch (e) {
    log('error', `node adapter: ${(e as Error).message}`);
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'internal error' }));
    } else res.destroy();
  }
}
