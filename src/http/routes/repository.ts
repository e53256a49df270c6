// Triton's model repository extension (index, load, unload) and statistics extension
// (`/v2/models[/{m}[/versions/{v}]]/stats`), as thin adapters over the DataPlane. The
// repository requests' JSON bodies are Triton's (`{"ready": true}`, `{"parameters": {…}}`),
// read strictly (http/params.ts): what edgeserve cannot honour is refused, never ignored.

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { DataPlane } from '../../core/dataplane.ts';
import type { Duration, ModelStats } from '../../core/stats.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import { readBody } from '../body.ts';
import { type ReceivedOptions, jsonFields, readOptions, routeWithOptions } from '../params.ts';

const err = (d: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description: d });
const ModelParam = z.object({ model_name: z.string().openapi({ param: { name: 'model_name', in: 'path' }, example: 'simple' }) });

const IndexSchema = z
  .array(
    z.object({
      name: z.string(),
      version: z.string().optional(),
      state: z.string(),
      reason: z.string().optional(),
    }),
  )
  .openapi('RepositoryIndex');

const DurationSchema = z.object({ count: z.number(), ns: z.number() });
const StatsSchema = z
  .object({
    model_stats: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        last_inference: z.number(),
        inference_count: z.number(),
        execution_count: z.number(),
        inference_stats: z.record(z.string(), DurationSchema),
        batch_stats: z.array(z.object({ batch_size: z.number(), compute_infer: DurationSchema })),
      }),
    ),
  })
  .openapi('ModelStatistics');

const IndexRequestSchema = z
  .object({
    ready: z.boolean().default(false).openapi({ description: 'true: only the model versions that are ready for inference' }),
  })
  .openapi('RepositoryIndexRequest');
// Triton's `config` (a config override) and `file:…` (model files in the request) are not
// supported: a load always reads models/<name>/ from the repository.
const LoadRequestSchema = z
  .object({
    parameters: z
      .record(z.string(), z.unknown())
      .refine((p) => Object.keys(p).length === 0, {
        error:
          'expected no parameters: config overrides and model files in the request (Triton\'s "config", "file:…") are not supported; edit models/<name>/ instead',
      })
      .optional()
      .openapi({ description: 'Not supported (must be empty or absent)' }),
  })
  .openapi('RepositoryLoadRequest');
const UnloadRequestSchema = z
  .object({
    parameters: z
      .strictObject({
        unload_dependents: z
          .boolean()
          .optional()
          .openapi({ description: 'Accepted for Triton clients; edgeserve has no ensembles, so a model has no dependents' }),
      })
      .optional(),
  })
  .openapi('RepositoryUnloadRequest');

/** A repository request's JSON body (empty allowed), as options. */
async function bodyOptions(c: Context): Promise<ReceivedOptions> {
  const text = new TextDecoder().decode(await readBody(c, 64 * 1024));
  return text.trim() === '' ? {} : jsonFields(text, 'request body').fields;
}
const jsonBody = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }, required: false });

// Validated by the route's params schema before the handler runs.
const modelName = (c: Context) => c.req.param('model_name') as string;

const dur = (d: Duration) => ({ count: d.count, ns: d.ns });
function tritonStats(name: string, version: string, s: ModelStats) {
  return {
    name,
    version,
    last_inference: s.lastInferenceMs,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: dur(s.success),
      fail: dur(s.fail),
      queue: dur(s.queue),
      compute_input: dur(s.computeInput),
      compute_infer: dur(s.computeInfer),
      compute_output: dur(s.computeOutput),
    },
    batch_stats: [...s.batchSizes].sort(([a], [b]) => a - b).map(([batch_size, d]) => ({ batch_size, compute_infer: dur(d) })),
  };
}

export function mountRepository(app: OpenAPIHono, dp: DataPlane): void {
  for (const [name, schema] of [
    ['RepositoryIndexRequest', IndexRequestSchema],
    ['RepositoryLoadRequest', LoadRequestSchema],
    ['RepositoryUnloadRequest', UnloadRequestSchema],
  ] as const) {
    app.openAPIRegistry.register(name, schema);
  }

  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v2/repository/index',
      tags: ['Model repository'],
      summary: 'Every model in the repository and its state',
      request: { body: jsonBody('RepositoryIndexRequest') },
      responses: {
        200: { content: { 'application/json': { schema: IndexSchema } }, description: 'Models and versions with state' },
        400: err('Invalid request body'),
      },
    }),
    async (c) => {
      const { ready } = readOptions(IndexRequestSchema, c, await bodyOptions(c));
      const index = await dp.repositoryIndex();
      return c.json(ready ? index.filter((m) => m.state === 'READY') : index, 200);
    },
  );

  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v2/repository/models/{model_name}/load',
      tags: ['Model repository'],
      summary: '(Re)load a model from the repository',
      request: { params: ModelParam, body: jsonBody('RepositoryLoadRequest') },
      responses: {
        200: { content: { 'application/json': { schema: z.object({}) } }, description: 'Loaded and ready' },
        400: err('Failed to load (the reason is given), or an unsupported parameter'),
        404: err('No such model in the repository'),
      },
    }),
    async (c) => {
      readOptions(LoadRequestSchema, c, await bodyOptions(c));
      await dp.loadModel(modelName(c));
      return c.json({}, 200);
    },
  );

  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v2/repository/models/{model_name}/unload',
      tags: ['Model repository'],
      summary: 'Unload a model (queued and running requests finish first)',
      request: { params: ModelParam, body: jsonBody('RepositoryUnloadRequest') },
      responses: {
        200: { content: { 'application/json': { schema: z.object({}) } }, description: 'Unloaded' },
        400: err('Invalid request body'),
        404: err('Unknown model'),
      },
    }),
    async (c) => {
      readOptions(UnloadRequestSchema, c, await bodyOptions(c));
      await dp.unloadModel(modelName(c));
      return c.json({}, 200);
    },
  );

  const statsRoute = (path: string, params?: z.ZodObject) =>
    createRoute({
      method: 'get',
      path,
      tags: ['Statistics'],
      summary: "Inference statistics (Triton's statistics extension)",
      ...(params ? { request: { params } } : {}),
      responses: { 200: { content: { 'application/json': { schema: StatsSchema } }, description: 'Per model version' }, 404: err('Unknown model') },
    });
  const handler = (name: string, version?: string) => ({ model_stats: dp.modelStats(name, version).map((r) => tritonStats(r.name, r.version, r.stats)) });
  app.openapi(statsRoute('/v2/models/stats'), (c) => c.json(handler(''), 200));
  app.openapi(statsRoute('/v2/models/{model_name}/stats', ModelParam), (c) => c.json(handler(c.req.param('model_name')!), 200));
  app.openapi(
    statsRoute(
      '/v2/models/{model_name}/versions/{model_version}/stats',
      ModelParam.extend({
        model_version: z
          .string()
          .regex(/^[0-9]+$/, 'must be a number')
          .openapi({ param: { name: 'model_version', in: 'path' }, example: '1' }),
      }),
    ),
    (c) => c.json(handler(c.req.param('model_name')!, c.req.param('model_version')), 200),
  );
}
