// The fuzzer's HTTP/1.1 client over node:net: writes exactly the bytes a case says (broken
// framing included, split into several writes if asked), optionally half-closes, and parses
// whatever comes back into responses. Unlike fetch it can send a Content-Length that lies, a
// lowercase method or two pipelined requests, and it tells "the server closed without an
// answer" apart from "the server answered".

import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface Exchange {
  responses: RawResponse[];
  /** The connection ended (or timed out) before the expected answers arrived. */
  closedEarly: boolean;
  timedOut: boolean;
  /** Bytes received that are not a well-formed HTTP response. */
  garbage?: string;
  error?: string;
  ms: number;
}

export interface SendOptions {
  host: string;
  port: number;
  /** The bytes to write, in order (a short pause between writes). */
  writes: Uint8Array[];
  /** Half-close (FIN) after writing. */
  halfClose?: boolean;
  /** How many responses to wait for before closing (pipelining sends more than one). */
  expect: number;
  /** Methods of the requests, in order (HEAD answers carry no body). */
  methods?: string[];
  timeoutMs: number;
}

export function send(o: SendOptions): Promise<Exchange> {
  const start = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const sock = connect({ host: o.host, port: o.port });
    const finish = (extra: { ended?: boolean; timedOut?: boolean; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const parsed = parseResponses(Buffer.concat(chunks), o.methods ?? [], Boolean(extra.ended));
      resolve({
        responses: parsed.responses,
        closedEarly: parsed.responses.length < o.expect && !extra.timedOut,
        timedOut: Boolean(extra.timedOut) && parsed.responses.length < o.expect,
        ...(parsed.garbage ? { garbage: parsed.garbage } : {}),
        ...(extra.error ? { error: extra.error } : {}),
        ms: performance.now() - start,
      });
    };
    const timer = setTimeout(() => finish({ ended: true, timedOut: true }), o.timeoutMs);
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      const parsed = parseResponses(Buffer.concat(chunks), o.methods ?? [], false);
      if (parsed.responses.length >= o.expect && parsed.complete) finish({});
    });
    sock.on('end', () => finish({ ended: true }));
    sock.on('close', () => finish({ ended: true }));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ ended: true, error: e.code ?? e.message }));
    sock.on('connect', async () => {
      for (let i = 0; i < o.writes.length; i++) {
        if (done) return;
        if (i > 0) await new Promise((r) => setTimeout(r, 2));
        sock.write(o.writes[i]);
      }
      if (o.halfClose && !done) sock.end();
    });
  });
}

interface Parsed {
  responses: RawResponse[];
  /** The last response's body is complete (false while a body is still arriving). */
  complete: boolean;
  garbage?: string;
}

/** Responses in `buf`. `ended`: the connection is closed, so a body without length ends here. */
export function parseResponses(buf: Buffer, methods: string[], ended: boolean): Parsed {
  const responses: RawResponse[] = [];
  let at = 0;
  let request = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd < 0) {
      const head = buf.subarray(at, Math.min(buf.length, at + 16)).toString('latin1');
      return {
        responses,
        complete: false,
        ...(!/^HTTP\/1\.[01] /.test(head) && head.length >= 9 ? { garbage: JSON.stringify(buf.subarray(at, at + 80).toString('latin1')) } : {}),
      };
    }
    const lines = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) return { responses, complete: true, garbage: JSON.stringify(buf.subarray(at, at + 80).toString('latin1')) };
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    let pos = headEnd + 4;
    if (status >= 100 && status < 200) {
      at = pos; // interim (100 Continue): the real answer follows
      continue;
    }
    const head = (methods[request] ?? 'GET').toUpperCase() === 'HEAD';
    let body: Uint8Array;
    if (head || status === 204 || status === 304) body = new Uint8Array(0);
    else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = buf.indexOf('\r\n', pos);
        if (eol < 0) return { responses, complete: false };
        const size = Number.parseInt(buf.subarray(pos, eol).toString('latin1'), 16);
        if (!Number.isFinite(size)) return { responses, complete: true, garbage: 'bad chunk size in response' };
        pos = eol + 2;
        if (size === 0) {
          const end = buf.indexOf('\r\n', pos); // trailers (none expected), then CRLF
          if (end < 0) return { responses, complete: false };
          pos = end + 2;
          break;
        }
        if (pos + size + 2 > buf.length) return { responses, complete: false };
        parts.push(buf.subarray(pos, pos + size));
        pos += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (pos + n > buf.length) return { responses, complete: false };
      body = buf.subarray(pos, pos + n);
      pos += n;
    } else {
      if (!ended) return { responses, complete: false }; // read until close
      body = buf.subarray(pos);
      pos = buf.length;
    }
    responses.push({ status, headers, body: new Uint8Array(body) });
    request++;
    at = pos;
  }
  return { responses, complete: true };
}

/** One request's bytes: request line, headers (Content-Length added unless given or
 *  `noLength`), blank line, body. Header values are written exactly as given. */
export function requestBytes(
  method: string,
  target: string,
  headers: Array<[string, string]>,
  body?: Uint8Array,
  o: { noLength?: boolean; version?: string; eol?: string } = {},
): Uint8Array {
  const eol = o.eol ?? '\r\n';
  const hs = [...headers];
  if (!hs.some(([k]) => k.toLowerCase() === 'host')) hs.unshift(['Host', 'fuzz.local']);
  const hasLength = hs.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k));
  if (!hasLength && !o.noLength && body !== undefined) hs.push(['Content-Length', String(body.length)]);
  const head = `${method} ${target} ${o.version ?? 'HTTP/1.1'}${eol}${hs.map(([k, v]) => `${k}: ${v}${eol}`).join('')}${eol}`;
  const h = Buffer.from(head, 'latin1');
  return body ? new Uint8Array(Buffer.concat([h, body])) : new Uint8Array(h);
}
