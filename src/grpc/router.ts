// The gRPC service as Connect routes plus the router options every transport shares (message
// size limits, hooks, compression), so the node:http2 listener (src/runtime/grpc-server.ts) and
// the fetch handler for Workers (fetch.ts) serve the same thing.

import type { ConnectRouter, ConnectRouterOptions } from '@connectrpc/connect';
import type { Compression } from '@connectrpc/connect/protocol';
import type { DataPlane } from '../core/dataplane.ts';
import { GRPCInferenceService } from './gen/grpc_service_pb.ts';
import { type GrpcHooks, hookInterceptors } from './hooks.ts';
import { type InferenceServiceOptions, createInferenceService } from './service.ts';

export interface GrpcRouterOptions extends InferenceServiceOptions {
  /** Largest message received or sent (GRPC_MAX_MESSAGE_BYTES). */
  maxMessageBytes: number;
  hooks?: GrpcHooks;
  /** Request compressions accepted (the runtime supplies zlib-backed ones where it has them). */
  acceptCompression?: Compression[];
  /** Aborting it ends every open call (streams included) at shutdown. */
  shutdownSignal?: AbortSignal;
}

export function grpcRouterOptions(o: GrpcRouterOptions): ConnectRouterOptions {
  return {
    readMaxBytes: o.maxMessageBytes,
    writeMaxBytes: o.maxMessageBytes,
    acceptCompression: o.acceptCompression ?? [],
    // Responses go out uncompressed whatever the client accepts (Triton's default): tensors
    // compress poorly and the CPU is better spent on inference.
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    interceptors: hookInterceptors(o.hooks),
    shutdownSignal: o.shutdownSignal,
  };
}

export function grpcRoutes(dp: DataPlane, o: InferenceServiceOptions = {}): (router: ConnectRouter) => void {
  return (router) => {
    router.service(GRPCInferenceService, createInferenceService(dp, o));
  };
}
