// Minimal protobuf wire format: a field reader, a writer, and a splice helper that rebuilds a
// message with some fields replaced while copying every other field through byte-for-byte.
// Enough to read and edit ONNX ModelProto without a protobuf dependency or a schema compiler.

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
export type WireType = (typeof WIRE)[keyof typeof WIRE];

/** One decoded field. `raw` is the whole encoded field (tag included), for pass-through. */
export interface Field {
  no: number;
  wire: WireType;
  /** VARINT fields only: the unsigned 64-bit value. */
  varint: bigint;
  /** LEN payload, or the 4/8 little-endian bytes of I32/I64; a view into the input, not a copy. */
  bytes: Uint8Array;
  raw: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

/** Decodes a varint at `pos`; returns [value, next position]. Values above 2^53 stay exact (bigint). */
export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  // Fast path in doubles: the first 7 bytes (49 bits) cannot lose precision.
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new RangeError('protobuf: truncated varint');
    const b = buf[pos++];
    n += (b & 0x7f) * mul;
    if (b < 0x80) return [BigInt(n), pos];
    mul *= 128;
  }
  let v = BigInt(n);
  for (let shift = 49n; shift < 70n; shift += 7n) {
    if (pos >= buf.length) throw new RangeError('protobuf: truncated varint');
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [BigInt.asUintN(64, v), pos];
  }
  throw new RangeError('protobuf: varint longer than 10 bytes');
}

/** Iterates the fields of one message. Groups (wire types 3/4) are rejected: ONNX never uses them. */
export function* readFields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let varint = 0n;
    let bytes = EMPTY;
    if (wire === WIRE.VARINT) {
      [varint, pos] = readVarint(buf, pos);
    } else if (wire === WIRE.LEN) {
      const [len, q] = readVarint(buf, pos);
      const end = q + Number(len);
      if (end > buf.length) throw new RangeError(`protobuf: field ${no} overruns the buffer`);
      bytes = buf.subarray(q, end);
      pos = end;
    } else if (wire === WIRE.I64 || wire === WIRE.I32) {
      const end = pos + (wire === WIRE.I64 ? 8 : 4);
      if (end > buf.length) throw new RangeError(`protobuf: field ${no} overruns the buffer`);
      bytes = buf.subarray(pos, end);
      pos = end;
    } else {
      throw new RangeError(`protobuf: unsupported wire type ${wire} (field ${no})`);
    }
    if (no === 0) throw new RangeError('protobuf: field number 0');
    yield { no, wire: wire as WireType, varint, bytes, raw: buf.subarray(start, pos) };
  }
}

/** Signed int32/int64 view of a VARINT field (negative values are 10-byte two's complement). */
export function int64(f: Field): bigint {
  return BigInt.asIntN(64, f.varint);
}
/** A VARINT as a JS number; throws rather than silently losing precision. */
export function toNumber(f: Field): number {
  const v = int64(f);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`protobuf: field ${f.no} value ${v} is not a safe integer`);
  }
  return Number(v);
}
export function toText(f: Field): string {
  return utf8.decode(f.bytes);
}
/** Repeated integer fields may arrive packed (one LEN field) or one VARINT per element. */
export function repeatedInts(f: Field): bigint[] {
  if (f.wire === WIRE.VARINT) return [int64(f)];
  const out: bigint[] = [];
  for (let pos = 0; pos < f.bytes.length; ) {
    const [v, p] = readVarint(f.bytes, pos);
    out.push(BigInt.asIntN(64, v));
    pos = p;
  }
  return out;
}

/** Builds a message from chunks; concatenates once in `finish()`. */
export class Writer {
  private parts: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  private tag(no: number, wire: WireType): this {
    return this.push(encodeVarint((BigInt(no) << 3n) | BigInt(wire)));
  }
  /** int32/int64/uint64/bool/enum; negative numbers are written as 64-bit two's complement. */
  varint(no: number, v: number | bigint | boolean): this {
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
    return this.tag(no, WIRE.VARINT).push(encodeVarint(n));
  }
  bytes(no: number, b: Uint8Array): this {
    return this.tag(no, WIRE.LEN)
      .push(encodeVarint(BigInt(b.length)))
      .push(b);
  }
  string(no: number, s: string): this {
    return this.bytes(no, utf8enc.encode(s));
  }
  /** An embedded message: pass its finished bytes, or a callback that fills a nested writer. */
  message(no: number, m: Uint8Array | ((w: Writer) => unknown)): this {
    if (m instanceof Uint8Array) return this.bytes(no, m);
    const w = new Writer();
    m(w);
    return this.bytes(no, w.finish());
  }
  fixed32(no: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.tag(no, WIRE.I32).push(b);
  }
  fixed64(no: number, v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return this.tag(no, WIRE.I64).push(b);
  }
  float(no: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.tag(no, WIRE.I32).push(b);
  }
  /** Already-encoded fields (e.g. `Field.raw`), copied as they are. */
  raw(b: Uint8Array): this {
    return this.push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export function encodeVarint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

/**
 * Rebuilds `msg` field by field. `edit` sees each field and returns: undefined to keep it as is
 * (copied byte-for-byte), null to drop it, or replacement bytes (whole encoded fields, zero or
 * more). Returns the input itself when nothing changed, so untouched sub-messages cost no copy.
 */
export function spliceFields(msg: Uint8Array, edit: (f: Field) => Uint8Array | null | undefined): Uint8Array {
  const w = new Writer();
  let changed = false;
  for (const f of readFields(msg)) {
    const r = edit(f);
    if (r === undefined) {
      w.raw(f.raw);
    } else {
      changed = true;
      if (r !== null) w.raw(r);
    }
  }
  return changed ? w.finish() : msg;
}

/** Shorthand for spliceFields: rewrites the payload of every LEN field numbered `no`. */
export function editMessages(msg: Uint8Array, no: number, fn: (payload: Uint8Array) => Uint8Array): Uint8Array {
  return spliceFields(msg, (f) => {
    if (f.no !== no || f.wire !== WIRE.LEN) return undefined;
    const next = fn(f.bytes);
    return next === f.bytes ? undefined : new Writer().bytes(no, next).finish();
  });
}
