// Request tracing, runtime-neutral: the Tracer port (an OpenTelemetry implementation lives in
// otel.ts, chosen by the composition root), W3C traceparent parsing, and TraceControl: Triton's
// trace settings (extension_trace.md; GET/POST /v2/trace/setting and per model
// /v2/models/{m}/trace/setting), which decide which requests are traced.
//
// What is honoured: trace_level OFF or TIMESTAMPS (spans with timestamps: request → per-infer
// model span → queue and compute → response), trace_rate (1 of every N requests), trace_count
// (-1 = no limit; else that many more traces, counting down, as Triton's), and a caller's
// sampled traceparent (its requests are traced while tracing is on: OpenTelemetry's parent-based
// sampling). Refused with a 400: TENSORS (no tensor contents are exported), trace_file and
// log_frequency other than "" / "0", and trace_mode other than "opentelemetry": spans go to the
// OTLP endpoint as they end, never to files.

import { invalid } from '../core/errors.ts';

/** A W3C traceparent's parts (version 00). */
export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a traceparent header. Malformed ones are ignored (undefined), as W3C Trace Context
 * requires of a receiver (it starts a new trace): a caller's tracing header never fails a
 * request.
 */
export function parseTraceparent(v: string | null | undefined): TraceParent | undefined {
  if (!v) return undefined;
  const m = TRACEPARENT.exec(v.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has exactly four fields; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** Epoch milliseconds (fractional) of a performance.now() reading on this thread. */
export const epochMs = (perfMs: number) => performance.timeOrigin + perfMs;

/** One interval of a traced request (epoch ms), with its children. */
export interface SpanRecord {
  name: string;
  start: number;
  end: number;
  attributes?: Record<string, string | number | boolean>;
  children?: SpanRecord[];
  /** Set on a span that failed: its status is ERROR with this message. */
  error?: string;
}

export interface Tracer {
  /**
   * Exports one finished request as spans: `root` (SERVER kind) and its children, the root a
   * child of the caller's span when it sent a traceparent. Returns the trace id.
   */
  record(root: SpanRecord, parent: TraceParent | undefined): string;
  /** Sends what is buffered; resolves when the exporter has answered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Where spans go, for the start-up log. */
  readonly endpoint: string;
}

export type TraceLevel = 'OFF' | 'TIMESTAMPS';

/** Triton's trace settings, as its HTTP API spells them (strings, trace_level an array). */
export interface TraceSettings {
  trace_level: TraceLevel[];
  trace_rate: string;
  trace_count: string;
  log_frequency: string;
  trace_file: string;
  trace_mode: string;
}

interface Values {
  level: TraceLevel;
  rate: number;
  count: number;
}

const NAMES = ['trace_level', 'trace_rate', 'trace_count', 'log_frequency', 'trace_file', 'trace_mode'];

export class TraceControl {
  private global: Values;
  private readonly initial: Values;
  private readonly models = new Map<string, Partial<Values>>();
  /** Requests seen per model (or '' for global), for trace_rate. */
  private readonly seen = new Map<string, number>();

  /**
   * `tracer` absent: no exporter here (Cloudflare Workers), so any level but OFF is refused.
   * Start values: TRACE_LEVEL, TRACE_RATE, TRACE_COUNT.
   */
  constructor(
    private readonly tracer: Tracer | undefined,
    start: { level?: TraceLevel; rate?: number; count?: number } = {},
  ) {
    this.global = { level: start.level ?? 'OFF', rate: start.rate ?? 1000, count: start.count ?? -1 };
    this.initial = { ...this.global };
    if (this.global.level !== 'OFF' && !tracer) throw new Error('TRACE_LEVEL: tracing needs an OTLP exporter, which this runtime does not have');
  }

  settings(model?: string): TraceSettings {
    const v = this.values(model);
    return {
      trace_level: [v.level],
      trace_rate: String(v.rate),
      trace_count: String(v.count),
      log_frequency: '0',
      trace_file: '',
      trace_mode: 'opentelemetry',
    };
  }

  /**
   * Applies a Triton trace-settings request. Only the settings named change, all or none. A
   * setting given as null is cleared: a model's falls back to the global value, a global one to
   * its value at start (TRACE_*); a model's empty body clears all of that model's own.
   */
  update(body: unknown, model?: string): TraceSettings {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid(`trace settings: expected a JSON object of settings, got ${JSON.stringify(body)}`);
    }
    const entries = Object.entries(body);
    if (model !== undefined && entries.length === 0) {
      this.models.delete(model);
      return this.settings(model);
    }
    const next: Partial<Values> = model !== undefined ? { ...this.models.get(model) } : { ...this.global };
    const clear: Array<keyof Values> = [];
    for (const [k, v] of entries) {
      const got = JSON.stringify(v);
      if (v === null) {
        if (!NAMES.includes(k)) throw invalid(`trace settings: unknown setting '${k}' (known: ${NAMES.join(', ')})`);
        const field = ({ trace_level: 'level', trace_rate: 'rate', trace_count: 'count' } as Record<string, keyof Values>)[k];
        if (field) clear.push(field);
        continue;
      }
      switch (k) {
        case 'trace_level': {
          const levels = Array.isArray(v) ? v : [v];
          if (levels.length === 0 || levels.some((l) => typeof l !== 'string')) throw invalid(`trace_level: expected ["OFF"] or ["TIMESTAMPS"], got ${got}`);
          if (levels.includes('TENSORS')) throw invalid(`trace_level: TENSORS is not supported (spans carry timestamps, not tensor contents); got ${got}`);
          const bad = levels.find((l) => l !== 'OFF' && l !== 'TIMESTAMPS');
          if (bad !== undefined) throw invalid(`trace_level: expected OFF or TIMESTAMPS, got ${got}`);
          if (levels.includes('OFF') && levels.includes('TIMESTAMPS')) throw invalid(`trace_level: OFF together with TIMESTAMPS, got ${got}`);
          const level = levels[0] as TraceLevel;
          if (level !== 'OFF' && !this.tracer) throw invalid('trace_level: tracing is not available on this runtime (no OTLP exporter: Cloudflare Workers)');
          next.level = level;
          break;
        }
        case 'trace_rate':
          next.rate = integerString(k, v, 1);
          break;
        case 'trace_count':
          next.count = integerString(k, v, -1);
          break;
        case 'log_frequency':
          if (v !== '0') throw invalid(`log_frequency: spans are exported over OTLP as they end, not written to files; expected "0", got ${got}`);
          break;
        case 'trace_file':
          if (v !== '') throw invalid(`trace_file: spans are exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT), not written to a file; expected "", got ${got}`);
          break;
        case 'trace_mode':
          if (v !== 'opentelemetry') throw invalid(`trace_mode: only "opentelemetry" (OTLP) is available, got ${got}`);
          break;
        default:
          throw invalid(`trace settings: unknown setting '${k}' (known: ${NAMES.join(', ')})`);
      }
    }
    for (const f of clear) {
      if (model !== undefined) delete next[f];
      else (next as Record<keyof Values, unknown>)[f] = this.initial[f];
    }
    if (model !== undefined) this.models.set(model, next);
    else this.global = next as Values;
    return this.settings(model);
  }

  /**
   * Whether to trace this request (and count it against trace_rate / trace_count). `model` is
   * the model the route names, if any; a caller's sampled traceparent is traced while on.
   */
  sample(model: string | undefined, parentSampled: boolean): boolean {
    if (!this.tracer) return false;
    const own = model !== undefined ? this.models.get(model) : undefined;
    const v = this.values(model);
    if (v.level === 'OFF' || v.count === 0) return false;
    const key = own ? model! : '';
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n % v.rate);
    if (!parentSampled && n % v.rate !== 0) return false;
    if (v.count > 0) {
      // Counts down where the setting lives (a model's own count, or the global one).
      if (own?.count !== undefined) own.count = v.count - 1;
      else this.global.count = v.count - 1;
    }
    return true;
  }

  get tracerOrUndefined(): Tracer | undefined {
    return this.tracer;
  }

  private values(model?: string): Values {
    const own = model !== undefined ? this.models.get(model) : undefined;
    return { ...this.global, ...own };
  }
}

function integerString(k: string, v: unknown, min: number): number {
  const got = JSON.stringify(v);
  if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v)) throw invalid(`${k}: expected an integer as a string (Triton's format), got ${got}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw invalid(`${k}: expected an integer >= ${min}, got ${got}`);
  return n;
}
