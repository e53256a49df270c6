// Telemetry: what every request leaves behind, whatever its transport. One per server (built by
// the stack, kept across `bun --hot` reloads): the metrics registry behind /metrics, the logger,
// the trace settings, and the DataPlane hook through which the scheduler's timing of each infer
// reaches the request that asked for it. REST (request-log.ts) and gRPC (grpc.ts) open a record
// per request keyed by the request's AbortSignal (every infer carries its transport's signal,
// through the face tasks and the gallery too), and finish() writes the one log line, counts it
// and exports its trace.

import type { DataPlane, InferObservation } from '../core/dataplane.ts';
import { isEdgeError } from '../core/errors.ts';
import type { ModelRegistry } from '../core/registry.ts';
import type { Logger } from './logger.ts';
import { type Counter, type Family, type Histogram, LATENCY_BUCKETS_S, MetricsRegistry } from './metrics.ts';
import { tritonFamilies } from './prometheus.ts';
import { epochMs, type SpanRecord, type TraceControl, type TraceParent } from './tracing.ts';

/** Auth's counters (src/auth/metrics.ts), read at scrape time. */
export interface AuthCounters {
  readonly requests: ReadonlyMap<string, number>;
  readonly denied: ReadonlyMap<string, number>;
}

export interface ProcessSample {
  cpuSeconds: number;
  residentBytes: number;
  startTimeSeconds: number;
}

export interface TelemetryOptions {
  dataPlane: DataPlane;
  log: Logger;
  trace?: TraceControl;
  auth?: AuthCounters;
  /** Process CPU and memory (runtime APIs: the composition root supplies it). */
  process?: () => ProcessSample;
}

/** Why a request was answered before any inference ran (a bounded label set). */
export type RefusalReason =
  | 'validation'
  | 'not_found'
  | 'method_not_allowed'
  | 'auth'
  | 'too_large'
  | 'unsupported_media'
  | 'queue_full'
  | 'overloaded'
  | 'unavailable';

/** The classification of an answer: HTTP status plus the error, if one was thrown. */
export function refusalReason(status: number, error: unknown): RefusalReason | undefined {
  switch (status) {
    case 400:
      return 'validation';
    case 401:
    case 403:
    case 429:
      return 'auth';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
    case 431:
      return 'too_large';
    case 415:
      return 'unsupported_media';
    case 503: {
      // A request that timed out waited in the queue: it was not refused.
      if (isEdgeError(error) && error.code === 'DEADLINE_EXCEEDED') return undefined;
      // The scheduler's admission messages (src/core/scheduler.ts admit()); a test pins them.
      const msg = (error as Error | undefined)?.message ?? '';
      if (msg.startsWith('queue full')) return 'queue_full';
      if (msg.startsWith('overloaded')) return 'overloaded';
      return 'unavailable';
    }
    default:
      return undefined;
  }
}

interface InferSeen {
  model: string;
  version?: string;
  timing?: InferObservation['timing'];
  error?: string;
}

/** One request in flight: what its infers reported. Bounded: a request makes a few infers. */
export interface RequestRecord {
  infers: InferSeen[];
}

const MAX_INFERS = 32;

/** What a transport knows about a finished request. */
export interface FinishedRequest {
  protocol: 'http' | 'grpc';
  id: string;
  /** performance.now() ms at arrival and at the end. */
  start: number;
  end: number;
  method: string;
  /** The route pattern (HTTP) or the RPC (`ModelInfer`). */
  route: string;
  /** The model the route or message names, before any infer (trace settings per model). */
  routeModel?: string;
  /** HTTP status, or the gRPC status code name. */
  status: number | string;
  /** For refusal counting: the HTTP status equivalent. */
  httpStatus: number;
  error?: unknown;
  client?: string;
  parent?: TraceParent;
  /** Health probes and scrapes log at verbose level only. */
  quiet?: boolean;
}

const ms = (v: number) => Math.round(v * 1000) / 1000;
const one = <T>(v: T[]): T | T[] => (v.length === 1 ? v[0] : v);

export class Telemetry {
  readonly metrics = new MetricsRegistry();
  readonly log: Logger;
  readonly trace?: TraceControl;
  private readonly open = new WeakMap<AbortSignal, RequestRecord>();
  private readonly httpRequests: Counter;
  private readonly httpDuration: Histogram;
  private readonly grpcRequests: Counter;
  private readonly refused: Counter;
  private readonly requestHist: Histogram;
  private readonly queueHist: Histogram;
  private readonly computeHist: Histogram;

  constructor(o: TelemetryOptions) {
    this.log = o.log;
    this.trace = o.trace;
    const m = this.metrics;
    m.collect(() => tritonFamilies(o.dataPlane.modelStats('')));
    this.httpRequests = m.counter('edgeserve_http_requests_total', 'HTTP requests answered, by route pattern, method and status', [
      'route',
      'method',
      'status',
    ]);
    this.httpDuration = m.histogram(
      'edgeserve_http_request_duration_seconds',
      "HTTP request latency (arrival to the handler's answer), by route pattern",
      ['route', 'method'],
      LATENCY_BUCKETS_S,
    );
    this.grpcRequests = m.counter('edgeserve_grpc_requests_total', 'gRPC calls answered, by method and status code', ['method', 'code']);
    this.refused = m.counter('edgeserve_requests_refused_total', 'Requests answered before any inference ran, by protocol and reason', ['protocol', 'reason']);
    this.requestHist = m.histogram(
      'edgeserve_inference_request_duration_seconds',
      "Successful inference requests: queue and compute, per model version (the scheduler's clock)",
      ['model', 'version'],
      LATENCY_BUCKETS_S,
    );
    this.queueHist = m.histogram(
      'edgeserve_inference_queue_duration_seconds',
      'Time successful inference requests waited in the queue, per model version',
      ['model', 'version'],
      LATENCY_BUCKETS_S,
    );
    this.computeHist = m.histogram(
      'edgeserve_inference_compute_duration_seconds',
      'Execution time of the batch each successful inference request ran in, per model version',
      ['model', 'version'],
      LATENCY_BUCKETS_S,
    );
    if (o.auth) m.collect(() => authFamilies(o.auth!));
    if (o.process) m.collect(() => processFamilies(o.process!()));
    o.dataPlane.hooks.inferred.push((x) => this.inferred(x));
    this.forgetRetired(o.dataPlane.registry);
  }

  /** A request arrived: its infers will be gathered under its signal. */
  begin(signal: AbortSignal): RequestRecord {
    const r: RequestRecord = { infers: [] };
    this.open.set(signal, r);
    return r;
  }

  /** Writes the request's log line, counts it, and exports its trace if it is sampled. */
  finish(rec: RequestRecord, f: FinishedRequest): void {
    const durationS = (f.end - f.start) / 1000;
    if (f.protocol === 'http') {
      this.httpRequests.inc({ route: f.route, method: f.method, status: String(f.status) });
      this.httpDuration.observe({ route: f.route, method: f.method }, durationS);
    } else {
      this.grpcRequests.inc({ method: f.route, code: String(f.status) });
    }
    const reason = refusalReason(f.httpStatus, f.error);
    if (reason) this.refused.inc({ protocol: f.protocol, reason });

    const infers = rec.infers;
    const models = [...new Set(infers.map((i) => i.model))];
    const versions = [...new Set(infers.map((i) => i.version).filter((v) => v !== undefined))];
    const timed = infers.filter((i) => i.timing);
    let traceId: string | undefined;
    // Triton traces inference requests: a request that ran no model (health, settings, a
    // refusal before inference) is never sampled and never spends trace_count.
    const sampled = infers.length > 0 && this.trace?.sample(f.routeModel ?? models[0], f.parent?.sampled ?? false);
    if (sampled) traceId = this.exportTrace(rec, f);
    // A 503 is a refusal the server chose (not ready yet, draining, over its queue budget): a
    // warning, not an error; the probes that ask exactly that (health, metrics) stay as quiet as
    // their 200s, so a load balancer polling a starting server prints nothing at info.
    const refusal = f.httpStatus === 503;
    const level = f.httpStatus >= 500 && !refusal ? 'error' : f.quiet ? 'debug' : refusal ? 'warn' : 'info';
    if (!this.log.control || this.log.control.enabled(level)) {
      const errorMsg = f.error !== undefined && f.httpStatus >= 400 ? truncate((f.error as Error)?.message ?? String(f.error)) : undefined;
      this.log(level, 'request', {
        request_id: f.id,
        ...(traceId ? { trace_id: traceId } : {}),
        protocol: f.protocol,
        method: f.method,
        route: f.route,
        ...(models.length ? { model: models.length === 1 ? models[0] : models } : {}),
        ...(versions.length ? { version: versions.length === 1 ? versions[0] : versions } : {}),
        status: f.status,
        latency_ms: ms(f.end - f.start),
        // One value per infer; a list when the request made several (they may overlap).
        ...(timed.length
          ? {
              queue_ms: one(timed.map((i) => ms(i.timing!.startedAt - i.timing!.enqueuedAt))),
              compute_ms: one(timed.map((i) => ms(i.timing!.endedAt - i.timing!.startedAt))),
              batch_size: one(timed.map((i) => i.timing!.batchSize)),
            }
          : {}),
        client: f.client ?? '-',
        ...(errorMsg ? { error: errorMsg } : {}),
      });
    }
  }

  private inferred(o: InferObservation): void {
    const t = o.timing;
    if (t && o.error === undefined && o.version !== undefined) {
      const labels = { model: o.model, version: o.version };
      this.requestHist.observe(labels, (t.endedAt - t.enqueuedAt) / 1000);
      this.queueHist.observe(labels, (t.startedAt - t.enqueuedAt) / 1000);
      this.computeHist.observe(labels, (t.endedAt - t.startedAt) / 1000);
    }
    const rec = o.request.signal ? this.open.get(o.request.signal) : undefined;
    if (rec && rec.infers.length < MAX_INFERS) {
      rec.infers.push({
        model: o.model,
        version: o.version,
        timing: t,
        error: o.error === undefined ? undefined : truncate((o.error as Error)?.message ?? String(o.error)),
      });
    }
  }

  /** A version that stopped serving (and was not replaced by a reload of itself) loses its series. */
  private forgetRetired(registry: ModelRegistry): void {
    registry.hooks.versionRetired.push((model, v) => {
      const now = registry.get(model)?.versions.get(v.version);
      if (now && now !== v && now.state === 'READY') return;
      for (const h of [this.requestHist, this.queueHist, this.computeHist]) h.remove({ model, version: v.version });
    });
  }

  private exportTrace(rec: RequestRecord, f: FinishedRequest): string | undefined {
    const tracer = this.trace?.tracerOrUndefined;
    if (!tracer) return undefined;
    const children: SpanRecord[] = [];
    let lastEnd = f.start;
    for (const i of rec.infers) {
      const t = i.timing;
      if (!t) continue;
      lastEnd = Math.max(lastEnd, t.endedAt);
      children.push({
        name: `infer ${i.model}`,
        start: epochMs(t.enqueuedAt),
        end: epochMs(t.endedAt),
        attributes: { 'edgeserve.model': i.model, 'edgeserve.model_version': i.version ?? '', 'edgeserve.batch_size': t.batchSize },
        error: i.error,
        children: [
          { name: 'queue', start: epochMs(t.enqueuedAt), end: epochMs(t.startedAt) },
          {
            name: 'compute',
            start: epochMs(t.startedAt),
            end: epochMs(t.endedAt),
            attributes: {
              'edgeserve.compute_input_us': Math.round(t.inputUs),
              'edgeserve.compute_infer_us': Math.round(t.inferUs),
              'edgeserve.compute_output_us': Math.round(t.outputUs),
            },
          },
        ],
      });
    }
    if (children.length) children.push({ name: 'response', start: epochMs(lastEnd), end: epochMs(f.end) });
    const err = f.httpStatus >= 500 && f.error !== undefined ? truncate((f.error as Error)?.message ?? String(f.error)) : undefined;
    return tracer.record(
      {
        name: `${f.method} ${f.route}`,
        start: epochMs(f.start),
        end: epochMs(f.end),
        attributes: {
          'edgeserve.request_id': f.id,
          'rpc.system': f.protocol === 'grpc' ? 'grpc' : '',
          ...(f.protocol === 'http'
            ? { 'http.request.method': f.method, 'http.route': f.route, 'http.response.status_code': Number(f.status) }
            : { 'rpc.method': f.route, 'rpc.grpc.status_code': String(f.status) }),
          ...(f.client ? { 'edgeserve.client': f.client } : {}),
        },
        error: err,
        children,
      },
      f.parent,
    );
  }
}

const truncate = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);

function authFamilies(a: AuthCounters): Family[] {
  return [
    {
      name: 'edgeserve_auth_requests_total',
      type: 'counter',
      help: 'Requests admitted, by principal (API key id, jwt:<subject>, or anonymous)',
      samples: [...a.requests].map(([principal, value]) => ({ labels: { principal }, value })),
    },
    {
      name: 'edgeserve_auth_denied_total',
      type: 'counter',
      help: 'Requests refused by auth: 401 (no or bad credential), 403 (scope, or local-only without keys), 429 (rate limits)',
      samples: [...a.denied].map(([k, value]) => {
        const [status, reason] = k.split(' ');
        return { labels: { status, reason }, value };
      }),
    },
  ];
}

function processFamilies(p: ProcessSample): Family[] {
  return [
    {
      name: 'process_cpu_seconds_total',
      type: 'counter',
      help: 'Total user and system CPU time spent in seconds',
      samples: [{ labels: {}, value: p.cpuSeconds }],
    },
    { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size in bytes', samples: [{ labels: {}, value: p.residentBytes }] },
    {
      name: 'process_start_time_seconds',
      type: 'gauge',
      help: 'Start time of the process since unix epoch in seconds',
      samples: [{ labels: {}, value: p.startTimeSeconds }],
    },
  ];
}
