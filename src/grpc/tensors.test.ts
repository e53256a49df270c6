// gRPC tensor contents ⇄ typed arrays: raw contents viewed in place when aligned and copied when
// not, BYTES length prefixes, typed contents per datatype with range checks, and the messages
// that name the tensor, what was expected and what came.

import { describe, expect, test } from 'bun:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type ModelInferRequest_InferInputTensor, ModelInferRequest_InferInputTensorSchema, ModelInferRequestSchema } from './gen/grpc_service_pb.ts';
import { decodeInferRequest, encodeInferResponse } from './infer-codec.ts';
import { fromInferParameters, toInferParameters } from './parameters.ts';
import { decodeInputs } from './tensors.ts';

const input = (name: string, datatype: string, shape: number[], contents?: object): ModelInferRequest_InferInputTensor =>
  create(ModelInferRequest_InferInputTensorSchema, { name, datatype, shape: shape.map(BigInt), ...(contents ? { contents } : {}) });

const le32 = (v: number[]) => new Uint8Array(Int32Array.from(v).buffer);
const bytesEl = (...els: Uint8Array[]) => {
  const out = new Uint8Array(els.reduce((n, e) => n + 4 + e.byteLength, 0));
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const e of els) {
    dv.setUint32(o, e.byteLength, true);
    out.set(e, o + 4);
    o += 4 + e.byteLength;
  }
  return out;
};

describe('raw_input_contents', () => {
  test('an aligned fixed-size tensor is a view of the received bytes, a misaligned one a copy', () => {
    const buf = new Uint8Array(1 + 64 + 64);
    buf.set(le32([...Array(16).keys()]), 1); // offset 1: misaligned for INT32
    buf.set(le32(Array(16).fill(7)), 65); // offset 65: misaligned as well
    const aligned = new Uint8Array(68);
    aligned.set(le32(Array(16).fill(3)), 4);
    const [a, b, c] = decodeInputs(
      [input('A', 'INT32', [1, 16]), input('B', 'INT32', [16]), input('C', 'INT32', [16])],
      [buf.subarray(1, 65), buf.subarray(65, 129), aligned.subarray(4)],
    );
    expect([...(a.data as Int32Array)]).toEqual([...Array(16).keys()]);
    expect((a.data as Int32Array).buffer).not.toBe(buf.buffer);
    expect([...(b.data as Int32Array)]).toEqual(Array(16).fill(7));
    expect((c.data as Int32Array).buffer).toBe(aligned.buffer); // no copy
    expect((c.data as Int32Array).byteOffset).toBe(4);
  });

  test('a decoded protobuf message: the tensor matches what was sent', () => {
    const msg = create(ModelInferRequestSchema, {
      modelName: 'simple',
      id: 'r1',
      inputs: [input('INPUT0', 'INT32', [1, 16]), input('INPUT1', 'FP64', [2])],
      rawInputContents: [le32([...Array(16).keys()]), new Uint8Array(Float64Array.of(0.5, -2).buffer)],
    });
    const back = fromBinary(ModelInferRequestSchema, toBinary(ModelInferRequestSchema, msg));
    const { model, version, request } = decodeInferRequest(back);
    expect([model, version, request.id]).toEqual(['simple', undefined, 'r1']);
    expect([...(request.inputs[0].data as Int32Array)]).toEqual([...Array(16).keys()]);
    expect([...(request.inputs[1].data as Float64Array)]).toEqual([0.5, -2]);
  });

  test('BYTES elements are 4-byte little-endian lengths and stay views', () => {
    const raw = bytesEl(new TextEncoder().encode('hi'), new Uint8Array([1, 2, 3]));
    const [t] = decodeInputs([input('S', 'BYTES', [2])], [raw]);
    const els = t.data as Uint8Array[];
    expect(els.map((e) => [...e])).toEqual([
      [104, 105],
      [1, 2, 3],
    ]);
    expect(els[1].buffer).toBe(raw.buffer);
  });

  test('wrong sizes and counts name the tensor and the numbers', () => {
    expect(() => decodeInputs([input('A', 'INT32', [1, 16])], [new Uint8Array(60)])).toThrow(
      "input 'A': INT32 shape [1,16] needs 64 bytes (16 x 4), raw_input_contents has 60",
    );
    expect(() => decodeInputs([input('A', 'INT32', [16]), input('B', 'INT32', [16])], [le32(Array(16).fill(0))])).toThrow(
      'raw_input_contents has 1 entries but the request has 2 inputs',
    );
    expect(() => decodeInputs([input('S', 'BYTES', [2])], [bytesEl(new Uint8Array(1))])).toThrow(
      "input 'S': shape [2] needs 2 BYTES elements, binary data holds 1",
    );
    expect(() => decodeInputs([input('S', 'BYTES', [1])], [new Uint8Array([9, 0, 0, 0, 1])])).toThrow(
      "input 'S': BYTES element 0 declares 9 bytes, only 1 remain of its 5",
    );
    expect(() => decodeInputs([input('A', 'INT32', [16], { intContents: Array(16).fill(0) })], [le32(Array(16).fill(0))])).toThrow(
      "input 'A' has contents, but the request also carries raw_input_contents",
    );
  });
});

describe('typed contents', () => {
  test('each datatype reads its own field', () => {
    const ts = decodeInputs(
      [
        input('b', 'BOOL', [3], { boolContents: [true, false, true] }),
        input('i8', 'INT8', [2], { intContents: [-128, 127] }),
        input('i64', 'INT64', [2], { int64Contents: [-(2n ** 62n), 5n] }),
        input('u16', 'UINT16', [1], { uintContents: [65535] }),
        input('u64', 'UINT64', [1], { uint64Contents: [2n ** 64n - 1n] }),
        input('f', 'FP32', [2], { fp32Contents: [1.5, -0.25] }),
        input('d', 'FP64', [1], { fp64Contents: [Math.PI] }),
        input('s', 'BYTES', [1], { bytesContents: [new Uint8Array([1, 2])] }),
      ],
      [],
    );
    expect(ts.map((t) => t.data.constructor.name)).toEqual([
      'Uint8Array',
      'Int8Array',
      'BigInt64Array',
      'Uint16Array',
      'BigUint64Array',
      'Float32Array',
      'Float64Array',
      'Array',
    ]);
    expect([...(ts[0].data as Uint8Array)]).toEqual([1, 0, 1]);
    expect([...(ts[2].data as BigInt64Array)]).toEqual([-(2n ** 62n), 5n]);
    expect([...(ts[4].data as BigUint64Array)]).toEqual([2n ** 64n - 1n]);
    expect([...(ts[5].data as Float32Array)]).toEqual([1.5, -0.25]);
  });

  test('wrong field, out of range, wrong count, no field for FP16, no data', () => {
    expect(() => decodeInputs([input('x', 'FP32', [1], { intContents: [1] })], [])).toThrow(
      "input 'x': a FP32 tensor's values go in contents.fp32_contents, got contents.int_contents",
    );
    expect(() => decodeInputs([input('x', 'UINT8', [1], { uintContents: [256] })], [])).toThrow("input 'x': UINT8 element 0 must be in [0, 255], got 256");
    expect(() => decodeInputs([input('x', 'INT32', [3], { intContents: [1, 2] })], [])).toThrow("input 'x': shape [3] needs 3 elements (12 bytes), got 2");
    expect(() => decodeInputs([input('x', 'FP16', [1], { uintContents: [1] })], [])).toThrow(
      "input 'x': FP16 has no typed contents field; send it in raw_input_contents",
    );
    expect(() => decodeInputs([input('x', 'INT32', [1])], [])).toThrow(
      "input 'x' has no data: send raw_input_contents for every input, or contents.int_contents",
    );
    expect(() => decodeInputs([input('x', 'FLOAT', [1])], [])).toThrow("input 'x': unknown datatype 'FLOAT'");
    expect(() => decodeInputs([input('', 'FP32', [1])], [])).toThrow('input 0 has no name');
  });
});

describe('parameters', () => {
  test('round trip of every kind; int64 beyond 2^53 and empty values are refused', () => {
    const p = { s: 'x', b: true, i: 12, d: 0.5 };
    expect(fromInferParameters(toInferParameters(p), 'request')).toEqual(p);
    expect(toInferParameters({ i: 3 }).i.parameterChoice).toEqual({ case: 'int64Param', value: 3n });
    expect(() =>
      fromInferParameters({ t: { $typeName: 'inference.InferParameter', parameterChoice: { case: 'int64Param', value: 2n ** 60n } } }, 'request'),
    ).toThrow("request parameter 't': 1152921504606846976 is beyond the integers this server represents exactly");
    expect(() => fromInferParameters({ t: { $typeName: 'inference.InferParameter', parameterChoice: { case: undefined } } }, "input 'x'")).toThrow(
      "input 'x' parameter 't' has no value",
    );
    expect(
      fromInferParameters({ priority: { $typeName: 'inference.InferParameter', parameterChoice: { case: 'uint64Param', value: 2n } } }, 'request'),
    ).toEqual({ priority: 2 });
  });
});

describe('responses', () => {
  test('outputs in the requested order, raw, with parameters; an output the model did not produce is an error', () => {
    const outputs = [
      { name: 'A', datatype: 'INT32' as const, shape: [2], data: Int32Array.of(1, 2) },
      { name: 'B', datatype: 'BYTES' as const, shape: [1], data: [new Uint8Array([7])], parameters: { k: 'v' } },
    ];
    const m = encodeInferResponse({ model_name: 'm', model_version: '1', id: 'q', parameters: { image_width: 640 }, outputs }, [{ name: 'B' }, { name: 'A' }]);
    expect(m.outputs.map((o) => o.name)).toEqual(['B', 'A']);
    expect([...m.rawOutputContents[0]]).toEqual([1, 0, 0, 0, 7]);
    expect([...m.rawOutputContents[1]]).toEqual([1, 0, 0, 0, 2, 0, 0, 0]);
    expect(m.outputs[0].parameters.k.parameterChoice).toEqual({ case: 'stringParam', value: 'v' });
    expect(m.parameters.image_width.parameterChoice).toEqual({ case: 'int64Param', value: 640n });
    expect([m.modelName, m.modelVersion, m.id]).toEqual(['m', '1', 'q']);
    expect(() => encodeInferResponse({ model_name: 'm', model_version: '1', outputs }, [{ name: 'C' }])).toThrow(
      "output 'C' was requested but the model produced only 'A', 'B'",
    );
  });
});
