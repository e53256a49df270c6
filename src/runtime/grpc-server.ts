// The gRPC listener: inference.GRPCInferenceService (src/grpc/) on its own node:http2 server,
// because Bun.serve sends no HTTP trailers and gRPC needs them. The same code serves on Bun, Node,
// Deno and in the compiled binary (all three runtimes' node:http2 serve unary and bidi-streaming
// calls). h2c (gRPC's plaintext HTTP/2) by default; TLS with GRPC_TLS_CERT + GRPC_TLS_KEY. Connect's
// node adapter also answers the gRPC-Web and Connect protocols on this port.
//
// Shutdown is two steps so in-flight calls finish: stopAccepting() refuses new connections and
// sends GOAWAY on open ones (their running calls go on) while the DataPlane drains, then close()
// ends what is left (an idle ModelStreamInfer stream would otherwise hold the process).

import { readFileSync } from 'node:fs';
import {
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  createSecureServer,
  createServer,
} from 'node:http2';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Code, ConnectError, createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Compression } from '@connectrpc/connect/protocol';
import type { DataPlane } from '../core/dataplane.ts';
import { encodeGrpcMessage } from '../grpc/errors.ts';
import { type GrpcHooks, PEER_ADDRESS } from '../grpc/hooks.ts';
import { grpcRouterOptions, grpcRoutes } from '../grpc/router.ts';
import type { TraceControl } from '../observability/tracing.ts';
import type { Logger } from './log.ts';

export interface GrpcServerOptions {
  host: string;
  /** 0 = any free port (see GrpcListener.port). */
  port: number;
  maxMessageBytes: number;
  /** PEM files; both or neither. */
  tlsCert?: string;
  tlsKey?: string;
  hooks?: GrpcHooks;
  log: Logger;
  /** Trace settings for the TraceSetting RPC (LogSettings uses `log.control`). */
  trace?: TraceControl;
}

export interface GrpcListener {
  port: number;
  /** `host:port`, as gRPC clients take it. */
  address: string;
  tls: boolean;
  stopAccepting(): void;
  close(): Promise<void>;
}

const codecs = {
  gzip: { compress: promisify(zlib.gzip), decompress: promisify(zlib.gunzip) },
  deflate: { compress: promisify(zlib.deflate), decompress: promisify(zlib.inflate) },
};

/**
 * Request decompression for grpc's "gzip" and "deflate" (zlib format), both of which Triton's
 * Python client offers. Written here rather than taking connect-node's compressionGzip: on Bun
 * the Buffer zlib hands back can be reused by a later call, and tensors decoded from the message
 * are views into it (no copy), so it must be a buffer of its own: `new Uint8Array(buf)` copies.
 * Measured: a gzip-compressed `simple` request came back with its inputs overwritten.
 */
function zlibCompression(name: keyof typeof codecs): Compression {
  const c = codecs[name];
  return {
    name,
    compress: async (bytes) => new Uint8Array(await c.compress(bytes)),
    decompress: async (bytes, readMaxBytes) => {
      if (bytes.length === 0) return new Uint8Array(0);
      try {
        return new Uint8Array(await c.decompress(bytes, { maxOutputLength: readMaxBytes }));
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          throw new ConnectError(`message is larger than ${readMaxBytes} bytes after decompression`, Code.ResourceExhausted);
        throw new ConnectError(`${name} decompression failed: ${(e as Error).message}`, Code.InvalidArgument);
      }
    },
  };
}

export async function startGrpcServer(dp: DataPlane, o: GrpcServerOptions): Promise<GrpcListener> {
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) {
    throw new Error(`gRPC TLS needs both GRPC_TLS_CERT and GRPC_TLS_KEY (got only ${o.tlsCert ? 'GRPC_TLS_CERT' : 'GRPC_TLS_KEY'})`);
  }
  const shutdown = new AbortController();
  const connect = connectNodeAdapter({
    routes: grpcRoutes(dp, { log: o.log, logging: o.log.control, trace: o.trace }),
    // The socket peer's address for the auth hook (loopback rule, rate limits, TRUST_PROXY).
    contextValues: (req) => createContextValues().set(PEER_ADDRESS, req.socket?.remoteAddress),
    ...grpcRouterOptions({
      maxMessageBytes: o.maxMessageBytes,
      hooks: o.hooks,
      acceptCompression: [zlibCompression('gzip'), zlibCompression('deflate')],
      shutdownSignal: shutdown.signal,
    }),
  });
  const handler = (req: Http2ServerRequest, res: Http2ServerResponse) => {
    dropUnboundedDeadline(req);
    specGrpcMessage(res);
    void connect(req, res);
  };
  const mib = Math.ceil(o.maxMessageBytes / 2 ** 20);
  const http2Options = {
    // Counts the responses queued to be sent: room for a couple of the largest ones, so a big
    // answer does not make the session refuse new calls.
    maxSessionMemory: 2 * mib + 16,
  };
  const tls = Boolean(o.tlsCert);
  let server: Http2Server | Http2SecureServer;
  if (tls) {
    const read = (what: string, path: string) => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new Error(`${what} ${path}: ${(e as Error).message}`);
      }
    };
    server = createSecureServer({ ...http2Options, cert: read('GRPC_TLS_CERT', o.tlsCert!), key: read('GRPC_TLS_KEY', o.tlsKey!) }, handler);
  } else {
    server = createServer(http2Options, handler);
  }
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (s: ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`gRPC port ${o.port} on ${o.host} is already in use (set GRPC_PORT to another port, or GRPC_PORT=off)`)
          : new Error(`gRPC listener on ${o.host}:${o.port}: ${e.message}`),
      );
    };
    server.once('error', onError);
    server.listen({ port: o.port, host: o.host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  let closed: Promise<void> | undefined;
  const stopAccepting = () => {
    if (closed) return;
    closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sessions) s.close();
  };
  return {
    port,
    address: `${host}:${port}`,
    tls,
    stopAccepting,
    close: async () => {
      stopAccepting();
      shutdown.abort(new ConnectError('the server is shutting down', Code.Unavailable));
      // Give aborted calls a moment to send their status, then drop whatever still holds on.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
      for (const s of sessions) s.destroy();
      await closed;
    },
  };
}

/** Re-encodes Connect's grpc-message (trailers, or headers of a trailers-only answer) per spec. */
function specGrpcMessage(res: Http2ServerResponse): void {
  const fix = (h: OutgoingHttpHeaders | undefined) => {
    const v = h?.['grpc-message'];
    if (typeof v === 'string') {
      let raw = v;
      try {
        raw = decodeURIComponent(v);
      } catch {
        /* not Connect's encoding: leave it */
      }
      h!['grpc-message'] = encodeGrpcMessage(raw);
    }
  };
  const addTrailers = res.addTrailers.bind(res);
  res.addTrailers = (t) => {
    fix(t as OutgoingHttpHeaders);
    addTrailers(t);
  };
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => Http2ServerResponse;
  res.writeHead = ((status: number, headers?: OutgoingHttpHeaders) => {
    fix(headers);
    return writeHead(status, headers);
  }) as Http2ServerResponse['writeHead'];
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * A grpc-timeout beyond what a timer can hold (2^31-1 ms, ~24.8 days) means "no deadline":
 * Triton's Python client sends 99999999S by default (client_timeout=sys.maxsize), and a timer
 * that long would overflow and fire at once, failing every call with DEADLINE_EXCEEDED.
 */
function dropUnboundedDeadline(req: Http2ServerRequest): void {
  const v = req.headers['grpc-timeout'];
  const m = typeof v === 'string' ? /^(\d{1,8})([HMSmun])$/.exec(v) : null;
  if (m && Number(m[1]) * UNIT_MS[m[2]] > 2 ** 31 - 1) delete req.headers['grpc-timeout'];
}
