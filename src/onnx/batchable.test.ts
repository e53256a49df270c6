// The batch-dimension edit: what it rewrites, what it must leave alone, and proof by running it
// (synthetic models on onnxruntime-node, then the real face models when they are present).

import { describe, expect, test } from 'bun:test';
import * as ort from 'onnxruntime-node';
import { editBatchDim, makeBatchDimSymbolic } from './batchable.ts';
import { encodeInt64Tensor, encodeNode, encodeOpset, encodeValueInfo } from './encode.ts';
import { readModelIO } from './model-info.ts';
import { ortOpener } from './ort-runner.ts';
import { readFields, Writer } from './protobuf.ts';
import { ATTRIBUTE, DIM, GRAPH, MODEL, NODE, ONNX_TYPE, SHAPE, TENSOR_TYPE, TYPE, VALUE_INFO } from './schema.ts';
import { loadFaceModel, ORT_TEST_OPTIONS } from './testing.ts';
import { verifyBatchable } from './verify.ts';

const open = ortOpener(ort, ORT_TEST_OPTIONS);

function model(graph: (g: Writer) => unknown): Uint8Array {
  return new Writer()
    .varint(MODEL.IR_VERSION, 7)
    .message(MODEL.OPSET_IMPORT, encodeOpset('', 13))
    .message(MODEL.GRAPH, graph)
    .varint(99, 42) /* an unknown field: must survive */
    .finish();
}

/** X [1,2,3] → Reshape(X, [1,-1]) → Y [1,6]; the target as an initializer or a Constant node. */
function flattenModel(target: 'initializer' | 'constant', raw = true): Uint8Array {
  const shape = encodeInt64Tensor('target', [1n, -1n], { raw });
  return model((g) => {
    if (target === 'constant') {
      g.message(GRAPH.NODE, (n) =>
        n
          .string(NODE.OUTPUT, 'target')
          .string(NODE.OP_TYPE, 'Constant')
          .message(NODE.ATTRIBUTE, (a) => a.string(ATTRIBUTE.NAME, 'value').varint(ATTRIBUTE.TYPE, 4).message(ATTRIBUTE.TENSOR, shape)),
      );
    }
    g.message(GRAPH.NODE, encodeNode('Reshape', ['X', 'target'], ['Y']));
    if (target === 'initializer') g.message(GRAPH.INITIALIZER, shape);
    g.message(GRAPH.INPUT, encodeValueInfo('X', ONNX_TYPE.FLOAT, [1, 2, 3]));
    g.message(GRAPH.OUTPUT, encodeValueInfo('Y', ONNX_TYPE.FLOAT, [1, 6]));
  });
}

describe('editBatchDim', () => {
  test('rewrites dim 0 of inputs and outputs, keeps denotations and unknown fields', () => {
    const denoted = new Writer()
      .string(VALUE_INFO.NAME, 'X')
      .message(VALUE_INFO.TYPE, (t) =>
        t.message(TYPE.TENSOR_TYPE, (tt) =>
          tt
            .varint(TENSOR_TYPE.ELEM_TYPE, ONNX_TYPE.FLOAT)
            .message(TENSOR_TYPE.SHAPE, (s) =>
              s.message(SHAPE.DIM, (d) => d.varint(DIM.VALUE, 1).string(3, 'DATA_BATCH')).message(SHAPE.DIM, (d) => d.varint(DIM.VALUE, 8)),
            ),
        ),
      )
      .finish();
    const bytes = model((g) =>
      g
        .message(GRAPH.NODE, encodeNode('Relu', ['X'], ['Y']))
        .message(GRAPH.INPUT, denoted)
        .message(GRAPH.OUTPUT, encodeValueInfo('Y', ONNX_TYPE.FLOAT, [1, 8]))
        .message(GRAPH.VALUE_INFO, encodeValueInfo('mid', ONNX_TYPE.FLOAT, [1, 8]))
        .message(GRAPH.VALUE_INFO, encodeValueInfo('len', ONNX_TYPE.INT64, [2])),
    );
    const edit = editBatchDim(bytes, 'N');
    expect(edit).toMatchObject({ inputs: ['X'], outputs: ['Y'], valueInfo: ['mid'], reshapes: [] });
    const io = readModelIO(edit.bytes);
    expect(io.inputs[0].shape).toEqual(['N', 8]);
    expect(io.outputs[0].shape).toEqual(['N', 8]);
    expect(new TextDecoder().decode(edit.bytes)).toContain('DATA_BATCH');
    expect([...readFields(edit.bytes)].at(-1)).toMatchObject({ no: 99, varint: 42n });
  });

  test('leaves initializers listed as inputs alone, and is idempotent', () => {
    const bytes = model((g) =>
      g
        .message(GRAPH.NODE, encodeNode('Add', ['X', 'W'], ['Y']))
        .message(GRAPH.INITIALIZER, encodeInt64Tensor('W', [1n]))
        .message(GRAPH.INPUT, encodeValueInfo('X', ONNX_TYPE.INT64, [1]))
        .message(GRAPH.INPUT, encodeValueInfo('W', ONNX_TYPE.INT64, [1]))
        .message(GRAPH.OUTPUT, encodeValueInfo('Y', ONNX_TYPE.INT64, [1])),
    );
    const once = makeBatchDimSymbolic(bytes);
    expect(editBatchDim(bytes).inputs).toEqual(['X']);
    expect(makeBatchDimSymbolic(once)).toBe(once);
  });

  for (const [target, raw] of [
    ['initializer', true],
    ['initializer', false],
    ['constant', true],
    ['constant', false],
  ] as const) {
    test(`Reshape to [1,-1] (${target}, ${raw ? 'raw_data' : 'int64_data'}) breaks batching unless fixed`, async () => {
      const original = flattenModel(target, raw);
      const unfixed = await verifyBatchable(original, makeBatchDimSymbolic(original, 'batch', { fixReshapes: false }), open);
      expect(unfixed.ok).toBe(false);
      const edit = editBatchDim(original);
      expect(edit.reshapes).toEqual(['target']);
      const verdict = await verifyBatchable(original, edit.bytes, open);
      expect(verdict).toMatchObject({ ok: true, batch: 4 });
      expect(verdict.outputs).toEqual([{ name: 'Y', dims: [4, 6], shapeOk: true, bitIdentical: true, maxAbsDiff: 0 }]);
    });
  }

  test('a shape tensor also read by another node is not patched', () => {
    const bytes = model((g) =>
      g
        .message(GRAPH.NODE, encodeNode('Reshape', ['X', 'target'], ['Y']))
        .message(GRAPH.NODE, encodeNode('Identity', ['target'], ['T']))
        .message(GRAPH.INITIALIZER, encodeInt64Tensor('target', [1n, -1n]))
        .message(GRAPH.INPUT, encodeValueInfo('X', ONNX_TYPE.FLOAT, [1, 2, 3]))
        .message(GRAPH.OUTPUT, encodeValueInfo('Y', ONNX_TYPE.FLOAT, [1, 6]))
        .message(GRAPH.OUTPUT, encodeValueInfo('T', ONNX_TYPE.INT64, [2])),
    );
    expect(editBatchDim(bytes).reshapes).toEqual([]);
  });
});

describe('face models batch correctly (batch 4 vs 4 single runs, onnxruntime-node)', () => {
  for (const name of ['face_detect', 'face_embed'] as const) {
    const original = loadFaceModel(name);
    test.skipIf(!original)(
      name,
      async () => {
        const edit = editBatchDim(original!);
        expect(readModelIO(edit.bytes).inputs[0].shape[0]).toBe('batch');
        const verdict = await verifyBatchable(original!, edit.bytes, open, { batch: 4, seed: 7 });
        expect(verdict.error).toBeUndefined();
        for (const o of verdict.outputs) expect(o).toMatchObject({ shapeOk: true, bitIdentical: true, maxAbsDiff: 0 });
      },
      30_000,
    );
  }

  // fr_feature ends in Reshape(x, [1,-1]): editing only the signature silently returns one
  // [1, 4*512] row (ORT merely warns). verifyBatchable must catch that.
  const embed = loadFaceModel('face_embed');
  test.skipIf(!embed)(
    'face_embed without the Reshape fix is reported as not batchable',
    async () => {
      const edit = editBatchDim(embed!, 'batch', { fixReshapes: false });
      const verdict = await verifyBatchable(embed!, edit.bytes, open);
      expect(verdict.ok).toBe(false);
      expect(verdict.error).toContain('[1,2048]');
    },
    30_000,
  );
});
