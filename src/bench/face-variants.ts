// Same-identity variants of a face photo for the accuracy measurement (face-accuracy.ts): crops
// around the face (tight, loose, off-centre), a mirror image, rotations, rescales, JPEG
// re-encodes and brightness changes, made with @napi-rs/canvas at run time (no extra files).
// Each variant carries the map from source pixels to its own pixels, so the measurement can
// check that the face the pipeline chose is the photo's face and not a false detection.

import { type Canvas, createCanvas, type Image, loadImage } from '@napi-rs/canvas';

export type Box = [number, number, number, number];
/** Source pixel → variant pixel. */
export type PointMap = (x: number, y: number) => [number, number];

export interface Variant {
  /** e.g. `rotate+15`, `jpeg q30`. */
  name: string;
  bytes: Uint8Array;
  map: PointMap;
}

export interface VariantSet {
  /** The variant kinds; `reduced` keeps one or two of each kind (the test's quick set). */
  crops: boolean;
  flip: boolean;
  rotations: number[];
  scales: number[];
  jpegQualities: number[];
  brightness: number[];
}

export const FULL: VariantSet = {
  crops: true,
  flip: true,
  rotations: [-25, -15, -5, 5, 15, 25],
  scales: [0.5, 0.75, 1.5],
  jpegQualities: [30, 60, 90],
  brightness: [0.7, 1.3],
};
export const REDUCED: VariantSet = {
  crops: true,
  flip: true,
  rotations: [-25, 15],
  scales: [0.5],
  jpegQualities: [30],
  brightness: [0.7],
};

const png = async (c: Canvas) => new Uint8Array(await c.encode('png'));

function draw(w: number, h: number, paint: (g: ReturnType<Canvas['getContext']>) => void): Canvas {
  const c = createCanvas(Math.max(1, Math.round(w)), Math.max(1, Math.round(h)));
  const g = c.getContext('2d');
  g.fillStyle = '#000';
  g.fillRect(0, 0, c.width, c.height);
  paint(g);
  return c;
}

/** A crop of `img` with the face box `face` grown `grow` times about a point shifted by
 *  (dx, dy) face sizes from its centre, clamped to the image. */
async function crop(img: Image, face: Box, name: string, grow: number, dx = 0, dy = 0): Promise<Variant> {
  const size = Math.max(face[2] - face[0], face[3] - face[1]) * grow;
  const cx = (face[0] + face[2]) / 2 + dx * (face[2] - face[0]);
  const cy = (face[1] + face[3]) / 2 + dy * (face[3] - face[1]);
  const x0 = Math.max(0, Math.round(cx - size / 2));
  const y0 = Math.max(0, Math.round(cy - size / 2));
  const x1 = Math.min(img.width, Math.round(cx + size / 2));
  const y1 = Math.min(img.height, Math.round(cy + size / 2));
  const c = draw(x1 - x0, y1 - y0, (g) => g.drawImage(img, x0, y0, x1 - x0, y1 - y0, 0, 0, x1 - x0, y1 - y0));
  return { name, bytes: await png(c), map: (x, y) => [x - x0, y - y0] };
}

/** Rotated `deg` degrees (clockwise on screen) about the image centre, on a canvas that holds
 *  the whole rotated image (black corners). */
async function rotate(img: Image, deg: number): Promise<Variant> {
  const a = (deg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const w = Math.abs(img.width * cos) + Math.abs(img.height * sin);
  const h = Math.abs(img.width * sin) + Math.abs(img.height * cos);
  const c = draw(w, h, (g) => {
    g.translate(Math.round(w) / 2, Math.round(h) / 2);
    g.rotate(a);
    g.drawImage(img, -img.width / 2, -img.height / 2);
  });
  const [sx, sy] = [img.width / 2, img.height / 2];
  const [tx, ty] = [c.width / 2, c.height / 2];
  return {
    name: `rotate${deg > 0 ? '+' : ''}${deg}`,
    bytes: await png(c),
    map: (x, y) => [tx + cos * (x - sx) - sin * (y - sy), ty + sin * (x - sx) + cos * (y - sy)],
  };
}

async function brightness(img: Image, f: number): Promise<Variant> {
  const c = draw(img.width, img.height, (g) => g.drawImage(img, 0, 0));
  const g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < d.data.length; i += 4) {
    for (let k = 0; k < 3; k++) d.data[i + k] = Math.min(255, Math.round(d.data[i + k] * f));
  }
  g.putImageData(d, 0, 0);
  return { name: `brightness ${f > 1 ? '+' : '-'}${Math.round(Math.abs(f - 1) * 100)}%`, bytes: await png(c), map: (x, y) => [x, y] };
}

/** The variants of one photo whose face (in source pixels) is `face`; the first is the photo
 *  itself, unchanged. */
export async function makeVariants(bytes: Uint8Array, face: Box, set: VariantSet = FULL): Promise<Variant[]> {
  const img = await loadImage(Buffer.from(bytes));
  const id: PointMap = (x, y) => [x, y];
  const out: Variant[] = [{ name: 'original', bytes, map: id }];
  if (set.crops) {
    out.push(await crop(img, face, 'crop tight', 1.3));
    out.push(await crop(img, face, 'crop loose', 2.6));
    out.push(await crop(img, face, 'crop off-centre', 2.2, 0.5, 0.35));
  }
  if (set.flip) {
    const c = draw(img.width, img.height, (g) => {
      g.translate(img.width, 0);
      g.scale(-1, 1);
      g.drawImage(img, 0, 0);
    });
    out.push({ name: 'flip', bytes: await png(c), map: (x, y) => [img.width - x, y] });
  }
  for (const deg of set.rotations) out.push(await rotate(img, deg));
  for (const s of set.scales) {
    const c = draw(img.width * s, img.height * s, (g) => g.drawImage(img, 0, 0, Math.round(img.width * s), Math.round(img.height * s)));
    const [fx, fy] = [c.width / img.width, c.height / img.height];
    out.push({ name: `scale ${s}x`, bytes: await png(c), map: (x, y) => [x * fx, y * fy] });
  }
  for (const q of set.jpegQualities) {
    const c = draw(img.width, img.height, (g) => g.drawImage(img, 0, 0));
    out.push({ name: `jpeg q${q}`, bytes: new Uint8Array(await c.encode('jpeg', q)), map: id });
  }
  for (const f of set.brightness) out.push(await brightness(img, f));
  return out;
}
