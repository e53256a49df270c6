// Batch calibration: the choice rule, the chunking of a gathered batch, calibration of a real
// session, and that a batch run in chunks answers every request exactly as one engine call does.

import { describe, expect, test } from 'bun:test';
import type { ExecutionItem } from '../core/instance.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import { calibrateBatch, candidateSizes, chooseChunk } from './batch-calibration.ts';
import { EngineInstance, chunks } from './engine-instance.ts';
import { nodeBackend } from './onnxruntime-node.ts';

describe('choice', () => {
  test('sizes tried: powers of two, then the maximum', () => {
    expect(candidateSizes(8)).toEqual([1, 2, 4, 8]);
    expect(candidateSizes(6)).toEqual([1, 2, 4, 6]);
    expect(candidateSizes(2)).toEqual([1, 2]);
  });
  test('the cheapest size per item among those saving at least 15%; otherwise 1', () => {
    expect(chooseChunk({ 1: 2.8, 2: 2.75, 4: 2.7, 8: 2.68 })).toBe(1); // the face detector: ~4%
    expect(chooseChunk({ 1: 1, 2: 0.6, 4: 0.4, 8: 0.3 })).toBe(8); // batching pays: take it all
    expect(chooseChunk({ 1: 1, 2: 0.8, 4: 0.7, 8: 0.75 })).toBe(4);
    expect(chooseChunk({ 1: 1, 2: 1.2, 4: 1.3 })).toBe(1); // never pays
  });
  test('chunks keep order, respect the limit, and never split an item', () => {
    const sizes = [1, 1, 3, 1, 5, 1];
    expect(chunks([0, 1, 2, 3, 4, 5], (i) => sizes[i], 4)).toEqual([[0, 1], [2, 3], [4], [5]]);
    expect(chunks([0, 1, 2], () => 1, Infinity)).toEqual([[0, 1, 2]]);
  });
});

describe('on a real session (simple, batchable up to 8)', () => {
  const item = (v: number): ExecutionItem => ({
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Int32Array.from({ length: 16 }, (_, i) => i * v) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Int32Array.from({ length: 16 }, () => v) },
    ],
    outputs: ['OUTPUT0', 'OUTPUT1'],
  });

  test('calibration times every size and picks one of them', async () => {
    const session = await nodeBackend().createSession(buildSimpleModel(), { intraOpThreads: 1 });
    const cal = await calibrateBatch(session, 8);
    expect(cal).toBeDefined();
    expect(Object.keys(cal!.perItemMs).map(Number)).toEqual([1, 2, 4, 8]);
    for (const t of Object.values(cal!.perItemMs)) expect(t).toBeGreaterThan(0);
    expect([1, 2, 4, 8]).toContain(cal!.chunk);
    expect(await calibrateBatch(session, 1)).toBeUndefined(); // nothing to choose
    await session.release();
  });

  test('a model the synthetic inputs do not suit is left as configured, not failed', async () => {
    const session = await nodeBackend().createSession(buildSimpleModel(), { intraOpThreads: 1 });
    // The engine refusing the run (as a model with an index input might) must not fail the load.
    const refusing = { ...session, inputs: session.inputs, outputs: session.outputs, run: () => Promise.reject(new Error('bad index')) };
    expect(await calibrateBatch(refusing, 8)).toBeUndefined();
    // Nor may a dim other than the batch be unknown: no input can be built.
    const symbolic = { ...refusing, inputs: session.inputs.map((m) => ({ ...m, shape: [-1, -1] })) };
    expect(await calibrateBatch(symbolic, 8)).toBeUndefined();
    await session.release();
  });

  test('a batch run in chunks of 2 answers each request as one engine call does', async () => {
    const session = await nodeBackend().createSession(buildSimpleModel(), { intraOpThreads: 1 });
    const whole = new EngineInstance(session, { batchable: true });
    const chunked = new EngineInstance(session, { batchable: true, batchChunk: 2 });
    const items = [1, 2, 3, 4, 5].map(item);
    const a = await whole.execute(items);
    const b = await chunked.execute(items);
    expect(b.results).toEqual(a.results);
    const first = b.results[2] as { outputs: Array<{ data: Int32Array }> };
    expect(Array.from(first.outputs[0].data)).toEqual(Array.from({ length: 16 }, (_, i) => i * 3 + 3));
    await session.release();
  });
});
