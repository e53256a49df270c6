// What FastAPI (Starlette) does for a path that exists but not for this request, done once for
// the whole app rather than per route:
//   - a method the path does not take → 405 with `Allow` and `{"error"}` (Hono answers 404);
//   - a trailing slash (`/docs/`, `/v1/faces/detect/`): GET and HEAD are redirected (308, query
//     kept) to the path without it, so every page has one URL; other methods are served at once
//     (the app is built with `strict: false`), because clients rarely repeat an upload on a
//     redirect and the body would travel twice.
// Routes are read from the app itself (`app.routes`), so routes added later by other modules are
// covered with no registration. Hono has no 405 of its own; its trailing-slash middleware
// answers 301 (which turns a POST into a GET) and only after a 404.

import type { Context, Hono, MiddlewareHandler } from 'hono';

// biome-ignore lint/suspicious/noExplicitAny: any app, whatever its env and schema types
type AnyApp = Hono<any, any, any>;

interface Compiled {
  method: string;
  re: RegExp;
}

const cache = new WeakMap<AnyApp, { n: number; routes: Compiled[] }>();

function compiled(app: AnyApp): Compiled[] {
  const hit = cache.get(app);
  if (hit && hit.n === app.routes.length) return hit.routes;
  const routes = app.routes
    .filter((r) => r.method !== 'ALL') // middleware (app.use) is not a route
    .map((r) => ({ method: r.method, re: pathPattern(r.path) }));
  cache.set(app, { n: app.routes.length, routes });
  return routes;
}

/** Hono's `/a/:name/b`, `/a/:name{[0-9]+}`, `/a/*` as an anchored regular expression. */
function pathPattern(path: string): RegExp {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const src = trimmed
    .split('/')
    .map((seg) => {
      if (seg === '*') return '.*';
      const m = /^:[^{}]+(?:\{(.+)\})?\??$/.exec(seg);
      if (m) return m[1] ? `(?:${m[1]})` : '[^/]+';
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${src || '/'}$`);
}

const trim = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') || '/' : path);

/** The methods a path is served for (HEAD wherever GET is: Hono answers HEAD with the GET route). */
export function allowedMethods(app: AnyApp, path: string): string[] {
  const p = trim(path);
  const set = new Set<string>();
  for (const r of compiled(app)) if (r.re.test(p)) set.add(r.method);
  if (set.has('GET')) set.add('HEAD');
  return [...set].sort();
}

/** The path as requested: with `strict: false`, Hono's `c.req.path` has the trailing slash removed. */
function requestedPath(c: Context): string {
  const u = c.req.url;
  const start = u.indexOf('/', u.indexOf('://') + 3);
  if (start < 0) return '/';
  const q = u.indexOf('?', start);
  return u.slice(start, q < 0 ? undefined : q);
}

/** 308 for GET/HEAD with a trailing slash when the path without it is a page. Install first. */
export function redirectTrailingSlash(app: AnyApp): MiddlewareHandler {
  return async (c, next) => {
    const path = requestedPath(c);
    if ((c.req.method === 'GET' || c.req.method === 'HEAD') && path.length > 1 && path.endsWith('/')) {
      const to = trim(path);
      if (allowedMethods(app, to).includes('GET')) {
        const q = c.req.url.indexOf('?');
        return c.redirect(to + (q < 0 ? '' : c.req.url.slice(q)), 308);
      }
    }
    await next();
  };
}

/** The app's notFound handler: 405 with Allow when the path exists for other methods, else 404. */
export function notFoundOrNotAllowed(app: AnyApp) {
  return (c: Context) => {
    const path = requestedPath(c);
    const allow = allowedMethods(app, path);
    if (allow.length) {
      c.header('Allow', allow.join(', '));
      return c.json({ error: `method ${c.req.method} is not allowed on ${path}: use ${allow.join(' or ')}` }, 405);
    }
    return c.json({ error: `no route for ${c.req.method} ${path}` }, 404);
  };
}
