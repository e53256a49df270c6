// createApp: the whole HTTP surface as one OpenAPIHono app, built from injected parts (DataPlane,
// docs assets, optional face routes) so every runtime serves the same routes. No runtime APIs.

import { OpenAPIHono } from '@hono/zod-openapi';
import type { DataPlane } from '../core/dataplane.ts';
import { invalid } from '../core/errors.ts';
import { type Authorizer } from '../auth/authorizer.ts';
import { authMiddleware, corsMiddleware, inProcessAuthorizer, withSecurity } from './auth.ts';
import { type DocsAssets, mountDocs } from './docs.ts';
import { type Log, errorResponse } from './errors.ts';
import { notFoundOrNotAllowed, redirectTrailingSlash } from './methods.ts';
import { formatRequestIssues } from './params.ts';
import { mountKServe } from './routes/kserve.ts';
import { mountRepository } from './routes/repository.ts';
import { mountLogging } from './routes/logging.ts';
import { mountSite } from './routes/site.ts';
import { mountTrace } from './routes/trace.ts';
import { requestTelemetry } from '../observability/request-log.ts';
import { Telemetry } from '../observability/telemetry.ts';

export interface AppOptions {
  dataPlane: DataPlane;
  docs: DocsAssets;
  maxBodyBytes: number;
  log: Log;
  /** Extra route groups (face tasks, image routes, demo page) mounted by the composition root. */
  mount?: Array<(app: OpenAPIHono, dataPlane: DataPlane) => void>;
  /**
   * Who may call what (src/auth) and the CORS allowlist. Every server root passes one built from
   * its settings (runtime/auth-store.ts); absent only in-process (tests, embedding): no keys, and
   * a request without a client address counts as loopback.
   */
  auth?: { authorizer: Authorizer; corsOrigins?: readonly string[] };
  /**
   * Request logs, metrics and traces (src/observability). Server roots pass the stack's (it
   * outlives hot reloads); absent, the app makes its own over the DataPlane.
   */
  telemetry?: Telemetry;
}

export function createApp(o: AppOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    // `/x/` is served as `/x` (GET and HEAD are redirected first: http/methods.ts).
    strict: false,
    // Every zod validation failure (path params, headers, query, JSON, forms) becomes one clear
    // 400 naming the field and quoting the value received.
    defaultHook: (result) => {
      if (!result.success) throw invalid(formatRequestIssues(result.error.issues, (result as { data?: unknown }).data, result.target));
    },
  });
  app.onError((e, c) => errorResponse(e, c, o.log));
  app.notFound(notFoundOrNotAllowed(app));
  // Before every route: CORS answers preflights, then auth decides (src/auth/scopes.ts).
  const auth = o.auth ?? { authorizer: inProcessAuthorizer() };
  const telemetry = o.telemetry ?? new Telemetry({ dataPlane: o.dataPlane, log: o.log, auth: auth.authorizer.metrics });
  // Outermost: every answer (CORS and auth refusals too) gets an id, a log line and counts.
  app.use('*', requestTelemetry(telemetry));
  if (auth.corsOrigins?.length) app.use('*', corsMiddleware(auth.corsOrigins));
  app.use('*', authMiddleware(auth.authorizer));
  app.use('*', redirectTrailingSlash(app));
  mountRepository(app, o.dataPlane);
  mountKServe(app, o.dataPlane, { maxBodyBytes: o.maxBodyBytes });
  // Before the KServe routes would otherwise match /v2/models/stats as a model named 'stats'.
  mountSite(app, o.dataPlane, () => telemetry.metrics.render());
  if (telemetry.log.control) mountLogging(app, telemetry.log.control);
  if (telemetry.trace) mountTrace(app, o.dataPlane, telemetry.trace);
  for (const m of o.mount ?? []) m(app, o.dataPlane);
  const { name, version } = o.dataPlane.serverMetadata();
  mountDocs(app, o.docs, { title: name, version }, (doc) => withSecurity(doc, auth.authorizer.o.mode));
  return app;
}
