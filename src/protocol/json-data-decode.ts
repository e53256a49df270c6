// JSON tensor `data` (flat or nested arrays) → the datatype's typed array. Every element is
// checked here, once, while it is copied: type, integer-ness and range, with messages that name
// the tensor, the element index, what was expected and what was got.

import type { Datatype, TensorData } from '../core/datatypes.ts';
import { floatToBf16, floatToHalf } from '../core/datatypes.ts';
import { invalid } from '../core/errors.ts';
import { describeValue } from './schema-errors.ts';

/** Integer ranges of the types that fit a JS number exactly. */
const INT_RANGE = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
} as const;
const INT64_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64_RANGE = [0n, 2n ** 64n - 1n] as const;
const DECIMAL = /^-?\d+$/;

const utf8 = new TextEncoder();

/**
 * Flattens nested data (Triton accepts any nesting and checks only the total count; so do we —
 * the caller compares the element count with the shape). Native Array.prototype.flat is ~15x
 * faster than a JS walk on a nested [1,3,240,320] image, and its depth bound bounds recursion.
 */
export function flattenData(name: string, data: unknown[], maxDepth: number): unknown[] {
  let nested = false;
  for (let i = 0; i < data.length; i++)
    if (Array.isArray(data[i])) {
      nested = true;
      break;
    }
  if (!nested) return data;
  const flat = data.flat(maxDepth - 1);
  for (let i = 0; i < flat.length; i++) {
    if (Array.isArray(flat[i])) throw invalid(`input '${name}': data is nested deeper than ${maxDepth} levels`);
  }
  return flat;
}

function bad(name: string, dt: Datatype, i: number, v: unknown, expected: string): never {
  throw invalid(`input '${name}': ${dt} data element ${i} must be ${expected}, got ${describeValue(v)}`);
}

/** Converts flat JSON values to the datatype's in-memory form (see core/datatypes.ts DataFor). */
export function jsonToTensorData(name: string, dt: Datatype, flat: unknown[]): TensorData {
  const n = flat.length;
  switch (dt) {
    case 'FP32':
    case 'FP64': {
      const out = dt === 'FP32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number') bad(name, dt, i, v, 'a number');
        out[i] = v;
      }
      return out;
    }
    case 'FP16':
    case 'BF16': {
      // Kept as raw 16-bit patterns: JSON carries ordinary numbers, rounded to nearest even.
      const conv = dt === 'FP16' ? floatToHalf : floatToBf16;
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'number') bad(name, dt, i, v, 'a number');
        out[i] = conv(v);
      }
      return out;
    }
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'UINT8':
    case 'UINT16':
    case 'UINT32': {
      const [lo, hi] = INT_RANGE[dt];
      const out = new { INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array }[dt](n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        // Typed arrays would silently wrap 300 to 44 or truncate 1.5 to 1: reject instead.
        if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(name, dt, i, v, `an integer in [${lo}, ${hi}]`);
        out[i] = v;
      }
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const [lo, hi] = dt === 'INT64' ? INT64_RANGE : UINT64_RANGE;
      const out = dt === 'INT64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        let b: bigint | undefined;
        if (typeof v === 'bigint') b = v;
        else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
        else if (typeof v === 'string' && DECIMAL.test(v)) b = BigInt(v);
        if (b === undefined || b < lo || b > hi) bad(name, dt, i, v, `an integer in [${lo}, ${hi}]`);
        out[i] = b;
      }
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'boolean') bad(name, dt, i, v, 'true or false');
        out[i] = v ? 1 : 0;
      }
      return out;
    }
    case 'BYTES': {
      const out: Uint8Array[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = flat[i];
        if (typeof v !== 'string') bad(name, dt, i, v, 'a string');
        out[i] = utf8.encode(v);
      }
      return out;
    }
  }
}

/** True when an INT64/UINT64 data array holds an integer a double cannot represent exactly. */
export function hasUnsafeInteger(data: unknown[]): boolean {
  const stack: unknown[][] = [data];
  while (stack.length) {
    const a = stack.pop()!;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v) && Number.isInteger(v)) return true;
      } else if (Array.isArray(v)) stack.push(v);
    }
  }
  return false;
}
