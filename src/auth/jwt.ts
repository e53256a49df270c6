// OIDC / JWT bearer tokens as a second way in (jose): an HS256 shared secret, or an identity
// provider's keys from a JWKS URL (fetched and cached by jose) or a JWKS document the root read
// from a file. Issuer and audience are checked when configured, `exp` is required, and the
// algorithms are pinned per key source (HS256 for a secret, asymmetric ones for a JWKS) so a
// token cannot pick its own verification method. Scopes come from a configurable claim (a
// space-separated string, as OAuth's `scope`, or an array, as `scp`/`roles`); names outside the
// scope table are ignored. The tenant comes from another claim.

import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, jwtVerify, type JWTPayload } from 'jose';
import { unavailable } from '../core/errors.ts';
import { invalidToken } from './errors.ts';
import { isScope, type Scope } from './scopes.ts';

export interface JwtSettings {
  secret?: string;
  jwksUrl?: string;
  jwks?: JSONWebKeySet;
  issuer?: string;
  audience?: string;
  scopesClaim: string;
  tenantClaim: string;
}

export interface JwtIdentity {
  subject: string;
  scopes: Scope[];
  tenant: string | null;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export type JwtVerifier = (token: string) => Promise<JwtIdentity>;

/** Throws at start-up for settings that cannot work (none or two key sources, a short secret). */
export function createJwtVerifier(s: JwtSettings): JwtVerifier {
  const sources = [s.secret, s.jwksUrl, s.jwks].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new Error('JWT: set exactly one of JWT_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE');
  let key: Parameters<typeof jwtVerify>[1];
  let algorithms: string[];
  if (s.secret !== undefined) {
    const bytes = new TextEncoder().encode(s.secret);
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash (32 bytes).
    if (bytes.length < 32) throw new Error(`JWT_SECRET: must be at least 32 bytes for HS256 (got ${bytes.length})`);
    key = bytes;
    algorithms = ['HS256'];
  } else if (s.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(s.jwksUrl);
    } catch {
      throw new Error(`JWT_JWKS_URL: not a URL: '${s.jwksUrl}'`);
    }
    key = createRemoteJWKSet(url);
    algorithms = ASYMMETRIC;
  } else if (s.jwks !== undefined) {
    key = createLocalJWKSet(s.jwks);
    algorithms = ASYMMETRIC;
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1] & Uint8Array, {
        algorithms,
        issuer: s.issuer,
        audience: s.audience,
        requiredClaims: ['exp'],
        clockTolerance: 5,
      }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
        // The identity provider's keys could not be fetched: not the client's fault.
        throw unavailable(`JWT: the JWKS could not be fetched (${(e as Error).message})`, 5);
      }
      if (e instanceof errors.JWTExpired) throw invalidToken('the token has expired', 'expired');
      if (e instanceof errors.JWTClaimValidationFailed)
        throw invalidToken(`token claim '${e.claim}' ${e.reason === 'check_failed' ? 'does not match' : 'is missing or invalid'}`, 'invalid');
      throw invalidToken(`invalid token (${(e as errors.JOSEError).code})`, 'invalid');
    }
    const raw = payload[s.scopesClaim];
    const names = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
    const tenant = payload[s.tenantClaim];
    return {
      subject: typeof payload.sub === 'string' ? payload.sub.slice(0, 64) : 'unknown',
      scopes: [...new Set(names.filter(isScope))],
      tenant: typeof tenant === 'string' && tenant !== '' ? tenant : null,
    };
  };
}

/** A compact JWS: three base64url parts. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
