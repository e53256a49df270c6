// The HTTP side of auth: the Hono middleware that asks the Authorizer (src/auth) about every
// request before routing, answers 401/403/429 with RFC 6750's WWW-Authenticate and Retry-After,
// and leaves the Principal on the context for the routes (tenantOf() for the gallery); the CORS
// allowlist (hono/cors); and the OpenAPI security schemes and per-operation requirements, read
// from the same scope table so the docs cannot disagree with what is enforced.

import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { AddressSet } from '../auth/address.ts';
import { type AuthMode, Authorizer, type Principal } from '../auth/authorizer.ts';
import { isAuthError } from '../auth/errors.ts';
import { KeyTable } from '../auth/keys.ts';
import { classify, type Need } from '../auth/scopes.ts';
import { statusOf } from './errors.ts';

/** What a root passes in `app.fetch(request, env)`: the socket peer's address. */
export interface RequestEnv {
  clientAddress?: string;
}

const PRINCIPAL = 'edgeserve.principal';

export function authMiddleware(auth: Authorizer): MiddlewareHandler {
  return async (c, next) => {
    const env = c.env as RequestEnv | undefined;
    try {
      const p = await auth.authorize({
        credentials: { authorization: c.req.header('authorization') ?? null, apiKey: c.req.header('x-api-key') ?? null },
        peer: typeof env?.clientAddress === 'string' ? env.clientAddress : undefined,
        header: (n) => c.req.header(n),
        route: { method: c.req.method, path: c.req.path },
      });
      c.set(PRINCIPAL as never, p as never);
    } catch (e) {
      if (!isAuthError(e)) throw e;
      const headers: Record<string, string> = {};
      if (e.challenge) headers['WWW-Authenticate'] = e.challenge;
      if (e.retryAfter !== undefined) headers['Retry-After'] = String(e.retryAfter);
      return c.json({ error: e.message }, statusOf(e.code), headers);
    }
    await next();
  };
}

/**
 * For in-process use only (tests, embedding, `app.request`): no keys, and a request that comes
 * with no client address counts as loopback (there is no socket). Server roots never use this.
 */
export function inProcessAuthorizer(): Authorizer {
  return new Authorizer({
    mode: 'auto',
    keys: new KeyTable(),
    trust: { proxies: new AddressSet([]), header: 'x-forwarded-for' },
    limits: {},
    authFailures: { perSecond: 1, burst: 20 },
    defaultPeer: '127.0.0.1',
  });
}

/** Who is calling (set by authMiddleware before any route runs). */
export function principalOf(c: Context): Principal | undefined {
  return c.get(PRINCIPAL as never) as Principal | undefined;
}

/** The caller's tenant for tenant-scoped data: null = not bound (sees every tenant). */
export function tenantOf(c: Context): string | null {
  const p = principalOf(c);
  // authMiddleware runs before every route; a route reached without it is a wiring bug.
  if (!p) throw new Error('tenantOf: no principal on the request (auth middleware not installed)');
  return p.tenant;
}

/**
 * CORS for an allowlist of origins (`*` = any). Preflights are answered here, before auth (a
 * browser sends them without credentials); 401/403/429 answers carry the headers too, so a
 * browser app can read the error. Keys travel in headers, never cookies: no credentials mode.
 */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const any = origins.includes('*');
  return cors({
    origin: any ? '*' : (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Inference-Header-Content-Length', 'Idempotency-Key'],
    exposeHeaders: ['WWW-Authenticate', 'Retry-After', 'Inference-Header-Content-Length'],
    maxAge: 600,
  });
}

// OpenAPI ------------------------------------------------------------------------------------

export const SECURITY_SCHEMES = {
  ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An edgeserve API key (`edgeserve keys create`).' },
  Bearer: { type: 'http', scheme: 'bearer', description: 'An edgeserve API key, or a JWT from the configured issuer.' },
} as const;

function requirement(need: Need, mode: AuthMode): Array<Record<string, string[]>> {
  if (need === 'health' || need === 'public') return [];
  // OpenAPI 3.1 lets non-OAuth requirements list role names: the scope the operation needs.
  const roles: string[] = need === 'metadata' ? [] : [need];
  const req: Array<Record<string, string[]>> = [{ ApiKeyHeader: roles }, { Bearer: roles }];
  return need === 'metadata' && mode !== 'required' ? [{}, ...req] : req;
}

interface Operation {
  security?: unknown;
  description?: string;
  responses?: Record<string, unknown>;
}
interface OpenApiDoc {
  paths?: Record<string, Record<string, Operation | unknown>>;
  components?: Record<string, unknown>;
}

const errorBody = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } });

/** The auth answers an operation can give (Swagger UI shows undeclared ones as "Undocumented"). */
function authResponses(need: Need, mode: AuthMode): Record<string, unknown> {
  if (need === 'health' || need === 'public') return {};
  const out: Record<string, unknown> = {
    401: errorBody(
      need === 'metadata' && mode !== 'required'
        ? 'A key was sent and is unknown, expired or revoked (WWW-Authenticate says why)'
        : 'No key, or an unknown, expired or revoked one (WWW-Authenticate says why)',
    ),
    429: errorBody('Rate limited, per key or per address (Retry-After)'),
  };
  if (need !== 'metadata')
    out[403] = errorBody(
      `The key lacks scope \`${need}\`${need === 'admin' || need === 'faces:write' ? '; with no keys configured, the client is not on loopback' : ''}`,
    );
  return out;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Adds the security schemes and each operation's requirement (from the scope table). */
export function withSecurity<T>(doc: T, mode: AuthMode): T {
  const d = doc as OpenApiDoc;
  d.components = { ...d.components, securitySchemes: SECURITY_SCHEMES };
  for (const [path, item] of Object.entries(d.paths ?? {})) {
    // `{model_name}` stands for one segment, as `*` does in the table.
    const concrete = path.replace(/\{[^}]+\}/g, 'x');
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method) || typeof op !== 'object' || op === null) continue;
      const need = classify(method, concrete).need;
      const o = op as Operation;
      o.security = requirement(need, mode);
      o.responses = { ...authResponses(need, mode), ...o.responses };
      const note =
        need === 'health' || need === 'public'
          ? 'Open.'
          : need === 'metadata'
            ? mode === 'required'
              ? 'Needs an API key (AUTH=required).'
              : 'Open; an API key, if sent, must be valid.'
            : `Needs scope \`${need}\` (or \`admin\`).`;
      o.description = o.description ? `${o.description}\n\n${note}` : note;
    }
  }
  return doc;
}
