// decodeInferRequest: JSON data for every datatype (flat and nested), the binary-data extension
// (order, sizes, BYTES framing, zero-copy views) and the 400 messages for each way a request is wrong.

import { describe, expect, test } from 'bun:test';
import { floatToBf16, floatToHalf } from '../core/datatypes.ts';
import { decodeInferRequest, parseInferenceHeaderLength } from './kserve-decode.ts';
import { binaryBody, expectInvalid, jsonBody, le, lengthPrefixed, utf8 } from './test-utils.ts';

const one = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) => jsonBody({ inputs: [input], ...extra });
const decodeJson = (input: Record<string, unknown>) => decodeInferRequest(one(input), undefined).inputs[0];

describe('JSON data', () => {
  test('every datatype becomes its typed array', () => {
    const cases: Array<[string, unknown[], unknown]> = [
      ['BOOL', [true, false, true], new Uint8Array([1, 0, 1])],
      ['UINT8', [0, 255, 7], new Uint8Array([0, 255, 7])],
      ['INT8', [-128, 127, 0], new Int8Array([-128, 127, 0])],
      ['UINT16', [0, 65535, 1], new Uint16Array([0, 65535, 1])],
      ['INT16', [-32768, 32767, -1], new Int16Array([-32768, 32767, -1])],
      ['UINT32', [0, 4294967295, 5], new Uint32Array([0, 4294967295, 5])],
      ['INT32', [-2147483648, 2147483647, 0], new Int32Array([-2147483648, 2147483647, 0])],
      ['UINT64', [0, 18446744073709551615n.toString(), 42], new BigUint64Array([0n, 18446744073709551615n, 42n])],
      ['INT64', [-1, '-9223372036854775808', 9007199254740991], new BigInt64Array([-1n, -9223372036854775808n, 9007199254740991n])],
      ['FP16', [1, -2.5, 65504], new Uint16Array([0x3c00, 0xc100, 0x7bff])],
      ['BF16', [1, -2.5, 3.140625], new Uint16Array([0x3f80, 0xc020, 0x4049])],
      ['FP32', [0.1, -3.5, 1e-30], new Float32Array([0.1, -3.5, 1e-30])],
      ['FP64', [0.1, Math.PI, -1e300], new Float64Array([0.1, Math.PI, -1e300])],
    ];
    for (const [datatype, data, want] of cases) {
      const t = decodeJson({ name: 'x', shape: [3], datatype, data });
      expect(t.datatype).toBe(datatype as never);
      expect(t.data).toEqual(want as never);
    }
  });

  test('BYTES from UTF-8 strings', () => {
    const t = decodeJson({ name: 's', shape: [3], datatype: 'BYTES', data: ['hello', '', 'ünï'] });
    expect((t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['hello', '', 'ünï']);
  });

  test('nested and flat data decode to the same tensor', () => {
    const flat = decodeJson({ name: 'x', shape: [2, 2, 2], datatype: 'INT32', data: [1, 2, 3, 4, 5, 6, 7, 8] });
    const nested = decodeJson({
      name: 'x',
      shape: [2, 2, 2],
      datatype: 'INT32',
      data: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    });
    expect(nested.data).toEqual(flat.data);
    expect(nested.shape).toEqual([2, 2, 2]);
  });

  test('FP16 rounds to nearest half', () => {
    const t = decodeJson({ name: 'h', shape: [2], datatype: 'FP16', data: [0.1, 1e9] });
    expect(Array.from(t.data as Uint16Array)).toEqual([floatToHalf(0.1), 0x7c00]);
    const b = decodeJson({ name: 'b', shape: [1], datatype: 'BF16', data: [0.1] });
    expect((b.data as Uint16Array)[0]).toBe(floatToBf16(0.1));
  });

  test('INT64 values beyond 2^53 keep every digit', () => {
    const text = '{"inputs":[{"name":"big","shape":[3],"datatype":"INT64","data":[9007199254740993,-9223372036854775807,"9223372036854775807"]}]}';
    const t = decodeInferRequest(utf8.encode(text), undefined).inputs[0];
    expect(Array.from(t.data as BigInt64Array)).toEqual([9007199254740993n, -9223372036854775807n, 9223372036854775807n]);
    const u = decodeInferRequest(utf8.encode('{"inputs":[{"name":"u","shape":[1],"datatype":"UINT64","data":[18446744073709551615]}]}'), undefined).inputs[0];
    expect((u.data as BigUint64Array)[0]).toBe(18446744073709551615n);
  });

  test('element count must match the shape', () => {
    expectInvalid(() => decodeJson({ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: [1, 2, 3] }), "'INPUT0'", '[1,16]', '16 elements', 'got 3');
    expectInvalid(() => decodeJson({ name: 'n', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3]] }), "'n'", 'needs 4', 'got 3');
  });

  test('values are checked per datatype', () => {
    expectInvalid(() => decodeJson({ name: 'u8', shape: [2], datatype: 'UINT8', data: [1, 300] }), "'u8'", 'element 1', '[0, 255]', 'got 300');
    expectInvalid(() => decodeJson({ name: 'u32', shape: [1], datatype: 'UINT32', data: [-1] }), "'u32'", 'element 0', 'got -1');
    expectInvalid(() => decodeJson({ name: 'i', shape: [1], datatype: 'INT32', data: [1.5] }), "'i'", 'an integer', 'got 1.5');
    expectInvalid(() => decodeJson({ name: 'u64', shape: [1], datatype: 'UINT64', data: [-1] }), "'u64'", 'got -1');
    expectInvalid(() => decodeJson({ name: 'i64', shape: [1], datatype: 'INT64', data: ['12x'] }), "'i64'", 'got "12x"');
    expectInvalid(
      () => decodeInferRequest(utf8.encode('{"inputs":[{"name":"i64","shape":[1],"datatype":"INT64","data":[9223372036854775808]}]}'), undefined),
      "'i64'",
      'got 9223372036854775808',
    );
    expectInvalid(() => decodeJson({ name: 'f', shape: [1], datatype: 'FP32', data: ['1.0'] }), "'f'", 'a number', 'got "1.0"');
    expectInvalid(() => decodeJson({ name: 'b', shape: [1], datatype: 'BOOL', data: [1] }), "'b'", 'true or false', 'got 1');
    expectInvalid(() => decodeJson({ name: 's', shape: [1], datatype: 'BYTES', data: [7] }), "'s'", 'a string', 'got 7');
  });

  test('missing data, deep nesting, unknown datatype', () => {
    expectInvalid(() => decodeJson({ name: 'x', shape: [1], datatype: 'FP32' }), "input 'x' has no data");
    let deep: unknown = [1];
    for (let i = 0; i < 70; i++) deep = [deep];
    expectInvalid(() => decodeJson({ name: 'd', shape: [1], datatype: 'FP32', data: deep }), "'d'", 'deeper than 64');
    expectInvalid(() => decodeJson({ name: 'x', shape: [1], datatype: 'FLOAT', data: [1] }), "input 'x' field datatype", 'must be one of', 'got "FLOAT"');
  });
});

describe('request structure', () => {
  test('bad JSON is a clear 400', () => {
    expectInvalid(() => decodeInferRequest(utf8.encode('{"inputs": ['), undefined), 'not valid JSON');
    expectInvalid(() => decodeInferRequest(new Uint8Array([0xff, 0xfe]), undefined), 'not valid UTF-8');
    const { body } = binaryBody({ inputs: [{ name: 'a', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }, new Uint8Array(4));
    expectInvalid(() => decodeInferRequest(body, undefined), 'not valid JSON', 'Inference-Header-Content-Length');
  });

  test('missing or mistyped fields name the path', () => {
    expectInvalid(() => decodeInferRequest(jsonBody({}), undefined), 'field inputs is required');
    expectInvalid(() => decodeInferRequest(jsonBody([]), undefined), 'request must be an object', 'got an empty array');
    expectInvalid(() => decodeInferRequest(jsonBody({ inputs: [{ shape: [1], datatype: 'FP32', data: [1] }] }), undefined), 'inputs[0] field name is required');
    expectInvalid(() => decodeInferRequest(one({ name: 'x', datatype: 'FP32', data: [1] }), undefined), "input 'x' field shape is required");
    expectInvalid(
      () => decodeInferRequest(one({ name: 'x', shape: [1.5], datatype: 'FP32', data: [1] }), undefined),
      "input 'x' field shape[0] must be an integer, got 1.5",
    );
    expectInvalid(() => decodeInferRequest(one({ name: 'x', shape: [-1], datatype: 'FP32', data: [1] }), undefined), "input 'x' field shape[0]", 'got -1');
    expectInvalid(
      () => decodeInferRequest(one({ name: 'x', shape: [1], datatype: 'FP32', data: 5 }), undefined),
      "input 'x' field data",
      'must be an array',
      'got 5',
    );
    expectInvalid(() => decodeInferRequest(jsonBody({ id: 7, inputs: [] }), undefined), 'field id must be a string, got 7');
    expectInvalid(
      () => decodeInferRequest(one({ name: 'x', shape: [1], datatype: 'FP32', data: [1], parameters: { a: null } }), undefined),
      "input 'x' field parameters.a",
      'string, number or boolean',
      'got null',
    );
  });

  test('duplicate names and non-boolean binary flags are rejected', () => {
    const x = { name: 'x', shape: [1], datatype: 'FP32', data: [1] };
    expectInvalid(() => decodeInferRequest(jsonBody({ inputs: [x, x] }), undefined), "input 'x' appears more than once");
    expectInvalid(() => decodeInferRequest(one(x, { outputs: [{ name: 'y' }, { name: 'y' }] }), undefined), "output 'y' appears more than once");
    expectInvalid(
      () => decodeInferRequest(one(x, { outputs: [{ name: 'y', parameters: { binary_data: 'true' } }] }), undefined),
      "output 'y'",
      'binary_data must be true or false',
      'got "true"',
    );
    expectInvalid(() => decodeInferRequest(one(x, { parameters: { binary_data_output: 1 } }), undefined), 'binary_data_output must be true or false', 'got 1');
    expectInvalid(() => decodeInferRequest(one({ ...x, data: undefined, parameters: { shared_memory_region: 'r' } }), undefined), "input 'x'", 'shared memory');
  });

  test('id, parameters and requested outputs pass through', () => {
    const req = decodeInferRequest(
      one(
        { name: 'x', shape: [1], datatype: 'FP32', data: [1], parameters: { note: 'n' } },
        {
          id: 'req-1',
          parameters: { priority: 2, binary_data_output: true },
          outputs: [{ name: 'y', parameters: { binary_data: false } }, { name: 'z' }],
        },
      ),
      undefined,
    );
    expect(req.id).toBe('req-1');
    expect(req.parameters).toEqual({ priority: 2, binary_data_output: true });
    expect(req.outputs).toEqual([{ name: 'y', parameters: { binary_data: false } }, { name: 'z' }]);
    expect(req.inputs[0].parameters).toEqual({ note: 'n' });
  });

  test('limits', () => {
    const x = (name: string) => ({ name, shape: [1], datatype: 'FP32', data: [1] });
    expectInvalid(() => decodeInferRequest(jsonBody({ inputs: [x('a'), x('b')] }), undefined, { maxInputs: 1 }), '2 inputs', 'limit of 1');
    expectInvalid(
      () => decodeInferRequest(one({ name: 'big', shape: [1000, 1000], datatype: 'FP32', data: [] }), undefined, { maxElements: 1000 }),
      "'big'",
      '1000000 elements',
      'limit of 1000',
    );
  });
});

describe('binary data extension', () => {
  const header = (inputs: unknown[]) => ({ inputs });

  test('inputs take their bytes in order; binary_data_size is stripped', () => {
    const a = new Float32Array([1.5, -2, 3, 4]);
    const b = new Uint8Array([1, 0, 1]);
    const { body, headerLength } = binaryBody(
      header([
        { name: 'a', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16, keep: 'me' } },
        { name: 'j', shape: [2], datatype: 'INT32', data: [7, 8] },
        { name: 'b', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ]),
      le(a),
      b,
    );
    const req = decodeInferRequest(body, headerLength);
    expect(req.inputs.map((t) => t.name)).toEqual(['a', 'j', 'b']);
    expect(req.inputs[0].data).toEqual(a);
    expect(req.inputs[0].parameters).toEqual({ keep: 'me' });
    expect(req.inputs[1].data).toEqual(new Int32Array([7, 8]));
    expect(req.inputs[2].data).toEqual(b);
    expect(req.inputs[2].parameters).toBeUndefined();
  });

  test('every fixed-size datatype, including FP16/BF16 bit patterns and big INT64', () => {
    const arrays: Record<string, ArrayBufferView> = {
      BOOL: new Uint8Array([1, 0]),
      UINT8: new Uint8Array([0, 255]),
      INT8: new Int8Array([-128, 127]),
      UINT16: new Uint16Array([1, 65535]),
      INT16: new Int16Array([-32768, 2]),
      FP16: new Uint16Array([0x3c00, 0x7e00]),
      BF16: new Uint16Array([0x3f80, 0xff80]),
      UINT32: new Uint32Array([0, 4294967295]),
      INT32: new Int32Array([-1, 2]),
      FP32: new Float32Array([0.1, NaN]),
      UINT64: new BigUint64Array([18446744073709551615n, 1n]),
      INT64: new BigInt64Array([-9223372036854775808n, 9007199254740993n]),
      FP64: new Float64Array([Math.E, -0]),
    };
    for (const [datatype, arr] of Object.entries(arrays)) {
      const { body, headerLength } = binaryBody(header([{ name: datatype, shape: [2], datatype, parameters: { binary_data_size: arr.byteLength } }]), le(arr));
      const t = decodeInferRequest(body, headerLength).inputs[0];
      expect(t.data.constructor).toBe(arr.constructor as never);
      expect(Array.from(le(t.data as ArrayBufferView))).toEqual(Array.from(le(arr))); // bytes: NaN and -0 included
    }
  });

  test('aligned data is a zero-copy view of the body; misaligned data is copied', () => {
    const head = JSON.stringify(header([{ name: 'a', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }]));
    const pad = ' '.repeat((4 - (utf8.encode(head).byteLength % 4)) % 4); // JSON allows trailing whitespace
    const aligned = binaryBody(head + pad, le(new Float32Array([1, 2])));
    const t = decodeInferRequest(aligned.body, aligned.headerLength).inputs[0];
    expect((t.data as Float32Array).buffer).toBe(aligned.body.buffer);
    const misaligned = binaryBody(`${head + pad} `, le(new Float32Array([1, 2])));
    const u = decodeInferRequest(misaligned.body, misaligned.headerLength).inputs[0];
    expect(u.data).toEqual(new Float32Array([1, 2]));
    expect((u.data as Float32Array).buffer).not.toBe(misaligned.body.buffer);
  });

  test('BYTES elements are length-prefixed', () => {
    const bytes = lengthPrefixed('ab', '', 'ünï');
    const { body, headerLength } = binaryBody(
      header([{ name: 's', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } }]),
      bytes,
    );
    const t = decodeInferRequest(body, headerLength).inputs[0];
    expect((t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['ab', '', 'ünï']);
  });

  test('BYTES element count and truncation errors', () => {
    const two = lengthPrefixed('a', 'b');
    let r = binaryBody(header([{ name: 's', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: two.byteLength } }]), two);
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'s'", 'needs 3 BYTES elements', 'holds 2');
    const cut = lengthPrefixed('abcdef').subarray(0, 7);
    r = binaryBody(header([{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 7 } }]), cut);
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'s'", 'element 0 declares 6 bytes', 'only 3 remain');
    r = binaryBody(header([{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 2 } }]), new Uint8Array(2));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'s'", '4-byte length prefix', 'only 2 bytes');
  });

  test('byte count must match shape x element size', () => {
    const r = binaryBody(header([{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 60 } }]), new Uint8Array(60));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'INPUT0'", 'needs 64 bytes', 'binary_data_size is 60');
  });

  test('missing bytes, leftover bytes, no header', () => {
    let r = binaryBody(header([{ name: 'a', shape: [4], datatype: 'FP32', parameters: { binary_data_size: 16 } }]), new Uint8Array(10));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'a'", 'binary_data_size is 16', 'only 10 bytes');
    r = binaryBody(header([{ name: 'a', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }]), new Uint8Array(12));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'a' (4)", '12 bytes of binary data', '8 bytes left over');
    r = binaryBody(header([{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }]), new Uint8Array(3));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), 'no input has parameters.binary_data_size', '3 bytes left over');
    r = binaryBody(header([{ name: 'a', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }]));
    expectInvalid(() => decodeInferRequest(r.body, undefined), "'a'", 'no binary data', 'Inference-Header-Content-Length');
    r = binaryBody(header([{ name: 'a', shape: [1], datatype: 'FP32', data: [1], parameters: { binary_data_size: 4 } }]), new Uint8Array(4));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'a' has both");
    r = binaryBody(header([{ name: 'a', shape: [1], datatype: 'FP32', parameters: { binary_data_size: -4 } }]), new Uint8Array(4));
    expectInvalid(() => decodeInferRequest(r.body, r.headerLength), "'a'", 'non-negative integer', 'got -4');
  });

  test('header length is validated', () => {
    const body = jsonBody({ inputs: [] });
    expectInvalid(() => decodeInferRequest(body, body.byteLength + 1), `is ${body.byteLength + 1}`, `body is ${body.byteLength} bytes`);
    expect(decodeInferRequest(body, body.byteLength).inputs).toEqual([]);
    expect(parseInferenceHeaderLength(null)).toBeUndefined();
    expect(parseInferenceHeaderLength(' 42 ')).toBe(42);
    expectInvalid(() => parseInferenceHeaderLength('4x'), 'Inference-Header-Content-Length', 'got "4x"');
  });
});
