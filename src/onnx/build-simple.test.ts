// The generated "simple" model: its signature, and correct Add/Sub results on both ONNX engines.

import { describe, expect, test } from 'bun:test';
import { buildSimpleModel } from './build-simple.ts';
import { readModelIO } from './model-info.ts';

type OrtModule = typeof import('onnxruntime-node');

describe('buildSimpleModel', () => {
  const model = buildSimpleModel();

  test('declares INT32 [batch,16] inputs and outputs, IR 8, opset 13', () => {
    const io = readModelIO(model);
    const spec = (name: string) => ({ name, datatype: 'INT32' as const, shape: ['batch', 16] });
    expect(io.inputs).toEqual([spec('INPUT0'), spec('INPUT1')]);
    expect(io.outputs).toEqual([spec('OUTPUT0'), spec('OUTPUT1')]);
    expect(io.irVersion).toBe(8);
    expect(io.opsets).toEqual({ '': 13 });
  });

  test('is deterministic', () => {
    expect(buildSimpleModel()).toEqual(model);
  });

  for (const engine of ['onnxruntime-node', 'onnxruntime-web'] as const) {
    test(`adds and subtracts on ${engine}`, async () => {
      const ort = (await import(engine)) as OrtModule;
      const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
      const a = Int32Array.from({ length: 48 }, (_, i) => i * 7 - 100);
      const b = Int32Array.from({ length: 48 }, (_, i) => 2 ** 30 - i);
      const out = await session.run({
        INPUT0: new ort.Tensor('int32', a, [3, 16]),
        INPUT1: new ort.Tensor('int32', b, [3, 16]),
      });
      expect(out.OUTPUT0.dims).toEqual([3, 16]);
      expect(out.OUTPUT0.type).toBe('int32');
      expect(Array.from(out.OUTPUT0.data as Int32Array)).toEqual(Array.from(a, (x, i) => (x + b[i]) | 0));
      expect(Array.from(out.OUTPUT1.data as Int32Array)).toEqual(Array.from(a, (x, i) => (x - b[i]) | 0));
    });
  }
});
