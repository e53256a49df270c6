// AttributeProto read/write for graph rewrites: the handful of attribute kinds the quantizer
// and the opset upgrader touch (int, ints, float, string, tensor). Others pass through as bytes.

import { lastField, text } from '../fields.ts';
import { readFields, repeatedInts, toNumber, WIRE, Writer } from '../protobuf.ts';

/** AttributeProto field numbers (onnx.proto). */
const A = { NAME: 1, F: 2, I: 3, S: 4, T: 5, FLOATS: 7, INTS: 8, TYPE: 20 } as const;
/** AttributeProto.AttributeType. */
const TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

export const attrName = (a: Uint8Array) => text(a, A.NAME);

export function findAttr(attrs: Uint8Array[], name: string): Uint8Array | undefined {
  return attrs.find((a) => attrName(a) === name);
}

export function attrInt(attrs: Uint8Array[], name: string): number | undefined {
  const a = findAttr(attrs, name);
  const f = a && lastField(a, A.I);
  return f ? toNumber(f) : undefined;
}

export function attrInts(attrs: Uint8Array[], name: string): number[] | undefined {
  const a = findAttr(attrs, name);
  if (!a) return undefined;
  const out: number[] = [];
  for (const f of readFields(a)) if (f.no === A.INTS) for (const v of repeatedInts(f)) out.push(Number(v));
  return out;
}

/** INTS as bigint: Slice bounds like INT64_MAX do not fit a double. */
export function attrInts64(attrs: Uint8Array[], name: string): bigint[] | undefined {
  const a = findAttr(attrs, name);
  if (!a) return undefined;
  const out: bigint[] = [];
  for (const f of readFields(a)) if (f.no === A.INTS) out.push(...repeatedInts(f));
  return out;
}

export function attrFloat(attrs: Uint8Array[], name: string): number | undefined {
  const a = findAttr(attrs, name);
  const f = a && lastField(a, A.F);
  return f && f.wire === WIRE.I32 ? new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true) : undefined;
}

export function attrString(attrs: Uint8Array[], name: string): string | undefined {
  const a = findAttr(attrs, name);
  return a && lastField(a, A.S) ? text(a, A.S) : undefined;
}

/** The TensorProto payload of a tensor attribute (e.g. Constant's `value`). */
export function attrTensor(attrs: Uint8Array[], name: string): Uint8Array | undefined {
  const a = findAttr(attrs, name);
  const f = a && lastField(a, A.T);
  return f?.bytes;
}

export function intAttr(name: string, v: number): Uint8Array {
  return new Writer().string(A.NAME, name).varint(A.I, v).varint(A.TYPE, TYPE.INT).finish();
}

export function intsAttr(name: string, vs: number[]): Uint8Array {
  const w = new Writer().string(A.NAME, name);
  for (const v of vs) w.varint(A.INTS, v);
  return w.varint(A.TYPE, TYPE.INTS).finish();
}

export function floatAttr(name: string, v: number): Uint8Array {
  return new Writer().string(A.NAME, name).float(A.F, v).varint(A.TYPE, TYPE.FLOAT).finish();
}

export function stringAttr(name: string, v: string): Uint8Array {
  return new Writer().string(A.NAME, name).string(A.S, v).varint(A.TYPE, TYPE.STRING).finish();
}

/** All attributes but the named ones. */
export function withoutAttrs(attrs: Uint8Array[], ...names: string[]): Uint8Array[] {
  return attrs.filter((a) => !names.includes(attrName(a)));
}
