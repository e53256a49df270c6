// The one table of what each route needs: REST routes by method + path pattern, gRPC methods by
// name. Every check (the Hono middleware, the gRPC adapter, the OpenAPI security annotations, the
// README's table) reads it from here. A route that matches no row needs `admin`: a new route
// cannot ship open by accident (test/auth-routes.test.ts walks every route and fails on one that
// is only classified by that default).

export const SCOPES = ['infer', 'faces:read', 'faces:write', 'admin', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * - `health`: open always, also with AUTH=required (probes carry no key).
 * - `public`: the docs and demo pages: open always; they hold no data, a browser cannot attach a
 *   key to a page load, and every API call they make is checked.
 * - `metadata`: open; with AUTH=required any valid key.
 * - a scope: a key (or token) carrying it; `admin` also passes every scope.
 */
export type Need = 'health' | 'public' | 'metadata' | Scope;

/** Scopes that, with no keys configured, only loopback clients may use (the secure default). */
export const LOCAL_ONLY: ReadonlySet<Need> = new Set<Need>(['admin', 'faces:write']);

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

export interface RouteRule {
  group: string;
  need: Need;
  /** `METHOD /path`: METHOD is GET, POST, … or `*`; `*` in a path is one segment, `**` the rest. */
  routes: string[];
}

// First match wins: the specific rows (stats under /v2/models, gallery reads that are POSTs)
// come before the rows that would also match them.
export const ROUTE_TABLE: readonly RouteRule[] = [
  { group: 'health', need: 'health', routes: ['GET /v2/health/live', 'GET /v2/health/ready'] },
  { group: 'docs and demo pages', need: 'public', routes: ['GET /', 'GET /favicon.svg', 'GET /favicon.ico', 'GET /docs', 'GET /docs/**', 'GET /openapi.json'] },
  { group: 'metrics and statistics', need: 'metrics', routes: ['* /metrics', '* /v2/models/stats', '* /v2/models/*/stats', '* /v2/models/*/versions/*/stats'] },
  {
    group: 'repository, logging and trace settings',
    need: 'admin',
    routes: ['* /v2/repository/**', '* /v2/logging', '* /v2/trace/setting', '* /v2/models/*/trace/setting', '* /v2/models/*/versions/*/trace/setting'],
  },
  {
    group: 'inference and face tasks',
    need: 'infer',
    routes: ['* /v2/models/*/infer', '* /v2/models/*/versions/*/infer', '* /v1/faces/detect', '* /v1/faces/embed', '* /v1/faces/verify'],
  },
  {
    group: 'gallery reads',
    need: 'faces:read',
    routes: [
      'GET /v1/faces/galleries',
      'GET /v1/faces/galleries/**',
      'POST /v1/faces/galleries/*/identify',
      'POST /v1/faces/galleries/*/search',
      'POST /v1/faces/galleries/*/subjects/*/verify',
    ],
  },
  { group: 'gallery writes', need: 'faces:write', routes: ['* /v1/faces/galleries', '* /v1/faces/galleries/**'] },
  {
    group: 'server and model metadata',
    need: 'metadata',
    routes: [
      'GET /v2',
      'GET /v2/models/*',
      'GET /v2/models/*/versions/*',
      'GET /v2/models/*/ready',
      'GET /v2/models/*/versions/*/ready',
      'GET /v2/models/*/config',
      'GET /v2/models/*/versions/*/config',
    ],
  },
];

/** gRPC `inference.GRPCInferenceService` methods; a method not listed needs `admin`. */
export const GRPC_TABLE: Readonly<Record<string, Need>> = {
  ServerLive: 'health',
  ServerReady: 'health',
  ServerMetadata: 'metadata',
  ModelMetadata: 'metadata',
  ModelReady: 'metadata',
  ModelConfig: 'metadata',
  ModelInfer: 'infer',
  ModelStreamInfer: 'infer',
  ModelStatistics: 'metrics',
  RepositoryIndex: 'admin',
  RepositoryModelLoad: 'admin',
  RepositoryModelUnload: 'admin',
  LogSettings: 'admin',
  TraceSetting: 'admin',
};

export interface Classified {
  need: Need;
  /** The table row, or undefined when only the fail-closed default applied. */
  rule?: RouteRule;
}

interface Compiled {
  method: string;
  segments: string[];
  rule: RouteRule;
}

const compiled: Compiled[] = ROUTE_TABLE.flatMap((rule) =>
  rule.routes.map((r) => {
    const [method, path] = r.split(' ');
    return { method, segments: path.split('/').slice(1), rule };
  }),
);

function matches(pattern: string[], segments: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '**') return segments.length > i && segments.slice(i).every((s) => s !== '');
    if (i >= segments.length) return false;
    if (p === '*' ? segments[i] === '' : p !== segments[i]) return false;
  }
  return pattern.length === segments.length;
}

/**
 * What `method path` needs. `path` must be the path the router dispatches on (Hono's
 * `c.req.path`), so what is checked is what runs. HEAD is routed as GET.
 */
export function classify(method: string, path: string): Classified {
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  // The router serves `/x/` as `/x` (FastAPI's trailing-slash rule): classify it the same.
  const segments = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/').slice(1);
  for (const c of compiled) {
    if ((c.method === '*' || c.method === m) && matches(c.segments, segments)) return { need: c.rule.need, rule: c.rule };
  }
  // An open path asked with a method it does not take: nothing runs but the router's 405 (with
  // Allow), so it stays open rather than answering 401 to a wrong method.
  for (const c of compiled) {
    if (OPEN.has(c.rule.need) && matches(c.segments, segments)) return { need: c.rule.need, rule: c.rule };
  }
  return { need: 'admin' };
}

const OPEN: ReadonlySet<Need> = new Set<Need>(['health', 'public', 'metadata']);

export function classifyGrpc(method: string): Classified {
  const need = GRPC_TABLE[method];
  return need ? { need } : { need: 'admin' };
}
