// Scheduler behaviour: bounded queue (503 + Retry-After when full), per-request timeouts,
// cancellation of queued work, dynamic batching that splits results back exactly (on the real
// `simple` model), and drain.

import { describe, expect, test } from 'bun:test';
import { EngineInstance } from '../engine/engine-instance.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import type { ExecutionBatchResult, ExecutionItem, ModelInstance } from './instance.ts';
import { Scheduler, type SchedulerOptions } from './scheduler.ts';

/** An instance whose executions finish only when the test releases them. */
class GatedInstance implements ModelInstance {
  batches: ExecutionItem[][] = [];
  private waiting: Array<() => void> = [];
  execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    this.batches.push(items);
    return new Promise((resolve) =>
      this.waiting.push(() =>
        resolve({
          results: items.map((it) => ({ outputs: it.inputs })),
          timing: { inputUs: 0, inferUs: 0, outputUs: 0 },
        }),
      ),
    );
  }
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  async dispose(): Promise<void> {}
}

const opts = (o: Partial<SchedulerOptions> = {}): SchedulerOptions => ({
  maxBatchSize: 0,
  maxQueueSize: 2,
  defaultTimeoutUs: 0,
  allowTimeoutOverride: true,
  timeoutAction: 'REJECT',
  ...o,
});
const item = (v: number): ExecutionItem => ({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: Int32Array.of(v) }], outputs: ['x'] });

describe('Scheduler', () => {
  test('queue full → UNAVAILABLE with retryAfter; accepted work still completes', async () => {
    const inst = new GatedInstance();
    const s = new Scheduler([inst], opts());
    const running = s.enqueue(item(1), 1); // taken by the instance at once
    const q1 = s.enqueue(item(2), 1);
    const q2 = s.enqueue(item(3), 1);
    const err = await s.enqueue(item(4), 1).catch((e) => e);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.retryAfter).toBe(1);
    expect(err.message).toMatch(/queue full/);
    for (let i = 0; i < 3; i++) {
      inst.release();
      await Bun.sleep(1);
    }
    expect(((await running).outputs[0].data as Int32Array)[0]).toBe(1);
    expect(((await q1).outputs[0].data as Int32Array)[0]).toBe(2);
    expect(((await q2).outputs[0].data as Int32Array)[0]).toBe(3);
    expect(s.stats.success.count).toBe(3);
    expect(s.stats.pending).toBe(0);
  });

  test('a request whose timeout expires in the queue fails and never runs', async () => {
    const inst = new GatedInstance();
    const s = new Scheduler([inst], opts());
    const first = s.enqueue(item(1), 1);
    const timed = s.enqueue(item(2), 1, { timeoutUs: 20_000 }).catch((e) => e);
    const err = await timed;
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    inst.release();
    await first;
    await Bun.sleep(5);
    expect(inst.batches.length).toBe(1);
    expect(s.queued).toBe(0);
  });

  test('a client that disconnects has its queued work dropped', async () => {
    const inst = new GatedInstance();
    const s = new Scheduler([inst], opts());
    const first = s.enqueue(item(1), 1);
    const ac = new AbortController();
    const gone = s.enqueue(item(2), 1, { signal: ac.signal }).catch((e) => e);
    ac.abort();
    expect((await gone).code).toBe('CANCELLED');
    inst.release();
    await first;
    await Bun.sleep(5);
    expect(inst.batches.length).toBe(1);
  });

  test('dynamic batching on the real simple model: one execution, results split back exactly', async () => {
    const session = await nodeBackend().createSession(buildSimpleModel(), { intraOpThreads: 1 });
    const s = new Scheduler(
      [new EngineInstance(session, { batchable: true })],
      opts({
        maxBatchSize: 8,
        maxQueueSize: 64,
        dynamicBatching: { maxQueueDelayUs: 20_000, preferredBatchSizes: [] },
      }),
    );
    const req = (k: number, n: number): ExecutionItem => ({
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [n, 16], data: Int32Array.from({ length: 16 * n }, (_, i) => k * 1000 + i) },
        { name: 'INPUT1', datatype: 'INT32', shape: [n, 16], data: new Int32Array(16 * n).fill(k) },
      ],
      outputs: ['OUTPUT0', 'OUTPUT1'],
    });
    const sizes = [1, 2, 1, 3];
    const results = await Promise.all(sizes.map((n, k) => s.enqueue(req(k, n), n)));
    expect(s.stats.executionCount).toBe(1);
    expect(s.stats.inferenceCount).toBe(7);
    results.forEach((r, k) => {
      const o0 = r.outputs.find((o) => o.name === 'OUTPUT0')!;
      expect(o0.shape).toEqual([sizes[k], 16]);
      expect([...(o0.data as Int32Array)]).toEqual(Array.from({ length: 16 * sizes[k] }, (_, i) => k * 1000 + i + k));
    });
    await session.release();
  });

  test('drain waits for accepted work and refuses new work', async () => {
    const inst = new GatedInstance();
    const s = new Scheduler([inst], opts());
    const p = s.enqueue(item(1), 1);
    const drained = s.drain();
    expect((await s.enqueue(item(2), 1).catch((e) => e)).code).toBe('UNAVAILABLE');
    inst.release();
    await p;
    await drained;
  });

  test('statistics count successful inferences only; failures and refusals are failures', async () => {
    const failing: ModelInstance = {
      async execute(items) {
        return { results: items.map(() => ({ error: { code: 'UNPROCESSABLE', message: 'corrupt image' } })), timing: { inputUs: 5, inferUs: 0, outputUs: 0 } };
      },
      async dispose() {},
    };
    const s = new Scheduler([failing], opts());
    await s.enqueue(item(1), 1).catch(() => {});
    expect(s.stats.fail.count).toBe(1);
    expect(s.stats.inferenceCount).toBe(0);
    expect(s.stats.executionCount).toBe(0);
    expect(s.stats.batchSizes.size).toBe(0);
    s.recordFailure();
    expect(s.stats.fail.count).toBe(2);
  });

  test('a timeout too long for a timer is no timeout, not an instant expiry', async () => {
    const inst = new GatedInstance();
    const s = new Scheduler([inst], opts());
    const first = s.enqueue(item(1), 1, { timeoutUs: 2_147_483_648_000 });
    const second = s.enqueue(item(2), 1, { timeoutUs: 2_147_483_648_000 });
    await Bun.sleep(20);
    inst.release();
    await Bun.sleep(1);
    inst.release();
    expect(((await first).outputs[0].data as Int32Array)[0]).toBe(1);
    expect(((await second).outputs[0].data as Int32Array)[0]).toBe(2);
  });

  test('a request whose expected wait exceeds the budget is refused at once with Retry-After', async () => {
    /** Finishes each execution after `ms`. */
    const slow = (ms: number): ModelInstance => ({
      execute: (items) =>
        new Promise((r) => setTimeout(() => r({ results: items.map((it) => ({ outputs: it.inputs })), timing: { inputUs: 0, inferUs: 0, outputUs: 0 } }), ms)),
      async dispose() {},
    });
    const s = new Scheduler([slow(20)], opts({ maxQueueSize: 1000, maxQueueWaitMs: 150 }));
    const accepted: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) accepted.push(s.enqueue(item(i), 1)); // no rate known yet: all admitted
    await Bun.sleep(220); // ~10 completions while work waits: the rate is measured
    let refused: { code: string; retryAfter?: number; message: string } | undefined;
    try {
      s.admit();
    } catch (e) {
      refused = e as typeof refused;
    }
    expect(refused?.code).toBe('UNAVAILABLE');
    expect(refused?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused?.message).toMatch(/would wait ~\d+ ms .* over the 150 ms budget/);
    // ~20 ahead at ~20 ms each: the estimate is near the truth, not inflated.
    expect(s.expectedWaitMs).toBeGreaterThan(150);
    expect(s.expectedWaitMs).toBeLessThan(1000);
    await Promise.all(accepted);
    // Idle again: admitted at once.
    expect(() => s.admit()).not.toThrow();
  });

  test('idle time between bursts never counts as the pace', async () => {
    const slow = (ms: number): ModelInstance => ({
      execute: (items) =>
        new Promise((r) => setTimeout(() => r({ results: items.map((it) => ({ outputs: it.inputs })), timing: { inputUs: 0, inferUs: 0, outputUs: 0 } }), ms)),
      async dispose() {},
    });
    const s = new Scheduler([slow(5)], opts({ maxQueueSize: 1000, maxQueueWaitMs: 500 }));
    await s.enqueue(item(0), 1);
    await Bun.sleep(300); // idle
    const burst = Array.from({ length: 20 }, (_, i) => s.enqueue(item(i), 1));
    await Bun.sleep(30);
    // ~5 ms a request: the estimate for the rest of the burst is tens of ms, not the idle 300 ms x queue.
    expect(s.expectedWaitMs).toBeLessThan(200);
    expect(() => s.admit()).not.toThrow();
    await Promise.all(burst);
  });
});
