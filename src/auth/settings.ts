// Server settings → an Authorizer, with no I/O: the key table and a JWKS document (if any) are
// read by the root (a file on Bun/Node/Deno, a secret binding on Workers) and passed in.

import type { JSONWebKeySet } from 'jose';
import type { ServerConfig } from '../config/server-config.ts';
import { AddressSet } from './address.ts';
import { Authorizer } from './authorizer.ts';
import { createJwtVerifier, type JwtVerifier } from './jwt.ts';
import type { KeyTable } from './keys.ts';
import type { Rate } from './rate-limit.ts';
import type { Need, Scope } from './scopes.ts';

export type AuthConfig = Pick<
  ServerConfig,
  | 'auth'
  | 'trustProxy'
  | 'proxyHeader'
  | 'jwtSecret'
  | 'jwtJwksUrl'
  | 'jwtJwksFile'
  | 'jwtIssuer'
  | 'jwtAudience'
  | 'jwtScopesClaim'
  | 'jwtTenantClaim'
  | 'rateLimitRps'
  | 'rateLimitBurst'
  | 'rateLimitScopes'
  | 'rateLimitAuthFailures'
>;

export function rateLimits(cfg: AuthConfig): Partial<Record<Need | 'default', Rate>> {
  // 0 for a scope means "no limit" even when RATE_LIMIT_RPS sets one for the rest.
  const rate = (rps: number): Rate =>
    rps === 0 ? { perSecond: Infinity, burst: Infinity } : { perSecond: rps, burst: cfg.rateLimitBurst || Math.max(1, Math.ceil(rps)) };
  const out: Partial<Record<Need | 'default', Rate>> = {};
  if (cfg.rateLimitRps > 0) out.default = rate(cfg.rateLimitRps);
  for (const pair of cfg.rateLimitScopes.split(',').filter((p) => p.trim() !== '')) {
    const [scope, v] = pair.split('=').map((s) => s.trim());
    out[scope as Scope] = rate(Number(v));
  }
  return out;
}

export function jwtVerifier(cfg: AuthConfig, jwks?: JSONWebKeySet): JwtVerifier | undefined {
  if (cfg.jwtSecret === undefined && cfg.jwtJwksUrl === undefined && cfg.jwtJwksFile === undefined) {
    if (cfg.jwtIssuer || cfg.jwtAudience) throw new Error('JWT_ISSUER/JWT_AUDIENCE are set but no JWT key source (JWT_SECRET, JWT_JWKS_URL or JWT_JWKS_FILE)');
    return undefined;
  }
  if (cfg.jwtJwksFile !== undefined && !jwks) throw new Error('JWT_JWKS_FILE: not readable on this runtime (use JWT_JWKS_URL or JWT_SECRET)');
  return createJwtVerifier({
    secret: cfg.jwtSecret,
    jwksUrl: cfg.jwtJwksUrl,
    jwks: cfg.jwtJwksFile !== undefined ? jwks : undefined,
    issuer: cfg.jwtIssuer,
    audience: cfg.jwtAudience,
    scopesClaim: cfg.jwtScopesClaim,
    tenantClaim: cfg.jwtTenantClaim,
  });
}

export function authorizerFromConfig(cfg: AuthConfig, keys: KeyTable, jwks?: JSONWebKeySet): Authorizer {
  return new Authorizer({
    mode: cfg.auth,
    keys,
    jwt: jwtVerifier(cfg, jwks),
    trust: { proxies: new AddressSet(cfg.trustProxy), header: cfg.proxyHeader },
    limits: rateLimits(cfg),
    authFailures: { perSecond: cfg.rateLimitAuthFailures / 60, burst: cfg.rateLimitAuthFailures },
  });
}

/** The one start-up line saying how this server is protected. */
export function describeAuth(a: Authorizer, where: string): string {
  const keys = a.o.keys.size;
  const jwt = a.o.jwt ? ', JWT bearer tokens' : '';
  if (!a.keyed()) {
    return `auth: no API keys configured (${where}): open for local use, but admin and gallery-write routes answer only loopback clients; create a key with \`edgeserve keys create --scopes admin\``;
  }
  const rule = a.o.mode === 'required' ? 'AUTH=required: every route but health and docs needs a key' : 'routes need the scopes of the README table';
  return `auth: ${keys} API key${keys === 1 ? '' : 's'} (${where})${jwt}; ${rule}${a.o.trust.proxies.empty ? '' : `; client address from ${a.o.trust.header} of ${a.o.trust.proxies.specs.join(', ')}`}`;
}
