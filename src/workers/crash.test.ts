// Worker crashes with real workers: requests in flight on a dying worker fail fast with
// UNAVAILABLE (never hang), the other worker keeps serving, the replacement reloads the model and
// serves again within 2 s, requests that arrive during the restart wait for it, and a hung
// worker is killed by the hang timeout.

import { afterEach, describe, expect, test } from 'bun:test';
import type { ModelInstance } from '../core/instance.ts';
import { WorkerPool, type PoolOptions } from './pool.ts';
import { checkSimple, simpleItem, simpleModel } from './testing.ts';
import { WorkerLoader } from './worker-loader.ts';

let pool: WorkerPool | undefined;
afterEach(() => pool?.dispose());

async function setup(o: Partial<PoolOptions> = {}): Promise<{ pool: WorkerPool; instances: ModelInstance[]; logs: string[] }> {
  const logs: string[] = [];
  pool = new WorkerPool({ workers: 2, engine: 'onnxruntime-node', maxImagePixels: 1e6, cores: 2, log: (l, m) => logs.push(`${l} ${m}`), ...o });
  const { config, bytes } = simpleModel();
  const { instances } = await new WorkerLoader(pool).load('simple', '1', config, bytes);
  return { pool, instances, logs };
}

const until = async (cond: () => boolean, ms: number) => {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await Bun.sleep(1);
  }
};

describe('worker crash', () => {
  test('in-flight requests reject with UNAVAILABLE at once; the replacement serves within 2 s', async () => {
    const { pool, instances, logs } = await setup();
    // Keep worker 0 busy so the requests below are still in flight when it exits.
    pool.hangForTest(0, 150);
    pool.crashForTest(0);
    const t0 = performance.now();
    const inFlight = [1, 2, 3].map((s) =>
      instances[0].execute([simpleItem(s)]).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    // The other worker is unaffected.
    checkSimple((await instances[1].execute([simpleItem(9)])).results[0], 9);
    const errors = await Promise.all(inFlight);
    const failedAfter = performance.now() - t0;
    for (const e of errors) {
      expect(e).toMatchObject({ code: 'UNAVAILABLE', retryAfter: 1 });
      expect((e as Error).message).toMatch(/model instance crashed .*retry/);
    }
    expect(failedAfter).toBeLessThan(1000); // the 150 ms hang, then the exit event: no timeout involved
    await until(() => pool.status()[0].up, 2000);
    const restartedAfter = performance.now() - t0;
    checkSimple((await instances[0].execute([simpleItem(4)])).results[0], 4);
    expect(pool.status()[0]).toMatchObject({ restarts: 1, models: ['simple/1#1'] });
    expect(logs.some((l) => l.startsWith('error worker 0 exited with code 1'))).toBe(true);
    console.log(`crash: in-flight failed after ${failedAfter.toFixed(0)} ms, worker back after ${restartedAfter.toFixed(0)} ms`);
  });

  test('a request that arrives during the restart waits for the replacement', async () => {
    const { pool, instances } = await setup();
    pool.crashForTest(1);
    await until(() => !pool.status()[1].up, 1000);
    const r = await instances[1].execute([simpleItem(5)]);
    checkSimple(r.results[0], 5);
  });

  test('a worker that stays down past restartWaitMs answers UNAVAILABLE instead of waiting longer', async () => {
    const { pool, instances } = await setup({ restartWaitMs: 1 });
    pool.crashForTest(0);
    await until(() => !pool.status()[0].up, 1000);
    const e = await instances[0].execute([simpleItem(5)]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNAVAILABLE', retryAfter: 1 });
    expect((e as Error).message).toMatch(/restarting after a crash/);
  });

  test('a hung worker is killed after hangTimeoutMs and replaced', async () => {
    const { pool, instances } = await setup({ hangTimeoutMs: 200 });
    pool.hangForTest(0, 3000);
    const t0 = performance.now();
    const e = await instances[0].execute([simpleItem(1)]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
    expect((e as Error).message).toMatch(/longer than 200 ms/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await until(() => pool.status()[0].up, 2000);
    checkSimple((await instances[0].execute([simpleItem(2)])).results[0], 2);
  });

  test('dispose fails what is in flight and ends every worker', async () => {
    const { pool, instances } = await setup();
    pool.hangForTest(0, 300);
    const p = instances[0].execute([simpleItem(1)]).catch((x: unknown) => x);
    await pool.dispose();
    expect(await p).toMatchObject({ code: 'UNAVAILABLE' });
    await expect(instances[1].execute([simpleItem(1)])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  test('a worker that cannot start fails loads at once and restarts with backoff, never spinning', async () => {
    const logs: string[] = [];
    pool = new WorkerPool({
      workers: 1,
      engine: 'onnxruntime-node',
      maxImagePixels: 1e6,
      entry: new URL('./fixture-broken-worker.ts', import.meta.url),
      log: (l, m) => logs.push(m),
    });
    const { config, bytes } = simpleModel();
    const t0 = performance.now();
    const e = await new WorkerLoader(pool).load('simple', '1', config, bytes).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
    expect((e as Error).message).toMatch(/could not be started .*cannot start/);
    expect(performance.now() - t0).toBeLessThan(1000);
    await Bun.sleep(500);
    // Restarts at once, then after 100, 200, 400 ms…: a handful in half a second, not hundreds.
    expect(pool.status()[0].restarts).toBeGreaterThanOrEqual(2);
    expect(pool.status()[0].restarts).toBeLessThanOrEqual(6);
    expect(logs.some((m) => m.includes('restarting in'))).toBe(true);
  });
});

describe('load failures', () => {
  test('a model that fails to load reports why and leaves no session behind', async () => {
    pool = new WorkerPool({ workers: 2, engine: 'onnxruntime-node', maxImagePixels: 1e6, cores: 2 });
    const { config } = simpleModel();
    const e = await new WorkerLoader(pool).load('simple', '1', config, new Uint8Array([1, 2, 3])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(pool.status().map((s) => [s.up, s.models.length])).toEqual([
      [true, 0],
      [true, 0],
    ]);
  });
});
