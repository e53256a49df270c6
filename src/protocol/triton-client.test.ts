// Requests byte-for-byte as tritonclient.http builds them for Triton's "simple" model (INPUT0 and
// INPUT1 INT32 [1,16]; OUTPUT0 = sum, OUTPUT1 = difference), see _utils.py
// _get_inference_request, _infer_input.py and _requested_output.py in triton-inference-server/client.
// Current clients serialize with python-rapidjson (compact); older ones with the json module
// (", " and ": " separators). The response is then read back the way InferResult reads it.

import { describe, expect, test } from 'bun:test';
import type { InferRequest } from '../core/inference.ts';
import type { Tensor } from '../core/tensor.ts';
import { decodeInferRequest } from './kserve-decode.ts';
import { encodeInferResponse } from './kserve-encode.ts';
import { binaryBody, le, parseResponse } from './test-utils.ts';

const input0 = Int32Array.from({ length: 16 }, (_, i) => i); // np.arange(16, dtype=np.int32)
const input1 = new Int32Array(16).fill(1); // np.ones(16, dtype=np.int32)

const RAPIDJSON_HEADER =
  '{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}},' +
  '{"name":"INPUT1","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}}],' +
  '"outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}},{"name":"OUTPUT1","parameters":{"binary_data":true}}]}';
const STDLIB_JSON_HEADER =
  '{"inputs": [{"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "parameters": {"binary_data_size": 64}}, ' +
  '{"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "parameters": {"binary_data_size": 64}}], ' +
  '"outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": true}}, {"name": "OUTPUT1", "parameters": {"binary_data": true}}]}';

/** The "simple" model, as the DataPlane would answer. */
function simple(req: InferRequest) {
  const [a, b] = req.inputs.map((t) => t.data as Int32Array);
  const outputs: Tensor[] = [
    { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: a.map((v, i) => v + b[i]) },
    { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: a.map((v, i) => v - b[i]) },
  ];
  return { model_name: 'simple', model_version: '1', outputs, ...(req.id !== undefined ? { id: req.id } : {}) };
}

describe('tritonclient.http requests for "simple"', () => {
  for (const [label, header] of [
    ['rapidjson', RAPIDJSON_HEADER],
    ['json module', STDLIB_JSON_HEADER],
  ] as const) {
    test(`binary inputs and outputs (${label})`, () => {
      const { body, headerLength } = binaryBody(header, le(input0), le(input1));
      expect(headerLength).toBe(header.length); // the client sends len(request_json)
      const req = decodeInferRequest(body, headerLength);
      expect(req.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))).toEqual([
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ]);
      expect(req.inputs[0].data).toEqual(input0);
      expect(req.inputs[1].data).toEqual(input1);
      expect(req.inputs[0].parameters).toBeUndefined();
      expect(req.outputs).toEqual([
        { name: 'OUTPUT0', parameters: { binary_data: true } },
        { name: 'OUTPUT1', parameters: { binary_data: true } },
      ]);

      const res = encodeInferResponse(simple(req), req);
      expect(res.headers['Content-Type']).toBe('application/octet-stream');
      const { json, binary } = parseResponse(res.body, res.headers);
      expect(json.model_name).toBe('simple');
      expect(json.outputs).toEqual([
        { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
      ]);
      // np.frombuffer(buffer[start:end], dtype=int32)
      const sum = new Int32Array(binary.get('OUTPUT0')!.slice().buffer);
      const diff = new Int32Array(binary.get('OUTPUT1')!.slice().buffer);
      expect(Array.from(sum)).toEqual(Array.from(input0, (v) => v + 1));
      expect(Array.from(diff)).toEqual(Array.from(input0, (v) => v - 1));
    });
  }

  test('no outputs named: the client asks binary_data_output for all', () => {
    const header =
      '{"id":"my_request_id","inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}},' +
      '{"name":"INPUT1","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}}],"parameters":{"binary_data_output":true}}';
    const { body, headerLength } = binaryBody(header, le(input0), le(input1));
    const req = decodeInferRequest(body, headerLength);
    expect(req.id).toBe('my_request_id');
    expect(req.parameters).toEqual({ binary_data_output: true });
    const res = encodeInferResponse(simple(req), req);
    const { json, binary } = parseResponse(res.body, res.headers);
    expect(json.id).toBe('my_request_id');
    expect([...binary.keys()]).toEqual(['OUTPUT0', 'OUTPUT1']);
  });

  test('binary_data=False inputs and outputs: plain JSON both ways', () => {
    const header =
      `{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[${Array.from(input0)}]},` +
      `{"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[${Array.from(input1)}]}],` +
      '"outputs":[{"name":"OUTPUT0","parameters":{"binary_data":false}},{"name":"OUTPUT1","parameters":{"binary_data":false}}]}';
    const req = decodeInferRequest(new TextEncoder().encode(header), undefined);
    const res = encodeInferResponse(simple(req), req);
    expect(res.headers).toEqual({ 'Content-Type': 'application/json' });
    const { json } = parseResponse(res.body, res.headers);
    expect(json.outputs[0].data).toEqual(Array.from(input0, (v) => v + 1));
    expect(json.outputs[1].data).toEqual(Array.from(input0, (v) => v - 1));
  });
});
