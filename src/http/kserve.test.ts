// KServe v2 REST over the real stack in memory (app.request): health, metadata, config, infer
// on `simple` in JSON and with the binary extension, and the error statuses Triton uses.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp, tempRepository } from '../../test/helpers.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';

let repo: string;
let app: Awaited<ReturnType<typeof buildApp>>['app'];
let logs: string[];

beforeAll(async () => {
  repo = tempRepository();
  // A broken model beside the good one: it must be reported and must not stop `simple`.
  mkdirSync(join(repo, 'broken'), { recursive: true });
  writeFileSync(join(repo, 'broken', 'config.json'), JSON.stringify({ name: 'broken', max_batch_size: -3 }));
  ({ app, logs } = await buildApp(repo, nodeBackend()));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const a = Array.from({ length: 16 }, (_, i) => i);
const b = Array.from({ length: 16 }, () => 1);

describe('health and metadata', () => {
  test('live; not ready while a model is broken', async () => {
    expect((await app.request('/v2/health/live')).status).toBe(200);
    const r = await app.request('/v2/health/ready');
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ ready: false });
  });

  test('a broken config is reported with file, field and reason', () => {
    const line = logs.find((l) => l.includes("model 'broken' unavailable"));
    expect(line).toContain('broken/config.json: max_batch_size:');
  });

  test('server metadata lists implemented extensions', async () => {
    const j = await (await app.request('/v2')).json();
    expect(j.name).toBe('edgeserve');
    expect(j.extensions).toContain('binary_tensor_data');
  });

  test('model metadata with the batch dim as -1', async () => {
    const j = await (await app.request('/v2/models/simple')).json();
    expect(j).toEqual({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
    });
    expect((await app.request('/v2/models/simple/versions/1')).status).toBe(200);
    expect((await app.request('/v2/models/simple/ready')).status).toBe(200);
    expect((await app.request('/v2/models/simple/versions/1/ready')).status).toBe(200);
  });

  test('model config', async () => {
    const j = await (await app.request('/v2/models/simple/config')).json();
    expect(j.max_batch_size).toBe(8);
    expect(j.input[0].data_type).toBe('TYPE_INT32');
  });

  test('unknown model / version → 404 {"error"}', async () => {
    for (const p of ['/v2/models/nope', '/v2/models/simple/versions/7', '/v2/models/nope/ready']) {
      const r = await app.request(p);
      expect(r.status).toBe(404);
      expect((await r.json()).error).toMatch(/unknown/);
    }
    const r = await app.request('/v2/models/broken/ready');
    expect(r.status).toBe(503);
  });
});

describe('infer', () => {
  const post = (body: unknown, path = '/v2/models/simple/infer') =>
    app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  test('JSON: sums and differences, id echoed', async () => {
    const r = await post({
      id: 'req-1',
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
      ],
    });
    expect(r.status).toBe(200);
    const j = await r.json();
    expect(j.id).toBe('req-1');
    expect(j.model_name).toBe('simple');
    expect(j.model_version).toBe('1');
    const o0 = j.outputs.find((o: { name: string }) => o.name === 'OUTPUT0');
    const o1 = j.outputs.find((o: { name: string }) => o.name === 'OUTPUT1');
    expect(o0.data).toEqual(a.map((x) => x + 1));
    expect(o1.data).toEqual(a.map((x) => x - 1));
    expect(o0.shape).toEqual([1, 16]);
  });

  test('outputs filter and nested data', async () => {
    const r = await post({
      inputs: [
        { name: 'INPUT0', shape: [2, 16], datatype: 'INT32', data: [a, a] },
        { name: 'INPUT1', shape: [2, 16], datatype: 'INT32', data: [b, b] },
      ],
      outputs: [{ name: 'OUTPUT1' }],
    });
    const j = await r.json();
    expect(j.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT1']);
    expect(j.outputs[0].shape).toEqual([2, 16]);
  });

  test('binary extension both ways', async () => {
    const header = JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
      ],
      outputs: [
        { name: 'OUTPUT0', parameters: { binary_data: true } },
        { name: 'OUTPUT1', parameters: { binary_data: true } },
      ],
    });
    const hb = new TextEncoder().encode(header);
    const body = new Uint8Array(hb.length + 128);
    body.set(hb);
    body.set(new Uint8Array(Int32Array.from(a).buffer), hb.length);
    body.set(new Uint8Array(Int32Array.from(b).buffer), hb.length + 64);
    const r = await app.request('/v2/models/simple/infer', {
      method: 'POST',
      body,
      headers: { 'Inference-Header-Content-Length': String(hb.length), 'content-type': 'application/octet-stream' },
    });
    expect(r.status).toBe(200);
    const len = Number(r.headers.get('inference-header-content-length'));
    const buf = new Uint8Array(await r.arrayBuffer());
    const j = JSON.parse(new TextDecoder().decode(buf.subarray(0, len)));
    expect(j.outputs[0].parameters.binary_data_size).toBe(64);
    const out0 = new Int32Array(buf.slice(len, len + 64).buffer);
    const out1 = new Int32Array(buf.slice(len + 64, len + 128).buffer);
    expect([...out0]).toEqual(a.map((x) => x + 1));
    expect([...out1]).toEqual(a.map((x) => x - 1));
  });

  test('wrong shape → 400 naming the tensor, expected and got', async () => {
    const r = await post({
      inputs: [
        { name: 'INPUT0', shape: [1, 8], datatype: 'INT32', data: a.slice(0, 8) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
      ],
    });
    expect(r.status).toBe(400);
    const e = (await r.json()).error;
    expect(e).toContain("'INPUT0'");
    expect(e).toContain('[-1,16]');
    expect(e).toContain('[1,8]');
  });

  test('wrong datatype, missing input, unknown output, batch too big → 400', async () => {
    const cases = [
      {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
      },
      { inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a }] },
      {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
        outputs: [{ name: 'NOPE' }],
      },
      {
        inputs: [
          { name: 'INPUT0', shape: [9, 16], datatype: 'INT32', data: Array(144).fill(0) },
          { name: 'INPUT1', shape: [9, 16], datatype: 'INT32', data: Array(144).fill(0) },
        ],
      },
    ];
    const want = [/expected datatype INT32, got FP32/, /missing input 'INPUT1'/, /unknown output 'NOPE'/, /max_batch_size 8/];
    for (const [i, c] of cases.entries()) {
      const r = await post(c);
      expect(r.status).toBe(400);
      expect((await r.json()).error).toMatch(want[i]);
    }
  });

  test('byte-count mismatch in the binary section → 400', async () => {
    const hb = new TextEncoder().encode(
      JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 60 } },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
      }),
    );
    const body = new Uint8Array(hb.length + 60);
    body.set(hb);
    const r = await app.request('/v2/models/simple/infer', { method: 'POST', body, headers: { 'Inference-Header-Content-Length': String(hb.length) } });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toContain('INPUT0');
  });

  test('unknown model → 404; not-ready model → 503; bad JSON → 400; oversized → 413', async () => {
    expect((await post({ inputs: [] }, '/v2/models/nope/infer')).status).toBe(404);
    expect((await post({ inputs: [] }, '/v2/models/broken/infer')).status).toBe(503);
    const bad = await app.request('/v2/models/simple/infer', { method: 'POST', body: '{"inputs": [' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/JSON/i);
    const big = await app.request('/v2/models/simple/infer', { method: 'POST', body: new Uint8Array(9 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatch(/exceeds/);
  });
});

describe('docs', () => {
  test('/openapi.json is generated from the route schemas', async () => {
    const j = await (await app.request('/openapi.json')).json();
    expect(j.openapi).toBe('3.1.0');
    expect(Object.keys(j.paths)).toContain('/v2/models/{model_name}/infer');
    expect(j.components.schemas.InferenceRequest).toBeDefined();
  });
  test('/docs serves Swagger UI with local assets', async () => {
    const html = await (await app.request('/docs')).text();
    expect(html).toContain('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js');
    expect(html).not.toContain('cdn.jsdelivr');
    const js = await app.request('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});

describe('repository and statistics extensions', () => {
  test('index lists every model with its state and reason', async () => {
    const j = await (await app.request('/v2/repository/index', { method: 'POST' })).json();
    expect(j.find((m: { name: string }) => m.name === 'simple')).toEqual({ name: 'simple', version: '1', state: 'READY' });
    expect(j.find((m: { name: string }) => m.name === 'broken').state).toBe('UNAVAILABLE');
  });

  test('statistics count requests and executions in Triton’s format', async () => {
    const j = await (await app.request('/v2/models/simple/stats')).json();
    const s = j.model_stats[0];
    expect(s.name).toBe('simple');
    expect(s.inference_stats.success.count).toBeGreaterThan(0);
    expect(s.execution_count).toBeGreaterThan(0);
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/nv_inference_request_success\{model="simple",version="1"\} [1-9]/);
  });

  test('unload → 404 on infer; load brings it back; loading a broken model → 400 with the reason', async () => {
    expect((await app.request('/v2/repository/models/simple/unload', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/v2/models/simple/ready')).status).toBe(404);
    expect((await app.request('/v2/repository/models/simple/load', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/v2/models/simple/ready')).status).toBe(200);
    const bad = await app.request('/v2/repository/models/broken/load', { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain('max_batch_size');
    expect((await app.request('/v2/repository/models/nope/load', { method: 'POST' })).status).toBe(404);
  });
});

describe("repository request bodies are read strictly, never ignored (Triton's JSON)", () => {
  const post = (path: string, body?: string) =>
    app.request(path, { method: 'POST', ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) });
  test('index {"ready": true} lists only ready versions; a bad or unknown field → 400', async () => {
    const all = await (await post('/v2/repository/index', '{}')).json();
    const ready = await (await post('/v2/repository/index', '{"ready": true}')).json();
    expect(all.some((m: { name: string }) => m.name === 'broken')).toBe(true);
    expect(ready.some((m: { name: string }) => m.name === 'broken')).toBe(false);
    expect(ready.every((m: { state: string }) => m.state === 'READY')).toBe(true);
    expect(await (await post('/v2/repository/index?ready=true')).json()).toEqual(ready);
    const bad = async (path: string, body: string | undefined, error: string) => {
      const r = await post(path, body);
      expect({ path, body, status: r.status, error: (await r.json()).error }).toEqual({ path, body, status: 400, error });
    };
    await bad('/v2/repository/index', '{"ready": 1}', 'ready: expected true or false, got 1 (JSON field)');
    await bad('/v2/repository/index', '{"redy": true}', "unknown option 'redy' (JSON field, got true): this route takes ready");
    await bad('/v2/repository/index?ready=', undefined, "ready: expected true or false, got ''");
    await bad(
      '/v2/repository/index',
      '{"ready": true, "ready": false}',
      'ready: given 2 times (JSON field true, JSON field false): give each option once, in the query or in the body',
    );
    await bad('/v2/repository/index', '[true]', 'request body must be a JSON object, got [true]');
    // Triton's config override and model files are not supported: refused, not ignored.
    await bad(
      '/v2/repository/models/simple/load',
      '{"parameters": {"config": "{}"}}',
      'parameters: expected no parameters: config overrides and model files in the request (Triton\'s "config", "file:…") are not supported; edit models/<name>/ instead, got {"config":"{}"} (JSON field)',
    );
    await bad(
      '/v2/repository/models/simple/unload',
      '{"parameters": {"unload_dependents": "yes"}}',
      "parameters.unload_dependents: expected a boolean, got 'yes' (JSON field)",
    );
  });
  test("what Triton's clients send is accepted", async () => {
    expect((await post('/v2/repository/models/simple/unload', '{"parameters": {"unload_dependents": false}}')).status).toBe(200);
    expect((await post('/v2/repository/models/simple/load', '{}')).status).toBe(200);
    expect((await post('/v2/repository/models/simple/load', '{"parameters": {}}')).status).toBe(200);
    expect((await app.request('/v2/models/simple/ready')).status).toBe(200);
  });
});

describe('headers and path parameters: the value received is quoted', () => {
  test('an empty or repeated Inference-Header-Content-Length → 400 quoting it', async () => {
    for (const [value, got] of [
      ['', "''"],
      ['12, 12', "'12, 12'"],
      ['-1', "'-1'"],
    ]) {
      const r = await app.request('/v2/models/simple/infer', { method: 'POST', body: '{}', headers: { 'Inference-Header-Content-Length': value } });
      expect(r.status).toBe(400);
      expect((await r.json()).error).toBe(`header inference-header-content-length: must be a non-negative integer, got ${got}`);
    }
  });
  test('a version that is not a number', async () => {
    for (const path of ['/v2/models/simple/versions/x1', '/v2/models/simple/versions/x1/stats']) {
      const r = await app.request(path);
      expect(r.status).toBe(400);
      expect((await r.json()).error).toBe("path parameter model_version: must be a number, got 'x1'");
    }
  });
});

describe('compressed requests', () => {
  test('gzip body (as Triton clients may send) is inflated; a gzip bomb gets 413', async () => {
    const body = Bun.gzipSync(
      new TextEncoder().encode(
        JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
            { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
          ],
        }),
      ),
    );
    const r = await app.request('/v2/models/simple/infer', { method: 'POST', body, headers: { 'Content-Encoding': 'gzip' } });
    expect(r.status).toBe(200);
    const bomb = Bun.gzipSync(new Uint8Array(64 * 1024 * 1024));
    const rb = await app.request('/v2/models/simple/infer', { method: 'POST', body: bomb, headers: { 'Content-Encoding': 'gzip' } });
    expect(rb.status).toBe(413);
  });
});
