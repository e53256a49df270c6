// The tensor every layer passes around: name, datatype, shape and typed data. Transports convert
// wire formats to this at the boundary; engines convert it to their own tensor type.

import { type Datatype, type TensorData, ELEMENT_SIZE } from './datatypes.ts';
import { invalid } from './errors.ts';

export type Parameters = Record<string, string | number | boolean>;

export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
  parameters?: Parameters;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte size of a tensor's data as the binary extension carries it (BYTES: 4-byte length prefixes). */
export function byteSize(t: Pick<Tensor, 'datatype' | 'data'>): number {
  if (t.datatype === 'BYTES') {
    let n = 0;
    for (const b of t.data as Uint8Array[]) n += 4 + b.byteLength;
    return n;
  }
  return (t.data as { byteLength: number }).byteLength;
}

export function dataLength(t: Pick<Tensor, 'data'>): number {
  return (t.data as { length: number }).length;
}

/** Throws INVALID_ARGUMENT unless the data holds exactly as many elements as the shape says. */
export function checkElementCount(t: Tensor): void {
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) throw invalid(`input '${t.name}': shape [${t.shape}] must be non-negative integers`);
  }
  const want = elementCount(t.shape);
  const got = dataLength(t);
  if (want !== got) {
    const unit = t.datatype === 'BYTES' ? 'elements' : `elements (${want * ELEMENT_SIZE[t.datatype]} bytes)`;
    throw invalid(`input '${t.name}': shape [${t.shape}] needs ${want} ${unit}, got ${got}`);
  }
}
