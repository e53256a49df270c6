// Logs, metrics and traces of the real server process (bun src/cli.ts serve), over REST and gRPC:
// after N requests /metrics and /v2/models/stats both say N and the scrape parses as Prometheus
// text; every request's log line carries the id its client sent; the logging extension works as
// tritonclient.http calls it; spans reach a real OTLP/HTTP receiver started here (it decodes the
// JSON export), honouring the caller's traceparent, switched by Triton's trace extension.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Server, createServer } from 'node:http';
import parsePrometheus from 'parse-prometheus-text-format';
import { connectClient, simpleInputs, tritonInferRequest, tritonStyle } from './grpc-clients.ts';
import { type ServerProcess, startServer } from './server-process.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

let server: ServerProcess;
let grpcAddress: string;
let receiver: Server;
const spans: OtlpSpan[] = [];
const exports: string[] = [];

/** OTLP/JSON ids are hex; tolerate base64 (the protobuf JSON mapping) too. */
const hexId = (v: string) => (/^[0-9a-f]+$/.test(v) ? v : Buffer.from(v, 'base64').toString('hex'));

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      exports.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(400).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? [])
            spans.push({ ...s, traceId: hexId(s.traceId), spanId: hexId(s.spanId), parentSpanId: s.parentSpanId ? hexId(s.parentSpanId) : undefined });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const port = (receiver.address() as { port: number }).port;
  server = await startServer({
    MODEL_CONTROL_MODE: 'explicit',
    LOAD_MODEL: 'simple',
    WORKERS: '1',
    LOG_FORMAT: 'json',
    MAX_BODY_BYTES: '65536',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const m = /gRPC listening on ([0-9.]+:[0-9]+)/.exec(server.output());
  if (!m) throw new Error(`no gRPC address in the log:\n${server.output()}`);
  grpcAddress = m[1];
}, 90_000);

afterAll(async () => {
  await server?.stop();
  receiver?.close();
});

const { inputs } = simpleInputs();
const INFER_BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
  ],
});
const infer = (headers: Record<string, string> = {}, body = INFER_BODY, model = 'simple') =>
  fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body, headers });

/** The server's JSON log lines (other output, e.g. a stack trace, is skipped). */
function logLines(): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .flatMap((l) => {
      if (!l.startsWith('{')) return [];
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

async function logLine(id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = logLines().find((l) => l.msg === 'request' && l.request_id === id);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no request log line with request_id ${id}`);
    await Bun.sleep(20);
  }
}

async function scrape(): Promise<string> {
  const r = await fetch(`${server.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return r.text();
}

/** A sample's value: `name{k="v",…}` with exactly those labels (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).sort();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[3] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]).sort();
    if (JSON.stringify(got) === JSON.stringify(want)) return Number(m[4]);
  }
  return 0;
}

/** The exposition format's rules a scraper relies on. */
function checkExposition(text: string): void {
  const help = new Map<string, number>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    const h = /^# HELP (\S+) /.exec(line);
    if (h) help.set(h[1], (help.get(h[1]) ?? 0) + 1);
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      if (type.has(t[1])) throw new Error(`TYPE twice for ${t[1]}`);
      type.set(t[1], t[2]);
    }
  }
  for (const [name, n] of help) expect({ name, n }).toEqual({ name, n: 1 });
  expect([...type.keys()].sort()).toEqual([...help.keys()].sort());
  const families = parsePrometheus(text) as Array<{
    name: string;
    type: string;
    metrics: Array<{ buckets?: Record<string, string>; count?: string; sum?: string; value?: string }>;
  }>;
  expect(families.length).toBe(type.size);
  for (const f of families) {
    expect(f.type.toLowerCase()).toBe(type.get(f.name)!);
    if (f.type !== 'HISTOGRAM') {
      for (const m of f.metrics) expect(Number.isFinite(Number(m.value))).toBe(true);
      continue;
    }
    for (const m of f.metrics) {
      // Sorted by bound: a JS object lists integer-like keys ("1", "10") before the others.
      const buckets = Object.entries(m.buckets!).sort(([a], [b]) => (a === '+Inf' ? Infinity : Number(a)) - (b === '+Inf' ? Infinity : Number(b)));
      expect(buckets.at(-1)![0]).toBe('+Inf');
      const bounds = buckets.map(([le]) => (le === '+Inf' ? Infinity : Number(le)));
      const counts = buckets.map(([, c]) => Number(c));
      for (let i = 1; i < buckets.length; i++) {
        expect(bounds[i]).toBeGreaterThan(bounds[i - 1]);
        expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]); // cumulative
      }
    }
    // The parser keeps only the buckets of a labelled histogram: _count (= the +Inf bucket) and
    // _sum are checked on the text.
    for (const line of text.split('\n')) {
      const c = new RegExp(`^${f.name}_count(\\{(.*)\\})? (\\S+)$`).exec(line);
      if (!c) continue;
      const labels = c[2] ? `${c[2]},` : '';
      expect(text).toContain(`${f.name}_bucket{${labels}le="+Inf"} ${c[3]}`);
      expect(new RegExp(`^${f.name}_sum${c[1] ? c[1].replace(/[{}]/g, '\\$&') : ''} [0-9.e+-]+$`, 'm').test(text)).toBe(true);
    }
  }
  // Counter families end in _total unless they are Triton's own names (kept for its dashboards).
  for (const [name, t] of type) if (t === 'counter' && !name.startsWith('nv_')) expect(name).toMatch(/_total$/);
}

const simpleStats = async () => {
  const r = (await (await fetch(`${server.url}/v2/models/simple/versions/1/stats`)).json()) as {
    model_stats: Array<{ inference_count: number; inference_stats: Record<string, { count: number }> }>;
  };
  return r.model_stats[0];
};

describe('metrics', () => {
  test('after N requests (REST and gRPC), /metrics and /v2/models/stats both say N; the scrape parses and follows the format', async () => {
    const v = { model: 'simple', version: '1' };
    const before = await scrape();
    const statsBefore = await simpleStats();
    const REST = 24;
    const GRPC = 12;
    const rest = await Promise.all(Array.from({ length: REST }, () => infer()));
    expect(rest.map((r) => r.status)).toEqual(Array(REST).fill(200));
    const grpc = tritonStyle(grpcAddress);
    try {
      for (let i = 0; i < GRPC; i++) await grpc.call('ModelInfer', tritonInferRequest('simple', inputs));
    } finally {
      grpc.close();
    }
    const after = await scrape();
    checkExposition(after);
    const statsAfter = await simpleStats();
    const N = REST + GRPC;
    const diff = (name: string, labels: Record<string, string> = v) => sample(after, name, labels) - sample(before, name, labels);
    expect(statsAfter.inference_stats.success.count - statsBefore.inference_stats.success.count).toBe(N);
    expect(diff('nv_inference_request_success')).toBe(N);
    expect(diff('nv_inference_count')).toBe(N);
    expect(diff('nv_inference_request_failure')).toBe(0);
    expect(sample(after, 'nv_inference_request_success', v)).toBe(statsAfter.inference_stats.success.count);
    expect(sample(after, 'nv_inference_count', v)).toBe(statsAfter.inference_count);
    for (const h of [
      'edgeserve_inference_request_duration_seconds',
      'edgeserve_inference_queue_duration_seconds',
      'edgeserve_inference_compute_duration_seconds',
    ]) {
      expect(diff(`${h}_count`)).toBe(N);
    }
    expect(diff('edgeserve_http_requests_total', { route: '/v2/models/:model_name/infer', method: 'POST', status: '200' })).toBe(REST);
    expect(diff('edgeserve_http_request_duration_seconds_count', { route: '/v2/models/:model_name/infer', method: 'POST' })).toBe(REST);
    expect(diff('edgeserve_grpc_requests_total', { method: 'ModelInfer', code: 'OK' })).toBe(GRPC);
    // Process metrics under the names Prometheus' client libraries use.
    expect(sample(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    // Batch sizes: executions (not requests) by size, from the statistics.
    expect(sample(after, 'edgeserve_inference_batch_size_count', v)).toBeGreaterThan(0);
    expect(sample(after, 'edgeserve_inference_batch_size_count', v)).toBeLessThanOrEqual(sample(after, 'nv_inference_exec_count', v));
  }, 60_000);

  test('requests refused before inference are counted by reason, over REST and gRPC', async () => {
    const refused = (text: string, protocol: string, reason: string) => sample(text, 'edgeserve_requests_refused_total', { protocol, reason });
    const before = await scrape();
    const bad = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: Array(16).fill(0) }] });
    expect((await infer({}, bad)).status).toBe(400);
    expect((await infer({}, INFER_BODY, 'nope')).status).toBe(404);
    expect((await infer({}, 'x'.repeat(70_000))).status).toBe(413);
    expect((await fetch(`${server.url}/v2/models/simple/infer`)).status).toBe(405);
    const grpc = tritonStyle(grpcAddress);
    try {
      await expect(grpc.call('ModelInfer', tritonInferRequest('nope', inputs))).rejects.toMatchObject({ code: 5 });
      await expect(grpc.call('ModelInfer', tritonInferRequest('simple', inputs.slice(0, 1)))).rejects.toMatchObject({ code: 3 });
    } finally {
      grpc.close();
    }
    const after = await scrape();
    const d = (p: string, r: string) => refused(after, p, r) - refused(before, p, r);
    expect({
      validation: d('http', 'validation'),
      not_found: d('http', 'not_found'),
      too_large: d('http', 'too_large'),
      method_not_allowed: d('http', 'method_not_allowed'),
      grpc_not_found: d('grpc', 'not_found'),
      grpc_validation: d('grpc', 'validation'),
    }).toEqual({ validation: 1, not_found: 1, too_large: 1, method_not_allowed: 1, grpc_not_found: 1, grpc_validation: 1 });
    // The invalid requests for a known version (one over REST, one over gRPC) are failures of
    // that version, as Triton counts them.
    expect(
      sample(after, 'nv_inference_request_failure', { model: 'simple', version: '1' }) -
        sample(before, 'nv_inference_request_failure', { model: 'simple', version: '1' }),
    ).toBe(2);
  }, 30_000);
});

describe('request logs', () => {
  test("a REST request's line carries the id the client sent, its route pattern, model, timing and caller; the id comes back", async () => {
    const id = `obs-${crypto.randomUUID()}`;
    const r = await infer({ 'X-Request-Id': id });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe(id);
    const line = await logLine(id);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'request',
      protocol: 'http',
      method: 'POST',
      route: '/v2/models/:model_name/infer',
      model: 'simple',
      version: '1',
      status: 200,
      batch_size: 1,
      client: 'anonymous',
    });
    expect(typeof line.time).toBe('string');
    for (const k of ['latency_ms', 'queue_ms', 'compute_ms']) expect(line[k]).toBeGreaterThanOrEqual(0);
    expect(line.latency_ms as number).toBeGreaterThanOrEqual(line.compute_ms as number);
  }, 15_000);

  test("a gRPC call's line carries its x-request-id; without one, a traceparent gives the id; else one is made and returned", async () => {
    const id = `grpc-${crypto.randomUUID()}`;
    const client = connectClient(grpcAddress);
    let echoed: string | null = null;
    await client.modelInfer(
      {
        modelName: 'simple',
        inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape: shape.map(BigInt) })),
        rawInputContents: inputs.map((i) => i.raw),
      },
      {
        headers: { 'x-request-id': id },
        onHeader: (h) => {
          echoed = h.get('x-request-id');
        },
      },
    );
    expect(echoed as string | null).toBe(id);
    expect(await logLine(id)).toMatchObject({
      protocol: 'grpc',
      route: 'ModelInfer',
      model: 'simple',
      version: '1',
      status: 'OK',
      batch_size: 1,
      client: 'anonymous',
    });

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await infer({ traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    expect(r.headers.get('x-request-id')).toBe(traceId);
    expect((await logLine(traceId)).status).toBe(200);

    const made = (await infer()).headers.get('x-request-id')!;
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect((await logLine(made)).route).toBe('/v2/models/:model_name/infer');

    const bad = await infer({ 'X-Request-Id': 'has spaces' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('X-Request-Id: expected 1-200 visible ASCII characters without spaces, got "has spaces"');
  }, 15_000);
});

describe("Triton's logging extension", () => {
  // What tritonclient.http sends: json.dumps(settings) with no Content-Type, to v2/logging.
  const post = (body: string) => fetch(`${server.url}/v2/logging`, { method: 'POST', body, headers: { 'content-type': '' } });

  test('get_log_settings / update_log_settings as tritonclient.http calls them; the settings take effect; what cannot be honoured is a 400', async () => {
    const got = await (await fetch(`${server.url}/v2/logging`)).json();
    expect(got).toEqual({ log_file: '', log_info: true, log_warnings: true, log_errors: true, log_verbose_level: 0, log_format: 'json' });
    const off = await post(JSON.stringify({ log_info: false }).replace(':', ': '));
    expect(off.status).toBe(200);
    expect(await off.json()).toMatchObject({ log_info: false, log_warnings: true });
    const quiet = `quiet-${crypto.randomUUID()}`;
    expect((await infer({ 'X-Request-Id': quiet })).status).toBe(200);
    expect((await post('{"log_info": true}')).status).toBe(200);
    const loud = `loud-${crypto.randomUUID()}`;
    expect((await infer({ 'X-Request-Id': loud })).status).toBe(200);
    await logLine(loud);
    expect(logLines().some((l) => l.request_id === quiet)).toBe(false);

    for (const [body, error] of [
      ['{"log_file": "/tmp/x.log"}', 'log_file: logs go to stderr only (redirect it to keep a file); expected "", got "/tmp/x.log"'],
      ['{"log_format": "ISO8601"}', 'log_format: expected "text" or "json" (Triton\'s "default" and "ISO8601" layouts are not available), got "ISO8601"'],
      ['{"log_info": "true"}', 'log_info: expected true or false, got "true"'],
      ['{"log_verbose_level": -1}', 'log_verbose_level: expected an integer >= 0, got -1'],
      ['{"log_infos": true}', "log settings: unknown setting 'log_infos' (known: log_file, log_info, log_warnings, log_errors, log_verbose_level, log_format)"],
      ['{"log_info": false, "log_info": true}', "log settings: setting 'log_info' given 2 times"],
      ['', 'log settings: the body is empty; send a JSON object of settings'],
    ]) {
      const r = await post(body);
      expect({ body, status: r.status, error: ((await r.json()) as { error: string }).error }).toEqual({ body, status: 400, error });
    }
    // Nothing of a refused request was applied.
    expect(await (await fetch(`${server.url}/v2/logging`)).json()).toMatchObject({ log_info: true, log_format: 'json' });

    // gRPC LogSettings reads and changes the same settings.
    const grpc = tritonStyle(grpcAddress);
    try {
      const r = await grpc.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 1 } } });
      expect(r.settings.log_verbose_level.uint32_param).toBe(1);
      expect(r.settings.log_format.string_param).toBe('json');
    } finally {
      grpc.close();
    }
    // On a channel of its own: grpc-js under bun test sometimes reports a trailers-only error
    // answer right after another call on the same channel as a dropped connection.
    const again = tritonStyle(grpcAddress);
    try {
      await expect(again.call('LogSettings', { settings: { log_file: { string_param: 'x' } } })).rejects.toMatchObject({ code: 3 });
    } finally {
      again.close();
    }
    expect(((await (await fetch(`${server.url}/v2/logging`)).json()) as { log_verbose_level: number }).log_verbose_level).toBe(1);
    // Verbose level 1 logs health probes too.
    const probe = `probe-${crypto.randomUUID()}`;
    await fetch(`${server.url}/v2/health/live`, { headers: { 'X-Request-Id': probe } });
    expect((await logLine(probe)).level).toBe('debug');
    expect((await post('{"log_verbose_level": 0}')).status).toBe(200);
    const v2 = (await (await fetch(`${server.url}/v2`)).json()) as { extensions: string[] };
    expect(v2.extensions).toContain('logging');
    expect(v2.extensions).toContain('trace');
  }, 30_000);
});

describe('traces', () => {
  const setting = (body: unknown, model?: string) =>
    fetch(`${server.url}/v2${model ? `/models/${model}` : ''}/trace/setting`, { method: 'POST', body: JSON.stringify(body) });
  const waitSpans = async (pred: (s: OtlpSpan[]) => boolean) => {
    const deadline = Date.now() + 8000;
    while (!pred(spans)) {
      if (Date.now() > deadline) throw new Error(`spans not received (exports: ${exports.join('; ')}; spans: ${spans.map((s) => s.name).join(', ')})`);
      await Bun.sleep(50);
    }
  };

  test("TIMESTAMPS exports request → infer → queue/compute → response spans over OTLP/HTTP, children of the caller's traceparent; rate, count and OFF hold", async () => {
    expect(await (await fetch(`${server.url}/v2/trace/setting`)).json()).toEqual({
      trace_level: ['OFF'],
      trace_rate: '1000',
      trace_count: '-1',
      log_frequency: '0',
      trace_file: '',
      trace_mode: 'opentelemetry',
    });
    const on = await setting({ trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_count: '2' });
    expect(on.status).toBe(200);
    expect(await on.json()).toMatchObject({ trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_count: '2' });

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parentId = 'b7ad6b7169203331';
    const id = `traced-${crypto.randomUUID()}`;
    expect((await infer({ traceparent: `00-${traceId}-${parentId}-01`, 'X-Request-Id': id })).status).toBe(200);
    await waitSpans((s) => s.filter((x) => x.traceId === traceId).length >= 5);
    const mine = spans.filter((s) => s.traceId === traceId);
    const byName = (n: string) => mine.find((s) => s.name === n)!;
    const root = byName('POST /v2/models/:model_name/infer');
    expect(root.parentSpanId).toBe(parentId);
    expect(root.kind).toBe(2); // SERVER
    const attr = (s: OtlpSpan, k: string) => Object.values(s.attributes?.find((a) => a.key === k)?.value ?? {})[0];
    expect(attr(root, 'edgeserve.request_id')).toBe(id);
    expect(attr(root, 'http.response.status_code')).toBe(200);
    const model = byName('infer simple');
    expect(model.parentSpanId).toBe(root.spanId);
    for (const n of ['queue', 'compute']) expect(byName(n).parentSpanId).toBe(model.spanId);
    expect(byName('response').parentSpanId).toBe(root.spanId);
    const t = (s: OtlpSpan, k: 'startTimeUnixNano' | 'endTimeUnixNano') => BigInt(String(s[k]));
    expect(t(model, 'startTimeUnixNano') >= t(root, 'startTimeUnixNano')).toBe(true);
    expect(t(byName('queue'), 'endTimeUnixNano') <= t(byName('compute'), 'startTimeUnixNano')).toBe(true);
    expect(t(byName('compute'), 'endTimeUnixNano') <= t(root, 'endTimeUnixNano')).toBe(true);
    expect((await logLine(id)).trace_id).toBe(traceId);

    // gRPC: a new trace (no traceparent) for the second and last counted trace.
    const grpc = tritonStyle(grpcAddress);
    try {
      await grpc.call('ModelInfer', tritonInferRequest('simple', inputs));
    } finally {
      grpc.close();
    }
    await waitSpans((s) => s.some((x) => x.name === 'POST ModelInfer'));
    expect(((await (await fetch(`${server.url}/v2/trace/setting`)).json()) as { trace_count: string }).trace_count).toBe('0');
    const seen = spans.length;
    expect((await infer()).status).toBe(200); // trace_count is spent: not traced
    await Bun.sleep(400);
    expect(spans.length).toBe(seen);

    // A model's own settings, and clearing them (Triton's null / empty body).
    const own = await setting({ trace_count: '5' }, 'simple');
    expect(await own.json()).toMatchObject({ trace_level: ['TIMESTAMPS'], trace_count: '5' });
    expect(await (await setting({}, 'simple')).json()).toMatchObject({ trace_count: '0' });
    expect((await setting({ trace_level: ['OFF'] }, 'nope')).status).toBe(404);

    for (const [body, error] of [
      [{ trace_level: ['TENSORS'] }, 'trace_level: TENSORS is not supported (spans carry timestamps, not tensor contents); got ["TENSORS"]'],
      [
        { trace_file: '/tmp/t.json' },
        'trace_file: spans are exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT), not written to a file; expected "", got "/tmp/t.json"',
      ],
      [{ log_frequency: '50' }, 'log_frequency: spans are exported over OTLP as they end, not written to files; expected "0", got "50"'],
      [{ trace_rate: 5 }, "trace_rate: expected an integer as a string (Triton's format), got 5"],
      [{ trace_rate: '0' }, 'trace_rate: expected an integer >= 1, got "0"'],
      [{ trace_mode: 'triton' }, 'trace_mode: only "opentelemetry" (OTLP) is available, got "triton"'],
    ] as const) {
      const r = await setting(body);
      expect({ status: r.status, error: ((await r.json()) as { error: string }).error }).toEqual({ status: 400, error });
    }
    expect(await (await setting({ trace_level: ['OFF'], trace_count: null })).json()).toMatchObject({ trace_level: ['OFF'], trace_count: '-1' });
  }, 30_000);
});
