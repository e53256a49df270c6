// The two interceptor slots every gRPC call passes through, so cross-cutting work attaches
// without touching the service: `telemetry` (outermost: request logs and metrics see every call,
// refused ones included) and `auth` (checks the `authorization` metadata before the method runs).
// The composition root fills them; with neither, calls go straight to the service.

import { createContextKey, type Interceptor } from '@connectrpc/connect';
import { toConnectError } from './errors.ts';

export interface GrpcHooks {
  /** Wraps every call: request logs, metrics (src/observability). */
  telemetry?: Interceptor;
  /** Runs before every call; throws to refuse it (src/auth, see authorizationInterceptor). */
  auth?: Interceptor;
}

export function hookInterceptors(h: GrpcHooks = {}): Interceptor[] {
  return [h.telemetry, h.auth].filter((i): i is Interceptor => i !== undefined);
}

/** What an auth check is told about a call. */
export interface CallInfo {
  /** `inference.GRPCInferenceService` */
  service: string;
  /** `ModelInfer`, `RepositoryModelLoad`, … */
  method: string;
  /** The socket peer's address (auth: loopback rule, rate limits), set by the listener. */
  peer?: string;
  /** A request metadata value by lowercase name (x-api-key, proxy headers). */
  header: (name: string) => string | undefined;
}

/** Filled by the auth slot with the caller's id (a key id, `jwt:<subject>` or `anonymous`):
 *  the telemetry slot, outside it, sets a holder per call and reads it when the call ends. */
export const CALLER = createContextKey<{ id?: string } | undefined>(undefined, { description: 'caller id' });

/** Where the listener puts the socket peer's address for the auth check. */
export const PEER_ADDRESS = createContextKey<string | undefined>(undefined, { description: 'socket peer address' });

/**
 * The `auth` slot from a check of the `authorization` metadata (null when absent), the same
 * value REST gets in its Authorization header. The check throws an EdgeError (UNAUTHENTICATED,
 * PERMISSION_DENIED, RESOURCE_EXHAUSTED: mapped as everywhere else) or a ConnectError to refuse.
 */
export function authorizationInterceptor(
  check: (authorization: string | null, call: CallInfo) => void | { id: string } | Promise<void | { id: string }>,
): Interceptor {
  return (next) => async (req) => {
    try {
      const caller = await check(req.header.get('authorization'), {
        service: req.service.typeName,
        method: req.method.name,
        peer: req.contextValues.get(PEER_ADDRESS),
        header: (n) => req.header.get(n) ?? undefined,
      });
      // Who called, for the telemetry slot's request log (a key id: safe to log).
      const holder = req.contextValues.get(CALLER);
      if (caller && holder) holder.id = caller.id;
    } catch (e) {
      throw toConnectError(e);
    }
    return next(req);
  };
}
