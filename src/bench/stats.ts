// Latency summaries for the benchmark: percentiles over recorded samples (milliseconds).
// Nearest-rank on a sorted copy, the way wrk and most load tools report p50/p99.

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  if (n === 0) return { n, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const s = Float64Array.from(samples).sort();
  const at = (p: number) => s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  let sum = 0;
  for (const x of s) sum += x;
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[n - 1], mean: sum / n };
}

export const median = (xs: readonly number[]): number => summarize(xs).p50;
