// The one place domain error codes become HTTP statuses and `{"error": "..."}` bodies, following
// Triton's mapping (not found 404, unavailable 503, internal 500, everything else 400) plus the
// image-specific 413/415/422.

import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ErrorCode, isEdgeError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA: 415,
  UNPROCESSABLE: 422,
  CONFLICT: 409,
  // Triton reports an expired request timeout as unavailable (503).
  DEADLINE_EXCEEDED: 503,
  // Nobody is listening any more; 499 is the de-facto "client closed request" code.
  CANCELLED: 499 as ContentfulStatusCode,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

/** The server's one Logger type (src/observability/logger.ts). */
export type Log = Logger;

export function errorResponse(err: unknown, c: Context, log: Log): Response {
  if (isEdgeError(err)) {
    if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
    if (err.code === 'INTERNAL') log('error', `${c.req.method} ${c.req.path}: ${err.message}`);
    return c.json({ error: err.message }, statusOf(err.code));
  }
  if (err instanceof HTTPException) {
    const msg = err.message || (err.status === 415 ? 'unsupported content type' : 'request failed');
    return c.json({ error: msg }, err.status);
  }
  log('error', `${c.req.method} ${c.req.path}: ${(err as Error)?.stack ?? String(err)}`);
  return c.json({ error: `internal error: ${(err as Error)?.message ?? String(err)}` }, 500);
}
