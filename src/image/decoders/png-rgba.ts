// Reads back the PNGs that Bun.Image writes for bun-image.ts: 8-bit RGBA (colour type 6), not
// interlaced. Asked for compressionLevel 0, the encoder emits zlib "stored" blocks, so the
// pixels are copied straight out of the IDAT chunks into the RGBA buffer (one copy, ~0.1 ms for
// 512x512) instead of being inflated; any other block type goes through DecompressionStream.
// All five row filters are undone, whichever the encoder chose. Not a general PNG decoder: any
// other layout is an error, and the caller falls back to its other decoder.

import { concatBytes } from '../../core/bytes.ts';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export class PngLayoutError extends Error {}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export async function readRgbaPng(png: Uint8Array): Promise<Rgba> {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 33 || SIGNATURE.some((b, i) => png[i] !== b)) throw new PngLayoutError('not a PNG');
  let width = 0,
    height = 0;
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 12 <= png.length; ) {
    const n = dv.getUint32(o);
    const type = dv.getUint32(o + 4);
    const body = png.subarray(o + 8, o + 8 + n);
    if (type === 0x49484452 /* IHDR */) {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      const [depth, colorType, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || colorType !== 6 || interlace !== 0)
        throw new PngLayoutError(`PNG is depth ${depth}, colour type ${colorType}, interlace ${interlace}; expected 8-bit RGBA`);
    } else if (type === 0x49444154 /* IDAT */) idat.push(body);
    else if (type === 0x49454e44 /* IEND */) break;
    o += 12 + n;
  }
  if (!width || !height || !idat.length) throw new PngLayoutError('PNG without IHDR or IDAT');
  const rows = new RowWriter(width * 4, height);
  if (!copyStored(new ChunkReader(idat), rows)) {
    const raw = await inflate(concatBytes(idat));
    rows.reset();
    rows.write(raw, 0, raw.length);
  }
  return { width, height, data: rows.finish() };
}

/** Reads the zlib stream across the IDAT chunks where it lies, without joining them. */
class ChunkReader {
  private c = 0;
  private o = 0;
  constructor(private readonly parts: Uint8Array[]) {}
  /** The next byte, or -1 at the end. */
  byte(): number {
    while (this.c < this.parts.length && this.o >= this.parts[this.c].length) this.c++, (this.o = 0);
    return this.c < this.parts.length ? this.parts[this.c][this.o++] : -1;
  }
  /** Hands the next n bytes to `rows` piece by piece; false if the stream ends first. */
  copy(n: number, rows: RowWriter): boolean {
    while (n > 0) {
      while (this.c < this.parts.length && this.o >= this.parts[this.c].length) this.c++, (this.o = 0);
      if (this.c >= this.parts.length) return false;
      const part = this.parts[this.c];
      const take = Math.min(n, part.length - this.o);
      rows.write(part, this.o, take);
      this.o += take;
      n -= take;
    }
    return true;
  }
}

/** Feeds a zlib stream made only of stored blocks to `rows`; false at the first other block. */
function copyStored(z: ChunkReader, rows: RowWriter): boolean {
  const cmf = z.byte(),
    flg = z.byte();
  if (cmf < 0 || flg < 0 || (cmf & 0x0f) !== 8 || flg & 0x20) return false; // deflate, no preset dictionary
  for (;;) {
    const head = z.byte();
    if (head < 0 || (head & 0x06) !== 0) return false; // BTYPE != 00: compressed
    const h = [z.byte(), z.byte(), z.byte(), z.byte()];
    if (h.some((b) => b < 0)) return false;
    const len = h[0] | (h[1] << 8);
    if ((len ^ (h[2] | (h[3] << 8))) !== 0xffff) return false;
    if (!z.copy(len, rows)) return false;
    if (head & 1) return true; // BFINAL
  }
}

async function inflate(z: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([z as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Collects the filtered scanline stream (a filter byte before each row) with one copy per
 * stored block, then closes the gaps the filter bytes leave with copyWithin: no per-row
 * allocation. The pixels end up at the start of the buffer (H spare bytes after them).
 */
class RowWriter {
  private pos = 0;
  private readonly raw: Uint8Array;
  constructor(
    private readonly stride: number,
    private readonly height: number,
  ) {
    this.raw = new Uint8Array((stride + 1) * height);
  }
  reset(): void {
    this.pos = 0;
  }
  write(src: Uint8Array, at: number, n: number): void {
    const take = Math.min(n, this.raw.length - this.pos);
    this.raw.set(at === 0 && take === src.length ? src : src.subarray(at, at + take), this.pos);
    this.pos += take;
  }
  /** Checks the stream was complete, packs the rows and undoes their filters, top to bottom. */
  finish(): Uint8Array {
    if (this.pos !== (this.stride + 1) * this.height) throw new PngLayoutError('PNG pixel data is short');
    const s = this.stride,
      o = this.raw;
    for (let y = 0; y < this.height; y++) {
      const f = o[y * (s + 1)]; // read before row y moves down over it
      o.copyWithin(y * s, y * (s + 1) + 1, (y + 1) * (s + 1));
      if (f === 0) continue;
      const r = y * s,
        u = r - s; // this row, the row above (u < 0 on the first row: zeros)
      for (let i = 0; i < s; i++) {
        const a = i >= 4 ? o[r + i - 4] : 0;
        const b = y > 0 ? o[u + i] : 0;
        const c = i >= 4 && y > 0 ? o[u + i - 4] : 0;
        let p: number;
        if (f === 1) p = a;
        else if (f === 2) p = b;
        else if (f === 3) p = (a + b) >> 1;
        else if (f === 4) {
          const e = a + b - c,
            pa = Math.abs(e - a),
            pb = Math.abs(e - b),
            pc = Math.abs(e - c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        } else throw new PngLayoutError(`PNG row filter ${f}`);
        o[r + i] = (o[r + i] + p) & 255;
      }
    }
    return o.subarray(0, s * this.height);
  }
}
