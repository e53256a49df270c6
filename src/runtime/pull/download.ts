// HTTP for pulls: GET with an idle timeout, stream the body to a file while hashing it and
// reporting progress, and turn fetch's runtime-specific failures (Bun, Node and Deno word them
// differently) into one PullError an operator can act on.

import { open, rm } from 'node:fs/promises';
import { PullError } from './errors.ts';
import { MultiHash } from './integrity.ts';

export interface HttpOptions {
  fetch: typeof fetch;
  headers?: Record<string, string>;
  /** Abort when no bytes arrive for this long (default 30 s); a slow but live download goes on. */
  idleTimeoutMs?: number;
  /** Names the far end in messages, e.g. "the npm registry at https://…/". */
  what: string;
  /** Appended to network failures, e.g. "check your network or npm registry config". */
  hint: string;
  /** Extra advice for TLS failures (npm's cafile, NODE_EXTRA_CA_CERTS). */
  tlsHint?: string;
}

/** GET and return the response once headers arrived; non-2xx statuses are returned, not thrown. */
export async function httpGet(url: string, opts: HttpOptions): Promise<{ res: Response; idle: Idle }> {
  const idle = new Idle(opts.idleTimeoutMs ?? 30_000);
  try {
    const res = await opts.fetch(url, { headers: opts.headers, signal: idle.signal, redirect: 'follow' });
    idle.touch();
    return { res, idle };
  } catch (e) {
    idle.stop();
    throw networkError(e, url, opts);
  }
}

export async function getJson(url: string, opts: HttpOptions): Promise<{ status: number; body?: unknown }> {
  const { res, idle } = await httpGet(url, opts);
  try {
    if (!res.ok) {
      await res.body?.cancel();
      return { status: res.status };
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new PullError(
        'HTTP',
        `${opts.what} answered ${url} with something that is not JSON (starts ${JSON.stringify(text.slice(0, 60))}); is the registry URL right?`,
      );
    }
  } catch (e) {
    throw e instanceof PullError ? e : networkError(e, url, opts);
  } finally {
    idle.stop();
  }
}

export interface Downloaded {
  bytes: number;
  hash: MultiHash;
}

/**
 * Stream a 2xx response body into `dest` (created, fsynced), hashing with `algorithms`.
 * On any failure `dest` is removed. Progress gets (done, total); total is 0 when unknown.
 */
export async function downloadToFile(
  url: string,
  dest: string,
  algorithms: readonly string[],
  opts: HttpOptions & { progress?: (done: number, total: number) => void },
): Promise<Downloaded> {
  const { res, idle } = await httpGet(url, opts);
  const fh = await open(dest, 'w', 0o644);
  const hash = new MultiHash(algorithms);
  let bytes = 0;
  try {
    if (!res.ok) throw statusError(res.status, url, opts.what);
    const total = Number(res.headers.get('content-length') ?? 0) || 0;
    opts.progress?.(0, total);
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      idle.touch();
      hash.update(value);
      await fh.write(value);
      bytes += value.length;
      opts.progress?.(bytes, total);
    }
    if (total && bytes !== total) throw new PullError('NETWORK', `download of ${url} ended early (${bytes} of ${total} bytes); try again`);
    await fh.sync();
    return { bytes, hash };
  } catch (e) {
    await res.body?.cancel().catch(() => {});
    await rm(dest, { force: true }).catch(() => {});
    throw e instanceof PullError ? e : networkError(e, url, opts);
  } finally {
    idle.stop();
    await fh.close().catch(() => {});
  }
}

export function statusError(status: number, url: string, what: string): PullError {
  if (status === 404 || status === 410) return new PullError('NOT_FOUND', `${what} has nothing at ${url} (HTTP ${status})`);
  if (status === 401 || status === 403) {
    return new PullError('AUTH', `${what} refused ${url} (HTTP ${status}); check the registry credentials in your .npmrc (//host/:_authToken)`);
  }
  return new PullError('HTTP', `${what} answered ${url} with HTTP ${status}; try again later or check the URL`);
}

/** The abort reason of an idle timeout; turned into a NETWORK PullError by networkError. */
class IdleTimeout extends Error {
  override name = 'IdleTimeout';
}

/** Abort signal that fires when `touch` has not been called for `ms`. */
export class Idle {
  private readonly ctl = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly ms: number) {
    this.touch();
  }
  get signal(): AbortSignal {
    return this.ctl.signal;
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.ctl.abort(new IdleTimeout(`no data for ${this.ms / 1000} s`)), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

export function networkError(e: unknown, url: string, opts: Pick<HttpOptions, 'what' | 'hint' | 'tlsHint'>): PullError {
  const { reason, tls } = reasonOf(e, url);
  const extra = tls && opts.tlsHint ? ` (${opts.tlsHint})` : '';
  return new PullError('NETWORK', `cannot reach ${opts.what}: ${reason}${extra}; ${opts.hint}`, { cause: e });
}

type ErrLike = { name?: string; code?: string; message?: string; cause?: ErrLike };

function reasonOf(e: unknown, url: string): { reason: string; tls?: boolean } {
  const err = (e ?? {}) as ErrLike;
  const host = safeHost(url);
  if (err instanceof IdleTimeout) return { reason: `${err.message} (timed out)` };
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return { reason: 'timed out' };
  const code = err.code ?? err.cause?.code ?? '';
  const detail = [err.message, err.cause?.message].filter((m) => m && m !== 'fetch failed').join(': ');
  if (/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|DNSException)$/i.test(code) || /getaddrinfo|dns/i.test(detail)) {
    return { reason: `DNS lookup of ${host} failed (${code || 'no address'}): offline, or the host name is wrong` };
  }
  if (/ECONNREFUSED|ConnectionRefused/i.test(code)) return { reason: `connection refused by ${host} (${code})` };
  if (/ECONNRESET|ConnectionClosed/i.test(code)) return { reason: `connection reset by ${host} (${code})` };
  if (/TIMEDOUT|Timeout/i.test(code)) return { reason: `connection to ${host} timed out (${code})` };
  if (/CERT|SSL|TLS|SELF_SIGNED|ISSUER/i.test(code) || /certificate/i.test(detail)) {
    return { reason: `TLS certificate problem talking to ${host} (${code || detail})`, tls: true };
  }
  if (/bad port/i.test(detail)) return { reason: `fetch refuses the port in ${url} (${detail})` };
  return { reason: [code, detail].filter(Boolean).join(': ') || String(e) };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
