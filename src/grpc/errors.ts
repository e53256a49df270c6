// The one place domain error codes become gRPC status codes (beside src/http/errors.ts, which
// maps the same codes to HTTP statuses). The status message is the domain error's message, so
// REST's {"error": "..."} and gRPC's grpc-message say the same thing.

import { Code, ConnectError } from '@connectrpc/connect';
import { type ErrorCode, isEdgeError } from '../core/errors.ts';

const CODE: Record<ErrorCode, Code> = {
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.NotFound,
  UNAVAILABLE: Code.Unavailable,
  // gRPC's code for "message larger than the limit" (what grpc-js and Triton send).
  PAYLOAD_TOO_LARGE: Code.ResourceExhausted,
  // Not an image, or a corrupt one: the argument is bad (REST's 415 / 422).
  UNSUPPORTED_MEDIA: Code.InvalidArgument,
  UNPROCESSABLE: Code.InvalidArgument,
  CONFLICT: Code.AlreadyExists,
  // Triton's per-request `timeout` expiring in the queue: Triton answers UNAVAILABLE (REST 503);
  // a call's own gRPC deadline is answered DEADLINE_EXCEEDED by the transport.
  DEADLINE_EXCEEDED: Code.Unavailable,
  CANCELLED: Code.Canceled,
  UNAUTHENTICATED: Code.Unauthenticated,
  PERMISSION_DENIED: Code.PermissionDenied,
  // A per-client rate limit (REST 429); retry-after rides along as a trailer.
  RESOURCE_EXHAUSTED: Code.ResourceExhausted,
  INTERNAL: Code.Internal,
};

export function grpcCodeOf(code: ErrorCode): Code {
  return CODE[code];
}

/**
 * Any error thrown below a handler, as the ConnectError the transport sends. A `retry-after`
 * trailer carries EdgeError.retryAfter (REST's Retry-After header). Errors that are not domain
 * errors are bugs: INTERNAL, reported through `log`.
 */
export function toConnectError(e: unknown, log?: (msg: string) => void): ConnectError {
  if (e instanceof ConnectError) return e;
  if (isEdgeError(e)) {
    const meta = e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : undefined;
    if (e.code === 'INTERNAL') log?.(e.message);
    return new ConnectError(e.message, grpcCodeOf(e.code), meta);
  }
  const msg = (e as Error)?.message ?? String(e);
  log?.((e as Error)?.stack ?? msg);
  return new ConnectError(`internal error: ${msg}`, Code.Internal);
}

/**
 * grpc-message as the gRPC spec encodes it: UTF-8, with only '%' and bytes outside 0x20-0x7E
 * percent-encoded. Connect encodes with encodeURIComponent, which also escapes ':' ';' ',' …,
 * and grpc-js clients decode with decodeURI, which leaves those escaped ("queue full%3A 2").
 * The listener re-encodes Connect's value with this (see src/runtime/grpc-server.ts).
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(message)) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
