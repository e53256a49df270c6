// The REST side of Telemetry: a Hono middleware installed before every other (CORS and auth
// included, so their refusals are logged and counted too). It gives each request its id (the
// client's X-Request-Id, else the trace id of its W3C traceparent, else a new one), returns it
// as X-Request-Id, and when the answer is ready hands Telemetry what it needs for the one log
// line, the metrics and the trace: the matched route pattern (never the raw path, so labels stay
// bounded), the status, the error if one was thrown, and the caller's key id (never the key).

import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { invalid } from '../core/errors.ts';
import { principalOf } from '../http/auth.ts';
import type { Telemetry } from './telemetry.ts';
import { parseTraceparent } from './tracing.ts';

/** Visible ASCII, no spaces (what proxies and clients generate: UUIDs, hex, base64url…). */
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** The request's id: the client's, or the caller's trace id, or a fresh one. Throws a 400 for
 *  an X-Request-Id that cannot be logged and echoed as it is. */
export function requestId(header: string | null | undefined, traceId: string | undefined): string {
  if (header !== undefined && header !== null) {
    if (!REQUEST_ID.test(header))
      throw invalid(`X-Request-Id: expected 1-200 visible ASCII characters without spaces, got ${JSON.stringify(header.slice(0, 220))}`);
    return header;
  }
  return traceId ?? crypto.randomUUID();
}

/** The pattern of the route that answered (`/v2/models/:model_name/infer`), or `unmatched`. */
export function routePattern(c: Context): string {
  let found: string | undefined;
  try {
    for (const r of matchedRoutes(c)) if (r.method !== 'ALL' && r.path !== '*' && r.path !== '/*') found = r.path;
  } catch {
    // No match result (the request never reached the router).
  }
  return found ?? 'unmatched';
}

const MODEL_IN_PATH = /^\/v2\/models\/([^/]+)/;
const QUIET = new Set(['/v2/health/live', '/v2/health/ready', '/metrics']);

export function requestTelemetry(t: Telemetry): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    const parent = parseTraceparent(c.req.header('traceparent'));
    let id: string;
    let badId: Error | undefined;
    try {
      id = requestId(c.req.header('x-request-id'), parent?.traceId);
    } catch (e) {
      badId = e as Error;
      id = crypto.randomUUID();
    }
    const signal = c.req.raw.signal;
    const rec = t.begin(signal);
    if (badId) c.res = c.json({ error: badId.message }, 400);
    else await next();
    let res = c.res;
    try {
      res.headers.set('X-Request-Id', id);
    } catch {
      // An immutable Response (e.g. passed through from a fetch): copy it to add the header.
      res = new Response(res.body, res);
      res.headers.set('X-Request-Id', id);
      c.res = res;
    }
    const m = MODEL_IN_PATH.exec(c.req.path);
    let routeModel: string | undefined;
    try {
      routeModel = m && m[1] !== 'stats' ? decodeURIComponent(m[1]) : undefined;
    } catch {
      routeModel = undefined;
    }
    t.finish(rec, {
      protocol: 'http',
      id,
      start,
      end: performance.now(),
      method: c.req.method,
      route: routePattern(c),
      routeModel,
      status: res.status,
      httpStatus: res.status,
      error: badId ?? c.error,
      client: principalOf(c)?.id,
      parent,
      quiet: QUIET.has(c.req.path),
    });
  };
}
