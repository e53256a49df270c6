// The gRPC service end to end, over the network, on the real stack (face models, `simple`, the
// native engine) with REST served by the same DataPlane: every method through an independent
// client (grpc-js + protobufjs, with tritonclient's channel options and requests) and Connect's
// client (gRPC, gRPC-Web and Connect protocols), raw and typed contents, a 5 MB image tensor,
// streaming, errors with their status codes and REST's messages, deadlines leaving the queue,
// 64 concurrent calls, gRPC == REST on face_detect, and statistics counting both protocols.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { DataPlane } from '../src/core/dataplane.ts';
import { buildSimpleModel } from '../src/onnx/build-simple.ts';
import { type GrpcListener, startGrpcServer } from '../src/runtime/grpc-server.ts';
import { faceApp } from './face-app.ts';
import { type Msg, type TritonStyleClient, bytesElement, connectClient, readLe32, simpleInputs, tritonInferRequest, tritonStyle } from './grpc-clients.ts';
import { FIXTURES, MODELS } from './helpers.ts';

let built: Awaited<ReturnType<typeof faceApp>>;
let dp: DataPlane;
let grpc: GrpcListener;
let client: TritonStyleClient;
let bigImage: Uint8Array;
const logs: string[] = [];
const astronaut = new Uint8Array(await Bun.file(join(FIXTURES, 'astronaut.jpg')).arrayBuffer());

/** A copy of `simple` that waits up to 10 s to fill a batch and queues at most 2 requests. */
function addSlowSimple(repo: string) {
  const cfg = JSON.parse(require('node:fs').readFileSync(join(MODELS, 'simple', 'config.json'), 'utf8'));
  mkdirSync(join(repo, 'simple_slow', '1'), { recursive: true });
  cfg.name = 'simple_slow';
  cfg.dynamic_batching = { max_queue_delay_microseconds: 10_000_000, default_queue_policy: { max_queue_size: 2 } };
  writeFileSync(join(repo, 'simple_slow', 'config.json'), JSON.stringify(cfg));
  writeFileSync(join(repo, 'simple_slow', '1', 'model.onnx'), buildSimpleModel());
}

/** ~5 MB JPEG: the astronaut at 3200x2400 with noise (so it does not compress), face intact. */
async function fiveMegabyteJpeg(): Promise<Uint8Array> {
  const src = await loadImage(astronaut);
  const c = createCanvas(3200, 2400);
  const ctx = c.getContext('2d');
  ctx.drawImage(src, 0, 0, 3200, 2400);
  const img = ctx.getImageData(0, 0, 3200, 2400);
  let s = 1;
  for (let i = 0; i < img.data.length; i++) {
    if ((i & 3) === 3) continue;
    s = (s * 1103515245 + 12345) >>> 0;
    img.data[i] = Math.max(0, Math.min(255, img.data[i] + ((s >>> 24) % 65) - 32));
  }
  ctx.putImageData(img, 0, 0);
  return new Uint8Array(await c.encode('jpeg', 96));
}

beforeAll(async () => {
  built = await faceApp(addSlowSimple);
  dp = built.dataPlane;
  grpc = await startGrpcServer(dp, { host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 2 ** 20, log: (l, m) => logs.push(`${l} ${m}`) });
  client = tritonStyle(grpc.address);
  bigImage = await fiveMegabyteJpeg();
}, 60_000);

afterAll(async () => {
  client?.close();
  await grpc?.close();
  await dp?.shutdown();
  rmSync(built.repo, { recursive: true, force: true });
});

const rest = (path: string, init?: RequestInit) => built.app.request(path, init);
const restJson = async (path: string, init?: RequestInit) => (await rest(path, init)).json() as Promise<Msg>;

/** REST infer with Triton's binary extension: BYTES image in, binary outputs back. */
async function restDetect(image: Uint8Array): Promise<Map<string, Uint8Array>> {
  const header = JSON.stringify({
    inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: image.byteLength + 4 } }],
    outputs: [
      { name: 'scores', parameters: { binary_data: true } },
      { name: 'boxes', parameters: { binary_data: true } },
    ],
  });
  const body = Buffer.concat([Buffer.from(header), bytesElement(image)]);
  const r = await rest('/v2/models/face_detect/infer', { method: 'POST', body, headers: { 'Inference-Header-Content-Length': String(header.length) } });
  expect(r.status).toBe(200);
  const buf = new Uint8Array(await r.arrayBuffer());
  const n = Number(r.headers.get('Inference-Header-Content-Length'));
  const json = JSON.parse(new TextDecoder().decode(buf.subarray(0, n)));
  const out = new Map<string, Uint8Array>();
  let o = n;
  for (const t of json.outputs) {
    const size = t.parameters.binary_data_size;
    out.set(t.name, buf.subarray(o, o + size));
    o += size;
  }
  return out;
}

/** The best face's score and box from face_detect's raw outputs (scores [1,N,2], boxes [1,N,4]). */
function bestFace(scores: Uint8Array, boxes: Uint8Array) {
  const s = new Float32Array(Uint8Array.from(scores).buffer);
  const b = new Float32Array(Uint8Array.from(boxes).buffer);
  let best = 0;
  for (let i = 1; i < s.length / 2; i++) if (s[i * 2 + 1] > s[best * 2 + 1]) best = i;
  return { score: s[best * 2 + 1], box: [...b.subarray(best * 4, best * 4 + 4)] };
}

const grpcDetect = (image: Uint8Array, id?: string) =>
  tritonInferRequest('face_detect', [{ name: 'input', datatype: 'BYTES', shape: [1], raw: bytesElement(image) }], { id });

/** The gRPC error a call fails with (grpc-js ServiceError: code, details). */
async function grpcError(p: Promise<unknown>): Promise<{ code: number; details: string; metadata: Msg }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; details: string; metadata: Msg };
  }
  throw new Error('the call succeeded');
}

describe("every method, grpc-js with tritonclient's channel options", () => {
  test('ServerLive, ServerReady, ServerMetadata equal REST', async () => {
    expect(await client.call('ServerLive', {})).toEqual({ live: true });
    expect(await client.call('ServerReady', {})).toEqual({ ready: (await rest('/v2/health/ready')).status === 200 });
    expect(await client.call('ServerMetadata', {})).toEqual(await restJson('/v2'));
  });

  test('ModelReady: by name and by version (tritonclient sends version "")', async () => {
    expect(await client.call('ModelReady', { name: 'simple', version: '' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'face_detect', version: '1' })).toEqual({ ready: true });
  });

  test('ModelMetadata equals REST (int64 shapes as numbers)', async () => {
    for (const name of ['simple', 'face_detect']) {
      const m = await client.call('ModelMetadata', { name, version: '' });
      const r = await restJson(`/v2/models/${name}`);
      const shapes = (ts: Msg[]) => ts.map((t: Msg) => ({ ...t, shape: t.shape.map(Number) }));
      expect({ ...m, inputs: shapes(m.inputs), outputs: shapes(m.outputs) }).toEqual(r);
    }
  });

  test("ModelConfig is Triton's ModelConfig message with the config.json values", async () => {
    const { config } = await client.call('ModelConfig', { name: 'simple', version: '' });
    const r = await restJson('/v2/models/simple/config');
    expect(config.name).toBe('simple');
    expect(config.max_batch_size).toBe(r.max_batch_size);
    expect(config.input.map((i: Msg) => [i.name, i.data_type, i.dims.map(Number)])).toEqual(r.input.map((i: Msg) => [i.name, i.data_type, i.dims]));
    expect(config.output.map((i: Msg) => i.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
    expect(config.scheduling_choice).toBe('dynamic_batching');
    expect(config.parameters.description.string_value).toBe(r.parameters.description.string_value);
    const fd = (await client.call('ModelConfig', { name: 'face_detect', version: '1' })).config;
    expect(fd.input[0].dims.map(Number)).toEqual([1, 3, 240, 320]);
  });

  test('ModelInfer on simple: raw contents, request id, outputs by name', async () => {
    const { inputs } = simpleInputs();
    const r = await client.call('ModelInfer', tritonInferRequest('simple', inputs, { id: 'req-7', outputs: ['OUTPUT1'] }));
    expect(r.id).toBe('req-7');
    expect(r.model_name).toBe('simple');
    expect(r.model_version).toBe('1');
    expect(r.outputs.map((o: Msg) => [o.name, o.datatype, o.shape.map(Number)])).toEqual([['OUTPUT1', 'INT32', [1, 16]]]);
    expect(readLe32(r.raw_output_contents[0])).toEqual(Array.from({ length: 16 }, (_, i) => i - 1));
  });

  test('ModelInfer batch 3: outputs for every row', async () => {
    const { a, b, inputs } = simpleInputs(3);
    const r = await client.call('ModelInfer', tritonInferRequest('simple', inputs));
    expect(r.id).toBe('');
    expect(r.outputs.map((o: Msg) => o.shape.map(Number))).toEqual([
      [3, 16],
      [3, 16],
    ]);
    expect(readLe32(r.raw_output_contents[0])).toEqual(a.map((x, i) => x + b[i]));
    expect(readLe32(r.raw_output_contents[1])).toEqual(a.map((x, i) => x - b[i]));
  });

  test('ModelInfer with typed contents equals raw', async () => {
    const { a, b } = simpleInputs();
    const r = await client.call('ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: a } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: b } },
      ],
    });
    expect(readLe32(r.raw_output_contents[0])).toEqual(a.map((x, i) => x + b[i]));
  });

  test('ModelStatistics equals REST', async () => {
    const g = await client.call('ModelStatistics', { name: 'simple', version: '' });
    const r = await restJson('/v2/models/simple/stats');
    expect(g.model_stats.length).toBe(1);
    const [gs, rs] = [g.model_stats[0], r.model_stats[0]];
    expect([gs.name, gs.version, Number(gs.inference_count), Number(gs.execution_count)]).toEqual([
      rs.name,
      rs.version,
      rs.inference_count,
      rs.execution_count,
    ]);
    expect(Number(gs.inference_stats.success.count)).toBe(rs.inference_stats.success.count);
    expect(Number(gs.inference_stats.success.ns)).toBe(rs.inference_stats.success.ns);
    const all = await client.call('ModelStatistics', { name: '', version: '' });
    const restAll = await restJson('/v2/models/stats');
    expect(all.model_stats.map((s: Msg) => s.name).sort()).toEqual(restAll.model_stats.map((s: Msg) => s.name).sort());
    expect(all.model_stats.map((s: Msg) => s.name)).toEqual(expect.arrayContaining(['face_detect', 'face_embed', 'simple', 'simple_slow']));
  });

  test('RepositoryIndex, RepositoryModelUnload (as tritonclient sends it), RepositoryModelLoad', async () => {
    const idx = await client.call('RepositoryIndex', {});
    expect(idx.models.map((m: Msg) => [m.name, m.version, m.state])).toEqual(
      (await restJson('/v2/repository/index', { method: 'POST' })).map((m: Msg) => [m.name, m.version ?? '', m.state]),
    );
    // tritonclient's unload_model always sets parameters["unload_dependents"].bool_param.
    expect(await client.call('RepositoryModelUnload', { model_name: 'face_embed', parameters: { unload_dependents: { bool_param: false } } })).toEqual({});
    const after = await client.call('RepositoryIndex', {});
    expect(after.models.find((m: Msg) => m.name === 'face_embed')).toMatchObject({ state: 'UNAVAILABLE', reason: 'unloaded' });
    expect((await client.call('RepositoryIndex', { ready: true })).models.map((m: Msg) => m.name)).not.toContain('face_embed');
    expect((await grpcError(client.call('ModelReady', { name: 'face_embed', version: '' }))).code).toBe(5);
    expect(await client.call('RepositoryModelLoad', { model_name: 'face_embed' })).toEqual({});
    expect(await client.call('ModelReady', { name: 'face_embed', version: '' })).toEqual({ ready: true });
  });

  test('ModelStreamInfer: responses in order, a bad request answers error_message and the stream goes on', async () => {
    const { a, b, inputs } = simpleInputs();
    const stream = client.stream();
    const got: Msg[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (d: Msg) => got.push(d));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 10; i++) {
      const req =
        i === 4
          ? tritonInferRequest('simple', [{ ...inputs[0], shape: [1, 15], raw: inputs[0].raw.subarray(0, 60) }, inputs[1]], { id: `s${i}` })
          : tritonInferRequest('simple', inputs, { id: `s${i}` });
      stream.write(req);
    }
    stream.end();
    await done;
    expect(got.map((r) => r.infer_response.id)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`));
    const restErr = await restJson('/v2/models/simple/infer', {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 15], datatype: 'INT32', data: a.slice(0, 15) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
      }),
    });
    expect(got[4].error_message).toBe(restErr.error);
    expect(got[4].error_message).toBe("input 'INPUT0': expected shape [-1,16], got [1,15]");
    for (const [i, r] of got.entries()) {
      if (i === 4) continue;
      expect(r.error_message).toBe('');
      expect(readLe32(r.infer_response.raw_output_contents[0])).toEqual(a.map((x, j) => x + b[j]));
    }
  });

  test('shared memory, trace and log settings answer UNIMPLEMENTED', async () => {
    for (const m of ['SystemSharedMemoryStatus', 'CudaSharedMemoryRegister', 'TraceSetting', 'LogSettings']) {
      expect((await grpcError(client.call(m, {}))).code).toBe(12);
    }
  });
});

describe("Connect's client, every protocol", () => {
  for (const protocol of ['grpc', 'grpc-web', 'connect'] as const) {
    test(`${protocol}: health, metadata, config, infer, stream, statistics, index`, async () => {
      const c = connectClient(grpc.address, protocol);
      expect((await c.serverLive({})).live).toBe(true);
      expect((await c.serverMetadata({})).extensions).toEqual((await restJson('/v2')).extensions);
      expect((await c.modelReady({ name: 'simple' })).ready).toBe(true);
      expect((await c.modelMetadata({ name: 'face_detect' })).inputs[0].shape).toEqual([1n, 3n, 240n, 320n]);
      expect((await c.modelConfig({ name: 'face_detect' })).config?.output.map((o) => o.name)).toEqual(['scores', 'boxes']);
      const { a, b } = simpleInputs();
      const r = await c.modelInfer({
        modelName: 'simple',
        id: protocol,
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: a } },
          { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: b } },
        ],
      });
      expect(r.id).toBe(protocol);
      expect(readLe32(r.rawOutputContents[1])).toEqual(a.map((x, i) => x - b[i]));
      expect((await c.modelStatistics({ name: 'simple' })).modelStats[0].inferenceCount).toBeGreaterThan(0n);
      expect((await c.repositoryIndex({})).models.length).toBe(((await restJson('/v2/repository/index', { method: 'POST' })) as Msg[]).length);
      // Bidirectional streaming needs HTTP/2 end to end, which all three have here.
      async function* two() {
        for (const id of ['x', 'y'])
          yield {
            modelName: 'simple',
            id,
            inputs: [
              { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: a } },
              { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: b } },
            ],
          };
      }
      const ids: string[] = [];
      for await (const s of c.modelStreamInfer(two())) ids.push(s.inferResponse!.id);
      expect(ids).toEqual(['x', 'y']);
    });
  }
});

describe('images: BYTES inputs as over REST', () => {
  test("face_detect on astronaut.jpg: gRPC raw outputs are byte-identical to REST's", async () => {
    const viaRest = await restDetect(astronaut);
    const r = await client.call('ModelInfer', grpcDetect(astronaut, 'face'));
    expect(r.outputs.map((o: Msg) => o.name)).toEqual(['scores', 'boxes']);
    expect(Buffer.compare(r.raw_output_contents[0], Buffer.from(viaRest.get('scores')!))).toBe(0);
    expect(Buffer.compare(r.raw_output_contents[1], Buffer.from(viaRest.get('boxes')!))).toBe(0);
    const face = bestFace(r.raw_output_contents[0], r.raw_output_contents[1]);
    expect(face.score).toBeGreaterThan(0.9);
    // The decoded image's size rides along as response parameters, as over REST (astronaut: 512x512).
    expect([Number(r.parameters.image_width.int64_param), Number(r.parameters.image_height.int64_param)]).toEqual([512, 512]);
  });

  test('a 5 MB image tensor, raw (grpc-js) and typed bytes_contents (Connect), equals REST', async () => {
    expect(bigImage.byteLength).toBeGreaterThan(5_000_000);
    const viaRest = await restDetect(bigImage);
    const t0 = performance.now();
    const raw = await client.call('ModelInfer', grpcDetect(bigImage));
    const ms = performance.now() - t0;
    expect(Buffer.compare(raw.raw_output_contents[0], Buffer.from(viaRest.get('scores')!))).toBe(0);
    const typed = await connectClient(grpc.address).modelInfer({
      modelName: 'face_detect',
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1n], contents: { bytesContents: [bigImage] } }],
    });
    expect(Buffer.compare(Buffer.from(typed.rawOutputContents[1]), Buffer.from(viaRest.get('boxes')!))).toBe(0);
    expect(bestFace(raw.raw_output_contents[0], raw.raw_output_contents[1]).score).toBeGreaterThan(0.9);
    console.log(`5 MB image over gRPC: ${(bigImage.byteLength / 1e6).toFixed(2)} MB, ${ms.toFixed(0)} ms round trip (decode + detect included)`);
  });

  test("not an image: REST's 415 message, INVALID_ARGUMENT", async () => {
    const junk = new TextEncoder().encode('definitely not a jpeg');
    const e = await grpcError(client.call('ModelInfer', grpcDetect(junk)));
    const header = JSON.stringify({ inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: junk.byteLength + 4 } }] });
    const r = await rest('/v2/models/face_detect/infer', {
      method: 'POST',
      body: Buffer.concat([Buffer.from(header), bytesElement(junk)]),
      headers: { 'Inference-Header-Content-Length': String(header.length) },
    });
    expect(r.status).toBe(415);
    expect(e.code).toBe(3);
    expect(e.details).toBe(((await r.json()) as Msg).error);
  });
});

describe("errors: status codes and REST's messages", () => {
  const cases: Array<[string, Msg, string, number, number]> = [
    ['unknown model', tritonInferRequest('nope', simpleInputs().inputs), '/v2/models/nope/infer', 404, 5],
    ['unknown version', tritonInferRequest('simple', simpleInputs().inputs, { version: '9' }), '/v2/models/simple/versions/9/infer', 404, 5],
  ];
  for (const [what, req, path, status, code] of cases) {
    test(what, async () => {
      const e = await grpcError(client.call('ModelInfer', req));
      const r = await rest(path, { method: 'POST', body: JSON.stringify({ inputs: [] }) });
      expect(r.status).toBe(status);
      expect(e.code).toBe(code);
      expect(e.details).toBe(((await r.json()) as Msg).error);
    });
  }

  test("wrong datatype and missing input: INVALID_ARGUMENT with REST's message", async () => {
    const { a, b, inputs } = simpleInputs();
    const wrong = await grpcError(client.call('ModelInfer', tritonInferRequest('simple', [{ ...inputs[0], datatype: 'FP32' }, inputs[1]])));
    const restWrong = await restJson('/v2/models/simple/infer', {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: a },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
        ],
      }),
    });
    expect(wrong.code).toBe(3);
    expect(wrong.details).toBe(restWrong.error);
    const missing = await grpcError(client.call('ModelInfer', tritonInferRequest('simple', [inputs[1]])));
    const restMissing = await restJson('/v2/models/simple/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b }] }),
    });
    expect(missing.code).toBe(3);
    expect(missing.details).toBe(restMissing.error);
  });

  test('malformed requests name the field: empty model_name, raw count, unknown output', async () => {
    expect(await grpcError(client.call('ModelInfer', { model_name: '' }))).toMatchObject({ code: 3, details: 'model_name is empty: name the model' });
    const { inputs } = simpleInputs();
    const short = tritonInferRequest('simple', inputs);
    short.raw_input_contents.pop();
    expect(await grpcError(client.call('ModelInfer', short))).toMatchObject({
      code: 3,
      details: "raw_input_contents has 1 entries but the request has 2 inputs: give one per input, in the order of 'inputs'",
    });
    const e = await grpcError(client.call('ModelInfer', tritonInferRequest('simple', inputs, { outputs: ['OUTPUT9'] })));
    expect(e.code).toBe(3);
    expect(e.details).toBe("unknown output 'OUTPUT9': the model's outputs are 'OUTPUT0', 'OUTPUT1'");
  });

  test('load: unknown model NOT_FOUND; a config override INVALID_ARGUMENT; repository_name checked', async () => {
    expect((await grpcError(client.call('RepositoryModelLoad', { model_name: 'nope' }))).code).toBe(5);
    const e = await grpcError(client.call('RepositoryModelLoad', { model_name: 'simple', parameters: { config: { string_param: '{}' } } }));
    expect(e).toMatchObject({
      code: 3,
      details: "load parameter 'config': loading with an override config or files is not supported; put the model in the repository",
    });
    expect((await grpcError(client.call('RepositoryIndex', { repository_name: 'other' }))).code).toBe(3);
  });

  test("queue full: UNAVAILABLE with REST's message; calls past their deadline leave the queue (DEADLINE_EXCEEDED)", async () => {
    const stats = () => dp.modelStats('simple_slow')[0].stats;
    const failBefore = stats().fail.count;
    const { inputs } = simpleInputs();
    // simple_slow waits 10 s to fill a batch: these two wait in its queue (max_queue_size 2).
    const waiting = [
      grpcError(client.call('ModelInfer', tritonInferRequest('simple_slow', inputs), { deadlineMs: 400 })),
      connectClient(grpc.address)
        .modelInfer(
          {
            modelName: 'simple_slow',
            inputs: [
              { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: simpleInputs().a } },
              { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n], contents: { intContents: simpleInputs().b } },
            ],
          },
          { timeoutMs: 400 },
        )
        .then(
          () => {
            throw new Error('succeeded');
          },
          (e) => e as ConnectError,
        ),
    ];
    for (let i = 0; i < 50 && stats().pending < 2; i++) await Bun.sleep(10);
    expect(stats().pending).toBe(2);
    const full = await grpcError(client.call('ModelInfer', tritonInferRequest('simple_slow', inputs)));
    const restFull = await rest('/v2/models/simple_slow/infer', { method: 'POST', body: '{}' });
    expect(restFull.status).toBe(503);
    expect(full.code).toBe(14);
    expect(full.details).toBe(((await restFull.json()) as Msg).error);
    expect(full.metadata.get('retry-after')).toEqual([restFull.headers.get('Retry-After')]);
    const t0 = performance.now();
    const [g, c] = await Promise.all(waiting);
    expect((g as { code: number }).code).toBe(4);
    expect((c as ConnectError).code).toBe(Code.DeadlineExceeded);
    // Both left the queue at their deadline, not when the 10 s batching delay ran out.
    for (let i = 0; i < 100 && stats().pending > 0; i++) await Bun.sleep(10);
    expect(stats().pending).toBe(0);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(stats().executionCount).toBe(0);
    expect(stats().fail.count - failBefore).toBe(2);
  });
});

describe('load', () => {
  test('64 concurrent ModelInfer calls on face_detect and on simple all succeed', async () => {
    const n = 64;
    const faces = await Promise.all(Array.from({ length: n }, (_, i) => client.call('ModelInfer', grpcDetect(astronaut, `c${i}`))));
    expect(faces.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => `c${i}`));
    const first = Buffer.from(faces[0].raw_output_contents[1]);
    for (const r of faces) expect(Buffer.compare(r.raw_output_contents[1], first)).toBe(0);
    const { a, b, inputs } = simpleInputs();
    const sums = await Promise.all(Array.from({ length: n }, () => client.call('ModelInfer', tritonInferRequest('simple', inputs))));
    for (const r of sums) expect(readLe32(r.raw_output_contents[0])).toEqual(a.map((x, i) => x + b[i]));
  });

  test('statistics and /metrics count REST and gRPC requests alike', async () => {
    const count = async () => {
      const g = await client.call('ModelStatistics', { name: 'simple', version: '1' });
      const r = await restJson('/v2/models/simple/versions/1/stats');
      const m = /nv_inference_request_success\{model="simple",version="1"\} (\d+)/.exec(await (await rest('/metrics')).text());
      return { grpc: Number(g.model_stats[0].inference_stats.success.count), rest: r.model_stats[0].inference_stats.success.count, metrics: Number(m?.[1]) };
    };
    const before = await count();
    expect(before.grpc).toBe(before.rest);
    expect(before.metrics).toBe(before.rest);
    const { a, b, inputs } = simpleInputs();
    for (let i = 0; i < 2; i++) {
      const r = await rest('/v2/models/simple/infer', {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
            { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
          ],
        }),
      });
      expect(r.status).toBe(200);
    }
    for (let i = 0; i < 3; i++) await client.call('ModelInfer', tritonInferRequest('simple', inputs));
    const after = await count();
    expect(after).toEqual({ grpc: before.grpc + 5, rest: before.rest + 5, metrics: before.metrics + 5 });
  });
});
