// The server's Telemetry on Bun, Node, Deno and in the compiled binary: request logs and metrics
// (src/observability), process CPU and memory from `process`, and OpenTelemetry traces over
// OTLP/HTTP to the collector the OTEL_* settings name (exported only while /v2/trace/setting or
// TRACE_LEVEL says TIMESTAMPS). Built once per stack; it outlives `bun --hot` reloads.

import type { ServerConfig } from '../config/server-config.ts';
import type { DataPlane } from '../core/dataplane.ts';
import type { Logger } from '../observability/logger.ts';
import { createOtelTracer, otlpTracesUrl } from '../observability/otel.ts';
import { type AuthCounters, type ProcessSample, Telemetry } from '../observability/telemetry.ts';
import { TraceControl } from '../observability/tracing.ts';
import { VERSION } from './version.ts';

/** What Prometheus' process collectors report, from Node's process API (Bun and Deno have it). */
export function processSample(): ProcessSample {
  const cpu = process.cpuUsage();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    residentBytes: process.memoryUsage().rss,
    startTimeSeconds: Math.round(performance.timeOrigin / 1000),
  };
}

export function createServerTelemetry(cfg: ServerConfig, dataPlane: DataPlane, log: Logger, auth: AuthCounters): Telemetry {
  const tracer = createOtelTracer({
    url: otlpTracesUrl({ tracesEndpoint: cfg.otelExporterOtlpTracesEndpoint, endpoint: cfg.otelExporterOtlpEndpoint }),
    serviceName: cfg.otelServiceName,
    serviceVersion: VERSION,
    scheduledDelayMillis: cfg.otelBspScheduleDelay,
  });
  const trace = new TraceControl(tracer, { level: cfg.traceLevel, rate: cfg.traceRate, count: cfg.traceCount });
  if (cfg.traceLevel !== 'OFF')
    log(
      'info',
      `tracing: ${cfg.traceLevel}, 1 of every ${cfg.traceRate} requests${cfg.traceCount >= 0 ? `, ${cfg.traceCount} traces` : ''}, OTLP/HTTP to ${tracer.endpoint}`,
    );
  return new Telemetry({ dataPlane, log, trace, auth, process: processSample });
}

/** Sends the spans still buffered, waiting at most `ms` (an unreachable collector must not hold
 *  up a shutdown). */
export async function flushTraces(t: Telemetry, ms = 2000): Promise<void> {
  const tracer = t.trace?.tracerOrUndefined;
  if (!tracer) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    tracer.shutdown().catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}
