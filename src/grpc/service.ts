// inference.GRPCInferenceService over the DataPlane: each method decodes its message, calls the
// DataPlane method REST calls for the same thing, and encodes the answer; errors go through
// errors.ts. Log and trace settings share REST's controls (src/observability). Methods left out
// here (shared memory) answer UNIMPLEMENTED
// (Connect's router does that for every method a service implementation omits).

import { ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import type { DataPlane } from '../core/dataplane.ts';
import { invalid } from '../core/errors.ts';
import {
  GRPCInferenceService,
  InferParameterSchema,
  type ModelInferRequest,
  type ModelInferResponse,
  ModelStreamInferResponseSchema,
  type ModelRepositoryParameter,
} from './gen/grpc_service_pb.ts';
import { toConnectError } from './errors.ts';
import { decodeInferRequest, encodeInferResponse } from './infer-codec.ts';
import { modelConfigMessage, modelMetadataMessage, modelStatisticsMessage, repositoryIndexMessage } from './messages.ts';
import { pipelineStream, streamError } from './stream.ts';
import type { LogControl } from '../observability/logger.ts';
import type { TraceControl } from '../observability/tracing.ts';
import { logSettingsMessage, logSettingsRequest, traceSettingsMessage, traceSettingsRequest } from './settings.ts';

export interface InferenceServiceOptions {
  /** Where INTERNAL errors are reported. */
  log?: (level: 'error', msg: string) => void;
  /** Set where models are fixed (Cloudflare Workers): load and unload answer INVALID_ARGUMENT with it. */
  repositoryControlDisabled?: string;
  /** Requests of one ModelStreamInfer stream running at once (default 64). */
  maxStreamInFlight?: number;
  /** LogSettings reads and changes these (REST's /v2/logging too); absent: UNIMPLEMENTED. */
  logging?: LogControl;
  /** TraceSetting reads and changes these (REST's /v2/trace/setting too); absent: UNIMPLEMENTED. */
  trace?: TraceControl;
}

type Impl = Partial<ServiceImpl<typeof GRPCInferenceService>>;

const name = (n: string, field = 'name') => {
  if (!n) throw invalid(`${field} is empty: name the model`);
  return n;
};

const oneRepository = (r: string) => {
  if (r) throw invalid(`repository_name '${r}': this server has one model repository; leave repository_name empty`);
};

/** Only the repository parameters listed are accepted; any other is refused, never ignored. */
function checkRepositoryParameters(params: { [k: string]: ModelRepositoryParameter }, allowed: Record<string, 'boolParam'>, what: string): void {
  for (const [k, v] of Object.entries(params)) {
    const want = allowed[k];
    if (!want) {
      const why =
        k === 'config' || k.startsWith('file:')
          ? 'loading with an override config or files is not supported; put the model in the repository'
          : 'unknown parameter';
      throw invalid(`${what} parameter '${k}': ${why}`);
    }
    if (v.parameterChoice.case !== want) throw invalid(`${what} parameter '${k}' must be a bool_param, got ${v.parameterChoice.case ?? 'no value'}`);
  }
}

export function createInferenceService(dp: DataPlane, o: InferenceServiceOptions = {}): Impl {
  const report = (msg: string) => o.log?.('error', `gRPC: ${msg}`);
  const fail = (e: unknown, ctx?: HandlerContext): never => {
    // A call past its deadline (or cancelled) is answered with the transport's reason.
    if (ctx?.signal.aborted && ctx.signal.reason instanceof ConnectError) throw ctx.signal.reason;
    throw toConnectError(e, report);
  };
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => R | Promise<R>) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (e) {
        return fail(e, a.at(-1) as HandlerContext);
      }
    };

  const infer = async (req: ModelInferRequest, ctx: HandlerContext): Promise<ModelInferResponse> => {
    // Unknown model, not ready or queue full: refused before any tensor is decoded.
    dp.admit(name(req.modelName, 'model_name'), req.modelVersion || undefined);
    const { model, version, request } = decodeInferRequest(req);
    request.signal = ctx.signal;
    return encodeInferResponse(await dp.infer(model, version, request), request.outputs);
  };

  return {
    serverLive: guard(() => ({ live: dp.isLive() })),
    serverReady: guard(() => ({ ready: dp.isReady() })),
    modelReady: guard((r) => ({ ready: dp.modelReady(name(r.name), r.version || undefined) })),
    serverMetadata: guard(() => dp.serverMetadata()),
    modelMetadata: guard((r) => modelMetadataMessage(dp.modelMetadata(name(r.name), r.version || undefined))),
    modelConfig: guard((r) => ({ config: modelConfigMessage(dp.modelConfig(name(r.name), r.version || undefined)) })),
    modelStatistics: guard((r) => ({
      modelStats: dp.modelStats(r.name, r.version || undefined).map((s) => modelStatisticsMessage(s.name, s.version, s.stats)),
    })),
    repositoryIndex: guard(async (r) => {
      oneRepository(r.repositoryName);
      return repositoryIndexMessage(await dp.repositoryIndex(), r.ready);
    }),
    repositoryModelLoad: guard(async (r) => {
      if (o.repositoryControlDisabled) throw invalid(o.repositoryControlDisabled);
      oneRepository(r.repositoryName);
      checkRepositoryParameters(r.parameters, {}, 'load');
      await dp.loadModel(name(r.modelName, 'model_name'));
      return {};
    }),
    repositoryModelUnload: guard(async (r) => {
      if (o.repositoryControlDisabled) throw invalid(o.repositoryControlDisabled);
      oneRepository(r.repositoryName);
      // tritonclient always sends unload_dependents; no model here has dependents (no ensembles).
      checkRepositoryParameters(r.parameters, { unload_dependents: 'boolParam' }, 'unload');
      await dp.unloadModel(name(r.modelName, 'model_name'));
      return {};
    }),
    ...(o.logging ? { logSettings: guard((r) => logSettingsMessage(o.logging!.update(logSettingsRequest(r)))) } : {}),
    ...(o.trace
      ? {
          traceSetting: guard((r) => {
            const model = r.modelName || undefined;
            if (model !== undefined && !dp.registry.get(model)) dp.registry.resolve(model); // NOT_FOUND
            return traceSettingsMessage(o.trace!.update(traceSettingsRequest(r), model));
          }),
        }
      : {}),
    modelInfer: guard(infer),
    modelStreamInfer: (requests, ctx) =>
      pipelineStream(
        requests,
        async (req) => {
          try {
            const resp = await infer(req, ctx);
            return create(ModelStreamInferResponseSchema, { inferResponse: finalFlag(req, resp) });
          } catch (e) {
            // Never thrown: one failed request must not end the others' stream.
            return streamError(toConnectError(e, report).rawMessage, req);
          }
        },
        o.maxStreamInFlight ?? 64,
      ),
  };
}

/**
 * `triton_enable_empty_final_response` asks for a marker on the last response of a request.
 * Every model here answers a request with exactly one response, so that one carries it.
 */
function finalFlag(req: ModelInferRequest, resp: ModelInferResponse): ModelInferResponse {
  const p = req.parameters.triton_enable_empty_final_response?.parameterChoice;
  if (p?.case === 'boolParam' && p.value)
    resp.parameters.triton_final_response = create(InferParameterSchema, { parameterChoice: { case: 'boolParam', value: true } });
  return resp;
}
