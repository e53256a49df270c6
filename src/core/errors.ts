// Domain errors carry a code, never an HTTP status: http/errors.ts maps codes to statuses (and
// a future gRPC transport maps them to gRPC codes) in one place.

export type ErrorCode =
  | 'INVALID_ARGUMENT' // malformed request, wrong shape/datatype/byte count → 400
  | 'NOT_FOUND' // unknown model or version → 404
  | 'UNAVAILABLE' // model not ready, queue full, worker died, shutting down → 503
  | 'PAYLOAD_TOO_LARGE' // body or image over a configured limit → 413
  | 'UNSUPPORTED_MEDIA' // not an image format we decode → 415
  | 'UNPROCESSABLE' // well-formed but unusable (corrupt image, no face) → 422
  | 'CONFLICT' // clashes with what exists (duplicate id, gallery bound to another model) → 409
  | 'DEADLINE_EXCEEDED' // per-request timeout elapsed → 504? Triton answers 400; see http/errors.ts
  | 'CANCELLED' // client went away
  | 'UNAUTHENTICATED' // no credential, or an unknown/expired/revoked one → 401 (auth/)
  | 'PERMISSION_DENIED' // a valid credential without the scope the route needs → 403
  | 'RESOURCE_EXHAUSTED' // a per-client rate limit → 429 with Retry-After
  | 'INTERNAL'; // a bug or an engine failure → 500

export class EdgeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (503 with Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'EdgeError';
  }
}

export const invalid = (msg: string) => new EdgeError('INVALID_ARGUMENT', msg);
export const notFound = (msg: string) => new EdgeError('NOT_FOUND', msg);
export const unavailable = (msg: string, retryAfter?: number) => new EdgeError('UNAVAILABLE', msg, retryAfter);
export const internal = (msg: string) => new EdgeError('INTERNAL', msg);

export function isEdgeError(e: unknown): e is EdgeError {
  return e instanceof EdgeError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'EdgeError' && 'code' in e);
}
