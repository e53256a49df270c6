// Triton's trace extension: GET/POST /v2/trace/setting (global) and
// /v2/models/{m}/trace/setting (one model's own settings; a setting sent as null, or an empty
// body, falls back to the global one). trace_level OFF/TIMESTAMPS, trace_rate, trace_count; what
// cannot be honoured (TENSORS, trace files, log_frequency) is a 400
// (src/observability/tracing.ts TraceControl).

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { DataPlane } from '../../core/dataplane.ts';
import type { TraceControl } from '../../observability/tracing.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import { bodyText, parseSettings } from './logging.ts';

const err = (d: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description: d });

const TraceSettingsSchema = z
  .object({
    trace_level: z.array(z.enum(['OFF', 'TIMESTAMPS'])).openapi({ description: '["OFF"] or ["TIMESTAMPS"] (spans exported over OTLP)' }),
    trace_rate: z.string().openapi({ description: "Trace 1 of every N requests (a caller's sampled traceparent is always traced while on)" }),
    trace_count: z.string().openapi({ description: 'Traces left to take; -1 = no limit' }),
    log_frequency: z.string().openapi({ description: 'Always "0": spans are exported as they end' }),
    trace_file: z.string().openapi({ description: 'Always "": spans go to OTEL_EXPORTER_OTLP_ENDPOINT' }),
    trace_mode: z.string().openapi({ description: 'Always "opentelemetry"' }),
  })
  .openapi('TraceSettings');
const ModelParam = z.object({ model_name: z.string().openapi({ param: { name: 'model_name', in: 'path' }, example: 'simple' }) });

/** A model trace request for a model the repository does not have is a 404, as Triton's. */
async function knownModel(c: Context, dp: DataPlane): Promise<string> {
  const name = c.req.param('model_name') as string;
  if (!dp.registry.get(name)) dp.registry.resolve(name); // throws the 404 (or 503 while listing)
  return name;
}

async function body(c: Context, model: string | undefined): Promise<Record<string, unknown>> {
  const text = await bodyText(c);
  // For a model, an empty body means "drop this model's own settings" (Triton's rule).
  if (model !== undefined && text.trim() === '') return {};
  return parseSettings(text, 'trace settings');
}

export function mountTrace(app: OpenAPIHono, dp: DataPlane, control: TraceControl): void {
  const ok = { 200: { content: { 'application/json': { schema: TraceSettingsSchema } }, description: 'The trace settings now in force' } };
  const bad = { 400: err('A setting unknown, malformed, or not available here') };
  app.openapi(
    createRoute({ method: 'get', path: '/v2/trace/setting', tags: ['Server'], summary: "Trace settings (Triton's trace extension)", responses: ok }),
    (c) => c.json(control.settings(), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v2/trace/setting',
      tags: ['Server'],
      summary: 'Change the trace settings at run time',
      request: { body: { content: { 'application/json': { schema: { $ref: '#/components/schemas/TraceSettings' } } }, required: true } },
      responses: { ...ok, ...bad },
    }),
    async (c) => c.json(control.update(await body(c, undefined)), 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v2/models/{model_name}/trace/setting',
      tags: ['Server'],
      summary: "One model's trace settings",
      request: { params: ModelParam },
      responses: { ...ok, 404: err('Unknown model') },
    }),
    async (c) => c.json(control.settings(await knownModel(c, dp)), 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v2/models/{model_name}/trace/setting',
      tags: ['Server'],
      summary: "Change one model's trace settings",
      description: 'A setting sent as null, or an empty body, falls back to the global settings.',
      request: { params: ModelParam, body: { content: { 'application/json': { schema: { $ref: '#/components/schemas/TraceSettings' } } }, required: false } },
      responses: { ...ok, ...bad, 404: err('Unknown model') },
    }),
    async (c) => {
      const model = await knownModel(c, dp);
      return c.json(control.update(await body(c, model), model), 200);
    },
  );
}
