// Reads a request body with a hard byte limit and two clocks: a declared Content-Length over the
// limit is refused before anything is read, and a chunked body is cut off as soon as it passes the
// limit, so an oversized upload is never buffered whole. gzip/deflate bodies are inflated on the
// way (the limit applies to the inflated bytes).
//
// The clocks: a body that stalls (no data for `idleMs`) or takes longer than `totalMs` overall is
// answered 408. Inactivity is measured here, per chunk, because the runtimes' own idle timers
// are not reset by body data (Bun cut a phone's steady 30 s upload at its idle timeout): the
// server root passes the limits in the request env and, where its runtime has an idle timer,
// `suspendIdle`, which turns that timer off while this reader owns the clock.

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { EdgeError } from '../core/errors.ts';

export interface BodyRead {
  /** 408 when no body data arrives for this long; 0 = no limit. */
  idleMs: number;
  /** 408 when the whole body takes longer than this. */
  totalMs: number;
  /** Stops the runtime's own idle timer for this request; returns the function that restores it. */
  suspendIdle?: () => () => void;
}

/** What a server root puts in the request env (Hono's `c.env`) for readBody. */
export interface BodyEnv {
  bodyRead?: BodyRead;
}

/** Used where no root set them (in-memory tests, Workers, where the platform bounds requests too). */
export const DEFAULT_BODY_READ: BodyRead = { idleMs: 30_000, totalMs: 300_000 };

export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (n: string) => new EdgeError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${maxBytes} bytes`);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(declared);
  // Triton's clients may compress requests; the limit then applies to the inflated bytes, so a
  // compression bomb is cut off like any other oversized body.
  const encoding = c.req.header('content-encoding')?.trim().toLowerCase() || 'identity';
  if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'identity') {
    throw new EdgeError('UNSUPPORTED_MEDIA', `unsupported Content-Encoding '${encoding}': use gzip, deflate or none`);
  }
  let stream: ReadableStream<Uint8Array> | null = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  if (encoding !== 'identity') stream = stream.pipeThrough(new DecompressionStream(encoding) as unknown as TransformStream<Uint8Array, Uint8Array>);
  const limits = (c.env as BodyEnv | undefined)?.bodyRead ?? DEFAULT_BODY_READ;
  // A declared length within the limit (the framing holds the client to it) is read into one
  // buffer of that size: no list of chunks to join afterwards.
  const size = declared !== undefined && encoding === 'identity' ? Number(declared) : undefined;
  const restoreIdle = limits.suspendIdle?.();
  const clock = new BodyClock(limits);
  const reader = stream.getReader();
  try {
    const chunks: Uint8Array[] = [];
    const out = size !== undefined ? new Uint8Array(size) : undefined;
    let total = 0;
    for (;;) {
      const { done, value } = await clock.race(reader.read()).catch((e: unknown) => {
        if (e instanceof HTTPException) throw e;
        throw new EdgeError('INVALID_ARGUMENT', `cannot read the request body: ${(e as Error).message}`);
      });
      if (done) break;
      clock.touch();
      if (total + value.byteLength > maxBytes) throw tooLarge(`more than ${maxBytes}`);
      if (out) {
        if (total + value.byteLength > out.byteLength) throw new EdgeError('INVALID_ARGUMENT', `the request body is longer than its Content-Length (${size})`);
        out.set(value, total);
      } else chunks.push(value);
      total += value.byteLength;
    }
    if (out) return total === out.byteLength ? out : out.subarray(0, total);
    if (chunks.length === 1) return chunks[0]!;
    const joined = new Uint8Array(total);
    let o = 0;
    for (const ch of chunks) {
      joined.set(ch, o);
      o += ch.byteLength;
    }
    return joined;
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    clock.stop();
    restoreIdle?.();
  }
}

/** The idle and overall clocks of one body read; `race` fails a read with 408 when either runs out. */
class BodyClock {
  private idle: ReturnType<typeof setTimeout> | undefined;
  private readonly overall: ReturnType<typeof setTimeout>;
  private fail!: (e: HTTPException) => void;
  private readonly expired = new Promise<never>((_, reject) => {
    this.fail = reject;
  });

  constructor(private readonly limits: BodyRead) {
    this.expired.catch(() => {}); // observed through race(); never an unhandled rejection
    this.overall = setTimeout(
      () => this.fail(timeout(`the request body took longer than ${limits.totalMs / 1000} s to arrive (BODY_TIMEOUT_S)`)),
      limits.totalMs,
    );
    this.touch();
  }

  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.expired]);
  }

  touch(): void {
    if (!this.limits.idleMs) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.fail(timeout(`no request body data for ${this.limits.idleMs / 1000} s (IDLE_TIMEOUT_S)`)), this.limits.idleMs);
  }

  stop(): void {
    clearTimeout(this.idle);
    clearTimeout(this.overall);
  }
}

const timeout = (message: string) => new HTTPException(408, { message });
