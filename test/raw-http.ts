// A raw HTTP/1.1 exchange over node:net for the tests that need control a fetch client does not
// give: a body sent in timed pieces (slow clients, stalls), the answer read even while the body is
// still going out, and whether the server answered at all before it closed the connection.

import { connect } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the answer (or the close). */
  ms: number;
  /** How many of the body pieces went out before the answer came or the connection closed. */
  piecesSent: number;
  /** A socket error (ECONNRESET, EPIPE), if one ended the exchange. */
  error?: string;
}

export interface Piece {
  data: Uint8Array;
  /** Wait this long before sending the piece. */
  delayMs: number;
}

/** Splits `data` into `n` pieces sent `gapMs` apart (the first one at once). */
export function trickle(data: Uint8Array, n: number, gapMs: number): Piece[] {
  const size = Math.ceil(data.byteLength / n);
  return Array.from({ length: n }, (_, i) => ({ data: data.subarray(i * size, (i + 1) * size), delayMs: i === 0 ? 0 : gapMs }));
}

/** Sends `head` (request line and headers, without the blank line), then the pieces; resolves with the answer. */
export function rawExchange(port: number, head: string, pieces: Piece[], timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let piecesSent = 0;
    let done = false;
    let error: string | undefined;
    const finish = (a: Omit<RawAnswer, 'ms' | 'piecesSent' | 'error'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...a, ms: performance.now() - t0, piecesSent, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish({ status: -1, headers: {}, body: `no answer and no close in ${timeoutMs} ms` }), timeoutMs);
    const tryParse = (closed: boolean) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return closed ? finish({ status: 0, headers: {}, body: buf.toString() }) : undefined;
      const [statusLine, ...lines] = buf.subarray(0, end).toString().split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = Number(statusLine!.split(' ')[1]);
      const rest = buf.subarray(end + 4);
      if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        if (rest.byteLength >= n) finish({ status, headers, body: rest.subarray(0, n).toString() });
        else if (closed) finish({ status, headers, body: rest.toString() });
        return;
      }
      if (headers['transfer-encoding']?.includes('chunked')) {
        let o = 0;
        const parts: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n', o);
          if (nl < 0) break;
          const size = Number.parseInt(rest.subarray(o, nl).toString(), 16);
          if (size === 0) return finish({ status, headers, body: Buffer.concat(parts).toString() });
          if (rest.byteLength < nl + 2 + size + 2) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          o = nl + 2 + size + 2;
        }
        if (closed) finish({ status, headers, body: Buffer.concat(parts).toString() });
        return;
      }
      if (closed) finish({ status, headers, body: rest.toString() });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse(false);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => tryParse(true));
    sock.on('connect', async () => {
      sock.write(`${head}\r\n\r\n`);
      for (const p of pieces) {
        if (p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs));
        // Stop sending once the server has answered (a client reading its 413 or 408), as curl does.
        if (done || buf.byteLength > 0 || sock.destroyed || !sock.writable) return;
        sock.write(p.data);
        piecesSent++;
      }
    });
  });
}
