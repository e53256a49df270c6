// Every datatype through encode → (response outputs become request inputs) → decode, in JSON and
// in binary, must come back bit-identical. NaN is left out of the JSON case: JSON has no NaN.

import { describe, expect, test } from 'bun:test';
import { DATATYPES, type Datatype, type TensorData, floatToBf16, floatToHalf } from '../core/datatypes.ts';
import type { Tensor } from '../core/tensor.ts';
import { decodeInferRequest } from './kserve-decode.ts';
import { encodeInferResponse } from './kserve-encode.ts';
import { binaryBody, le, parseResponse, utf8 } from './test-utils.ts';

const SAMPLES: Record<Datatype, TensorData> = {
  BOOL: new Uint8Array([1, 0, 1, 1]),
  UINT8: new Uint8Array([0, 255, 7, 128]),
  UINT16: new Uint16Array([0, 65535, 1, 300]),
  UINT32: new Uint32Array([0, 4294967295, 5, 70000]),
  UINT64: new BigUint64Array([0n, 18446744073709551615n, 9007199254740993n, 1n]),
  INT8: new Int8Array([-128, 127, 0, -1]),
  INT16: new Int16Array([-32768, 32767, -1, 2]),
  INT32: new Int32Array([-2147483648, 2147483647, 0, -7]),
  INT64: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -9007199254740993n, 0n]),
  FP16: new Uint16Array([floatToHalf(1), floatToHalf(-2.5), floatToHalf(65504), floatToHalf(0.1)]),
  BF16: new Uint16Array([floatToBf16(1), floatToBf16(-2.5), floatToBf16(3e38), floatToBf16(0.1)]),
  FP32: new Float32Array([0.1, -3.5, 1e-30, 3.4e38]),
  FP64: new Float64Array([0.1, Math.PI, -1e300, 5e-324]),
  BYTES: [utf8.encode('hello'), utf8.encode(''), utf8.encode('ünïcode'), utf8.encode('{"json":1}')],
};
const tensors: Tensor[] = DATATYPES.map((dt) => ({ name: `t_${dt}`, datatype: dt, shape: [2, 2], data: SAMPLES[dt] }));

function sameData(a: Tensor, b: Tensor): void {
  expect(a.datatype).toBe(b.datatype);
  expect(a.shape).toEqual(b.shape);
  if (a.datatype === 'BYTES') expect((a.data as Uint8Array[]).map((x) => Array.from(x))).toEqual((b.data as Uint8Array[]).map((x) => Array.from(x)));
  else expect(Array.from(le(a.data as ArrayBufferView))).toEqual(Array.from(le(b.data as ArrayBufferView)));
}

describe('round trip: encode response → decode as request', () => {
  test('JSON, every datatype', () => {
    const { body } = encodeInferResponse({ model_name: 'm', model_version: '1', outputs: tensors }, {});
    // Resend the response text itself (re-serializing a parsed copy would round big INT64s):
    // its outputs have exactly the fields a request input needs.
    const back = decodeInferRequest(utf8.encode((body as string).replace('"outputs":', '"inputs":')), undefined);
    expect(back.inputs.length).toBe(tensors.length);
    tensors.forEach((t, i) => {
      sameData(back.inputs[i], t);
    });
  });

  test('binary, every datatype', () => {
    const r = encodeInferResponse({ model_name: 'm', model_version: '1', outputs: tensors }, { parameters: { binary_data_output: true } });
    const { json } = parseResponse(r.body, r.headers);
    const n = Number(r.headers['Inference-Header-Content-Length']);
    const { body, headerLength } = binaryBody({ inputs: json.outputs }, (r.body as Uint8Array).subarray(n));
    const back = decodeInferRequest(body, headerLength);
    tensors.forEach((t, i) => {
      sameData(back.inputs[i], t);
    });
    back.inputs.forEach((t) => {
      expect(t.parameters).toBeUndefined();
    });
  });

  test('NaN survives binary (and becomes null in JSON)', () => {
    const t: Tensor = { name: 'n', datatype: 'FP32', shape: [1], data: new Float32Array([NaN]) };
    const r = encodeInferResponse({ model_name: 'm', model_version: '1', outputs: [t] }, { parameters: { binary_data_output: true } });
    const n = Number(r.headers['Inference-Header-Content-Length']);
    const { body, headerLength } = binaryBody({ inputs: parseResponse(r.body, r.headers).json.outputs }, (r.body as Uint8Array).subarray(n));
    expect(Number.isNaN((decodeInferRequest(body, headerLength).inputs[0].data as Float32Array)[0])).toBe(true);
    expect(JSON.parse(encodeInferResponse({ model_name: 'm', model_version: '1', outputs: [t] }, {}).body as string).outputs[0].data).toEqual([null]);
  });
});
