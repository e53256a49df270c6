// The fetch-handler transport (src/grpc/fetch.ts, what Cloudflare Workers serve): the Connect
// protocol (JSON and binary) and gRPC-Web on the REST app's own routes, spoken here as raw HTTP
// requests exactly as those protocols define them (so the test does not lean on Connect's
// client), over the real stack with `simple`. Unary methods; streams and native gRPC are refused.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DataPlane } from '../src/core/dataplane.ts';
import { nodeBackend } from '../src/engine/onnxruntime-node.ts';
import { mountGrpcWeb } from '../src/grpc/fetch.ts';
import { ModelInferRequestSchema, ModelInferResponseSchema } from '../src/grpc/gen/grpc_service_pb.ts';
import { le32, readLe32, simpleInputs } from './grpc-clients.ts';
import { buildApp, tempRepository } from './helpers.ts';

const NO_LOAD = 'model load/unload is fixed here';
let repo: string;
let dp: DataPlane;
let app: Awaited<ReturnType<typeof buildApp>>['app'];
beforeAll(async () => {
  repo = tempRepository();
  ({ app, dataPlane: dp } = await buildApp(repo, nodeBackend(), undefined, [
    (a, d) => mountGrpcWeb(a, d, { maxMessageBytes: 1024 * 1024, repositoryControlDisabled: NO_LOAD }),
  ]));
}, 60_000);
afterAll(async () => {
  await dp?.shutdown();
  rmSync(repo, { recursive: true, force: true });
});

const path = (m: string) => `/inference.GRPCInferenceService/${m}`;
const connectJson = (m: string, body: unknown) =>
  app.request(path(m), {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', 'Connect-Protocol-Version': '1' },
  });
const { a, b } = simpleInputs();
const typedInputs = [
  { name: 'INPUT0', datatype: 'INT32', shape: ['1', '16'], contents: { intContents: a } },
  { name: 'INPUT1', datatype: 'INT32', shape: ['1', '16'], contents: { intContents: b } },
];

test('Connect JSON: unary methods, typed contents in, raw contents (base64) out', async () => {
  expect(await (await connectJson('ServerLive', {})).json()).toEqual({ live: true });
  expect(await (await connectJson('ModelReady', { name: 'simple' })).json()).toEqual({ ready: true });
  const r = await connectJson('ModelInfer', { modelName: 'simple', id: 'w1', inputs: typedInputs });
  expect(r.status).toBe(200);
  const j = (await r.json()) as { id: string; outputs: Array<{ name: string; shape: string[] }>; rawOutputContents: string[] };
  expect(j.id).toBe('w1');
  expect(j.outputs.map((o) => [o.name, o.shape])).toEqual([
    ['OUTPUT0', ['1', '16']],
    ['OUTPUT1', ['1', '16']],
  ]);
  expect(readLe32(Buffer.from(j.rawOutputContents[0], 'base64'))).toEqual(a.map((x, i) => x + b[i]));
});

test('Connect errors: the same codes and messages (not_found, invalid_argument, unimplemented)', async () => {
  const missing = await connectJson('ModelInfer', { modelName: 'nope', inputs: typedInputs });
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ code: 'not_found', message: "unknown model 'nope'" });
  const load = await connectJson('RepositoryModelLoad', { modelName: 'simple' });
  expect(await load.json()).toEqual({ code: 'invalid_argument', message: NO_LOAD });
  const shm = await connectJson('SystemSharedMemoryStatus', {});
  expect(((await shm.json()) as { code: string }).code).toBe('unimplemented');
});

test('gRPC-Web binary: raw contents in, a data frame and a trailer frame with grpc-status 0 out', async () => {
  const msg = toBinary(
    ModelInferRequestSchema,
    create(ModelInferRequestSchema, {
      modelName: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n] },
      ],
      rawInputContents: [le32(a), le32(b)],
    }),
  );
  const frame = Buffer.alloc(5 + msg.byteLength);
  frame.writeUInt32BE(msg.byteLength, 1);
  frame.set(msg, 5);
  const r = await app.request(path('ModelInfer'), {
    method: 'POST',
    body: frame,
    headers: { 'Content-Type': 'application/grpc-web+proto', 'X-Grpc-Web': '1' },
  });
  expect(r.status).toBe(200);
  const body = Buffer.from(await r.arrayBuffer());
  expect(body[0]).toBe(0);
  const n = body.readUInt32BE(1);
  const resp = fromBinary(ModelInferResponseSchema, body.subarray(5, 5 + n));
  expect(readLe32(resp.rawOutputContents[1])).toEqual(a.map((x, i) => x - b[i]));
  const trailer = body.subarray(5 + n);
  expect(trailer[0]).toBe(0x80);
  expect(trailer.subarray(5).toString()).toContain('grpc-status: 0');
});

test('native gRPC and ModelStreamInfer are not offered over fetch', async () => {
  const grpc = await app.request(path('ServerLive'), { method: 'POST', body: new Uint8Array(5), headers: { 'Content-Type': 'application/grpc' } });
  expect(grpc.status).toBe(415);
  const stream = await app.request(path('ModelStreamInfer'), {
    method: 'POST',
    body: new Uint8Array(5),
    headers: { 'Content-Type': 'application/connect+json', 'Connect-Protocol-Version': '1' },
  });
  expect([stream.status, await stream.text()]).toEqual([505, '']);
});
