// Finds and patches Reshape targets that hard-code a batch of 1 (`[1, -1]`, `[1, 2, 58, h, w]`):
// a leading 1 becomes 0, which Reshape reads as "copy dim 0 of the input", i.e. the batch.
// Only 1-D INT64 constants read by Reshape and nothing else are touched.

import { strings, text } from './fields.ts';
import { encodeVarint, readFields, repeatedInts, spliceFields, toNumber, WIRE, Writer } from './protobuf.ts';
import { ATTRIBUTE, GRAPH, NODE, ONNX_TYPE, TENSOR, VALUE_INFO } from './schema.ts';

/**
 * Names used as the shape input of a Reshape and nowhere else: patching a tensor that other
 * nodes also read would change their meaning. allowzero=1 Reshapes are left out, since 0 means
 * a literal zero there.
 */
export function reshapeOnlyShapes(graph: Uint8Array): Set<string> {
  const asShape = new Set<string>();
  const otherUse = new Set<string>();
  for (const f of readFields(graph)) {
    if (f.wire !== WIRE.LEN) continue;
    if (f.no === GRAPH.OUTPUT) otherUse.add(text(f.bytes, VALUE_INFO.NAME));
    if (f.no !== GRAPH.NODE) continue;
    const op = text(f.bytes, NODE.OP_TYPE);
    const domain = text(f.bytes, NODE.DOMAIN);
    const isReshape = op === 'Reshape' && (domain === '' || domain === 'ai.onnx') && !allowZero(f.bytes);
    strings(f.bytes, NODE.INPUT).forEach((name, i) => {
      (isReshape && i === 1 ? asShape : otherUse).add(name);
    });
  }
  for (const n of otherUse) asShape.delete(n);
  return asShape;
}

function allowZero(node: Uint8Array): boolean {
  for (const f of readFields(node)) {
    if (f.no !== NODE.ATTRIBUTE || f.wire !== WIRE.LEN || text(f.bytes, ATTRIBUTE.NAME) !== 'allowzero') continue;
    for (const a of readFields(f.bytes)) if (a.no === ATTRIBUTE.INT && a.wire === WIRE.VARINT && a.varint !== 0n) return true;
  }
  return false;
}

/** An INT64 1-D TensorProto whose first element is 1 gets 0 there; anything else is returned as is. */
export function leadingOneToZero(tensor: Uint8Array): Uint8Array {
  let type = 0;
  let rank = 0;
  for (const f of readFields(tensor)) {
    if (f.no === TENSOR.DATA_TYPE) type = toNumber(f);
    if (f.no === TENSOR.DIMS) rank += repeatedInts(f).length;
  }
  if (type !== ONNX_TYPE.INT64 || rank !== 1) return tensor;
  let done = false;
  return spliceFields(tensor, (f) => {
    if (done) return undefined;
    if (f.no === TENSOR.RAW_DATA && f.wire === WIRE.LEN && f.bytes.length >= 8) {
      done = true;
      const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, 8);
      if (view.getBigInt64(0, true) !== 1n) return undefined;
      const data = f.bytes.slice();
      data.fill(0, 0, 8);
      return new Writer().bytes(TENSOR.RAW_DATA, data).finish();
    }
    if (f.no === TENSOR.INT64_DATA) {
      done = true;
      const values = repeatedInts(f);
      if (values[0] !== 1n) return undefined;
      values[0] = 0n;
      if (f.wire === WIRE.VARINT) return new Writer().varint(TENSOR.INT64_DATA, 0n).finish();
      const packed = new Writer();
      for (const v of values) packed.raw(encodeVarint(v));
      return new Writer().bytes(TENSOR.INT64_DATA, packed.finish()).finish();
    }
    return undefined;
  });
}
