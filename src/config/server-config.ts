// Server settings: one zod schema, filled from environment variables and overridden by CLI
// flags. The README's config reference lists exactly these. An empty or malformed value is an
// error naming the variable (or flag) and quoting what it got, never a silent default: unset a
// variable to get its default.

import { z } from 'zod';
import { AddressSet } from '../auth/address.ts';
import { SCOPES, isScope } from '../auth/scopes.ts';

const int = (min: number) =>
  z.coerce
    .number({ error: (i) => (i.code === 'invalid_type' ? 'must be a number' : undefined) })
    .int({ error: 'must be a whole number' })
    .min(min);

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
/** true/false, 1/0, yes/no, on/off (any case); anything else is an error, not "true". */
const bool = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (TRUE.includes(v.toLowerCase()) ? true : FALSE.includes(v.toLowerCase()) ? false : v) : v),
    z.boolean({ error: 'must be true or false (or 1/0, yes/no, on/off)' }),
  );

/** An address to listen on: IPv4, IPv6 (no brackets) or a host name; checked before bind's bare EINVAL. */
export function isBindHost(h: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (v4.test(h)) return true;
  if (h.includes(':')) {
    try {
      return new URL(`http://[${h}]/`).hostname.length > 2;
    } catch {
      return false;
    }
  }
  // A name (RFC 1123 labels), not something that merely looks like a mistyped IPv4 address.
  return !/^[\d.]+$/.test(h) && /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(h);
}

/** A comma-separated list; each item checked by `check` (a message for a bad item). */
const list = (check: (item: string) => string | undefined) =>
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const items = v
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
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
  host: z
    .string()
    .refine(isBindHost, { message: 'must be an IP address (0.0.0.0, ::, 127.0.0.1, …) or a host name of this machine' })
    .default('0.0.0.0')
    .describe('HOST: address to bind (0.0.0.0 = every IPv4 interface, :: = every interface)'),
  reusePort: bool()
    .default(false)
    .describe('REUSE_PORT: let several servers share PORT (SO_REUSEPORT: the kernel spreads connections among them); otherwise a port in use is an error'),
  models: z.string().default('models').describe('MODEL_REPOSITORY: model repository directory'),
  engine: z.enum(['onnxruntime-node', 'onnxruntime-web']).default('onnxruntime-node').describe('ENGINE: default ONNX engine'),
  workers: int(0).optional().describe('WORKERS: worker threads running model instances (default: one per core; 0 = in-process)'),
  intraOpThreads: int(0).default(0).describe('INTRA_OP_THREADS: ONNX Runtime threads per instance (0 = cores / workers)'),
  instances: int(0).default(0).describe('INSTANCES: instances per model when instance_group is absent (0 = one per worker)'),
  maxQueueSize: int(1).default(512).describe('MAX_QUEUE_SIZE: bound on waiting requests per model version'),
  maxQueueWaitMs: int(0)
    .default(1000)
    .describe('MAX_QUEUE_WAIT_MS: refuse (503 + Retry-After) a request whose expected wait in the queue exceeds this; 0 = no time bound'),
  // Model lifecycle (core/registry.ts; README "Model management").
  modelControlMode: z
    .enum(['none', 'explicit', 'poll'])
    .default('none')
    .describe('MODEL_CONTROL_MODE: none = load all at start; explicit = only LOAD_MODEL and the load API; poll = load all and watch the repository'),
  loadModel: list((n) => (n === '*' || /^[A-Za-z0-9_.-]+$/.test(n) ? undefined : 'not a model name')).describe(
    'LOAD_MODEL: explicit mode: models to load at start (comma-separated, * = all)',
  ),
  repositoryPollSecs: z.coerce.number().min(0.1).max(3600).default(15).describe('REPOSITORY_POLL_SECS: poll mode: seconds between two looks at the repository'),
  maxBodyBytes: int(1024)
    .default(32 * 1024 * 1024)
    .describe('MAX_BODY_BYTES: largest accepted request body'),
  maxImagePixels: int(1).default(50_000_000).describe('MAX_IMAGE_PIXELS: largest image (width × height) decoded'),
  idleTimeoutS: int(0)
    .max(255)
    .default(30)
    .describe('IDLE_TIMEOUT_S: seconds without data before a connection is closed, also while a request body arrives (408); 0 = never'),
  bodyTimeoutS: int(1).default(300).describe('BODY_TIMEOUT_S: most seconds a request body may take to arrive, however steadily it comes (408 beyond)'),
  pull: bool().default(true).describe('PULL: pull missing model weights at start'),
  logLevel: z
    .enum(['error', 'warn', 'info', 'debug'])
    .default('info')
    .describe("LOG_LEVEL: least severe log lines written: error, warn, info or debug (Triton's verbose level 1); changeable at run time via /v2/logging"),
  logFormat: z.enum(['text', 'json']).default('text').describe('LOG_FORMAT: text (time level message) or json (one JSON object per line)'),
  // Traces (src/observability/tracing.ts, otel.ts; README "Observability"); /v2/trace/setting changes them at run time.
  traceLevel: z
    .enum(['OFF', 'TIMESTAMPS'])
    .default('OFF')
    .describe('TRACE_LEVEL: OFF, or TIMESTAMPS to export OpenTelemetry spans of sampled requests over OTLP/HTTP'),
  traceRate: int(1).default(1000).describe("TRACE_RATE: trace 1 of every N requests (a caller's sampled traceparent is always traced while on)"),
  traceCount: z.coerce.number().int().min(-1).default(-1).describe('TRACE_COUNT: traces to take, then stop; -1 = no limit'),
  otelExporterOtlpEndpoint: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional()
    .describe('OTEL_EXPORTER_OTLP_ENDPOINT: OTLP/HTTP collector base URL (/v1/traces is appended); default http://localhost:4318'),
  otelExporterOtlpTracesEndpoint: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional()
    .describe('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OTLP/HTTP traces URL, used as given (overrides OTEL_EXPORTER_OTLP_ENDPOINT)'),
  otelServiceName: z.string().min(1).default('edgeserve').describe('OTEL_SERVICE_NAME: service.name of the exported spans'),
  otelBspScheduleDelay: int(1).max(3_600_000).default(5000).describe('OTEL_BSP_SCHEDULE_DELAY: ms between two exports of finished spans'),
  // Security (src/auth; README "Security").
  auth: z
    .enum(['auto', 'required'])
    .default('auto')
    .describe(
      'AUTH: auto = keys where the scope table says once keys exist (none: admin and gallery writes loopback-only); required = a key on every route but health and docs',
    ),
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
  rateLimitScopes: z
    .string()
    .default('')
    .refine(checkScopeRates, { message: `must be scope=requests/s pairs, e.g. infer=20,admin=1 (scopes: ${SCOPES.join(', ')})` })
    .describe('RATE_LIMIT_SCOPES: per-scope rates overriding RATE_LIMIT_RPS, e.g. infer=20,admin=1'),
  rateLimitAuthFailures: int(1).default(30).describe('RATE_LIMIT_AUTH_FAILURES: wrong credentials per address per minute before 429'),
  // gRPC (src/runtime/grpc-server.ts): its own HTTP/2 port, since Bun.serve sends no trailers.
  grpcPort: z
    .union([z.literal('off'), int(0).max(65535)], { error: 'must be a port number (0 = any free port) or off' })
    .default(8001)
    .describe('GRPC_PORT: gRPC port (KServe v2 GRPCInferenceService, HTTP/2); off = no gRPC'),
  grpcTlsCert: z.string().optional().describe('GRPC_TLS_CERT: PEM certificate chain file: gRPC over TLS (with GRPC_TLS_KEY); h2c without'),
  grpcTlsKey: z.string().optional().describe('GRPC_TLS_KEY: PEM private key file for GRPC_TLS_CERT'),
  grpcMaxMessageBytes: int(1024)
    .max(2 ** 31 - 1)
    .default(64 * 1024 * 1024)
    .describe('GRPC_MAX_MESSAGE_BYTES: largest gRPC message received or sent'),
  // Face gallery (src/gallery, src/runtime/gallery-db).
  dataDir: z
    .string()
    .min(1)
    .optional()
    .describe("DATA_DIR: where the server keeps data (the gallery's SQLite file); default data/ beside the model repository"),
  galleryDatabase: z
    .string()
    .min(1)
    .optional()
    .describe(
      'GALLERY_DATABASE: the gallery database: postgres://… (shared by several servers), or an SQLite file (default DATA_DIR/gallery.sqlite); off = no gallery',
    ),
  galleryIndexMb: int(1)
    .default(2048)
    .describe("GALLERY_INDEX_MB: memory for the galleries' in-memory search indexes (~0.55 KB per face); least recently used galleries are dropped beyond it"),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

const ENV: Record<string, keyof ServerConfig> = {
  PORT: 'port',
  HOST: 'host',
  MODEL_REPOSITORY: 'models',
  ENGINE: 'engine',
  WORKERS: 'workers',
  INTRA_OP_THREADS: 'intraOpThreads',
  INSTANCES: 'instances',
  MAX_QUEUE_SIZE: 'maxQueueSize',
  MAX_BODY_BYTES: 'maxBodyBytes',
  MAX_IMAGE_PIXELS: 'maxImagePixels',
  IDLE_TIMEOUT_S: 'idleTimeoutS',
  PULL: 'pull',
  LOG_LEVEL: 'logLevel',
  LOG_FORMAT: 'logFormat',
  REUSE_PORT: 'reusePort',
  BODY_TIMEOUT_S: 'bodyTimeoutS',
  TRACE_LEVEL: 'traceLevel',
  TRACE_RATE: 'traceRate',
  TRACE_COUNT: 'traceCount',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'otelExporterOtlpEndpoint',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'otelExporterOtlpTracesEndpoint',
  OTEL_SERVICE_NAME: 'otelServiceName',
  OTEL_BSP_SCHEDULE_DELAY: 'otelBspScheduleDelay',
  MAX_QUEUE_WAIT_MS: 'maxQueueWaitMs',
  MODEL_CONTROL_MODE: 'modelControlMode',
  LOAD_MODEL: 'loadModel',
  REPOSITORY_POLL_SECS: 'repositoryPollSecs',
  AUTH: 'auth',
  API_KEYS_FILE: 'apiKeysFile',
  TRUST_PROXY: 'trustProxy',
  PROXY_HEADER: 'proxyHeader',
  CORS_ORIGINS: 'corsOrigins',
  JWT_SECRET: 'jwtSecret',
  JWT_JWKS_URL: 'jwtJwksUrl',
  JWT_JWKS_FILE: 'jwtJwksFile',
  JWT_ISSUER: 'jwtIssuer',
  JWT_AUDIENCE: 'jwtAudience',
  JWT_SCOPES_CLAIM: 'jwtScopesClaim',
  JWT_TENANT_CLAIM: 'jwtTenantClaim',
  RATE_LIMIT_RPS: 'rateLimitRps',
  RATE_LIMIT_BURST: 'rateLimitBurst',
  RATE_LIMIT_SCOPES: 'rateLimitScopes',
  RATE_LIMIT_AUTH_FAILURES: 'rateLimitAuthFailures',
  GRPC_PORT: 'grpcPort',
  GRPC_TLS_CERT: 'grpcTlsCert',
  GRPC_TLS_KEY: 'grpcTlsKey',
  GRPC_MAX_MESSAGE_BYTES: 'grpcMaxMessageBytes',
  DATA_DIR: 'dataDir',
  GALLERY_DATABASE: 'galleryDatabase',
  GALLERY_INDEX_MB: 'galleryIndexMb',
};

/** The CLI flag of a setting: maxBodyBytes → --max-body-bytes. */
export const flagOf = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Settings from `env`, then `overrides` (CLI flags) on top; throws a readable message when a value
 * is empty or invalid, naming the variable or flag and quoting the value.
 */
export function loadServerConfig(env: Record<string, string | undefined>, overrides: Partial<Record<keyof ServerConfig, unknown>> = {}): ServerConfig {
  return loadSettings(Object.keys(ServerConfig.shape) as Array<keyof ServerConfig>, env, overrides) as ServerConfig;
}

/** Only the named settings (a subcommand such as `pull` needs a few; the others' variables are not read). */
export function loadSettings<K extends keyof ServerConfig>(
  fields: readonly K[],
  env: Record<string, string | undefined>,
  overrides: Partial<Record<keyof ServerConfig, unknown>> = {},
): Pick<ServerConfig, K> {
  const raw: Record<string, unknown> = {};
  const from: Record<string, { name: string; value: unknown }> = {};
  const problems: string[] = [];
  const wanted = new Set<string>(fields);
  const put = (field: string, name: string, v: unknown, unsetHint: string) => {
    if (!wanted.has(field)) return;
    if (typeof v === 'string' && v.trim() === '') {
      const d = settingDefault(field as keyof ServerConfig);
      problems.push(`${name} is empty: give a value, or ${unsetHint}${d === undefined ? '' : ` (default ${d})`}`);
      return;
    }
    raw[field] = v;
    from[field] = { name, value: v };
  };
  for (const [k, field] of Object.entries(ENV)) if (env[k] !== undefined) put(field, k, env[k], 'unset it');
  for (const [field, v] of Object.entries(overrides)) if (v !== undefined) put(field, flagOf(field), v, `leave ${flagOf(field)} out`);
  const schema = ServerConfig.pick(Object.fromEntries(fields.map((f) => [f, true])) as Record<keyof ServerConfig, true>);
  const r = schema.safeParse(raw);
  if (!r.success) {
    for (const i of r.error.issues) {
      const field = String(i.path[0]);
      const src = from[field];
      const envName = Object.entries(ENV).find(([, v]) => v === field)?.[0] ?? field;
      problems.push(`${src?.name ?? envName}: ${i.message}${src ? `, got ${JSON.stringify(src.value)}` : ''}`);
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return r.data as unknown as Pick<ServerConfig, K>;
}

/** A setting's default as the help and messages show it; undefined when it has none (computed or off). */
export function settingDefault(field: keyof ServerConfig): string | undefined {
  let def = (ServerConfig.shape[field] as unknown as { _zod: { def: { type: string; defaultValue?: unknown; in?: unknown } } })._zod.def;
  // A list is a pipe whose input carries the default.
  if (def.type === 'pipe' && def.in) def = (def.in as typeof ServerConfig.shape.port)._zod.def as typeof def;
  if (def.type !== 'default') return undefined;
  const v = def.defaultValue;
  return v === '' ? undefined : String(v);
}

export const ENV_NAMES = ENV;
