// Per model-version counters and durations, in Triton's statistics vocabulary (success/fail
// counts, queue and compute durations, inference vs execution counts). The scheduler writes
// them; /v2/models/{m}/stats and Prometheus exposition read them.

export interface Duration {
  count: number;
  ns: number;
}

export interface ModelStats {
  /** Requests that finished without error / with an error (including requests for this
   *  version refused before they were queued, e.g. invalid ones, with zero duration). */
  success: Duration;
  fail: Duration;
  queue: Duration;
  computeInput: Duration;
  computeInfer: Duration;
  computeOutput: Duration;
  /** Items inferred successfully (a request of batch 4 counts 4) and successful executions
   *  (one per batch), as Triton counts them. */
  inferenceCount: number;
  executionCount: number;
  /** Requests waiting in the queue or executing right now. */
  pending: number;
  lastInferenceMs: number;
  /** Successful executions by batch size (items per execution): their count and cumulative
   *  compute-infer time (Triton's batch_stats). */
  batchSizes: Map<number, Duration>;
}

const d = (): Duration => ({ count: 0, ns: 0 });

export function newStats(): ModelStats {
  return {
    success: d(),
    fail: d(),
    queue: d(),
    computeInput: d(),
    computeInfer: d(),
    computeOutput: d(),
    inferenceCount: 0,
    executionCount: 0,
    pending: 0,
    lastInferenceMs: 0,
    batchSizes: new Map(),
  };
}

export function add(dur: Duration, us: number, times = 1): void {
  dur.count += times;
  dur.ns += Math.round(us * 1000) * times;
}
