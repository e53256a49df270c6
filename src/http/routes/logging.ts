// Triton's logging extension: GET /v2/logging answers the log settings, POST changes the ones it
// names (log_info, log_warnings, log_errors, log_verbose_level, log_format; log_file only as ""),
// and answers all of them. What cannot be honoured is a 400, never ignored
// (src/observability/logger.ts LogControl).

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { invalid } from '../../core/errors.ts';
import type { LogControl } from '../../observability/logger.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import { readBody } from '../body.ts';
import { jsonFields } from '../params.ts';

const err = (d: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description: d });

const LogSettingsSchema = z
  .object({
    log_file: z.string().openapi({ description: 'Always "": logs go to stderr' }),
    log_info: z.boolean(),
    log_warnings: z.boolean(),
    log_errors: z.boolean(),
    log_verbose_level: z.number().int().openapi({ description: '0: no verbose messages; >= 1: verbose (debug) messages too' }),
    log_format: z.enum(['text', 'json']).openapi({ description: 'text (human-readable lines) or json (one JSON object per line)' }),
  })
  .openapi('LogSettings');

/** A settings body's text: a JSON object whose keys each appear once. */
export function parseSettings(text: string, what: string): Record<string, unknown> {
  if (text.trim() === '') throw invalid(`${what}: the body is empty; send a JSON object of settings`);
  const { object, fields } = jsonFields(text, what);
  const twice = Object.entries(fields).find(([, v]) => v.length > 1);
  if (twice) throw invalid(`${what}: setting '${twice[0]}' given ${twice[1].length} times`);
  return object;
}

export async function bodyText(c: Context): Promise<string> {
  return new TextDecoder().decode(await readBody(c, 64 * 1024));
}

export function mountLogging(app: OpenAPIHono, control: LogControl): void {
  const responses = { 200: { content: { 'application/json': { schema: LogSettingsSchema } }, description: 'The log settings now in force' } };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v2/logging',
      tags: ['Server'],
      summary: "Log settings (Triton's logging extension)",
      responses,
    }),
    (c) => c.json(control.settings, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v2/logging',
      tags: ['Server'],
      summary: 'Change log settings at run time',
      description: 'Only the settings named change; the answer lists all of them. A log file and Triton\'s "default"/"ISO8601" layouts are refused with 400.',
      // Described for the docs only: the body is read strictly by the handler (any content type, as
      // Triton's clients send it), so a validator must not refuse it first.
      request: { body: { content: { 'application/json': { schema: { $ref: '#/components/schemas/LogSettings' } } }, required: true } },
      responses: { ...responses, 400: err('A setting unknown, of the wrong type, or not available here') },
    }),
    async (c) => c.json(control.update(parseSettings(await bodyText(c), 'log settings')), 200),
  );
}
