// The gRPC service over a plain fetch handler, for runtimes without an HTTP/2 server that sends
// trailers (Cloudflare Workers): the Connect protocol (JSON or binary) and gRPC-Web, which carry
// the status in the body instead of trailers. Native gRPC is off here (it needs trailers), and so
// is ModelStreamInfer (bidirectional streams need HTTP/2 end to end; a fetch handler gets a
// request whose body ends before the response starts): unary methods only.
// Mounted as a Hono route so it sits beside the REST routes on the same port.

import type { OpenAPIHono } from '@hono/zod-openapi';
import { createConnectRouter } from '@connectrpc/connect';
import { createFetchHandler } from '@connectrpc/connect/protocol';
import type { DataPlane } from '../core/dataplane.ts';
import { GRPCInferenceService } from './gen/grpc_service_pb.ts';
import { type GrpcRouterOptions, grpcRouterOptions, grpcRoutes } from './router.ts';

export type FetchGrpcOptions = Omit<GrpcRouterOptions, 'acceptCompression' | 'shutdownSignal'>;

/** Path → fetch handler for every method of the service (Connect and gRPC-Web only). */
export function grpcFetchHandlers(dp: DataPlane, o: FetchGrpcOptions): Map<string, (req: Request) => Promise<Response>> {
  const router = createConnectRouter({ ...grpcRouterOptions(o), grpc: false, grpcWeb: true, connect: true });
  grpcRoutes(dp, o)(router);
  return new Map(router.handlers.map((h) => [h.requestPath, createFetchHandler(h, { httpVersion: '1.1' })]));
}

/** POST /inference.GRPCInferenceService/{Method} on the app. */
export function mountGrpcWeb(app: OpenAPIHono, dp: DataPlane, o: FetchGrpcOptions): void {
  const handlers = grpcFetchHandlers(dp, o);
  app.post(`/${GRPCInferenceService.typeName}/:method`, (c) => {
    const handler = handlers.get(new URL(c.req.url).pathname);
    return handler ? handler(c.req.raw) : c.json({ error: `no method '${c.req.param('method')}' in ${GRPCInferenceService.typeName}` }, 404);
  });
}
