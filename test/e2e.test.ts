// End to end: the real server process (worker pool, native engine) over real HTTP — simple in
// JSON and binary, face_detect with a real image tensor equal to a direct onnxruntime run, the
// face route, errors, and a graceful SIGTERM that lets in-flight requests finish.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createCanvasDecoder } from '../src/image/decoders/canvas.ts';
import { preprocess } from '../src/image/preprocess.ts';
import { ImagePreprocessing } from '../src/core/model-config.ts';
import { FIXTURES, MODELS } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer({ WORKERS: '2' });
});
afterAll(async () => {
  await srv?.stop();
});

const a = Array.from({ length: 16 }, (_, i) => i * 3);
const b = Array.from({ length: 16 }, (_, i) => 100 - i);

describe('served over HTTP', () => {
  test('health, metadata', async () => {
    expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
    const md = await (await fetch(`${srv.url}/v2/models/face_detect`)).json();
    expect(md.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [1, 3, 240, 320] }]);
  });

  test('simple over JSON', async () => {
    const r = await fetch(`${srv.url}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
      }),
    });
    const j = await r.json();
    expect(j.outputs.find((o: { name: string }) => o.name === 'OUTPUT0').data).toEqual(a.map((x, i) => x + b[i]));
    expect(j.outputs.find((o: { name: string }) => o.name === 'OUTPUT1').data).toEqual(a.map((x, i) => x - b[i]));
  });

  test('simple over the binary extension', async () => {
    const hb = new TextEncoder().encode(
      JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
        ],
        parameters: { binary_data_output: true },
      }),
    );
    const body = new Uint8Array(hb.length + 128);
    body.set(hb);
    body.set(new Uint8Array(Int32Array.from(a).buffer), hb.length);
    body.set(new Uint8Array(Int32Array.from(b).buffer), hb.length + 64);
    const r = await fetch(`${srv.url}/v2/models/simple/infer`, { method: 'POST', body, headers: { 'Inference-Header-Content-Length': String(hb.length) } });
    const len = Number(r.headers.get('inference-header-content-length'));
    const buf = new Uint8Array(await r.arrayBuffer());
    const head = JSON.parse(new TextDecoder().decode(buf.subarray(0, len)));
    expect(head.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
    expect([...new Int32Array(buf.slice(len, len + 64).buffer)]).toEqual(a.map((x, i) => x + b[i]));
    expect([...new Int32Array(buf.slice(len + 64).buffer)]).toEqual(a.map((x, i) => x - b[i]));
  });

  test('face_detect with a real 1x3x240x320 image tensor equals a direct onnxruntime run (≤ 1e-4)', async () => {
    const img = await createCanvasDecoder().decode(new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg'))));
    const x = preprocess(img, ImagePreprocessing.parse({ width: 320, height: 240, mean: 127, std: 128 })).data as Float32Array;
    const session = await ort.InferenceSession.create(join(MODELS, 'face_detect', '1', 'model.onnx'));
    const direct = await session.run({ input: new ort.Tensor('float32', x, [1, 3, 240, 320]) });

    const hb = new TextEncoder().encode(
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1, 3, 240, 320], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }],
        outputs: [
          { name: 'scores', parameters: { binary_data: true } },
          { name: 'boxes', parameters: { binary_data: true } },
        ],
      }),
    );
    const body = new Uint8Array(hb.length + x.byteLength);
    body.set(hb);
    body.set(new Uint8Array(x.buffer), hb.length);
    const r = await fetch(`${srv.url}/v2/models/face_detect/infer`, {
      method: 'POST',
      body,
      headers: { 'Inference-Header-Content-Length': String(hb.length) },
    });
    expect(r.status).toBe(200);
    const len = Number(r.headers.get('inference-header-content-length'));
    const buf = new Uint8Array(await r.arrayBuffer());
    const head = JSON.parse(new TextDecoder().decode(buf.subarray(0, len)));
    expect(head.outputs.map((o: { shape: number[] }) => o.shape)).toEqual([
      [1, 4420, 2],
      [1, 4420, 4],
    ]);
    const scores = new Float32Array(buf.slice(len, len + 4420 * 2 * 4).buffer);
    const boxes = new Float32Array(buf.slice(len + 4420 * 2 * 4).buffer);
    const maxDiff = (p: Float32Array, q: Float32Array) => p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
    expect(maxDiff(scores, direct.scores.data as Float32Array)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(boxes, direct.boxes.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });

  test('face detection over HTTP on a real JPEG', async () => {
    const f = new FormData();
    f.append('image', new Blob([readFileSync(join(FIXTURES, 'astronaut.jpg'))]), 'astronaut.jpg');
    const j = await (await fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: f })).json();
    expect(j.faces).toHaveLength(1);
  });

  test('unknown model → 404 {"error"}; wrong shape → 400 naming the tensor', async () => {
    const nf = await fetch(`${srv.url}/v2/models/nope/infer`, { method: 'POST', body: '{"inputs":[]}' });
    expect(nf.status).toBe(404);
    expect(Object.keys(await nf.json())).toEqual(['error']);
    const bad = await fetch(`${srv.url}/v2/models/face_detect/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3, 2, 2], datatype: 'FP32', data: Array(12).fill(0) }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/'input'.*\[1,3,240,320\].*\[1,3,2,2\]/);
  });
});

describe('abandoned requests', () => {
  test('a client that disconnects has its queued work dropped, and the server keeps serving', async () => {
    const jpeg = readFileSync(join(FIXTURES, 'astronaut.jpg'));
    const before = (await (await fetch(`${srv.url}/v2/models/face_detect/stats`)).json()).model_stats[0].inference_count;
    const ac = new AbortController();
    const n = 200;
    const sent = Array.from({ length: n }, () => {
      const f = new FormData();
      f.append('image', new Blob([jpeg]), 'a.jpg');
      return fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: f, signal: ac.signal }).then(
        () => 'done',
        () => 'aborted',
      );
    });
    await Bun.sleep(30);
    ac.abort();
    const outcomes = await Promise.all(sent);
    await Bun.sleep(300);
    const after = (await (await fetch(`${srv.url}/v2/models/face_detect/stats`)).json()).model_stats[0].inference_count;
    // Most of the 200 were still queued when their clients went away: they never ran.
    expect(outcomes.filter((o) => o === 'aborted').length).toBeGreaterThan(0);
    expect(after - before).toBeLessThan(n);
    const f = new FormData();
    f.append('image', new Blob([jpeg]), 'a.jpg');
    expect((await fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: f })).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM: requests in flight complete, then the process exits 0', async () => {
    const f = () => {
      const form = new FormData();
      form.append('image', new Blob([readFileSync(join(FIXTURES, 'astronaut.jpg'))]), 'a.jpg');
      // A connection refused (the listener already closed) was never accepted; any other
      // network error is an accepted request dropped: a failure.
      return fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: form }).then(
        (r) => String(r.status),
        (e: { code?: string; message?: string }) =>
          e.code === 'ConnectionRefused' || e.code === 'ECONNREFUSED' ? 'refused' : `dropped: ${e.code ?? e.message}`,
      );
    };
    const inflight = Array.from({ length: 16 }, f);
    await Bun.sleep(5);
    const exit = srv.stop();
    const statuses = await Promise.all(inflight);
    // Each request either finished (200), was refused with 503 while draining, or never got in.
    expect(statuses.filter((s) => s === '200').length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== '200' && s !== '503' && s !== 'refused')).toEqual([]);
    expect(await exit).toBe(0);
  });
});
