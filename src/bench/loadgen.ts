// Closed-loop HTTP/1.1 load generator on raw Bun sockets: `c` keep-alive connections, each
// sending one fixed, pre-encoded request, waiting for the whole response, and sending again,
// for a fixed time. Raw sockets rather than fetch() because the generator shares the cores
// with the server under test: it must cost little CPU per request (no Request/Response
// objects, no body decoding) and hold exactly `c` connections (fetch pools them its own way).
// Counts only responses that complete inside the measuring window (after the warm-up), as wrk
// does; what is in flight when the window closes is dropped with its connection.

import type { Socket } from 'bun';
import { summarize, type Summary } from './stats.ts';

export interface LoadOptions {
  host: string;
  port: number;
  /** Pre-encoded request: see multipartRequest(). */
  request: Uint8Array;
  connections: number;
  durationMs: number;
  warmupMs?: number;
  /** After a 503, wait this long before the next request on that connection, as a client
   *  honouring Retry-After would (default 0: retry at once, the worst case for the server). */
  backoffOn503Ms?: number;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** Completed responses per second in the window (every status). */
  rps: number;
  /** 2xx responses per second in the window. */
  okRps: number;
  status: Record<number, number>;
  /** Latency of 2xx responses (ms). */
  ok: Summary;
  /** Latency of every response (ms). */
  all: Summary;
  /** Connections that failed or closed mid-request (they are reopened). */
  socketErrors: number;
}

interface Conn {
  sentAt: number;
  /** Bytes of the request still to write (backpressure). */
  offset: number;
  buf: Uint8Array;
  len: number;
  /** -1 until the header block is parsed. */
  need: number;
  status: number;
  chunked: boolean;
  busy: boolean;
}

const CRLF2 = [13, 10, 13, 10];
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A multipart/form-data POST with one file field, as curl -F and wrk's req.lua send it. */
export function multipartRequest(
  host: string,
  port: number,
  path: string,
  field: string,
  file: Uint8Array,
  filename = 'image.jpg',
  type = 'image/jpeg',
): Uint8Array {
  return multipartFilesRequest(host, port, path, [{ field, file, filename, type }]);
}

/** The same with several file parts (verify: image1 and image2). */
export function multipartFilesRequest(
  host: string,
  port: number,
  path: string,
  parts: Array<{ field: string; file: Uint8Array; filename?: string; type?: string }>,
): Uint8Array {
  const boundary = '----edgeserveBench7MA4YWxkTrZu0gW';
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(
      enc.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.filename ?? 'image.jpg'}"\r\nContent-Type: ${p.type ?? 'image/jpeg'}\r\n\r\n`,
      ),
      p.file,
      enc.encode('\r\n'),
    );
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const headers = enc.encode(
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\nConnection: keep-alive\r\n\r\n`,
  );
  const out = new Uint8Array(headers.length + length);
  out.set(headers, 0);
  let at = headers.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A POST of any body (KServe binary tensors: `Inference-Header-Content-Length` in `headers`). */
export function postRequest(host: string, port: number, path: string, contentType: string, body: Uint8Array, headers: Record<string, string> = {}): Uint8Array {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const head = enc.encode(
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n${extra}Connection: keep-alive\r\n\r\n`,
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** A bodiless GET (framework-overhead checks). */
export function getRequest(host: string, port: number, path: string): Uint8Array {
  return enc.encode(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: keep-alive\r\n\r\n`);
}

function indexOfCrlf2(b: Uint8Array, len: number, from: number): number {
  for (let i = Math.max(0, from); i + 3 < len; i++) {
    if (b[i] === 13 && b[i + 1] === CRLF2[1] && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const warmup = o.warmupMs ?? 0;
  const t0 = performance.now();
  const windowStart = t0 + warmup;
  const windowEnd = windowStart + o.durationMs;
  const status: Record<number, number> = {};
  const okLat: number[] = [];
  const allLat: number[] = [];
  let socketErrors = 0;
  let stopping = false;
  const sockets = new Set<Socket<Conn>>();

  const send = (s: Socket<Conn>) => {
    const c = s.data;
    if (stopping) return;
    c.busy = true;
    c.sentAt = performance.now();
    c.offset = 0;
    c.len = 0;
    c.need = -1;
    write(s);
  };
  const write = (s: Socket<Conn>) => {
    const c = s.data;
    while (c.offset < o.request.length) {
      const n = s.write(o.request, c.offset, o.request.length - c.offset);
      if (n <= 0) return; // wait for drain
      c.offset += n;
    }
  };
  const complete = (s: Socket<Conn>) => {
    const c = s.data;
    const end = performance.now();
    c.busy = false;
    if (end >= windowStart && end <= windowEnd) {
      const ms = end - c.sentAt;
      status[c.status] = (status[c.status] ?? 0) + 1;
      allLat.push(ms);
      if (c.status >= 200 && c.status < 300) okLat.push(ms);
    }
    if (c.status === 503 && o.backoffOn503Ms) setTimeout(() => send(s), o.backoffOn503Ms);
    else send(s);
  };
  const onData = (s: Socket<Conn>, chunk: Uint8Array) => {
    const c = s.data;
    if (c.len + chunk.length > c.buf.length) {
      const grown = new Uint8Array(Math.max(c.buf.length * 2, c.len + chunk.length));
      grown.set(c.buf.subarray(0, c.len));
      c.buf = grown;
    }
    const prev = c.len;
    c.buf.set(chunk, c.len);
    c.len += chunk.length;
    if (c.need < 0) {
      const h = indexOfCrlf2(c.buf, c.len, prev - 3);
      if (h < 0) return;
      const head = dec.decode(c.buf.subarray(0, h));
      c.status = Number(head.slice(9, 12));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      c.chunked = !cl && /\r\ntransfer-encoding:\s*chunked/i.test(head);
      c.need = h + 4 + (cl ? Number(cl[1]) : 0);
    }
    if (c.chunked) {
      // Enough for the JSON answers measured here: the body ends with the zero-length chunk.
      const b = c.buf;
      const n = c.len;
      if (n >= 5 && b[n - 5] === 48 && b[n - 4] === 13 && b[n - 3] === 10 && b[n - 2] === 13 && b[n - 1] === 10) complete(s);
    } else if (c.len >= c.need) {
      complete(s);
    }
  };

  const open = async (): Promise<void> => {
    const data: Conn = { sentAt: 0, offset: 0, buf: new Uint8Array(4096), len: 0, need: -1, status: 0, chunked: false, busy: false };
    try {
      const s = await Bun.connect<Conn>({
        hostname: o.host,
        port: o.port,
        data,
        socket: {
          data: onData,
          drain: (sk) => {
            if (sk.data.busy) write(sk);
          },
          close: (sk) => {
            sockets.delete(sk);
            if (stopping) return;
            if (sk.data.busy) socketErrors++;
            void open(); // the server closed it (or it failed): keep c connections
          },
          error: () => {
            socketErrors++;
          },
        },
      });
      sockets.add(s);
      send(s);
    } catch {
      socketErrors++;
      if (!stopping) setTimeout(() => void open(), 50);
    }
  };

  await Promise.all(Array.from({ length: o.connections }, () => open()));
  await Bun.sleep(Math.max(0, windowEnd - performance.now()));
  stopping = true;
  for (const s of sockets) s.end();
  sockets.clear();
  const seconds = o.durationMs / 1000;
  const ok = summarize(okLat);
  return { connections: o.connections, seconds, rps: allLat.length / seconds, okRps: okLat.length / seconds, status, ok, all: summarize(allLat), socketErrors };
}
