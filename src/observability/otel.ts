// The Tracer (tracing.ts) over OpenTelemetry's SDK: spans batched (bounded queue: past 2048
// waiting spans new ones are dropped, never buffered without end) and exported over OTLP/HTTP
// (JSON) to the collector. Spans are made after the fact from the scheduler's timestamps, so
// queue and compute are exact; no context manager is needed (parents are passed explicitly),
// which keeps it runtime-neutral. Only server roots (Bun, Node, Deno, binary) import this file.

import { type Attributes, type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, type Tracer as OtelTracer, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanRecord, Tracer } from './tracing.ts';

export interface OtelOptions {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  serviceName: string;
  serviceVersion: string;
  /** ms between two exports (OTel's default 5000). */
  scheduledDelayMillis?: number;
}

/**
 * The traces URL as the OpenTelemetry specification derives it: the signal-specific variable as
 * given; else the base endpoint with `/v1/traces` appended; else http://localhost:4318/v1/traces.
 */
export function otlpTracesUrl(env: { tracesEndpoint?: string; endpoint?: string }): string {
  if (env.tracesEndpoint) return env.tracesEndpoint;
  const base = env.endpoint ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

export function createOtelTracer(o: OtelOptions): Tracer {
  const exporter = withoutBogusLocation(() => new OTLPTraceExporter({ url: o.url }));
  const provider = new TracerProvider({
    // TraceControl decides which requests are traced; what reaches here is recorded.
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({ 'service.name': o.serviceName, 'service.version': o.serviceVersion }),
    spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 2048, scheduledDelayMillis: o.scheduledDelayMillis ?? 5000 })],
  });
  const tracer = provider.getTracer('edgeserve', o.serviceVersion);
  return {
    endpoint: o.url,
    record: (root, parent) => {
      const ctx = parent
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.spanId,
            traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
            isRemote: true,
          })
        : ROOT_CONTEXT;
      return emit(tracer, ctx, root, SpanKind.SERVER);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Starts and ends one span and its children; returns the trace id. */
function emit(tracer: OtelTracer, parent: Context, r: SpanRecord, kind: SpanKind = SpanKind.INTERNAL): string {
  const s = tracer.startSpan(r.name, { kind, startTime: r.start, attributes: r.attributes as Attributes }, parent);
  const ctx = trace.setSpan(parent, s);
  for (const c of r.children ?? []) emit(tracer, ctx, c);
  if (r.error) s.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
  s.end(r.end);
  return s.spanContext().traceId;
}

/**
 * @jsquash's emscripten glue sets `self.location = { href: "" }` on Node-like runtimes when it is
 * imported (the compiled binary imports it), and OTel resolves the export URL against
 * `location.href`: "" is no base URL, so the exporter would refuse a valid URL. While the
 * exporter reads its configuration, such a location is hidden.
 */
function withoutBogusLocation<T>(fn: () => T): T {
  const g = globalThis as { location?: { href?: unknown } };
  const loc = g.location;
  let bogus = false;
  if (loc !== undefined) {
    try {
      new URL(String(loc.href));
    } catch {
      bogus = true;
    }
  }
  if (!bogus) return fn();
  const own = Object.getOwnPropertyDescriptor(globalThis, 'location');
  if (!own?.configurable) return fn();
  delete g.location;
  try {
    return fn();
  } finally {
    Object.defineProperty(globalThis, 'location', own);
  }
}
