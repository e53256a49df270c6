// encodeInferResponse: JSON output formatting per datatype, output selection, the binary_data /
// binary_data_output flags, and a byte-exact binary response.

import { describe, expect, test } from 'bun:test';
import { floatToBf16, floatToHalf } from '../core/datatypes.ts';
import type { InferResponse } from '../core/inference.ts';
import type { Tensor } from '../core/tensor.ts';
import { encodeInferResponse } from './kserve-encode.ts';
import { InferenceResponseSchema } from './kserve-schemas.ts';
import { expectInvalid, le, lengthPrefixed, parseResponse, utf8 } from './test-utils.ts';

const resp = (outputs: Tensor[], extra: Partial<InferResponse> = {}): InferResponse => ({ model_name: 'm', model_version: '1', outputs, ...extra });
const out0: Tensor = { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 2], data: new Int32Array([3, -4]) };
const out1: Tensor = { name: 'OUTPUT1', datatype: 'FP32', shape: [1], data: new Float32Array([1.5]) };

describe('JSON outputs', () => {
  test('flat data per datatype, as Triton writes it', () => {
    const cases: Array<[Tensor, unknown[]]> = [
      [{ name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }, [true, false]],
      [{ name: 'u8', datatype: 'UINT8', shape: [2], data: new Uint8Array([0, 255]) }, [0, 255]],
      [{ name: 'i16', datatype: 'INT16', shape: [2, 1], data: new Int16Array([-32768, 7]) }, [-32768, 7]],
      [{ name: 'u32', datatype: 'UINT32', shape: [1], data: new Uint32Array([4294967295]) }, [4294967295]],
      [{ name: 'h', datatype: 'FP16', shape: [3], data: new Uint16Array([floatToHalf(1), floatToHalf(-2.5), 0x7c00]) }, [1, -2.5, null]],
      [{ name: 'bf', datatype: 'BF16', shape: [1], data: new Uint16Array([floatToBf16(3.140625)]) }, [3.140625]],
      [{ name: 'f', datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.5, NaN, -Infinity, 2]) }, [0.5, null, null, 2]],
      [{ name: 'd', datatype: 'FP64', shape: [1], data: new Float64Array([Math.PI]) }, [Math.PI]],
      [{ name: 's', datatype: 'BYTES', shape: [2], data: [utf8.encode('hi'), utf8.encode('ünï')] }, ['hi', 'ünï']],
    ];
    for (const [t, want] of cases) {
      const { body, headers } = encodeInferResponse(resp([t]), {});
      expect(headers).toEqual({ 'Content-Type': 'application/json' });
      const json = JSON.parse(body as string);
      expect(json.outputs[0]).toEqual({ name: t.name, datatype: t.datatype, shape: t.shape, data: want });
    }
  });

  test('INT64/UINT64 are written with every digit', () => {
    const t: Tensor = { name: 'i', datatype: 'INT64', shape: [3], data: new BigInt64Array([-9223372036854775808n, 9007199254740993n, 1n]) };
    const u: Tensor = { name: 'u', datatype: 'UINT64', shape: [1], data: new BigUint64Array([18446744073709551615n]) };
    const body = encodeInferResponse(resp([t, u]), {}).body as string;
    expect(body).toContain('"data":[-9223372036854775808,9007199254740993,1]');
    expect(body).toContain('"data":[18446744073709551615]');
  });

  test('response fields: id echoed, parameters kept, empty version left out; valid against the schema', () => {
    const json = JSON.parse(
      encodeInferResponse(resp([{ ...out1, parameters: { unit: 'px' } }], { model_version: '', parameters: { k: 1 } }), { id: 'abc' }).body as string,
    );
    expect(json).toEqual({
      model_name: 'm',
      id: 'abc',
      parameters: { k: 1 },
      outputs: [{ name: 'OUTPUT1', datatype: 'FP32', shape: [1], parameters: { unit: 'px' }, data: [1.5] }],
    });
    expect(InferenceResponseSchema.safeParse(json).success).toBe(true);
    expect(JSON.parse(encodeInferResponse(resp([out1], { id: 'from-resp' }), { id: 'abc' }).body as string).id).toBe('from-resp');
  });
});

describe('output selection and binary flags', () => {
  test('requested outputs only, in request order', () => {
    const json = JSON.parse(encodeInferResponse(resp([out0, out1]), { outputs: [{ name: 'OUTPUT1' }] }).body as string);
    expect(json.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT1']);
    const both = JSON.parse(encodeInferResponse(resp([out0, out1]), { outputs: [{ name: 'OUTPUT1' }, { name: 'OUTPUT0' }] }).body as string);
    expect(both.outputs.map((o: { name: string }) => o.name)).toEqual(['OUTPUT1', 'OUTPUT0']);
  });

  test('an output the model did not produce is reported', () => {
    expectInvalid(() => encodeInferResponse(resp([out0]), { outputs: [{ name: 'nope' }] }), "output 'nope'", "'OUTPUT0'");
  });

  test('binary_data per output; binary_data_output as the default it overrides', () => {
    let r = encodeInferResponse(resp([out0, out1]), { outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }, { name: 'OUTPUT1' }] });
    let p = parseResponse(r.body, r.headers);
    expect(r.headers['Content-Type']).toBe('application/octet-stream');
    expect(p.json.outputs[0]).toEqual({ name: 'OUTPUT0', datatype: 'INT32', shape: [1, 2], parameters: { binary_data_size: 8 } });
    expect(p.json.outputs[1].data).toEqual([1.5]);
    expect(Array.from(new Int32Array(p.binary.get('OUTPUT0')!.slice().buffer))).toEqual([3, -4]);

    r = encodeInferResponse(resp([out0, out1]), { parameters: { binary_data_output: true } });
    p = parseResponse(r.body, r.headers);
    expect([...p.binary.keys()]).toEqual(['OUTPUT0', 'OUTPUT1']);

    r = encodeInferResponse(resp([out0, out1]), {
      parameters: { binary_data_output: true },
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: false } }, { name: 'OUTPUT1' }],
    });
    p = parseResponse(r.body, r.headers);
    expect(p.json.outputs[0].data).toEqual([3, -4]);
    expect([...p.binary.keys()]).toEqual(['OUTPUT1']);

    r = encodeInferResponse(resp([out0]), { outputs: [{ name: 'OUTPUT0', parameters: { binary_data: false } }] });
    expect(typeof r.body).toBe('string');
    expect(r.headers['Inference-Header-Content-Length']).toBeUndefined();
  });

  test('byte-exact binary response', () => {
    const s: Tensor = { name: 'S', datatype: 'BYTES', shape: [2], data: [utf8.encode('ab'), utf8.encode('')], parameters: { note: 'x' } };
    const r = encodeInferResponse(resp([out0, out1, s]), {
      id: '7',
      outputs: [
        { name: 'OUTPUT0', parameters: { binary_data: true } },
        { name: 'OUTPUT1', parameters: { binary_data: false } },
        { name: 'S', parameters: { binary_data: true } },
      ],
    });
    const header =
      '{"model_name":"m","model_version":"1","id":"7","outputs":[' +
      '{"name":"OUTPUT0","datatype":"INT32","shape":[1,2],"parameters":{"binary_data_size":8}},' +
      '{"name":"OUTPUT1","datatype":"FP32","shape":[1],"data":[1.5]},' +
      '{"name":"S","datatype":"BYTES","shape":[2],"parameters":{"note":"x","binary_data_size":10}}]}';
    const expected = [...utf8.encode(header), 3, 0, 0, 0, 0xfc, 0xff, 0xff, 0xff, ...lengthPrefixed('ab', '')];
    expect(r.headers).toEqual({ 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length) });
    expect(Array.from(r.body as Uint8Array)).toEqual(expected);
  });

  test('Inference-Header-Content-Length counts UTF-8 bytes', () => {
    const t: Tensor = { name: 'größe', datatype: 'UINT8', shape: [1], data: new Uint8Array([9]) };
    const r = encodeInferResponse(resp([t]), { parameters: { binary_data_output: true } });
    const body = r.body as Uint8Array;
    const n = Number(r.headers['Inference-Header-Content-Length']);
    expect(n).toBe(utf8.encode(new TextDecoder().decode(body.subarray(0, n))).byteLength);
    expect(JSON.parse(new TextDecoder().decode(body.subarray(0, n))).outputs[0].name).toBe('größe');
    expect(body[n]).toBe(9);
    expect(body.byteLength).toBe(n + 1);
  });

  test('binary outputs of every fixed datatype are their little-endian bytes', () => {
    const arrays = [new Float32Array([0.1, NaN]), new BigInt64Array([-(2n ** 63n)]), new Uint16Array([0x3c00]), new Float64Array([-0])];
    const dts = ['FP32', 'INT64', 'FP16', 'FP64'] as const;
    const outs = arrays.map((data, i): Tensor => ({ name: `o${i}`, datatype: dts[i], shape: [data.length], data }));
    const r = encodeInferResponse(resp(outs), { parameters: { binary_data_output: true } });
    const p = parseResponse(r.body, r.headers);
    arrays.forEach((a, i) => {
      expect(Array.from(p.binary.get(`o${i}`)!)).toEqual(Array.from(le(a)));
    });
  });
});
