// Copy-vs-transfer rules: packed inputs leave the caller's buffers intact and small; results
// move owned buffers and copy views. Pure functions, no workers.

import { describe, expect, test } from 'bun:test';
import type { ExecutionBatchResult, ExecutionResult } from '../core/instance.ts';
import { packItems, moveResults } from './transfer.ts';

describe('packItems', () => {
  test('copies views of a large buffer into one exact, aligned buffer; the caller keeps its own', () => {
    const body = new ArrayBuffer(1 << 20);
    const f32 = new Float32Array(body, 1024, 6).fill(1.5);
    const i64 = new BigInt64Array(body, 4096, 2).fill(7n);
    const img = new Uint8Array(body, 3, 5).fill(9); // odd offset: BYTES need no alignment
    const { items, transfer } = packItems([
      { inputs: [{ name: 'a', datatype: 'FP32', shape: [6], data: f32 }], outputs: [] },
      {
        inputs: [
          { name: 'img', datatype: 'BYTES', shape: [2], data: [img, img] },
          { name: 'b', datatype: 'INT64', shape: [2], data: i64 },
        ],
        outputs: [],
      },
    ]);
    expect(transfer).toHaveLength(1);
    expect(transfer[0].byteLength).toBe(56); // 24 (FP32) + 10 (BYTES) → aligned to 40 + 16 (INT64)
    const [a] = items[0].inputs;
    const [bytes, b] = items[1].inputs;
    expect(a.data).toBeInstanceOf(Float32Array);
    expect([...(a.data as Float32Array)]).toEqual([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
    expect((bytes.data as Uint8Array[]).map((x) => [...x])).toEqual([
      [9, 9, 9, 9, 9],
      [9, 9, 9, 9, 9],
    ]);
    expect(b.data).toBeInstanceOf(BigInt64Array);
    expect((b.data as BigInt64Array).byteOffset % 8).toBe(0);
    expect([...(b.data as BigInt64Array)]).toEqual([7n, 7n]);
    // Transfer detaches the pack, never the caller's body.
    structuredClone(transfer, { transfer });
    expect(body.byteLength).toBe(1 << 20);
    expect(f32[0]).toBe(1.5);
  });
});

describe('moveResults', () => {
  test('transfers owned buffers once, copies views and repeated buffers, packs BYTES', () => {
    const owned = new Float32Array([1, 2, 3]);
    const big = new Int32Array(100).fill(4);
    const view = big.subarray(10, 12);
    const r: ExecutionBatchResult = {
      results: [
        {
          outputs: [
            { name: 'o', datatype: 'FP32', shape: [3], data: owned },
            { name: 'again', datatype: 'FP32', shape: [3], data: owned },
            { name: 'v', datatype: 'INT32', shape: [2], data: view },
            { name: 's', datatype: 'BYTES', shape: [2], data: [new Uint8Array([1]), new Uint8Array([2, 3])] },
          ],
        },
        { error: { code: 'UNPROCESSABLE', message: 'bad image' } },
      ],
      timing: { inputUs: 0, inferUs: 0, outputUs: 0 },
    };
    const transfer = moveResults(r);
    const outs = (r.results[0] as ExecutionResult).outputs;
    expect(outs[0].data).toBe(owned);
    expect(outs[1].data).not.toBe(owned);
    expect([...(outs[2].data as Int32Array)]).toEqual([4, 4]);
    expect((outs[2].data as Int32Array).buffer.byteLength).toBe(8);
    expect((outs[3].data as Uint8Array[]).map((x) => [...x])).toEqual([[1], [2, 3]]);
    expect(transfer).toHaveLength(4);
    expect(new Set(transfer).size).toBe(4);
    structuredClone(r, { transfer }); // would throw on a duplicate or untransferable buffer
    expect(big.length).toBe(100); // the view's parent was copied from, not moved
  });
});
