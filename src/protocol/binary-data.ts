// Tensor bytes as the Triton binary-data extension carries them: fixed-size types are raw
// little-endian elements (viewed in place, not copied, when aligned); BYTES elements are each a
// 4-byte little-endian length followed by that many bytes.

import type { Datatype, FixedData, TensorData } from '../core/datatypes.ts';
import { ELEMENT_SIZE, bytesOf, viewAs } from '../core/datatypes.ts';
import { invalid } from '../core/errors.ts';
import type { Tensor } from '../core/tensor.ts';
import { byteSize, elementCount } from '../core/tensor.ts';

/**
 * One input's slice of the binary section → typed data. `bytes` is exactly the input's
 * binary_data_size; sizes are checked against the shape so errors name the tensor and numbers.
 */
export function binaryToTensorData(name: string, dt: Datatype, shape: readonly number[], bytes: Uint8Array): TensorData {
  const count = elementCount(shape);
  if (dt === 'BYTES') {
    const elements = parseBytesElements(name, bytes);
    if (elements.length !== count) {
      throw invalid(`input '${name}': shape [${shape}] needs ${count} BYTES elements, binary data holds ${elements.length}`);
    }
    return elements;
  }
  const want = count * ELEMENT_SIZE[dt];
  if (bytes.byteLength !== want) {
    throw invalid(
      `input '${name}': ${dt} shape [${shape}] needs ${want} bytes (${count} x ${ELEMENT_SIZE[dt]}), parameters.binary_data_size is ${bytes.byteLength}`,
    );
  }
  return viewAs(dt, bytes);
}

/** Splits length-prefixed BYTES elements; the element views share `bytes` (no copies). */
export function parseBytesElements(name: string, bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < bytes.byteLength) {
    const left = bytes.byteLength - off;
    if (left < 4) {
      throw invalid(`input '${name}': BYTES element ${out.length} needs a 4-byte length prefix, only ${left} bytes remain of its ${bytes.byteLength}`);
    }
    const len = view.getUint32(off, true);
    off += 4;
    if (len > bytes.byteLength - off) {
      throw invalid(`input '${name}': BYTES element ${out.length} declares ${len} bytes, only ${bytes.byteLength - off} remain of its ${bytes.byteLength}`);
    }
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** Writes a tensor's binary form into `dst` at `offset`; returns the offset after it. */
export function writeTensorBytes(t: Pick<Tensor, 'datatype' | 'data'>, dst: Uint8Array, offset: number): number {
  if (t.datatype !== 'BYTES') {
    const src = bytesOf(t.data as FixedData);
    dst.set(src, offset);
    return offset + src.byteLength;
  }
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (const el of t.data as Uint8Array[]) {
    view.setUint32(offset, el.byteLength, true);
    dst.set(el, offset + 4);
    offset += 4 + el.byteLength;
  }
  return offset;
}

/** The binary form of one tensor as a fresh buffer (BYTES) or a view (fixed-size types). */
export function tensorBytes(t: Pick<Tensor, 'datatype' | 'data'>): Uint8Array {
  if (t.datatype !== 'BYTES') return bytesOf(t.data as FixedData);
  const out = new Uint8Array(byteSize(t));
  writeTensorBytes(t, out, 0);
  return out;
}
