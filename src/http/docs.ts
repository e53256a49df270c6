// OpenAPI 3.1 document (generated from the route schemas) at /openapi.json and Swagger UI at
// /docs, with Swagger UI's assets served by edgeserve itself so the docs work with no network.

import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';

export interface DocsAssets {
  /** swagger-ui.css and swagger-ui-bundle.js from swagger-ui-dist, loaded by the runtime. */
  load(): Promise<{ css: string; js: string }>;
}

/** Tag order in /docs. A route group that adds a tag should add it here, where it belongs. */
export const DOC_TAGS = [
  { name: 'Faces', description: 'Detect, embed and verify faces in JPEG, PNG or WebP images' },
  { name: 'Inference', description: 'KServe v2 inference on any model of the repository' },
  { name: 'Health', description: 'Liveness and readiness' },
  { name: 'Metadata', description: 'Server and model metadata, model configuration' },
  { name: 'Model repository', description: "Triton's model repository extension: index, load, unload" },
  { name: 'Statistics', description: "Triton's statistics extension" },
  { name: 'Metrics', description: 'Prometheus metrics' },
];

/** `annotate`: adds the security schemes and per-route requirements (http/auth.ts). */
export function mountDocs(app: OpenAPIHono, assets: DocsAssets, info: { title: string; version: string }, annotate: <T>(doc: T) => T = (d) => d): void {
  app.get('/openapi.json', (c) =>
    c.json(
      annotate(
        app.getOpenAPI31Document({
          openapi: '3.1.0',
          info: {
            title: info.title,
            version: info.version,
            description:
              'Face routes (detect, embed, verify), then KServe v2 / Open Inference Protocol with Triton extensions. Options of the face routes are query parameters, or fields of a multipart/JSON body, each in one place only.',
          },
          // Swagger UI lists tags in this order: the face routes first, the plumbing after.
          tags: DOC_TAGS,
        }),
      ),
    ),
  );
  // The UI asks for `${baseUrl}/swagger-ui-dist/…`; both files are cached after the first load.
  app.get('/docs', swaggerUI({ url: '/openapi.json', baseUrl: '/docs/assets', title: 'edgeserve API' }));
  let cached: Promise<{ css: string; js: string }> | undefined;
  // A failed load is not cached: the next request tries again.
  const get = () =>
    (cached ??= assets.load().catch((e: unknown) => {
      cached = undefined;
      throw e;
    }));
  app.get('/docs/assets/swagger-ui-dist/swagger-ui.css', async (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body((await get()).css, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  app.get('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js', async (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body((await get()).js, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
}
