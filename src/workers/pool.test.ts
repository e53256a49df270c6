// Real workers, real onnxruntime-node sessions: a pool of 2 serves the `simple` model through
// WorkerLoader's proxies, keeps the caller's buffers intact, carries error codes across, and
// frees sessions on dispose.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { ModelInstance } from '../core/instance.ts';
import { WorkerPool } from './pool.ts';
import { checkSimple, simpleItem, simpleModel } from './testing.ts';
import { WorkerLoader, placeInstances } from './worker-loader.ts';

describe('placeInstances', () => {
  test('instance i on worker i % N from a balanced pool; later models fill the emptiest worker', () => {
    expect(placeInstances(4, [0, 0])).toEqual([0, 1, 0, 1]);
    expect(placeInstances(1, [1, 0, 1])).toEqual([1]);
    expect(placeInstances(3, [2, 0])).toEqual([1, 1, 0]);
  });
});

describe('WorkerPool + WorkerLoader (2 workers, simple model)', () => {
  let pool: WorkerPool;
  let instances: ModelInstance[];

  beforeAll(async () => {
    pool = new WorkerPool({ workers: 2, engine: 'onnxruntime-node', maxImagePixels: 1e6, cores: 2 });
    const { config, bytes } = simpleModel();
    const loaded = await new WorkerLoader(pool).load('simple', '1', config, bytes);
    instances = loaded.instances;
    expect(loaded.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ['INPUT0', 'INT32', [-1, 16]],
      ['INPUT1', 'INT32', [-1, 16]],
    ]);
  });
  afterAll(() => pool.dispose());

  test('one session per worker by default, offered twice (pipelineDepth 2), intra-op threads = cores / workers', () => {
    expect(instances).toHaveLength(4);
    expect(instances.map((i) => (i as ModelInstance & { slot: number }).slot)).toEqual([0, 1, 0, 1]);
    expect(pool.intraOpThreads).toBe(1);
    expect(pool.status().map((s) => [s.up, s.models.length])).toEqual([
      [true, 1],
      [true, 1],
    ]);
  });

  test("a session's proxies run at once, and it is freed only with its last proxy", async () => {
    const { config, bytes } = simpleModel();
    const m = await new WorkerLoader(pool, { defaultInstances: 1 }).load('simple', '3', config, bytes);
    expect(m.instances).toHaveLength(2);
    const [a, b] = await Promise.all(m.instances.map((inst, k) => inst.execute([simpleItem(10 + k)])));
    checkSimple(a.results[0], 10);
    checkSimple(b.results[0], 11);
    await m.instances[0].dispose();
    checkSimple((await m.instances[1].execute([simpleItem(3)])).results[0], 3);
    await m.instances[1].dispose();
    expect(pool.status().map((s) => s.models.length)).toEqual([1, 1]);
  });

  test('executes a batch on each worker: sums and differences per item', async () => {
    const items = [simpleItem(1), simpleItem(100, 3), simpleItem(-5)];
    const [r0, r1] = await Promise.all(instances.map((inst) => inst.execute(items)));
    for (const r of [r0, r1]) {
      checkSimple(r.results[0], 1);
      checkSimple(r.results[1], 100, 3);
      checkSimple(r.results[2], -5);
      expect(r.timing.inferUs).toBeGreaterThan(0);
    }
  });

  test("the caller's input buffers are copied, never detached", async () => {
    const item = simpleItem(7);
    const before = [...(item.inputs[0].data as Int32Array)];
    await instances[0].execute([item]);
    expect([...(item.inputs[0].data as Int32Array)]).toEqual(before);
    // A view into a larger buffer (as the binary extension hands out) works and stays usable.
    const body = new Int32Array(1000);
    body.set(item.inputs[0].data as Int32Array, 500);
    const view = body.subarray(500, 516);
    const r = await instances[1].execute([{ ...item, inputs: [{ ...item.inputs[0], data: view }, item.inputs[1]] }]);
    checkSimple(r.results[0], 7);
    expect(body.length).toBe(1000);
  });

  test('errors cross the thread boundary with their codes', async () => {
    // Consistent with itself but not with the model: onnxruntime rejects it → INVALID_ARGUMENT.
    const bad = simpleItem(1);
    bad.inputs = bad.inputs.map((t) => ({ ...t, shape: [1, 8], data: new Int32Array(8) }));
    const r = await instances[0].execute([bad]);
    expect('error' in r.results[0] && r.results[0].error.code).toBe('INVALID_ARGUMENT');
    // In a batch, the good item still runs and the bad one carries its own error.
    const mixed = await instances[1].execute([simpleItem(2), bad]);
    checkSimple(mixed.results[0], 2);
    expect('error' in mixed.results[1] && mixed.results[1].error.code).toBe('INVALID_ARGUMENT');
    // A whole execute that throws in the worker (here: an instance it does not hold) rejects
    // here as an EdgeError with the worker's code.
    const err = await pool.execute(1, pool.status()[1].models[0], 99, [simpleItem(2)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EdgeError', code: 'UNAVAILABLE' });
  });

  test('dispose frees the sessions on every worker', async () => {
    const { config, bytes } = simpleModel();
    const extra = await new WorkerLoader(pool, { defaultInstances: 3, pipelineDepth: 1 }).load('simple', '2', config, bytes);
    expect(pool.status().map((s) => s.models.length)).toEqual([2, 2]);
    await Promise.all(extra.instances.map((i) => i.dispose()));
    expect(pool.status().map((s) => s.models.length)).toEqual([1, 1]);
    await expect(extra.instances[0].execute([simpleItem(1)])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
