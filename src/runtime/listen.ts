// What every server root needs around bind(): the body-read limits for the request env, and a
// listen failure turned into a message an operator can act on (Bun, Node and Deno report a port in
// use, a foreign address or a bad name each in their own words, some as a bare EINVAL).

import { isIP } from 'node:net';
import type { ServerConfig } from '../config/server-config.ts';
import type { BodyRead } from '../http/body.ts';

/** The request body clocks from the settings (IDLE_TIMEOUT_S, BODY_TIMEOUT_S). */
export function bodyRead(cfg: Pick<ServerConfig, 'idleTimeoutS' | 'bodyTimeoutS'>, suspendIdle?: BodyRead['suspendIdle']): BodyRead {
  return { idleMs: cfg.idleTimeoutS * 1000, totalMs: cfg.bodyTimeoutS * 1000, ...(suspendIdle ? { suspendIdle } : {}) };
}

type ErrLike = { code?: string; name?: string; message?: string };

/** A readable Error for a failed listen on cfg.host:cfg.port; the original is the cause. */
export function listenError(e: unknown, cfg: Pick<ServerConfig, 'host' | 'port'>): Error {
  const err = (e ?? {}) as ErrLike;
  const code = err.code ?? '';
  const msg = err.message ?? String(e);
  const at = cfg.host.includes(':') ? `[${cfg.host}]:${cfg.port}` : `${cfg.host}:${cfg.port}`; // an IPv6 address in brackets, as in a URL
  let why: string;
  if (code === 'EADDRINUSE' || err.name === 'AddrInUse') {
    why = `port ${cfg.port} is already in use on ${cfg.host} (another edgeserve?): stop that server, choose another PORT, or set REUSE_PORT=true on every server that should share it`;
  } else if (code === 'EADDRNOTAVAIL' || err.name === 'AddrNotAvailable') {
    why = `HOST ${cfg.host} is not an address of this machine (EADDRNOTAVAIL): use 0.0.0.0, 127.0.0.1 or one of its interfaces' addresses`;
  } else if (code === 'EACCES' || code === 'EPERM' || err.name === 'PermissionDenied') {
    why = `not allowed to listen on port ${cfg.port} (${code || err.name}): ports below 1024 need privileges; choose PORT ≥ 1024`;
  } else if (
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EINVAL' ||
    /lookup address|Name or service not known/i.test(msg) ||
    // Bun reports a failed lookup as ENOENT at times (getaddrinfo's EAI_NONAME mapped to a file error)
    (code === 'ENOENT' && isIP(cfg.host) === 0)
  ) {
    why = `HOST ${cfg.host} is not an address or a name this machine resolves (${code || 'lookup failed'})`;
  } else {
    why = msg;
  }
  return new Error(`cannot listen on ${at}: ${why}`, { cause: e });
}
