// Reading a model's signature from ONNX bytes: types, symbolic/unknown dims, initializers that
// old exporters list as inputs, and the real face models.

import { describe, expect, test } from 'bun:test';
import { encodeInt64Tensor, encodeNode, encodeOpset, encodeValueInfo } from './encode.ts';
import { readModelIO } from './model-info.ts';
import { Writer } from './protobuf.ts';
import { GRAPH, MODEL, ONNX_TYPE, SPARSE_TENSOR, TENSOR, VALUE_INFO } from './schema.ts';
import { loadFaceModel } from './testing.ts';

function model(graph: (g: Writer) => unknown, ir = 3): Uint8Array {
  return new Writer()
    .varint(MODEL.IR_VERSION, ir)
    .message(MODEL.OPSET_IMPORT, encodeOpset('', 9))
    .message(MODEL.OPSET_IMPORT, encodeOpset('com.microsoft', 1))
    .message(MODEL.GRAPH, graph)
    .finish();
}

describe('readModelIO', () => {
  const bytes = model((g) =>
    g
      .message(GRAPH.NODE, encodeNode('Identity', ['X'], ['Y']))
      .message(GRAPH.INITIALIZER, encodeInt64Tensor('W', [1n, 2n]))
      .message(GRAPH.SPARSE_INITIALIZER, (s) => s.message(SPARSE_TENSOR.VALUES, (t) => t.string(TENSOR.NAME, 'S')))
      .message(GRAPH.INPUT, encodeValueInfo('X', ONNX_TYPE.FLOAT, [1, 'n', null]))
      .message(GRAPH.INPUT, encodeValueInfo('W', ONNX_TYPE.INT64, [2]))
      .message(GRAPH.INPUT, encodeValueInfo('S', ONNX_TYPE.FLOAT, [4]))
      .message(GRAPH.INPUT, encodeValueInfo('mask', ONNX_TYPE.BOOL, []))
      .message(GRAPH.OUTPUT, encodeValueInfo('Y', ONNX_TYPE.FLOAT, [1, 'n', null]))
      .message(GRAPH.OUTPUT, encodeValueInfo('labels', ONNX_TYPE.STRING, ['n']))
      .message(GRAPH.OUTPUT, encodeValueInfo('half', ONNX_TYPE.FLOAT16, [3]))
      .message(GRAPH.OUTPUT, (vi) =>
        vi.string(VALUE_INFO.NAME, 'unshaped').message(VALUE_INFO.TYPE, (t) => t.message(1, (tt) => tt.varint(1, ONNX_TYPE.UINT8))),
      ),
  );

  const io = readModelIO(bytes);
  test('excludes dense and sparse initializers listed as inputs', () => {
    expect(io.inputs.map((i) => i.name)).toEqual(['X', 'mask']);
  });
  test('maps dims: value → number, param → string, unknown → -1', () => {
    expect(io.inputs[0]).toEqual({ name: 'X', datatype: 'FP32', shape: [1, 'n', -1] });
    expect(io.inputs[1]).toEqual({ name: 'mask', datatype: 'BOOL', shape: [] });
  });
  test('maps ONNX types to KServe names (STRING → BYTES)', () => {
    expect(io.outputs.map((o) => o.datatype)).toEqual(['FP32', 'BYTES', 'FP16', 'UINT8']);
    expect(io.outputs[3].shape).toEqual([]);
  });
  test('reports IR version and opsets per domain', () => {
    expect(io.irVersion).toBe(3);
    expect(io.opsets).toEqual({ '': 9, 'com.microsoft': 1 });
  });
  test('rejects non-tensor values and bytes that are not a model', () => {
    const seq = model((g) =>
      g.message(GRAPH.OUTPUT, (vi) =>
        vi.string(VALUE_INFO.NAME, 'seq').message(VALUE_INFO.TYPE, (t) => t.message(4, (s) => s.message(1, (e) => e.message(1, (tt) => tt.varint(1, 1))))),
      ),
    );
    expect(() => readModelIO(seq)).toThrow(/not a tensor/);
    expect(() => readModelIO(new TextEncoder().encode('not a model'))).toThrow();
  });
});

describe('face models', () => {
  const detect = loadFaceModel('face_detect');
  test.skipIf(!detect)('face_detect: input [1,3,240,320] → scores, boxes', () => {
    const io = readModelIO(detect!);
    expect(io.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [1, 3, 240, 320] }]);
    expect(io.outputs).toEqual([
      { name: 'scores', datatype: 'FP32', shape: [1, 4420, 2] },
      { name: 'boxes', datatype: 'FP32', shape: [1, 4420, 4] },
    ]);
  });
  const embed = loadFaceModel('face_embed');
  test.skipIf(!embed)('face_embed: input [1,3,112,112] → [1,512]', () => {
    const io = readModelIO(embed!);
    expect(io.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [1, 3, 112, 112] }]);
    expect(io.outputs).toEqual([{ name: 'output', datatype: 'FP32', shape: [1, 512] }]);
  });
});
