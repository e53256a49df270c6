// Prometheus text exposition of the per model-version statistics, with Triton's metric names and
// labels (model, version) so existing Triton dashboards work unchanged.

import type { ModelStats } from '../core/stats.ts';

interface Row {
  name: string;
  version: string;
  stats: ModelStats;
}

const METRICS: Array<[string, 'counter' | 'gauge', string, (s: ModelStats) => number]> = [
  ['nv_inference_request_success', 'counter', 'Number of successful inference requests, all batch sizes', (s) => s.success.count],
  ['nv_inference_request_failure', 'counter', 'Number of failed inference requests, all batch sizes', (s) => s.fail.count],
  ['nv_inference_count', 'counter', 'Number of inferences performed (a batch of n counts n)', (s) => s.inferenceCount],
  ['nv_inference_exec_count', 'counter', 'Number of model executions performed (one per batch)', (s) => s.executionCount],
  ['nv_inference_request_duration_us', 'counter', 'Cumulative inference request duration in microseconds (queue and compute)', (s) => (s.success.ns + s.fail.ns) / 1000],
  ['nv_inference_queue_duration_us', 'counter', 'Cumulative inference queuing duration in microseconds', (s) => s.queue.ns / 1000],
  ['nv_inference_compute_input_duration_us', 'counter', 'Cumulative compute input duration in microseconds (decode, preprocess)', (s) => s.computeInput.ns / 1000],
  ['nv_inference_compute_infer_duration_us', 'counter', 'Cumulative compute inference duration in microseconds', (s) => s.computeInfer.ns / 1000],
  ['nv_inference_compute_output_duration_us', 'counter', 'Cumulative compute output duration in microseconds', (s) => s.computeOutput.ns / 1000],
  ['nv_inference_pending_request_count', 'gauge', 'Instantaneous number of pending requests awaiting execution', (s) => s.pending],
];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(rows: Row[]): string {
  const out: string[] = [];
  for (const [metric, type, help, get] of METRICS) {
    out.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} ${type}`);
    for (const r of rows) out.push(`${metric}{model="${esc(r.name)}",version="${esc(r.version)}"} ${Math.round(get(r.stats))}`);
  }
  return `${out.join('\n')}\n`;
}
