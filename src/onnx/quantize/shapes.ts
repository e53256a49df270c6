// What a graph says about its values' types and shapes (graph inputs, outputs, value_info):
// ranks for the opset upgrader, and the elem_type check that keeps the quantizer to FP32 values.
// No shape inference: where a graph is silent, callers treat the shape as unknown.

import { lastField, messages, text } from '../fields.ts';
import { toNumber } from '../protobuf.ts';
import { SHAPE, TENSOR_TYPE, TYPE, VALUE_INFO } from '../schema.ts';
import type { Graph } from './graph.ts';

export interface ValueType {
  elemType: number;
  rank?: number;
}

export function valueType(vi: Uint8Array): ValueType | undefined {
  const type = lastField(vi, VALUE_INFO.TYPE);
  const tensor = type && lastField(type.bytes, TYPE.TENSOR_TYPE);
  if (!tensor) return undefined;
  const elem = lastField(tensor.bytes, TENSOR_TYPE.ELEM_TYPE);
  const shape = lastField(tensor.bytes, TENSOR_TYPE.SHAPE);
  return { elemType: elem ? toNumber(elem) : 0, ...(shape ? { rank: messages(shape.bytes, SHAPE.DIM).length } : {}) };
}

/** name → type, from every value info the graph carries. */
export function valueTypes(g: Graph): Map<string, ValueType> {
  const m = new Map<string, ValueType>();
  for (const vi of [...g.inputs, ...g.outputs, ...g.valueInfo]) {
    const t = valueType(vi);
    if (t) m.set(text(vi, VALUE_INFO.NAME), t);
  }
  return m;
}

export function valueRanks(g: Graph): Map<string, number> {
  const m = new Map<string, number>();
  for (const [name, t] of valueTypes(g)) if (t.rank !== undefined) m.set(name, t.rank);
  return m;
}
