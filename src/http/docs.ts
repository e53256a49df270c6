// OpenAPI 3.1 document (generated from the route schemas) at /openapi.json and Swagger UI at
// /docs, with Swagger UI's assets served by edgeserve itself so the docs work with no network.

import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';

export interface DocsAssets {
  /** swagger-ui.css and swagger-ui-bundle.js from swagger-ui-dist, loaded by the runtime. */
  load(): Promise<{ css: string; js: string }>;
}

/** `annotate`: adds the security schemes and per-route requirements (http/auth.ts). */
export function mountDocs(app: OpenAPIHono, assets: DocsAssets, info: { title: string; version: string }, annotate: <T>(doc: T) => T = (d) => d): void {
  app.get('/openapi.json', (c) => c.json(annotate(app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description: 'KServe v2 / Open Inference Protocol with Triton extensions, plus image and face routes.',
    },
  }))));
  // The UI asks for `${baseUrl}/swagger-ui-dist/…`; both files are cached after the first load.
  app.get('/docs', swaggerUI({ url: '/openapi.json', baseUrl: '/docs/assets', title: 'edgeserve API' }));
  let cached: Promise<{ css: string; js: string }> | undefined;
  // A failed load is not cached: the next request tries again.
  const get = () => (cached ??= assets.load().catch((e: unknown) => { cached = undefined; throw e; }));
  app.get('/docs/assets/swagger-ui-dist/swagger-ui.css', async (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body((await get()).css, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  app.get('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js', async (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body((await get()).js, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
}
