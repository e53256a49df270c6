// Server settings: one zod schema, filled from environment variables and overridden by CLI
// flags. The README's config reference lists exactly these.

import { z } from 'zod';
import { AddressSet } from '../auth/address.ts';
import { SCOPES, isScope } from '../auth/scopes.ts';

const int = (min: number) => z.coerce.number().int().min(min);

/** A comma-separated list; each item checked by `check` (a message for a bad item). */
const list = (check: (item: string) => string | undefined) => z.string().default('').transform((v, ctx) => {
  const items = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const i of items) {
    const why = check(i);
    if (why) ctx.addIssue({ code: 'custom', message: `'${i}': ${why}` });
  }
  return items;
});
const checkAddresses = (a: string) => {
  try {
    new AddressSet([a]);
    return undefined;
  } catch {
    return 'not an IP address or CIDR range';
  }
};
const checkOrigins = (o: string) => (o === '*' || /^https?:\/\/[^/\s]+$/.test(o) ? undefined : 'must be * or scheme://host[:port] with no path');
function checkScopeRates(v: string): boolean {
  return v.trim() === '' || v.split(',').every((p) => /^\s*[a-z:]+\s*=\s*[0-9]+(\.[0-9]+)?\s*$/.test(p) && isScope(p.split('=')[0].trim()));
}

export const ServerConfig = z.object({
  port: int(0).max(65535).default(8000).describe('PORT: TCP port'),
  host: z.string().default('0.0.0.0').describe('HOST: address to bind'),
  models: z.string().default('models').describe('MODEL_REPOSITORY: model repository directory'),
  engine: z.enum(['onnxruntime-node', 'onnxruntime-web']).default('onnxruntime-node').describe('ENGINE: default ONNX engine'),
  workers: int(0).optional().describe('WORKERS: worker threads running model instances (default: one per core; 0 = in-process)'),
  intraOpThreads: int(0).default(0).describe('INTRA_OP_THREADS: ONNX Runtime threads per instance (0 = cores / workers)'),
  instances: int(0).default(0).describe('INSTANCES: instances per model when instance_group is absent (0 = one per worker)'),
  maxQueueSize: int(1).default(512).describe('MAX_QUEUE_SIZE: bound on waiting requests per model version'),
  maxQueueWaitMs: int(0).default(1000).describe('MAX_QUEUE_WAIT_MS: refuse (503 + Retry-After) a request whose expected wait in the queue exceeds this; 0 = no time bound'),
  // Model lifecycle (core/registry.ts; README "Model management").
  modelControlMode: z.enum(['none', 'explicit', 'poll']).default('none').describe('MODEL_CONTROL_MODE: none = load all at start; explicit = only LOAD_MODEL and the load API; poll = load all and watch the repository'),
  loadModel: list((n) => (n === '*' || /^[A-Za-z0-9_.-]+$/.test(n) ? undefined : 'not a model name')).describe('LOAD_MODEL: explicit mode: models to load at start (comma-separated, * = all)'),
  repositoryPollSecs: z.coerce.number().min(0.1).max(3600).default(15).describe('REPOSITORY_POLL_SECS: poll mode: seconds between two looks at the repository'),
  maxBodyBytes: int(1024).default(32 * 1024 * 1024).describe('MAX_BODY_BYTES: largest accepted request body'),
  maxImagePixels: int(1).default(50_000_000).describe('MAX_IMAGE_PIXELS: largest image (width × height) decoded'),
  idleTimeoutS: int(0).max(255).default(30).describe('IDLE_TIMEOUT_S: seconds before an idle connection is closed'),
  pull: z.coerce.boolean().default(true).describe('PULL: pull missing model weights at start'),
  logLevel: z.enum(['error', 'warn', 'info']).default('info').describe('LOG_LEVEL'),
  // Security (src/auth; README "Security").
  auth: z.enum(['auto', 'required']).default('auto').describe('AUTH: auto = keys where the scope table says once keys exist (none: admin and gallery writes loopback-only); required = a key on every route but health and docs'),
  apiKeysFile: z.string().min(1).optional().describe('API_KEYS_FILE: API key store (hashes only; default DATA_DIR/keys.json)'),
  trustProxy: list(checkAddresses).describe('TRUST_PROXY: reverse proxies (IPs, CIDRs, comma-separated) whose PROXY_HEADER gives the client address'),
  proxyHeader: z.enum(['x-forwarded-for', 'forwarded']).default('x-forwarded-for').describe('PROXY_HEADER: the header the proxies in TRUST_PROXY write'),
  corsOrigins: list(checkOrigins).describe('CORS_ORIGINS: origins allowed to call from a browser (comma-separated, * = any; off when empty)'),
  jwtSecret: z.string().min(1).optional().describe('JWT_SECRET: HS256 secret (≥ 32 bytes) for JWT bearer tokens'),
  jwtJwksUrl: z.string().min(1).optional().describe("JWT_JWKS_URL: the identity provider's JWKS URL for JWT bearer tokens"),
  jwtJwksFile: z.string().min(1).optional().describe('JWT_JWKS_FILE: a JWKS file for JWT bearer tokens'),
  jwtIssuer: z.string().min(1).optional().describe('JWT_ISSUER: required iss of JWTs'),
  jwtAudience: z.string().min(1).optional().describe('JWT_AUDIENCE: required aud of JWTs'),
  jwtScopesClaim: z.string().min(1).default('scope').describe('JWT_SCOPES_CLAIM: claim holding the scopes (space-separated string or array)'),
  jwtTenantClaim: z.string().min(1).default('tenant').describe('JWT_TENANT_CLAIM: claim holding the tenant'),
  rateLimitRps: z.coerce.number().min(0).default(0).describe('RATE_LIMIT_RPS: requests/s per key (per address without one), every scope; 0 = no limit'),
  rateLimitBurst: int(0).default(0).describe('RATE_LIMIT_BURST: bucket size for the rate limits (0 = the rate, at least 1)'),
  rateLimitScopes: z.string().default('').refine(checkScopeRates, { message: `must be scope=requests/s pairs, e.g. infer=20,admin=1 (scopes: ${SCOPES.join(', ')})` }).describe('RATE_LIMIT_SCOPES: per-scope rates overriding RATE_LIMIT_RPS, e.g. infer=20,admin=1'),
  rateLimitAuthFailures: int(1).default(30).describe('RATE_LIMIT_AUTH_FAILURES: wrong credentials per address per minute before 429'),
  // gRPC (src/runtime/grpc-server.ts): its own HTTP/2 port, since Bun.serve sends no trailers.
  grpcPort: z.union([z.literal('off'), int(0).max(65535)], { error: 'must be a port number (0 = any free port) or off' }).default(8001)
    .describe('GRPC_PORT: gRPC port (KServe v2 GRPCInferenceService, HTTP/2); off = no gRPC'),
  grpcTlsCert: z.string().optional().describe('GRPC_TLS_CERT: PEM certificate chain file: gRPC over TLS (with GRPC_TLS_KEY); h2c without'),
  grpcTlsKey: z.string().optional().describe('GRPC_TLS_KEY: PEM private key file for GRPC_TLS_CERT'),
  grpcMaxMessageBytes: int(1024).max(2 ** 31 - 1).default(64 * 1024 * 1024).describe('GRPC_MAX_MESSAGE_BYTES: largest gRPC message received or sent'),
  // Face gallery (src/gallery, src/runtime/gallery-db).
  dataDir: z.string().min(1).optional().describe('DATA_DIR: where the server keeps data (the gallery\'s SQLite file); default data/ beside the model repository'),
  galleryDatabase: z.string().min(1).optional().describe('GALLERY_DATABASE: the gallery database: postgres://… (shared by several servers), or an SQLite file (default DATA_DIR/gallery.sqlite); off = no gallery'),
  galleryIndexMb: int(1).default(2048).describe('GALLERY_INDEX_MB: memory for the galleries\' in-memory search indexes (~0.55 KB per face); least recently used galleries are dropped beyond it'),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

const ENV: Record<string, keyof ServerConfig> = {
  PORT: 'port', HOST: 'host', MODEL_REPOSITORY: 'models', ENGINE: 'engine', WORKERS: 'workers',
  INTRA_OP_THREADS: 'intraOpThreads', INSTANCES: 'instances', MAX_QUEUE_SIZE: 'maxQueueSize',
  MAX_BODY_BYTES: 'maxBodyBytes', MAX_IMAGE_PIXELS: 'maxImagePixels', IDLE_TIMEOUT_S: 'idleTimeoutS',
  PULL: 'pull', LOG_LEVEL: 'logLevel', MAX_QUEUE_WAIT_MS: 'maxQueueWaitMs',
  MODEL_CONTROL_MODE: 'modelControlMode', LOAD_MODEL: 'loadModel', REPOSITORY_POLL_SECS: 'repositoryPollSecs',
  AUTH: 'auth', API_KEYS_FILE: 'apiKeysFile', TRUST_PROXY: 'trustProxy', PROXY_HEADER: 'proxyHeader', CORS_ORIGINS: 'corsOrigins',
  JWT_SECRET: 'jwtSecret', JWT_JWKS_URL: 'jwtJwksUrl', JWT_JWKS_FILE: 'jwtJwksFile', JWT_ISSUER: 'jwtIssuer', JWT_AUDIENCE: 'jwtAudience',
  JWT_SCOPES_CLAIM: 'jwtScopesClaim', JWT_TENANT_CLAIM: 'jwtTenantClaim', RATE_LIMIT_RPS: 'rateLimitRps', RATE_LIMIT_BURST: 'rateLimitBurst',
  RATE_LIMIT_SCOPES: 'rateLimitScopes', RATE_LIMIT_AUTH_FAILURES: 'rateLimitAuthFailures',
  GRPC_PORT: 'grpcPort', GRPC_TLS_CERT: 'grpcTlsCert', GRPC_TLS_KEY: 'grpcTlsKey', GRPC_MAX_MESSAGE_BYTES: 'grpcMaxMessageBytes',
  DATA_DIR: 'dataDir', GALLERY_DATABASE: 'galleryDatabase', GALLERY_INDEX_MB: 'galleryIndexMb',
};

/** Settings from `env`, then `overrides` (CLI flags) on top; throws a readable message when invalid. */
export function loadServerConfig(env: Record<string, string | undefined>, overrides: Partial<Record<keyof ServerConfig, unknown>> = {}): ServerConfig {
  const raw: Record<string, unknown> = {};
  // z.coerce.boolean would read "0" and "false" as true: booleans are parsed here.
  const value = (field: string, v: unknown) => (field === 'pull' && typeof v === 'string' ? !['0', 'false', 'no', 'off'].includes(v.toLowerCase()) : v);
  for (const [k, field] of Object.entries(ENV)) {
    const v = env[k];
    if (v !== undefined && v !== '') raw[field] = value(field, v);
  }
  for (const [field, v] of Object.entries(overrides)) if (v !== undefined) raw[field] = value(field, v);
  const r = ServerConfig.safeParse(raw);
  if (!r.success) {
    const envName = (f: PropertyKey) => Object.entries(ENV).find(([, v]) => v === f)?.[0] ?? String(f);
    throw new Error(r.error.issues.map((i) => `${envName(i.path[0])}: ${i.message}`).join('\n'));
  }
  return r.data;
}

export const ENV_NAMES = ENV;
