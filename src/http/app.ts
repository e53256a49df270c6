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
import { mountSite } from './routes/site.ts';

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
  if (auth.corsOrigins?.length) app.use('*', corsMiddleware(auth.corsOrigins));
  app.use('*', authMiddleware(auth.authorizer));
  app.use('*', redirectTrailingSlash(app));
  mountRepository(app, o.dataPlane);
  mountKServe(app, o.dataPlane, { maxBodyBytes: o.maxBodyBytes });
  // Before the KServe routes would otherwise match /v2/models/stats as a model named 'stats'.
  mountSite(app, o.dataPlane, () => auth.authorizer.metrics.render());
  for (const m of o.mount ?? []) m(app, o.dataPlane);
  const { name, version } = o.dataPlane.serverMetadata();
  mountDocs(app, o.docs, { title: name, version }, (doc) => withSecurity(doc, auth.authorizer.o.mode));
  return app;
}
