// Authentication and authorization failures as domain errors (codes, no HTTP), carrying what a
// transport needs to answer: the RFC 6750 challenge for WWW-Authenticate, Retry-After, and a
// reason that metrics count. Messages never contain a credential (only a key id at most).

import { EdgeError, type ErrorCode } from '../core/errors.ts';

/** Bounded set of reasons (they are metric label values). */
export type DenyReason =
  | 'missing'
  | 'malformed'
  | 'unknown'
  | 'invalid'
  | 'expired'
  | 'revoked'
  | 'scope'
  | 'local_only'
  | 'rate_limited'
  | 'auth_failures'
  | 'two_credentials';

export const REALM = 'edgeserve';

export class AuthError extends EdgeError {
  constructor(
    code: Extract<ErrorCode, 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'INVALID_ARGUMENT'>,
    message: string,
    readonly reason: DenyReason,
    /** The WWW-Authenticate value (RFC 6750 §3), when the answer is a challenge. */
    readonly challenge?: string,
    retryAfter?: number,
  ) {
    super(code, message, retryAfter);
  }
}

const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** No credential sent: the bare challenge (RFC 6750 §3.1: no error code). */
export const missingCredential = (message: string) => new AuthError('UNAUTHENTICATED', message, 'missing', `Bearer realm=${q(REALM)}`);

export const invalidToken = (message: string, reason: DenyReason) =>
  new AuthError('UNAUTHENTICATED', message, reason, `Bearer realm=${q(REALM)}, error="invalid_token", error_description=${q(message)}`);

export const insufficientScope = (message: string, scope: string, reason: DenyReason = 'scope') =>
  new AuthError('PERMISSION_DENIED', message, reason, `Bearer realm=${q(REALM)}, error="insufficient_scope", scope=${q(scope)}`);

/** RFC 6750 §3.1 invalid_request: more than one way of sending the token at once. */
export const invalidRequest = (message: string) =>
  new AuthError('INVALID_ARGUMENT', message, 'two_credentials', `Bearer realm=${q(REALM)}, error="invalid_request", error_description=${q(message)}`);

export const rateLimited = (message: string, retryAfterS: number, reason: DenyReason) =>
  new AuthError('RESOURCE_EXHAUSTED', message, reason, undefined, retryAfterS);

export const isAuthError = (e: unknown): e is AuthError => e instanceof AuthError;
