// Encoders for the few ONNX messages edgeserve writes itself (value infos, dimensions, nodes,
// opset imports, int64 tensors), shared by the model builders, the batch-dimension editor and tests.

import { encodeVarint, Writer } from './protobuf.ts';
import { DIM, NODE, ONNX_TYPE, OPSET, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './schema.ts';

/** A TensorShapeProto.Dimension: a number is dim_value, a string is dim_param, null is unknown. */
export function encodeDim(d: number | string | null): Uint8Array {
  const w = new Writer();
  if (typeof d === 'number') w.varint(DIM.VALUE, d);
  else if (typeof d === 'string') w.string(DIM.PARAM, d);
  return w.finish();
}

export function encodeValueInfo(name: string, elemType: number, shape: Array<number | string | null>): Uint8Array {
  return new Writer()
    .string(VALUE_INFO.NAME, name)
    .message(VALUE_INFO.TYPE, (type) =>
      type.message(TYPE.TENSOR_TYPE, (tt) =>
        tt.varint(TENSOR_TYPE.ELEM_TYPE, elemType).message(TENSOR_TYPE.SHAPE, (s) => {
          for (const d of shape) s.bytes(SHAPE.DIM, encodeDim(d));
        }),
      ),
    )
    .finish();
}

export function encodeNode(opType: string, inputs: string[], outputs: string[], name = ''): Uint8Array {
  const w = new Writer();
  for (const i of inputs) w.string(NODE.INPUT, i);
  for (const o of outputs) w.string(NODE.OUTPUT, o);
  if (name) w.string(NODE.NAME, name);
  return w.string(NODE.OP_TYPE, opType).finish();
}

export function encodeOpset(domain: string, version: number): Uint8Array {
  const w = new Writer();
  // The default domain is written as an empty string, as the onnx Python helper does.
  return w.string(OPSET.DOMAIN, domain).varint(OPSET.VERSION, version).finish();
}

/** A 1-D INT64 TensorProto (e.g. a Reshape target), as raw_data or as packed int64_data. */
export function encodeInt64Tensor(name: string, values: bigint[], { raw = true } = {}): Uint8Array {
  const w = new Writer().varint(TENSOR.DIMS, values.length).varint(TENSOR.DATA_TYPE, ONNX_TYPE.INT64).string(TENSOR.NAME, name);
  if (raw) return w.bytes(TENSOR.RAW_DATA, new Uint8Array(BigInt64Array.from(values).buffer)).finish();
  const packed = new Writer();
  for (const v of values) packed.raw(encodeVarint(v));
  return w.bytes(TENSOR.INT64_DATA, packed.finish()).finish();
}
