// authorize(): the one transport-neutral decision. The Hono middleware and the gRPC adapter both
// hand it the raw credentials (Authorization / X-API-Key, or gRPC's `authorization` metadata),
// the socket peer's address and what the route or method needs; it answers a Principal or throws
// an AuthError (UNAUTHENTICATED → 401, PERMISSION_DENIED → 403, RESOURCE_EXHAUSTED → 429).
//
// Modes:
// - no keys, no JWT, AUTH unset ("keyless", local use): credentials are not looked at; every
//   route answers as before, except `admin` and `faces:write` routes, which answer only loopback
//   clients. Once a key exists (or existed: deleting the key file does not reopen the server)
//   the server is keyed.
// - keyed: health and the docs pages open; metadata open (any valid key with AUTH=required);
//   every other route needs a credential carrying its scope (`admin` carries all of them).
// A credential that is sent is always checked, also on open routes: a wrong key is an error the
// client should see, not a silent fall-back to anonymous.

import { type ClientInfo, clientOf, type ProxyTrust } from './address.ts';
import { AuthError, insufficientScope, invalidRequest, invalidToken, isAuthError, missingCredential, rateLimited } from './errors.ts';
import { type JwtVerifier, looksLikeJwt } from './jwt.ts';
import { type KeyTable, looksLikeKey } from './keys.ts';
import { AuthMetrics } from './metrics.ts';
import { type Rate, TokenBuckets } from './rate-limit.ts';
import { classify, LOCAL_ONLY, type Need, type Scope, SCOPES } from './scopes.ts';

export type AuthMode = 'auto' | 'required';

export interface Credentials {
  /** The Authorization header (or gRPC metadata) as sent. */
  authorization?: string | null;
  /** The X-API-Key header as sent. */
  apiKey?: string | null;
}

export interface AuthRequest {
  credentials: Credentials;
  /** The socket peer's address, from the runtime (never from a header). */
  peer?: string;
  /** Header (metadata) lookup by lowercase name, for proxy headers. */
  header?: (name: string) => string | undefined;
  /** What is needed: give `need` (gRPC: classifyGrpc) or the REST route to classify. */
  need?: Need;
  route?: { method: string; path: string };
}

export interface Principal {
  kind: 'key' | 'jwt' | 'anonymous';
  /** Key id, `jwt:<subject>` or `anonymous`: safe to log and to use as a metric label. */
  id: string;
  scopes: ReadonlySet<Scope>;
  /** null: not bound to a tenant (sees every tenant's galleries). */
  tenant: string | null;
  client: ClientInfo;
}

export interface AuthorizerOptions {
  mode: AuthMode;
  keys: KeyTable;
  jwt?: JwtVerifier;
  trust: ProxyTrust;
  /** Per-client request rate by need (absent: no limit); `default` applies to needs not listed. */
  limits: Partial<Record<Need | 'default', Rate>>;
  /** Failed credentials per address; when the bucket is empty, credentials from there get 429. */
  authFailures: Rate;
  /** Bound on remembered clients (each LRU: rate buckets, failure buckets). */
  maxClients?: number;
  /** Wall clock in ms (expiry); tests move it. */
  now?: () => number;
  /** The peer assumed when a transport supplies none (in-process `app.request` only). */
  defaultPeer?: string;
}

const ALL: ReadonlySet<Scope> = new Set(SCOPES);
const NONE: ReadonlySet<Scope> = new Set();

const STATUS = { UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, RESOURCE_EXHAUSTED: 429, INVALID_ARGUMENT: 400 } as const;

const HOW = "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'";

export class Authorizer {
  readonly metrics = new AuthMetrics();
  private readonly rate: TokenBuckets;
  private readonly failures: TokenBuckets;
  private wasKeyed = false;
  private readonly now: () => number;

  constructor(readonly o: AuthorizerOptions) {
    this.rate = new TokenBuckets(o.maxClients ?? 10_000);
    this.failures = new TokenBuckets(o.maxClients ?? 10_000);
    this.now = o.now ?? Date.now;
  }

  /** Whether credentials are checked: AUTH=required, a JWT source, or any key (ever). */
  keyed(): boolean {
    if (this.o.keys.size > 0) this.wasKeyed = true;
    return this.o.mode === 'required' || this.o.jwt !== undefined || this.wasKeyed;
  }

  async authorize(r: AuthRequest): Promise<Principal> {
    try {
      const p = await this.decide(r);
      this.metrics.request(p.id);
      return p;
    } catch (e) {
      if (isAuthError(e)) this.metrics.deny(STATUS[e.code as keyof typeof STATUS] ?? 0, e.reason);
      throw e;
    }
  }

  private async decide(r: AuthRequest): Promise<Principal> {
    const need = r.need ?? classify(r.route?.method ?? 'GET', r.route?.path ?? '').need;
    const client = clientOf(r.peer ?? this.o.defaultPeer, r.header ?? (() => undefined), this.o.trust);
    let p: Principal;
    if (!this.keyed()) {
      p = { kind: 'anonymous', id: 'anonymous', scopes: ALL, tenant: null, client };
      if (LOCAL_ONLY.has(need) && !client.local) {
        throw insufficientScope(
          `scope '${need}' routes answer only loopback clients while no API keys are configured; create a key with \`edgeserve keys create --scopes ${need}\` and ${HOW}`,
          need,
          'local_only',
        );
      }
    } else {
      const token = credential(r.credentials);
      if (token === undefined) {
        if (need === 'health' || need === 'public' || (need === 'metadata' && this.o.mode !== 'required')) {
          p = { kind: 'anonymous', id: 'anonymous', scopes: NONE, tenant: null, client };
        } else {
          throw missingCredential(need === 'metadata' ? `AUTH=required: this route needs an API key; ${HOW}` : `this route needs scope '${need}': ${HOW}`);
        }
      } else {
        p = await this.verify(token, client);
        if (!allows(p, need))
          throw insufficientScope(`${p.kind === 'jwt' ? 'the token' : `API key ${p.id}`} lacks scope '${need}', which this route needs`, need);
      }
    }
    this.limit(p, need);
    return p;
  }

  /** Checks a credential; wrong ones are counted per address and slowed down past a burst. */
  private async verify(token: string, client: ClientInfo): Promise<Principal> {
    const from = client.address ?? 'unknown';
    // Taken before checking and given back unless the credential was wrong, so concurrent wrong
    // guesses cannot all pass a check made before any of them had failed.
    const wait = this.failures.take(from, this.o.authFailures);
    if (wait > 0) throw rateLimited(`too many failed credentials from this address; retry in ${wait} s`, wait, 'auth_failures');
    try {
      const p = await this.check(token, client);
      this.failures.refund(from, this.o.authFailures);
      return p;
    } catch (e) {
      // Only a wrong credential counts (not, say, an identity provider that did not answer).
      if (!(e instanceof AuthError && e.code === 'UNAUTHENTICATED')) this.failures.refund(from, this.o.authFailures);
      throw e;
    }
  }

  private async check(token: string, client: ClientInfo): Promise<Principal> {
    if (looksLikeKey(token)) {
      const c = await this.o.keys.check(token, this.now());
      if (c.ok) return { kind: 'key', id: c.record.id, scopes: new Set(c.record.scopes), tenant: c.record.tenant, client };
      const msg = {
        malformed: 'malformed API key (expected es_<id>_<secret>)',
        unknown: `unknown API key ${c.id}`,
        revoked: `API key ${c.id} has been revoked`,
        expired: `API key ${c.id} has expired`,
      }[c.reason];
      throw invalidToken(msg, c.reason);
    }
    if (this.o.jwt && looksLikeJwt(token)) {
      const j = await this.o.jwt(token);
      return { kind: 'jwt', id: `jwt:${j.subject}`, scopes: new Set(j.scopes), tenant: j.tenant, client };
    }
    throw invalidToken(
      this.o.jwt ? 'the credential is neither an edgeserve API key nor a JWT' : 'not an edgeserve API key (expected es_<id>_<secret>)',
      'malformed',
    );
  }

  private limit(p: Principal, need: Need): void {
    if (need === 'health') return;
    const rate = this.o.limits[need] ?? this.o.limits.default;
    if (!rate) return;
    const who = p.kind === 'anonymous' ? `addr ${p.client.address ?? 'unknown'}` : p.id;
    const wait = this.rate.take(`${who} ${need}`, rate);
    if (wait > 0) {
      throw rateLimited(
        `rate limit: ${rate.perSecond} requests/s for scope '${need}' per ${p.kind === 'anonymous' ? 'client address' : 'key'}; retry in ${wait} s`,
        wait,
        'rate_limited',
      );
    }
  }
}

function allows(p: Principal, need: Need): boolean {
  if (need === 'health' || need === 'public' || need === 'metadata') return true;
  return p.scopes.has(need) || p.scopes.has('admin');
}

/** The one token sent, from Authorization: Bearer or X-API-Key; other schemes are not ours. */
function credential(c: Credentials): string | undefined {
  let bearer: string | undefined;
  const auth = c.authorization?.trim();
  if (auth && /^bearer(\s|$)/i.test(auth)) {
    const m = /^bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw invalidToken("malformed Authorization header (expected 'Bearer <key>')", 'malformed');
    bearer = m[1];
  }
  let apiKey: string | undefined;
  if (c.apiKey !== undefined && c.apiKey !== null) {
    apiKey = c.apiKey.trim();
    if (!/^\S+$/.test(apiKey)) throw invalidToken('malformed X-API-Key header (empty or with spaces)', 'malformed');
  }
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey)
    throw invalidRequest('two different credentials sent (Authorization and X-API-Key): send one');
  return bearer ?? apiKey;
}
