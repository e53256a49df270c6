// The gRPC side of Telemetry: the interceptor for src/grpc/hooks.ts's `telemetry` slot (outermost,
// so calls refused by auth are logged and counted too). Same request id rules as REST (the
// `x-request-id` metadata, else the traceparent's trace id, else a new one; sent back as
// `x-request-id`), the same log line, counts and traces. A streaming call (ModelStreamInfer) is
// one record, finished when its response stream ends.

import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { CALLER } from '../grpc/hooks.ts';
import { requestId } from './request-log.ts';
import type { RequestRecord, Telemetry } from './telemetry.ts';
import { parseTraceparent } from './tracing.ts';

/** The HTTP status REST would have answered, for counting refusals alike. */
function httpStatusOf(e: ConnectError | undefined): number {
  if (!e) return 200;
  switch (e.code) {
    case Code.InvalidArgument:
    case Code.OutOfRange:
    case Code.FailedPrecondition:
      return 400;
    case Code.NotFound:
      return 404;
    case Code.Unauthenticated:
      return 401;
    case Code.PermissionDenied:
      return 403;
    // Message size limits (Connect's readMaxBytes, our decompression bound) or a rate limit.
    case Code.ResourceExhausted:
      return /larger than/.test(e.rawMessage) ? 413 : 429;
    case Code.Unavailable:
      return 503;
    case Code.AlreadyExists:
      return 409;
    case Code.Canceled:
      return 499;
    case Code.DeadlineExceeded:
      return 504;
    case Code.Unimplemented:
      return 501;
    default:
      return 500;
  }
}

const codeName = (c: Code) => Code[c].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

export function telemetryInterceptor(t: Telemetry): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const parent = parseTraceparent(req.header.get('traceparent'));
    const rec = t.begin(req.signal);
    const method = req.method.name;
    const msg = req.stream ? undefined : (req.message as { modelName?: unknown; name?: unknown });
    const model = typeof msg?.modelName === 'string' && msg.modelName ? msg.modelName : typeof msg?.name === 'string' && msg.name ? msg.name : undefined;
    let id = '';
    const caller: { id?: string } = {};
    req.contextValues.set(CALLER, caller);
    const done = (e: unknown) => {
      const err = e === undefined ? undefined : ConnectError.from(e);
      t.finish(rec, {
        protocol: 'grpc',
        id,
        start,
        end: performance.now(),
        method: 'POST',
        route: method,
        routeModel: model,
        status: err ? codeName(err.code) : 'OK',
        httpStatus: httpStatusOf(err),
        error:
          err &&
          (/^request timed out/.test(err.rawMessage)
            ? Object.assign(new Error(err.rawMessage), { name: 'EdgeError', code: 'DEADLINE_EXCEEDED' })
            : new Error(err.rawMessage)),
        client: caller.id,
        parent,
      });
    };
    try {
      id = requestId(req.header.get('x-request-id'), parent?.traceId);
    } catch (e) {
      id = crypto.randomUUID();
      const err = new ConnectError((e as Error).message, Code.InvalidArgument, { 'x-request-id': id });
      done(err);
      throw err;
    }
    try {
      const res = await next(req);
      res.header.set('x-request-id', id);
      if (!res.stream) {
        done(undefined);
        return res;
      }
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          let failed: unknown;
          try {
            yield* messages;
          } catch (e) {
            failed = e;
            throw e;
          } finally {
            done(failed);
          }
        })(),
      };
    } catch (e) {
      const err = ConnectError.from(e);
      err.metadata.set('x-request-id', id);
      done(err);
      throw err;
    }
  };
}

export type { RequestRecord };
