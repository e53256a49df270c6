// Typed tensor data → the JSON text of a flat `data` array, as Triton writes it.
// Measured on Bun for the detector's 26,520 FP32 values: copying into a plain array and calling
// JSON.stringify takes 1.7 ms; Float32Array.join 2.9 ms, JSON.stringify(Array.from(d)) 2.5 ms,
// string concatenation 3.5 ms (for INT32: 0.36 ms vs 1.25 ms with join). Number formatting
// dominates, and the engine's JSON serializer has the fastest path for it. JSON.stringify also
// writes NaN/Infinity as null, as JSON requires.

import type { TensorData } from '../core/datatypes.ts';
import { bf16ToFloat, halfToFloat } from '../core/datatypes.ts';
import type { Tensor } from '../core/tensor.ts';

const utf8 = new TextDecoder();

type NumericData = Exclude<TensorData, Uint8Array[] | BigInt64Array | BigUint64Array>;

export function tensorDataToJson(t: Pick<Tensor, 'datatype' | 'data'>): string {
  switch (t.datatype) {
    case 'INT64':
    case 'UINT64':
      // JSON.stringify rejects BigInt. join writes exact decimal digits, which JSON numbers allow:
      // a client parsing into doubles rounds beyond 2^53, one parsing into int64 does not.
      return `[${(t.data as BigInt64Array | BigUint64Array).join(',')}]`;
    case 'FP16':
      return JSON.stringify(toPlain(t.data as Uint16Array, halfToFloat));
    case 'BF16':
      return JSON.stringify(toPlain(t.data as Uint16Array, bf16ToFloat));
    case 'BOOL': {
      const d = t.data as Uint8Array;
      const a = new Array<boolean>(d.length);
      for (let i = 0; i < d.length; i++) a[i] = d[i] !== 0;
      return JSON.stringify(a);
    }
    case 'BYTES':
      // Triton's JSON form of BYTES is one string per element; invalid UTF-8 becomes U+FFFD
      // (clients that need the raw bytes ask for binary_data).
      return JSON.stringify((t.data as Uint8Array[]).map((b) => utf8.decode(b)));
    default:
      return JSON.stringify(toPlain(t.data as NumericData));
  }
}

function toPlain(d: NumericData, conv?: (bits: number) => number): number[] {
  const a = new Array<number>(d.length);
  if (conv) for (let i = 0; i < d.length; i++) a[i] = conv(d[i]);
  else for (let i = 0; i < d.length; i++) a[i] = d[i];
  return a;
}
