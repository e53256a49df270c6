// The opset 9 → 13 upgrade on a hand-built graph that uses every rewritten form at once
// (Softmax on a non-last axis, Clip and Slice attributes, Unsqueeze/Squeeze axes, Dropout): the
// upgraded model must compute exactly what the original does, on a real engine.

import { expect, test } from 'bun:test';
import * as ort from 'onnxruntime-web';
import { encodeValueInfo } from '../encode.ts';
import { ONNX_TYPE } from '../schema.ts';
import { floatAttr, intAttr, intsAttr } from './attributes.ts';
import { encodeModel, type Model, node, parseModel } from './graph.ts';
import { ortSessions } from './session.ts';
import { TARGET_OPSET, upgradeToOpset13 } from './upgrade.ts';

function opset9(): Uint8Array {
  const m: Model = {
    irVersion: 4,
    opsets: new Map([['', 9]]),
    other: [],
    graph: {
      nodes: [
        node('Softmax', ['x'], ['s'], 'softmax', [intAttr('axis', 1)]),
        node('Clip', ['s'], ['c'], 'clip', [floatAttr('min', 0.05), floatAttr('max', 0.3)]),
        node('Unsqueeze', ['c'], ['u'], 'unsqueeze', [intsAttr('axes', [0])]),
        node('Squeeze', ['u'], ['q'], 'squeeze', [intsAttr('axes', [0])]),
        node('Dropout', ['q'], ['d'], 'dropout', [floatAttr('ratio', 0.5)]),
        node('Slice', ['d'], ['y'], 'slice', [intsAttr('starts', [1]), intsAttr('ends', [3]), intsAttr('axes', [2])]),
      ],
      initializers: new Map(),
      inputs: [encodeValueInfo('x', ONNX_TYPE.FLOAT, [2, 3, 4])],
      outputs: [encodeValueInfo('y', ONNX_TYPE.FLOAT, [2, 3, 2])],
      valueInfo: [],
      other: [],
    },
  };
  return encodeModel(m);
}

test('every rewritten operator computes what it did at opset 9', async () => {
  const original = opset9();
  const m = parseModel(original);
  const r = upgradeToOpset13(m);
  expect(r.from).toBe(9);
  expect(r.to).toBe(TARGET_OPSET);
  expect(r.changes.map((c) => c.split(':')[0]).sort()).toEqual(['clip', 'dropout', 'slice', 'softmax', 'squeeze', 'unsqueeze']);
  // Softmax over axis 1 of a rank-3 tensor had the "flatten to 2-D" meaning: spelled out.
  expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Flatten', 'Softmax', 'Shape', 'Reshape', 'Clip', 'Unsqueeze', 'Squeeze', 'Identity', 'Slice']);
  expect(m.opsets.get('')).toBe(13);
  const upgraded = encodeModel(m);

  ort.env.wasm.numThreads = 1;
  const open = ortSessions(ort, 'wasm');
  const x = { data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7) * 3), dims: [2, 3, 4] };
  const [a, b] = [await open(original), await open(upgraded)];
  const [ya, yb] = [(await a.run({ x })).y, (await b.run({ x })).y];
  expect(yb.dims).toEqual([2, 3, 2]);
  expect(Array.from(yb.data)).toEqual(Array.from(ya.data));
  // Values of the old Softmax meaning (normalised over axes 1 and 2 together) reach the clip.
  expect(new Set(Array.from(ya.data)).size).toBeGreaterThan(2);
});

test('a model at opset 13 or later is left alone; a subgraph is refused by name', () => {
  const m = parseModel(opset9());
  m.opsets.set('', 13);
  expect(upgradeToOpset13(m).changes).toEqual([]);
  const old = parseModel(opset9());
  old.graph.nodes[0].attributes.push(new Uint8Array([0x0a, 0x01, 0x67, 0x32, 0x00])); // name "g", an empty graph
  expect(() => upgradeToOpset13(old)).toThrow(/softmax \(Softmax\) has a subgraph/);
});
