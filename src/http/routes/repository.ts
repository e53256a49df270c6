// Triton's model repository extension (index, load, unload) and statistics extension
// (`/v2/models[/{m}[/versions/{v}]]/stats`), as thin adapters over the DataPlane.

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { DataPlane } from '../../core/dataplane.ts';
import type { Duration, ModelStats } from '../../core/stats.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';

const err = (d: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description: d });
const ModelParam = z.object({ model_name: z.string().openapi({ param: { name: 'model_name', in: 'path' }, example: 'simple' }) });

const IndexSchema = z.array(z.object({
  name: z.string(), version: z.string().optional(), state: z.string(), reason: z.string().optional(),
})).openapi('RepositoryIndex');

const DurationSchema = z.object({ count: z.number(), ns: z.number() });
const StatsSchema = z.object({
  model_stats: z.array(z.object({
    name: z.string(), version: z.string(), last_inference: z.number(), inference_count: z.number(), execution_count: z.number(),
    inference_stats: z.record(z.string(), DurationSchema),
    batch_stats: z.array(z.object({ batch_size: z.number(), compute_infer: DurationSchema })),
  })),
}).openapi('ModelStatistics');

const dur = (d: Duration) => ({ count: d.count, ns: d.ns });
function tritonStats(name: string, version: string, s: ModelStats) {
  return {
    name, version,
    last_inference: s.lastInferenceMs,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: dur(s.success), fail: dur(s.fail), queue: dur(s.queue),
      compute_input: dur(s.computeInput), compute_infer: dur(s.computeInfer), compute_output: dur(s.computeOutput),
    },
    batch_stats: [...s.batchSizes].sort(([a], [b]) => a - b).map(([batch_size, d]) => ({ batch_size, compute_infer: dur(d) })),
  };
}

export function mountRepository(app: OpenAPIHono, dp: DataPlane): void {
  app.openapi(createRoute({
    method: 'post', path: '/v2/repository/index', tags: ['Model repository'], summary: 'Every model in the repository and its state',
    responses: { 200: { content: { 'application/json': { schema: IndexSchema } }, description: 'Models and versions with state' } },
  }), async (c) => c.json(await dp.repositoryIndex(), 200));

  app.openapi(createRoute({
    method: 'post', path: '/v2/repository/models/{model_name}/load', tags: ['Model repository'], summary: '(Re)load a model from the repository',
    request: { params: ModelParam },
    responses: { 200: { content: { 'application/json': { schema: z.object({}) } }, description: 'Loaded and ready' }, 400: err('Failed to load (the reason is given)'), 404: err('No such model in the repository') },
  }), async (c) => {
    await dp.loadModel(c.req.valid('param').model_name);
    return c.json({}, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/v2/repository/models/{model_name}/unload', tags: ['Model repository'], summary: 'Unload a model (queued and running requests finish first)',
    request: { params: ModelParam },
    responses: { 200: { content: { 'application/json': { schema: z.object({}) } }, description: 'Unloaded' }, 404: err('Unknown model') },
  }), async (c) => {
    await dp.unloadModel(c.req.valid('param').model_name);
    return c.json({}, 200);
  });

  const statsRoute = (path: string, params?: z.ZodObject) => createRoute({
    method: 'get', path, tags: ['Statistics'], summary: "Inference statistics (Triton's statistics extension)",
    ...(params ? { request: { params } } : {}),
    responses: { 200: { content: { 'application/json': { schema: StatsSchema } }, description: 'Per model version' }, 404: err('Unknown model') },
  });
  const handler = (name: string, version?: string) => ({ model_stats: dp.modelStats(name, version).map((r) => tritonStats(r.name, r.version, r.stats)) });
  app.openapi(statsRoute('/v2/models/stats'), (c) => c.json(handler(''), 200));
  app.openapi(statsRoute('/v2/models/{model_name}/stats', ModelParam), (c) => c.json(handler(c.req.param('model_name')!), 200));
  app.openapi(statsRoute('/v2/models/{model_name}/versions/{model_version}/stats', ModelParam.extend({ model_version: z.string().openapi({ param: { name: 'model_version', in: 'path' } }) })),
    (c) => c.json(handler(c.req.param('model_name')!, c.req.param('model_version')), 200));
}
