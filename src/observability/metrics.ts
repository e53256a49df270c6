// The one metrics registry behind /metrics: counters, gauges and histograms with labels, plus
// collectors that produce families at scrape time (Triton's nv_* from the statistics, auth
// counters, process CPU and memory), rendered in the Prometheus text format 0.0.4: HELP and
// TYPE once per family, histogram buckets cumulative with +Inf, _sum and _count.
//
// Hand-written rather than prom-client: prom-client requires node:cluster, node:v8, node:fs
// and perf_hooks when imported, and the Cloudflare Workers build (no nodejs_compat) serves the
// same /metrics from the same code. The format is small and test/observability-metrics.test.ts
// checks the output with a Prometheus text parser.

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Appended to the family name (`_bucket`, `_sum`, `_count`), or absent. */
  suffix?: string;
  labels: Labels;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

/** Bound on label sets per metric: past it, new label sets are counted under `other`. */
const MAX_SERIES = 2000;

export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { labels: Labels; s: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  protected entry(labels: Labels, init: () => S): S {
    let key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let e = this.series.get(key);
    if (!e) {
      let l = labels;
      if (this.series.size >= MAX_SERIES) {
        l = Object.fromEntries(this.labelNames.map((n) => [n, 'other']));
        key = this.labelNames.map(() => 'other').join('\u0000');
      }
      e = this.series.get(key) ?? { labels: Object.fromEntries(this.labelNames.map((n) => [n, l[n] ?? ''])), s: init() };
      this.series.set(key, e);
    }
    return e.s;
  }

  /** Drops every series whose labels include all of `match` (e.g. a model version unloaded). */
  remove(match: Labels): void {
    for (const [k, e] of this.series) if (Object.entries(match).every(([n, v]) => e.labels[n] === v)) this.series.delete(k);
  }

  abstract collect(): Family;
}

export class Counter extends Metric<{ v: number }> {
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name}: cannot add ${by}`);
    this.entry(labels, () => ({ v: 0 })).v += by;
  }

  get(labels: Labels = {}): number {
    return this.entry(labels, () => ({ v: 0 })).v;
  }

  collect(): Family {
    return { name: this.name, help: this.help, type: 'counter', samples: [...this.series.values()].map((e) => ({ labels: e.labels, value: e.s.v })) };
  }
}

export class Gauge extends Metric<{ v: number }> {
  set(labels: Labels, v: number): void {
    this.entry(labels, () => ({ v: 0 })).v = v;
  }

  collect(): Family {
    return { name: this.name, help: this.help, type: 'gauge', samples: [...this.series.values()].map((e) => ({ labels: e.labels, value: e.s.v })) };
  }
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) throw new Error(`histogram ${name}: buckets must increase`);
  }

  observe(labels: Labels, v: number): void {
    const h = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    // Non-cumulative per bucket here; cumulated when rendered.
    const i = this.buckets.findIndex((b) => v <= b);
    if (i >= 0) h.counts[i]++;
    h.sum += v;
    h.count++;
  }

  collect(): Family {
    const samples: Sample[] = [];
    for (const e of this.series.values()) samples.push(...histogramSamples(e.labels, this.buckets, e.s.counts, e.s.sum, e.s.count));
    return { name: this.name, help: this.help, type: 'histogram', samples };
  }
}

/** The samples of one histogram series from per-bucket (not cumulative) counts. */
export function histogramSamples(labels: Labels, buckets: readonly number[], perBucket: readonly number[], sum: number, count: number): Sample[] {
  const out: Sample[] = [];
  let acc = 0;
  buckets.forEach((b, i) => {
    acc += perBucket[i];
    out.push({ suffix: '_bucket', labels: { ...labels, le: num(b) }, value: acc });
  });
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count });
  out.push({ suffix: '_sum', labels, value: sum });
  out.push({ suffix: '_count', labels, value: count });
  return out;
}

export class MetricsRegistry {
  private readonly metrics: Array<{ name: string; collect(): Family }> = [];
  private readonly collectors: Array<() => Family[]> = [];

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Families computed at each scrape (values that live elsewhere: statistics, auth, process). */
  collect(fn: () => Family[]): void {
    this.collectors.push(fn);
  }

  families(): Family[] {
    const all = [...this.collectors.flatMap((c) => c()), ...this.metrics.map((m) => m.collect())];
    // One HELP/TYPE per name even if two sources produced the same family.
    const byName = new Map<string, Family>();
    for (const f of all) {
      const seen = byName.get(f.name);
      if (!seen) byName.set(f.name, { ...f, samples: [...f.samples] });
      else if (seen.type !== f.type) throw new Error(`metric ${f.name} registered as ${seen.type} and ${f.type}`);
      else seen.samples.push(...f.samples);
    }
    return [...byName.values()];
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.families()) {
      out.push(`# HELP ${f.name} ${escHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples) {
        const l = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${esc(v)}"`)
          .join(',');
        out.push(`${f.name}${s.suffix ?? ''}${l ? `{${l}}` : ''} ${num(s.value)}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  private add<M extends { name: string; collect(): Family }>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }
}
