// KServe v2 REST routes (health, server/model metadata, model ready/config, infer) as thin
// adapters over the DataPlane. Each model route exists with and without /versions/{version}.

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { DataPlane } from '../../core/dataplane.ts';
import { decodeInferRequest, parseInferenceHeaderLength } from '../../protocol/kserve-decode.ts';
import { encodeInferResponse } from '../../protocol/kserve-encode.ts';
import {
  ErrorResponseSchema,
  InferenceRequestSchema,
  InferenceResponseSchema,
  ModelMetadataResponseSchema,
  ModelReadyResponseSchema,
  ServerLiveResponseSchema,
  ServerMetadataResponseSchema,
  ServerReadyResponseSchema,
} from '../../protocol/kserve-schemas.ts';
import { readBody } from '../body.ts';

const err = (description: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

const ModelParams = z.object({ model_name: z.string().openapi({ param: { name: 'model_name', in: 'path' }, example: 'simple' }) });
const VersionParams = ModelParams.extend({
  model_version: z
    .string()
    .regex(/^[0-9]+$/, 'must be a number')
    .openapi({ param: { name: 'model_version', in: 'path' }, example: '1' }),
});

/** The model path with and without the version segment. */
const modelPaths = (suffix: string) =>
  [
    { path: `/v2/models/{model_name}${suffix}`, params: ModelParams },
    { path: `/v2/models/{model_name}/versions/{model_version}${suffix}`, params: VersionParams },
  ] as const;

const params = (c: Context) => ({ name: c.req.param('model_name')!, version: c.req.param('model_version') });

export function mountKServe(app: OpenAPIHono, dp: DataPlane, opts: { maxBodyBytes: number }): void {
  app.openAPIRegistry.register('InferenceRequest', InferenceRequestSchema);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v2/health/live',
      tags: ['Health'],
      summary: 'Server liveness',
      responses: { 200: json(ServerLiveResponseSchema, 'The server is live'), 503: json(ServerLiveResponseSchema, 'Shutting down') },
    }),
    (c) => c.json({ live: dp.isLive() }, dp.isLive() ? 200 : 503),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v2/health/ready',
      tags: ['Health'],
      summary: 'Server readiness (every model has a ready version)',
      responses: { 200: json(ServerReadyResponseSchema, 'Ready'), 503: json(ServerReadyResponseSchema, 'Not ready') },
    }),
    (c) => c.json({ ready: dp.isReady() }, dp.isReady() ? 200 : 503),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v2',
      tags: ['Metadata'],
      summary: 'Server metadata',
      responses: { 200: json(ServerMetadataResponseSchema, 'Name, version and implemented extensions') },
    }),
    (c) => c.json(dp.serverMetadata(), 200),
  );

  for (const { path, params: p } of modelPaths('')) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['Metadata'],
        summary: 'Model metadata',
        request: { params: p },
        responses: { 200: json(ModelMetadataResponseSchema, 'Inputs, outputs, versions'), 404: err('Unknown model or version') },
      }),
      (c) => {
        const { name, version } = params(c);
        return c.json(dp.modelMetadata(name, version), 200);
      },
    );
  }

  for (const { path, params: p } of modelPaths('/ready')) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['Health'],
        summary: 'Model readiness',
        request: { params: p },
        responses: { 200: json(ModelReadyResponseSchema, 'Ready'), 503: json(ModelReadyResponseSchema, 'Not ready'), 404: err('Unknown model or version') },
      }),
      (c) => {
        const { name, version } = params(c);
        const ready = dp.modelReady(name, version);
        return c.json({ name, ready }, ready ? 200 : 503);
      },
    );
  }

  for (const { path, params: p } of modelPaths('/config')) {
    app.openapi(
      createRoute({
        method: 'get',
        path,
        tags: ['Metadata'],
        summary: "Model configuration (Triton's model configuration extension)",
        request: { params: p },
        responses: {
          200: json(z.record(z.string(), z.unknown()).openapi('ModelConfig'), 'config.json as loaded, with defaults filled in'),
          404: err('Unknown model or version'),
        },
      }),
      (c) => {
        const { name, version } = params(c);
        return c.json(dp.modelConfig(name, version) as Record<string, unknown>, 200);
      },
    );
  }

  for (const { path, params: p } of modelPaths('/infer')) {
    app.openapi(
      createRoute({
        method: 'post',
        path,
        tags: ['Inference'],
        summary: 'Inference (JSON, or JSON header + binary tensors)',
        description:
          "Send JSON, or use Triton's binary tensor data extension: set `Inference-Header-Content-Length` to the JSON header's byte length and append the raw tensor bytes (`parameters.binary_data_size` per input). Ask for binary outputs with `parameters.binary_data` per output or `binary_data_output` for all. For a model with image preprocessing, its image input also accepts BYTES: encoded JPEG/PNG/WebP images, one per batch item.",
        request: {
          params: p,
          headers: z.object({
            'inference-header-content-length': z
              .string()
              .regex(/^[0-9]+$/, 'must be a non-negative integer')
              .optional()
              .openapi({ description: 'Binary extension: byte length of the JSON header' }),
          }),
          // Described for the docs only (a $ref, not a zod schema): the body may be binary, so the
          // codec parses and validates it itself.
          body: {
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/InferenceRequest' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
        },
        responses: {
          200: {
            content: {
              'application/json': { schema: InferenceResponseSchema },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
            description: 'Outputs; binary outputs follow the JSON header (see Inference-Header-Content-Length)',
          },
          400: err('Invalid request: the message names the tensor, what was expected and what came'),
          404: err('Unknown model or version'),
          413: err('Body too large'),
          503: err('Model not ready, queue full (with Retry-After) or request timed out'),
        },
      }),
      async (c) => {
        const { name, version } = params(c);
        const headerLength = parseInferenceHeaderLength(c.req.header('inference-header-content-length'));
        dp.admit(name, version); // unknown model, not ready or queue full: answered before the body is read
        const body = await readBody(c, opts.maxBodyBytes);
        const req = decodeInferRequest(body, headerLength);
        req.signal = c.req.raw.signal;
        const resp = await dp.infer(name, version, req);
        const out = encodeInferResponse(resp, req);
        return c.body(out.body as string, 200, out.headers);
      },
    );
  }
}
