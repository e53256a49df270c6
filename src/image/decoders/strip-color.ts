// Removes colour-profile metadata (JPEG APP2 ICC_PROFILE; PNG iCCP, gAMA, cHRM, cICP; WebP
// ICCP) so Skia decodes the stored values as they are. Why: Skia colour-manages (a Display
// P3 iPhone photo came out ~13 levels different per channel), the WASM codecs do not, and
// neither do the PIL/OpenCV pipelines models are trained with. One rule for every decoder:
// pixels are the file's values, no colour management. Copies only when there is something
// to remove; malformed structure is left alone (the decoder will report it).

import type { ImageFormat } from '../probe.ts';

export function stripColorProfile(b: Uint8Array, format: ImageFormat): Uint8Array {
  const drop = format === 'jpeg' ? jpegDrops(b) : format === 'png' ? pngDrops(b) : webpDrops(b);
  if (drop.length === 0) return b;
  let size = b.length;
  for (const [s, e] of drop) size -= e - s;
  const out = new Uint8Array(size);
  let from = 0;
  let o = 0;
  for (const [s, e] of drop) {
    out.set(b.subarray(from, s), o);
    o += s - from;
    from = e;
  }
  out.set(b.subarray(from), o);
  if (format === 'webp') fixWebp(out);
  return out;
}

const text = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** APP2 "ICC_PROFILE\0" segments before the first scan. */
function jpegDrops(b: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let pos = 2; pos + 4 <= b.length && b[pos] === 0xff; ) {
    const m = b[pos + 1];
    if (m === 0xda || m === 0xd9) break;
    if (m === 0xff || m === 0x01 || (m >= 0xd0 && m <= 0xd8)) {
      pos += m === 0xff ? 1 : 2;
      continue;
    }
    const end = pos + 2 + ((b[pos + 2] << 8) | b[pos + 3]);
    if (m === 0xe2 && text(b, pos + 4, 12) === 'ICC_PROFILE\0') out.push([pos, end]);
    pos = end;
  }
  return out;
}

const PNG_COLOR_CHUNKS = new Set(['iCCP', 'gAMA', 'cHRM', 'cICP']);

function pngDrops(b: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let pos = 8; pos + 8 <= b.length; ) {
    const type = text(b, pos + 4, 4);
    const end = pos + 12 + dv.getUint32(pos);
    if (type === 'IDAT' || type === 'IEND' || end > b.length) break; // colour chunks precede IDAT
    if (PNG_COLOR_CHUNKS.has(type)) out.push([pos, end]);
    pos = end;
  }
  return out;
}

function webpDrops(b: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (text(b, 12, 4) !== 'VP8X') return out;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let pos = 12; pos + 8 <= b.length; ) {
    const len = dv.getUint32(pos + 4, true);
    const end = pos + 8 + len + (len & 1);
    if (text(b, pos, 4) === 'ICCP') out.push([pos, Math.min(end, b.length)]);
    pos = end;
  }
  return out;
}

/** After removing ICCP: clear VP8X's ICC flag and fix the RIFF size. */
function fixWebp(b: Uint8Array): void {
  b[20] &= ~0x20;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(4, b.length - 8, true);
}
