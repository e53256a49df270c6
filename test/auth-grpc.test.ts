// Auth over gRPC (the real server, Triton-style grpc-js client): the same Authorizer as REST,
// by method (src/auth/scopes.ts GRPC_TABLE), the key in the `authorization` metadata (or
// `x-api-key`): health and metadata open, ModelInfer needs `infer` (UNAUTHENTICATED without or
// with a wrong key), repository control `admin` (PERMISSION_DENIED with an infer key). With no
// keys, repository control from 127.0.0.1 works as before (the listener passes the peer address).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { generateKey } from '../src/auth/keys.ts';
import { updateKeys } from '../src/runtime/auth-store.ts';
import { simpleInputs, type TritonStyleClient, tritonInferRequest, tritonStyle } from './grpc-clients.ts';
import { freePort, type ServerProcess, startServer } from './server-process.ts';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: { code: number }) => e.code,
  );

describe('gRPC with keys', () => {
  let srv: ServerProcess;
  let client: TritonStyleClient;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'edgeserve-grpc-keys-')), 'keys.json');
    const made = await Promise.all([generateKey({ scopes: ['infer'] }), generateKey({ scopes: ['admin'] })]);
    [keys.infer, keys.admin] = made.map((m) => m.key);
    updateKeys(file, () => made.map((m) => m.record));
    const port = await freePort();
    srv = await startServer({ API_KEYS_FILE: file, GRPC_PORT: String(port) });
    client = tritonStyle(`127.0.0.1:${port}`);
  }, 90_000);
  afterAll(async () => {
    client?.close();
    await srv?.stop();
  });

  test('open, refused, allowed: by method and key', async () => {
    const infer = tritonInferRequest('simple', simpleInputs().inputs);
    expect(await code(client.call('ServerLive', {}))).toBe(0);
    expect(await code(client.call('ModelMetadata', { name: 'simple' }))).toBe(0);
    expect(await code(client.call('ModelInfer', infer))).toBe(status.UNAUTHENTICATED);
    const wrong = await client.call('ModelInfer', infer, { metadata: { authorization: `Bearer es_0123456789ab_${'Z'.repeat(43)}` } }).catch((e) => e);
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(wrong.details).toContain('unknown API key es_0123456789ab');
    const out = await client.call('ModelInfer', infer, { metadata: { authorization: `Bearer ${keys.infer}` } });
    expect(out.outputs.map((o: { name: string }) => o.name).sort()).toEqual(['OUTPUT0', 'OUTPUT1']);
    expect(await code(client.call('ModelInfer', infer, { metadata: { 'x-api-key': keys.infer } }))).toBe(0);
    const denied = await client
      .call('RepositoryModelUnload', { model_name: 'simple' }, { metadata: { authorization: `Bearer ${keys.infer}` } })
      .catch((e) => e);
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    expect(denied.details).toContain("lacks scope 'admin'");
    expect(await code(client.call('RepositoryIndex', {}, { metadata: { authorization: `Bearer ${keys.admin}` } }))).toBe(0);
    expect(srv.output()).not.toContain(keys.infer.slice(16));
  }, 30_000);
});

describe('gRPC with no keys', () => {
  let srv: ServerProcess;
  let client: TritonStyleClient;
  beforeAll(async () => {
    const port = await freePort();
    srv = await startServer({ API_KEYS_FILE: join(mkdtempSync(join(tmpdir(), 'edgeserve-grpc-nokeys-')), 'keys.json'), GRPC_PORT: String(port) });
    client = tritonStyle(`127.0.0.1:${port}`);
  }, 90_000);
  afterAll(async () => {
    client?.close();
    await srv?.stop();
  });

  test('repository control from loopback works as before', async () => {
    expect(await code(client.call('RepositoryModelUnload', { model_name: 'simple' }))).toBe(0);
    expect(await code(client.call('RepositoryModelLoad', { model_name: 'simple' }))).toBe(0);
    expect(await code(client.call('ModelInfer', tritonInferRequest('simple', simpleInputs().inputs)))).toBe(0);
  }, 30_000);
});
