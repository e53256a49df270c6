// The small non-protocol routes: the demo page at `/` (and its favicon) and Prometheus metrics
// at `/metrics`.

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { DataPlane } from '../../core/dataplane.ts';
import { DEMO_HTML, FAVICON_SVG } from '../demo-page.ts';

/** `metrics`: the exposition of the server's one metrics registry (src/observability/telemetry.ts). */
export function mountSite(app: OpenAPIHono, _dp: DataPlane, metrics: () => string): void {
  app.get('/', (c) => c.html(DEMO_HTML));
  // Browsers ask for /favicon.ico on every page (/docs too); an SVG answers it everywhere.
  const favicon = (c: Context) => c.body(FAVICON_SVG, 200, { 'Content-Type': 'image/svg+xml', 'Cache-Control': 'public, max-age=86400' });
  app.get('/favicon.svg', favicon);
  app.get('/favicon.ico', favicon);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['Metrics'],
      summary: "Prometheus metrics (Triton's names and labels)",
      responses: { 200: { content: { 'text/plain': { schema: z.string() } }, description: 'Prometheus text format 0.0.4' } },
    }),
    (c) => {
      // c.text() would set its own Content-Type: Prometheus' text format names its version.
      return c.body(metrics(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }) as never;
    },
  );
}
