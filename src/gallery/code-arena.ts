// Where one gallery's int8 codes live and how they are scanned: rows of `dim` bytes, one per
// face slot, in a WebAssembly memory scanned by wasm/scan.wat (SIMD), or, where WebAssembly
// cannot be compiled at run time (Cloudflare Workers) or has no SIMD, in a plain Int8Array with
// the same sums in JS. One contiguous block per gallery, no per-face objects: grown in steps of
// an eighth, so the slack stays under 12.5% of the codes.

import { WASM_BASE64 } from './wasm/scan-wasm.ts';

/** Faces scored per kernel call: the scores of a block stay in cache while JS reads them. */
export const BLOCK = 4096;
const QUERY_AT = 0; // int16 query, up to 4096 dimensions
const OUT_AT = 8192; // BLOCK int32 scores
const CODES_AT = 65536;
const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: wasm32's limit

export interface CodeArena {
  readonly dim: number;
  /** Slots that fit without growing. */
  readonly capacity: number;
  /** Makes room for `n` slots (throws past the memory limit). */
  ensure(n: number): void;
  /** The codes of slot i (a view: valid until the next ensure()). */
  row(i: number): Int8Array;
  /** Copies slot `from` over slot `to`. */
  move(from: number, to: number): void;
  /** Sets the query for the following dots() calls. */
  setQuery(q: Int16Array): void;
  /** Integer dot products of slots start..start+n-1 (n <= BLOCK) with the query (a view, reused). */
  dots(start: number, n: number): Int32Array;
  /** Bytes held. */
  bytes(): number;
  readonly kind: 'wasm-simd' | 'js';
}

let module: WebAssembly.Module | null | undefined;
function scanModule(): WebAssembly.Module | null {
  if (module !== undefined) return module;
  try {
    const bin = atob(WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    module = new WebAssembly.Module(bytes);
  } catch {
    module = null; // no run-time compilation (Workers) or no SIMD
  }
  return module;
}

export function createCodeArena(dim: number, initial = 0, prefer: 'wasm-simd' | 'js' = 'wasm-simd'): CodeArena {
  if (!(dim > 0 && dim % 32 === 0 && dim <= 4096)) throw new RangeError(`embedding dimension must be a multiple of 32 up to 4096, got ${dim}`);
  const m = prefer === 'wasm-simd' ? scanModule() : null;
  return m ? new WasmArena(m, dim, initial) : new JsArena(dim, initial);
}

const grown = (have: number, need: number) => Math.max(need, have + (have >> 3), 256);

class WasmArena implements CodeArena {
  readonly kind = 'wasm-simd';
  private readonly memory: WebAssembly.Memory;
  private readonly qdots: (codes: number, n: number, dim: number, q: number, out: number) => void;
  private u8!: Uint8Array;
  private i8!: Int8Array;
  private out!: Int32Array;
  capacity = 0;

  constructor(
    m: WebAssembly.Module,
    readonly dim: number,
    initial: number,
  ) {
    this.memory = new WebAssembly.Memory({ initial: this.pagesFor(initial), maximum: MAX_PAGES });
    const ex = new WebAssembly.Instance(m, { env: { memory: this.memory } }).exports as { qdots: WasmArena['qdots'] };
    this.qdots = ex.qdots;
    this.views();
  }

  private pagesFor(slots: number): number {
    return Math.ceil((CODES_AT + slots * this.dim) / PAGE);
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i8 = new Int8Array(buf);
    this.out = new Int32Array(buf, OUT_AT, BLOCK);
    this.capacity = Math.floor((buf.byteLength - CODES_AT) / this.dim);
  }

  ensure(n: number): void {
    if (n <= this.capacity) return;
    const want = Math.min(MAX_PAGES, this.pagesFor(grown(this.capacity, n)));
    if (this.pagesFor(n) > MAX_PAGES)
      throw new RangeError(`a gallery index holds at most ${Math.floor((MAX_PAGES * PAGE - CODES_AT) / this.dim)} faces of ${this.dim} dimensions`);
    this.memory.grow(want - this.memory.buffer.byteLength / PAGE);
    this.views();
  }

  row(i: number): Int8Array {
    const at = CODES_AT + i * this.dim;
    return this.i8.subarray(at, at + this.dim);
  }

  move(from: number, to: number): void {
    const a = CODES_AT + from * this.dim;
    this.u8.copyWithin(CODES_AT + to * this.dim, a, a + this.dim);
  }

  setQuery(q: Int16Array): void {
    new Int16Array(this.memory.buffer, QUERY_AT, q.length).set(q);
  }

  dots(start: number, n: number): Int32Array {
    this.qdots(CODES_AT + start * this.dim, n, this.dim, QUERY_AT, OUT_AT);
    return this.out;
  }

  bytes(): number {
    return this.memory.buffer.byteLength;
  }
}

class JsArena implements CodeArena {
  readonly kind = 'js';
  private codes: Int8Array;
  private q: Int16Array = new Int16Array(0);
  private readonly out = new Int32Array(BLOCK);
  capacity: number;

  constructor(
    readonly dim: number,
    initial: number,
  ) {
    this.capacity = initial;
    this.codes = new Int8Array(initial * dim);
  }

  ensure(n: number): void {
    if (n <= this.capacity) return;
    const cap = grown(this.capacity, n);
    const next = new Int8Array(cap * this.dim);
    next.set(this.codes);
    this.codes = next;
    this.capacity = cap;
  }

  row(i: number): Int8Array {
    return this.codes.subarray(i * this.dim, (i + 1) * this.dim);
  }

  move(from: number, to: number): void {
    this.codes.copyWithin(to * this.dim, from * this.dim, (from + 1) * this.dim);
  }

  setQuery(q: Int16Array): void {
    this.q = q;
  }

  dots(start: number, n: number): Int32Array {
    const { codes, q, dim, out } = this;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const at = (start + j) * dim;
      for (let i = 0; i < dim; i++) s += codes[at + i] * q[i];
      out[j] = s;
    }
    return out;
  }

  bytes(): number {
    return this.codes.byteLength;
  }
}
