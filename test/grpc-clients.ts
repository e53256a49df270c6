// gRPC clients for the tests, independent of the server's code where it matters:
// - tritonStyle(): @grpc/grpc-js (its own HTTP/2 and framing) with @grpc/proto-loader
//   (protobufjs: its own protobuf codec) reading proto/*.proto, and the channel options and
//   empty metadata that tritonclient.grpc's InferenceServerClient uses (_client.py).
// - connectClient(): Connect's own client (gRPC, gRPC-Web or Connect protocol) on the
//   generated TypeScript.
// And requests built the way tritonclient builds them (_utils.py _get_inference_request).

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { GRPCInferenceService } from '../src/grpc/gen/grpc_service_pb.ts';
import { ROOT } from './helpers.ts';

const INT32_MAX = 2 ** 31 - 1;
/** tritonclient.grpc's default channel arguments (KeepAliveOptions defaults). */
export const TRITON_CHANNEL_OPTIONS = {
  'grpc.max_send_message_length': INT32_MAX,
  'grpc.max_receive_message_length': INT32_MAX,
  'grpc.keepalive_time_ms': INT32_MAX,
  'grpc.keepalive_timeout_ms': 20000,
  'grpc.keepalive_permit_without_calls': 0,
  'grpc.http2.max_pings_without_data': 2,
};

const definition = protoLoader.loadSync(join(ROOT, 'proto', 'grpc_service.proto'), {
  includeDirs: [join(ROOT, 'proto')],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const pkg = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: grpc.ServiceClientConstructor } };

// biome-ignore lint/suspicious/noExplicitAny: messages are plain objects decoded by protobufjs
export type Msg = any;

export interface TritonStyleClient {
  /** A unary call; rejects with the grpc-js ServiceError (code, details, metadata). */
  call(method: string, request: Msg, o?: { deadlineMs?: number; metadata?: Record<string, string> }): Promise<Msg>;
  stream(metadata?: Record<string, string>): grpc.ClientDuplexStream<Msg, Msg>;
  close(): void;
}

export function tritonStyle(address: string, o: { credentials?: grpc.ChannelCredentials; options?: grpc.ChannelOptions } = {}): TritonStyleClient {
  const client = new pkg.inference.GRPCInferenceService(address, o.credentials ?? grpc.credentials.createInsecure(), {
    ...TRITON_CHANNEL_OPTIONS,
    ...o.options,
  });
  const md = (m: Record<string, string> = {}) => {
    const out = new grpc.Metadata();
    for (const [k, v] of Object.entries(m)) out.set(k, v);
    return out;
  };
  return {
    call: (method, request, c = {}) =>
      new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method];
        if (!fn) throw new Error(`no method ${method}`);
        const opts = c.deadlineMs ? { deadline: Date.now() + c.deadlineMs } : {};
        fn.call(client, request, md(c.metadata), opts, (e: grpc.ServiceError | null, r: Msg) => (e ? reject(e) : resolve(r)));
      }),
    stream: (m) => (client as unknown as { ModelStreamInfer: (md: grpc.Metadata) => grpc.ClientDuplexStream<Msg, Msg> }).ModelStreamInfer(md(m)),
    close: () => client.close(),
  };
}

export type Protocol = 'grpc' | 'grpc-web' | 'connect';

export function connectClient(address: string, protocol: Protocol = 'grpc') {
  const baseUrl = `http://${address}`;
  const transport =
    protocol === 'grpc'
      ? createGrpcTransport({ baseUrl })
      : protocol === 'grpc-web'
        ? createGrpcWebTransport({ baseUrl, httpVersion: '2' })
        : createConnectTransport({ baseUrl, httpVersion: '2' });
  return createClient(GRPCInferenceService, transport);
}

export const le32 = (v: ArrayLike<number>) => Buffer.from(Int32Array.from(v).buffer);
export const readLe32 = (b: Uint8Array) =>
  Array.from({ length: b.byteLength / 4 }, (_, i) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readInt32LE(i * 4));
/** One BYTES element: 4-byte little-endian length, then the bytes (serialize_byte_tensor). */
export const bytesElement = (b: Uint8Array) => {
  const out = Buffer.alloc(4 + b.byteLength);
  out.writeUInt32LE(b.byteLength, 0);
  out.set(b, 4);
  return out;
};

/**
 * A ModelInferRequest as tritonclient builds it: inputs with raw contents (set_data_from_numpy),
 * optional outputs by name, request_id only when given, timeout as an int64 parameter.
 */
export function tritonInferRequest(
  model: string,
  inputs: Array<{ name: string; datatype: string; shape: number[]; raw: Uint8Array }>,
  o: { id?: string; outputs?: string[]; version?: string; timeoutUs?: number } = {},
): Msg {
  const req: Msg = {
    model_name: model,
    model_version: o.version ?? '',
    inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    raw_input_contents: inputs.map((i) => i.raw),
  };
  if (o.id) req.id = o.id;
  if (o.outputs) req.outputs = o.outputs.map((name) => ({ name }));
  if (o.timeoutUs !== undefined) req.parameters = { timeout: { int64_param: String(o.timeoutUs) } };
  return req;
}

/** Triton's quickstart request for `simple`: INPUT0 = arange(16) (+ 16·k per batch row), INPUT1 = ones. */
export function simpleInputs(batch = 1) {
  const a = Array.from({ length: 16 * batch }, (_, i) => i);
  const b = Array.from({ length: 16 * batch }, () => 1);
  return {
    a,
    b,
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [batch, 16], raw: le32(a) },
      { name: 'INPUT1', datatype: 'INT32', shape: [batch, 16], raw: le32(b) },
    ],
  };
}
