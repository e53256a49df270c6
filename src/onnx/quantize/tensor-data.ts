// TensorProto contents for the quantizer: read FP32 weights (raw_data or float_data) and INT64
// constants, write the FP32/INT8/UINT8/INT32/INT64 tensors a QDQ graph needs. External data
// (weights in a side file) is refused with a clear message: derived models are single files.

import { text } from '../fields.ts';
import { readFields, repeatedInts, toNumber, WIRE, Writer } from '../protobuf.ts';
import { ONNX_TYPE, TENSOR } from '../schema.ts';

/** TensorProto fields beyond schema.ts's. */
const T = { FLOAT_DATA: 4, INT32_DATA: 5, DATA_LOCATION: 14 } as const;

export interface TensorValue {
  name: string;
  dims: number[];
  dataType: number;
}

function header(proto: Uint8Array): TensorValue & { raw?: Uint8Array; external: boolean } {
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | undefined;
  let external = false;
  for (const f of readFields(proto)) {
    if (f.no === TENSOR.DIMS) for (const d of repeatedInts(f)) dims.push(Number(d));
    else if (f.no === TENSOR.DATA_TYPE && f.wire === WIRE.VARINT) dataType = toNumber(f);
    else if (f.no === TENSOR.RAW_DATA && f.wire === WIRE.LEN) raw = f.bytes;
    else if (f.no === T.DATA_LOCATION && f.wire === WIRE.VARINT && f.varint === 1n) external = true;
  }
  return { name: text(proto, TENSOR.NAME), dims, dataType, raw, external };
}

const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** FP32 contents of a TensorProto; throws for other types and external data. */
export function readFloats(proto: Uint8Array): Float32Array {
  const h = header(proto);
  if (h.external) throw new Error(`tensor '${h.name}' keeps its data in an external file; save the model as one file first`);
  if (h.dataType !== ONNX_TYPE.FLOAT) throw new Error(`tensor '${h.name}' has data_type ${h.dataType}, not FLOAT`);
  const n = count(h.dims);
  if (h.raw) {
    if (h.raw.length !== n * 4) throw new Error(`tensor '${h.name}': raw_data has ${h.raw.length} bytes for ${n} floats`);
    // Copy: the view into the model buffer may not be 4-byte aligned.
    return new Float32Array(h.raw.slice().buffer);
  }
  const out = new Float32Array(n);
  let i = 0;
  for (const f of readFields(proto)) {
    if (f.no !== T.FLOAT_DATA) continue;
    if (f.wire === WIRE.I32) out[i++] = new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
    else if (f.wire === WIRE.LEN) {
      const v = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.length);
      for (let o = 0; o < f.bytes.length; o += 4) out[i++] = v.getFloat32(o, true);
    }
  }
  if (i !== n) throw new Error(`tensor '${h.name}': ${i} floats for dims [${h.dims}]`);
  return out;
}

/** INT64 contents (shape tensors, Slice bounds). */
export function readInt64s(proto: Uint8Array): bigint[] {
  const h = header(proto);
  if (h.dataType !== ONNX_TYPE.INT64) throw new Error(`tensor '${h.name}' has data_type ${h.dataType}, not INT64`);
  if (h.raw) {
    const v = new DataView(h.raw.buffer, h.raw.byteOffset, h.raw.length);
    return Array.from({ length: h.raw.length / 8 }, (_, k) => v.getBigInt64(k * 8, true));
  }
  const out: bigint[] = [];
  for (const f of readFields(proto)) if (f.no === TENSOR.INT64_DATA) out.push(...repeatedInts(f));
  return out;
}

export function tensorDims(proto: Uint8Array): number[] {
  return header(proto).dims;
}

function encode(name: string, dataType: number, dims: number[], raw: Uint8Array): Uint8Array {
  const w = new Writer();
  for (const d of dims) w.varint(TENSOR.DIMS, d);
  return w.varint(TENSOR.DATA_TYPE, dataType).string(TENSOR.NAME, name).bytes(TENSOR.RAW_DATA, raw).finish();
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export const floatTensor = (name: string, dims: number[], v: Float32Array) => encode(name, ONNX_TYPE.FLOAT, dims, bytesOf(v));
export const int8Tensor = (name: string, dims: number[], v: Int8Array) => encode(name, ONNX_TYPE.INT8, dims, bytesOf(v));
export const uint8Tensor = (name: string, dims: number[], v: Uint8Array) => encode(name, ONNX_TYPE.UINT8, dims, v);
export const int32Tensor = (name: string, dims: number[], v: Int32Array) => encode(name, ONNX_TYPE.INT32, dims, bytesOf(v));
export const int64Tensor = (name: string, dims: number[], v: bigint[]) => encode(name, ONNX_TYPE.INT64, dims, bytesOf(BigInt64Array.from(v)));
