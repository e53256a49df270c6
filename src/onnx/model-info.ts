// Reads a model's signature (graph inputs/outputs: name, KServe datatype, shape) and version
// facts straight from ONNX bytes, so model configs may leave inputs/outputs out and the server
// knows them without creating a session.

import type { Datatype } from '../core/datatypes.ts';
import { lastField, messages, text } from './fields.ts';
import { type Field, readFields, toNumber, toText, WIRE } from './protobuf.ts';
import { DIM, GRAPH, kserveType, MODEL, OPSET, SHAPE, SPARSE_TENSOR, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './schema.ts';

export interface IOInfo {
  name: string;
  datatype: Datatype;
  /** number for dim_value, string for dim_param, -1 when the dimension is unknown. */
  shape: Array<number | string>;
}
export interface ModelIO {
  inputs: IOInfo[];
  outputs: IOInfo[];
  irVersion: number;
  /** opset version per domain ('' is the default ONNX domain). */
  opsets: Record<string, number>;
}

export function readModelIO(bytes: Uint8Array): ModelIO {
  let irVersion = 0;
  let graph: Uint8Array | undefined;
  const opsets: Record<string, number> = {};
  for (const f of readFields(bytes)) {
    if (f.no === MODEL.IR_VERSION && f.wire === WIRE.VARINT) irVersion = toNumber(f);
    else if (f.no === MODEL.GRAPH && f.wire === WIRE.LEN) graph = f.bytes;
    else if (f.no === MODEL.OPSET_IMPORT && f.wire === WIRE.LEN) {
      const v = lastField(f.bytes, OPSET.VERSION);
      opsets[text(f.bytes, OPSET.DOMAIN)] = v ? toNumber(v) : 0;
    }
  }
  if (!graph) throw new Error('ONNX model has no graph (is this an ONNX file?)');
  const init = initializerNames(graph);
  const inputs = messages(graph, GRAPH.INPUT)
    .map(valueInfo)
    .filter((io) => !init.has(io.name));
  const outputs = messages(graph, GRAPH.OUTPUT).map(valueInfo);
  return { inputs, outputs, irVersion, opsets };
}

/**
 * Names of dense and sparse initializers. IR < 4 models list every weight as a graph input too;
 * those are constants, not inputs a client must send.
 */
export function initializerNames(graph: Uint8Array): Set<string> {
  const names = new Set<string>();
  for (const f of readFields(graph)) {
    if (f.wire !== WIRE.LEN) continue;
    if (f.no === GRAPH.INITIALIZER) names.add(text(f.bytes, TENSOR.NAME));
    else if (f.no === GRAPH.SPARSE_INITIALIZER) {
      const values = lastField(f.bytes, SPARSE_TENSOR.VALUES);
      if (values) names.add(text(values.bytes, TENSOR.NAME));
    }
  }
  return names;
}

function valueInfo(vi: Uint8Array): IOInfo {
  const name = text(vi, VALUE_INFO.NAME);
  const type = lastField(vi, VALUE_INFO.TYPE);
  const tensor = type && lastField(type.bytes, TYPE.TENSOR_TYPE);
  if (!tensor) throw new Error(`ONNX value '${name}' is not a tensor (sequence/map types are not served)`);
  const elem = lastField(tensor.bytes, TENSOR_TYPE.ELEM_TYPE);
  const datatype = elem ? kserveType(toNumber(elem)) : undefined;
  if (!datatype) throw new Error(`ONNX value '${name}' has elem_type ${elem ? toNumber(elem) : 'unset'}, which has no KServe datatype`);
  const shapeField = lastField(tensor.bytes, TENSOR_TYPE.SHAPE);
  // An absent shape means unknown rank; report it as an empty shape rather than inventing one.
  const shape = shapeField ? messages(shapeField.bytes, SHAPE.DIM).map(dimension) : [];
  return { name, datatype, shape };
}

function dimension(dim: Uint8Array): number | string {
  // dim_value and dim_param are a oneof: the last one on the wire wins.
  let f: Field | undefined;
  for (const g of readFields(dim)) if (g.no === DIM.VALUE || g.no === DIM.PARAM) f = g;
  if (!f) return -1;
  if (f.no === DIM.PARAM) return toText(f) || -1;
  return toNumber(f);
}
