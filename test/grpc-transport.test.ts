// The gRPC listener itself (src/runtime/grpc-server.ts): TLS with a cert/key pair, message size
// limits, request compression (gzip and deflate, as Triton's client offers), a port already in
// use, the auth and telemetry interceptor slots, and a graceful shutdown that lets in-flight calls
// finish and ends idle streams. Over the real stack with `simple`.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http2 from 'node:http2';
import * as grpcJs from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { ConnectError, type Interceptor } from '@connectrpc/connect';
import type { DataPlane } from '../src/core/dataplane.ts';
import { EdgeError } from '../src/core/errors.ts';
import { nodeBackend } from '../src/engine/onnxruntime-node.ts';
import { ModelInferRequestSchema } from '../src/grpc/gen/grpc_service_pb.ts';
import { authorizationInterceptor } from '../src/grpc/hooks.ts';
import { buildSimpleModel } from '../src/onnx/build-simple.ts';
import { type GrpcListener, type GrpcServerOptions, startGrpcServer } from '../src/runtime/grpc-server.ts';
import { type Msg, readLe32, simpleInputs, tritonInferRequest, tritonStyle } from './grpc-clients.ts';
import { MODELS, buildApp, tempRepository } from './helpers.ts';

let repo: string;
let dp: DataPlane;
let dir: string;
const log = () => {};

beforeAll(async () => {
  repo = tempRepository();
  // `simple` that waits 300 ms to fill a batch: a call that is certainly in flight for a while.
  const cfg = JSON.parse(readFileSync(join(MODELS, 'simple', 'config.json'), 'utf8'));
  mkdirSync(join(repo, 'simple_wait', '1'), { recursive: true });
  writeFileSync(
    join(repo, 'simple_wait', 'config.json'),
    JSON.stringify({ ...cfg, name: 'simple_wait', dynamic_batching: { max_queue_delay_microseconds: 300_000 } }),
  );
  writeFileSync(join(repo, 'simple_wait', '1', 'model.onnx'), buildSimpleModel());
  ({ dataPlane: dp } = await buildApp(repo, nodeBackend()));
  dir = mkdtempSync(join(tmpdir(), 'edgeserve-tls-'));
}, 60_000);
afterAll(async () => {
  await dp?.shutdown();
  rmSync(repo, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const listen = (o: Partial<GrpcServerOptions> = {}) => startGrpcServer(dp, { host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 2 ** 20, log, ...o });
const infer = (model = 'simple') => tritonInferRequest(model, simpleInputs().inputs);
async function failure(p: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; details: string };
  }
  throw new Error('the call succeeded');
}

test('TLS with a cert/key pair: a TLS client is served, an h2c client is not', async () => {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  const g = await listen({ tlsCert: cert, tlsKey: key });
  try {
    expect(g.tls).toBe(true);
    const secure = tritonStyle(`localhost:${g.port}`, { credentials: grpcJs.credentials.createSsl(readFileSync(cert)) });
    expect(await secure.call('ServerLive', {})).toEqual({ live: true });
    expect((await secure.call('ModelInfer', infer())).outputs.length).toBe(2);
    secure.close();
    const plain = tritonStyle(`127.0.0.1:${g.port}`);
    expect((await failure(plain.call('ServerLive', {}, { deadlineMs: 2000 }))).code).not.toBe(0);
    plain.close();
  } finally {
    await g.close();
  }
  await expect(listen({ tlsCert: cert })).rejects.toThrow('gRPC TLS needs both GRPC_TLS_CERT and GRPC_TLS_KEY (got only GRPC_TLS_CERT)');
  await expect(listen({ tlsCert: join(dir, 'missing.pem'), tlsKey: key })).rejects.toThrow(`GRPC_TLS_CERT ${join(dir, 'missing.pem')}: ENOENT`);
});

test('a message over GRPC_MAX_MESSAGE_BYTES is refused with RESOURCE_EXHAUSTED; one under it is served', async () => {
  const g = await listen({ maxMessageBytes: 64 * 1024 });
  try {
    const c = tritonStyle(g.address);
    const big = tritonInferRequest('simple', [...simpleInputs().inputs, { name: 'PAD', datatype: 'UINT8', shape: [100_000], raw: new Uint8Array(100_000) }]);
    const e = await failure(c.call('ModelInfer', big));
    expect(e.code).toBe(8);
    expect(e.details).toContain('65536');
    expect((await c.call('ModelInfer', infer())).outputs.length).toBe(2);
    c.close();
  } finally {
    await g.close();
  }
});

test('compressed requests (gzip, deflate) are accepted; responses go uncompressed', async () => {
  const seen: Array<string | null> = [];
  const telemetry: Interceptor = (next) => async (req) => {
    seen.push(req.header.get('grpc-encoding'));
    return next(req);
  };
  const g = await listen({ hooks: { telemetry } });
  try {
    for (const [algorithm, name] of [
      [1, 'deflate'],
      [2, 'gzip'],
    ] as const) {
      seen.length = 0;
      const c = tritonStyle(g.address, { options: { 'grpc.default_compression_algorithm': algorithm } });
      // grpc-js compresses once it has seen the server accept the encoding.
      for (let i = 0; i < 3; i++) {
        const r = await c.call('ModelInfer', infer());
        // The values, not just the size: decoded tensors are views into the decompressed buffer.
        expect(readLe32(r.raw_output_contents[0])).toEqual(simpleInputs().a.map((x, j) => x + simpleInputs().b[j]));
      }
      expect(seen).toContain(name);
      c.close();
    }
    // A client accepting gzip gets a >1 KiB answer (simple, batch 8) uncompressed all the same.
    const session = http2.connect(`http://${g.address}`);
    const msg = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: 'simple',
        inputs: simpleInputs(8).inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape: shape.map(BigInt) })),
        rawInputContents: simpleInputs(8).inputs.map((i) => i.raw),
      }),
    );
    const frame = new Uint8Array(5 + msg.byteLength);
    new DataView(frame.buffer).setUint32(1, msg.byteLength);
    frame.set(msg, 5);
    const req = session.request({
      ':method': 'POST',
      ':path': '/inference.GRPCInferenceService/ModelInfer',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-accept-encoding': 'gzip',
    });
    const chunks: Uint8Array[] = [];
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => {
      req.on('response', resolve);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.end(frame);
    });
    await new Promise((r) => req.on('end', r));
    session.close();
    const body = Buffer.concat(chunks);
    // Connect names the negotiated encoding in the headers but flags each message; this one is
    // not compressed.
    expect(Number(headers[':status'])).toBe(200);
    expect(body[0]).toBe(0);
    expect(body.readUInt32BE(1)).toBeGreaterThan(1024);
  } finally {
    await g.close();
  }
});

test('a port already in use fails the start with the port named', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as { port: number }).port;
  try {
    await expect(listen({ port })).rejects.toThrow(`gRPC port ${port} on 127.0.0.1 is already in use (set GRPC_PORT to another port, or GRPC_PORT=off)`);
    const first = await listen();
    await expect(listen({ port: first.port })).rejects.toThrow('already in use');
    await first.close();
  } finally {
    taken.close();
  }
});

describe('interceptor slots', () => {
  let g: GrpcListener;
  const calls: string[] = [];
  beforeAll(async () => {
    const telemetry: Interceptor = (next) => async (req) => {
      try {
        const res = await next(req);
        calls.push(`${req.method.name} ok`);
        return res;
      } catch (e) {
        calls.push(`${req.method.name} ${ConnectError.from(e).code}`);
        throw e;
      }
    };
    const auth = authorizationInterceptor((authorization, call) => {
      if (authorization !== 'Bearer sesame') throw new EdgeError('UNAUTHENTICATED', 'a valid bearer token is required');
      if (call.method === 'RepositoryModelLoad') throw new EdgeError('PERMISSION_DENIED', `this key may not call ${call.method}`);
    });
    g = await listen({ hooks: { telemetry, auth } });
  });
  afterAll(async () => {
    await g?.close();
  });

  test('auth sees the authorization metadata and the method; telemetry sees every call, refused ones too', async () => {
    const c = tritonStyle(g.address);
    expect(await failure(c.call('ModelInfer', infer()))).toMatchObject({ code: 16, details: 'a valid bearer token is required' });
    const ok: Msg = await c.call('ModelInfer', infer(), { metadata: { authorization: 'Bearer sesame' } });
    expect(ok.outputs.length).toBe(2);
    expect(await failure(c.call('RepositoryModelLoad', { model_name: 'simple' }, { metadata: { authorization: 'Bearer sesame' } }))).toMatchObject({
      code: 7,
      details: 'this key may not call RepositoryModelLoad',
    });
    const s = c.stream({ authorization: 'Bearer nope' });
    const streamErr = await new Promise<{ code: number }>((resolve) => {
      s.on('error', resolve);
      s.on('data', () => {});
      s.write(infer());
      s.end();
    });
    expect(streamErr.code).toBe(16);
    c.close();
    expect(calls).toEqual(['ModelInfer 16', 'ModelInfer ok', 'RepositoryModelLoad 7', 'ModelStreamInfer 16']);
  });
});

test('shutdown: in-flight calls finish, new connections are refused, an idle stream is ended', async () => {
  const g = await listen();
  const c = tritonStyle(g.address);
  expect(await c.call('ServerLive', {})).toEqual({ live: true });
  const idle = c.stream();
  const idleEnded = new Promise<{ code: number }>((resolve) => {
    idle.on('error', resolve);
    idle.on('data', () => {});
  });
  const inFlight = c.call('ModelInfer', infer('simple_wait'));
  await Bun.sleep(50); // queued: simple_wait holds it 300 ms for a batch
  g.stopAccepting();
  const late = tritonStyle(g.address);
  expect((await failure(late.call('ServerLive', {}, { deadlineMs: 1500 }))).code).toBe(14);
  late.close();
  expect(((await inFlight) as Msg).outputs.length).toBe(2);
  const t0 = performance.now();
  await g.close();
  expect(performance.now() - t0).toBeLessThan(3000);
  expect((await idleEnded).code).toBe(14);
  c.close();
});
