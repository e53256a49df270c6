// Admission before the body: with a model's queue full, an inference request is refused with
// 503 + Retry-After before its upload is read (here: a body that never ends), and the work
// already accepted still completes. Real stack and real `simple` model; the only addition is a
// gate that holds executions until the test releases them, so "queue full" is deterministic.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { tempRepository } from '../../test/helpers.ts';
import type { ExecutionBatchResult, ExecutionItem, ModelInstance } from '../core/instance.ts';
import type { ModelLoader } from '../core/loader.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { assemble } from '../runtime/assemble.ts';
import { fsDocsAssets } from '../runtime/docs-assets.ts';
import { FsRepository } from '../runtime/fs-repository.ts';

const held: Array<() => void> = [];
const gated = (inner: ModelInstance): ModelInstance => ({
  execute: (items: ExecutionItem[]): Promise<ExecutionBatchResult> => new Promise<void>((go) => held.push(go)).then(() => inner.execute(items)),
  dispose: () => inner.dispose(),
});

let repo: string;
let app: ReturnType<typeof assemble>['app'];

beforeAll(async () => {
  repo = tempRepository();
  const local = new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: 1 });
  const loader: ModelLoader = {
    async load(name, version, config, bytes) {
      const m = await local.load(name, version, { ...config, dynamic_batching: undefined }, bytes);
      return { ...m, instances: m.instances.map(gated) };
    },
  };
  const parts = assemble({
    repository: new FsRepository(repo),
    loader,
    docs: fsDocsAssets,
    log: () => {},
    maxBodyBytes: 1 << 20,
    maxQueueSize: 1,
    defaultInstances: 1,
  });
  await parts.load();
  app = parts.app;
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const body = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(1) },
  ],
});
const infer = (b: BodyInit) =>
  app.request('/v2/models/simple/infer', { method: 'POST', body: b, headers: { 'Content-Type': 'application/json' }, duplex: 'half' } as RequestInit);

test('queue full → 503 + Retry-After without reading the body; accepted requests complete', async () => {
  const running = infer(body); // taken by the only instance, held by the gate
  while (held.length === 0) await Bun.sleep(1);
  const queued = infer(body); // waits in the queue (max_queue_size 1)
  await Bun.sleep(20);
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull: async () => {
      pulled++;
      await new Promise(() => {});
    },
  });
  const refused = await Promise.race([infer(endless), Bun.sleep(2000).then(() => undefined)]);
  expect(refused?.status).toBe(503);
  expect(refused?.headers.get('Retry-After')).toBe('1');
  expect((await refused!.json()).error).toMatch(/queue full/);
  expect(pulled).toBeLessThanOrEqual(1); // at most the stream's own first pull, never consumed
  while (held.length) {
    held.shift()!();
    await Bun.sleep(5);
  }
  for (const r of [await running, await queued]) {
    expect(r.status).toBe(200);
    expect((await r.json()).outputs[0].data).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  }
});
