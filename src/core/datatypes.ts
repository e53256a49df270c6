// KServe v2 tensor datatypes: names, element sizes, the typed arrays that hold them, and the
// mapping to Triton's ModelConfig `TYPE_*` names. Pure data, no runtime APIs.

export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES'] as const;
export type Datatype = (typeof DATATYPES)[number];

/** Bytes per element for fixed-size types; BYTES is variable (each element is length-prefixed). */
export const ELEMENT_SIZE: Record<Exclude<Datatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  BF16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/**
 * In-memory representation of each datatype. FP16/BF16 keep their raw 16-bit patterns (JS has
 * no half floats everywhere); BOOL is one byte per element (0/1); BYTES is one Uint8Array per
 * element.
 */
export interface DataFor {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  INT8: Int8Array;
  UINT16: Uint16Array;
  INT16: Int16Array;
  FP16: Uint16Array;
  BF16: Uint16Array;
  UINT32: Uint32Array;
  INT32: Int32Array;
  FP32: Float32Array;
  UINT64: BigUint64Array;
  INT64: BigInt64Array;
  FP64: Float64Array;
  BYTES: Uint8Array[];
}
export type FixedData = DataFor[Exclude<Datatype, 'BYTES'>];
export type TensorData = DataFor[Datatype];

type TypedArrayCtor = { new (buf: ArrayBufferLike, off: number, len: number): FixedData; new (len: number): FixedData };
export const TYPED_ARRAY: Record<Exclude<Datatype, 'BYTES'>, TypedArrayCtor> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  BF16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
} as unknown as Record<Exclude<Datatype, 'BYTES'>, TypedArrayCtor>;

export function isDatatype(s: string): s is Datatype {
  return (DATATYPES as readonly string[]).includes(s);
}

/** Triton ModelConfig `data_type` (TYPE_FP32, TYPE_STRING, …) ⇄ KServe datatype (FP32, BYTES, …). */
export function fromTritonType(t: string): Datatype | undefined {
  if (t === 'TYPE_STRING') return 'BYTES';
  const d = t.startsWith('TYPE_') ? t.slice(5) : t;
  return isDatatype(d) ? d : undefined;
}
export function toTritonType(d: Datatype): string {
  return d === 'BYTES' ? 'TYPE_STRING' : `TYPE_${d}`;
}

/** Zero-copy view of a fixed-size element buffer as the datatype's typed array (copies only if misaligned). */
export function viewAs<D extends Exclude<Datatype, 'BYTES'>>(dt: D, bytes: Uint8Array): DataFor[D] {
  const size = ELEMENT_SIZE[dt];
  if (bytes.byteLength % size !== 0) throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dt} elements`);
  const ctor = TYPED_ARRAY[dt];
  if (bytes.byteOffset % size === 0) return new ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / size) as DataFor[D];
  const copy = bytes.slice();
  return new ctor(copy.buffer, 0, copy.byteLength / size) as DataFor[D];
}

/** The little-endian bytes of a fixed-size tensor (a view, no copy). */
export function bytesOf(data: FixedData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** IEEE 754 half → number and back (round to nearest even), for FP16 JSON encoding. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
/** bfloat16 is the top half of a float32. */
export function bf16ToFloat(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}
