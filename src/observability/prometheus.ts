// Triton's metric families from the per model-version statistics (core/stats.ts), with Triton's
// names, labels (model, version) and counter semantics, so existing Triton dashboards work: the
// nv_* counters are the statistics' own cumulative values read at scrape time (the scheduler on
// the main thread writes them, so they are exact across worker threads and always agree with
// /v2/models/stats); request, queue and compute durations count successful requests only, in
// microseconds, as Triton's do; a version's series go away when it is unloaded. The batch-size
// histogram is built from the same statistics (executions by batch size).

import type { ModelStats } from '../core/stats.ts';
import { BATCH_BUCKETS, type Family, histogramSamples } from './metrics.ts';

export interface StatsRow {
  name: string;
  version: string;
  stats: ModelStats;
}

const us = (ns: number) => Math.round(ns / 1000);

const FAMILIES: Array<[string, 'counter' | 'gauge', string, (s: ModelStats) => number]> = [
  ['nv_inference_request_success', 'counter', 'Number of successful inference requests, all batch sizes', (s) => s.success.count],
  ['nv_inference_request_failure', 'counter', 'Number of failed inference requests, all batch sizes', (s) => s.fail.count],
  ['nv_inference_count', 'counter', 'Number of inferences performed (a batch of n counts n; successful requests only)', (s) => s.inferenceCount],
  ['nv_inference_exec_count', 'counter', 'Number of model executions performed (one per batch; successful only)', (s) => s.executionCount],
  [
    'nv_inference_request_duration_us',
    'counter',
    'Cumulative inference request duration in microseconds (queue and compute; successful requests)',
    (s) => us(s.success.ns),
  ],
  ['nv_inference_queue_duration_us', 'counter', 'Cumulative inference queuing duration in microseconds', (s) => us(s.queue.ns)],
  ['nv_inference_compute_input_duration_us', 'counter', 'Cumulative compute input duration in microseconds (decode, preprocess)', (s) => us(s.computeInput.ns)],
  ['nv_inference_compute_infer_duration_us', 'counter', 'Cumulative compute inference duration in microseconds', (s) => us(s.computeInfer.ns)],
  ['nv_inference_compute_output_duration_us', 'counter', 'Cumulative compute output duration in microseconds', (s) => us(s.computeOutput.ns)],
  ['nv_inference_pending_request_count', 'gauge', 'Instantaneous number of pending requests awaiting execution', (s) => s.pending],
];

export function tritonFamilies(rows: StatsRow[]): Family[] {
  const out: Family[] = FAMILIES.map(([name, type, help, get]) => ({
    name,
    type,
    help,
    samples: rows.map((r) => ({ labels: { model: r.name, version: r.version }, value: get(r.stats) })),
  }));
  out.push({
    name: 'edgeserve_inference_batch_size',
    type: 'histogram',
    help: 'Successful model executions by batch size (items per execution)',
    samples: rows.flatMap((r) => {
      const per = BATCH_BUCKETS.map(() => 0);
      let sum = 0;
      let count = 0;
      for (const [size, d] of r.stats.batchSizes) {
        const i = BATCH_BUCKETS.findIndex((b) => size <= b);
        if (i >= 0) per[i] += d.count;
        sum += size * d.count;
        count += d.count;
      }
      return histogramSamples({ model: r.name, version: r.version }, BATCH_BUCKETS, per, sum, count);
    }),
  });
  return out;
}
