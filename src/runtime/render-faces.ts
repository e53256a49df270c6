// `?render=png` for face detection: the photo (upright, per EXIF) with the boxes and scores drawn
// on it, encoded as PNG with @napi-rs/canvas. Runs on the HTTP thread, so its cost is bounded
// by two limits instead of by the upload:
// - pixels: the picture is drawn at most `maxPixels` (a bigger photo is scaled down, boxes
//   with it). It is decoded shrunk where a codec can: on Bun (and the compiled binary)
//   Bun.Image decodes and resizes any format on Bun's thread pool, a JPEG shrunk inside the
//   DCT; elsewhere the native decoder's DCT-scaled JPEG or Skia's drawn downscale. A 7000x7000
//   PNG then costs its one transient decode, not four full-size copies and a 49 MP encode.
// - concurrency: at most `concurrent` renders run, `queue` more wait; beyond that the request
//   is answered 503 with Retry-After, like a full inference queue.
// A small photo (within maxPixels) is drawn at its own size, as before.

import { type Canvas, createCanvas, type Image, loadImage } from '@napi-rs/canvas';
import { unavailable } from '../core/errors.ts';
import type { FaceRenderer } from '../http/routes/faces.ts';
import type { DecodeOptions, ImageDecoder } from '../image/decoder.ts';
import type { BunImageClass } from '../image/decoders/bun-image.ts';
import { checkImage, DEFAULT_MAX_PIXELS, type ImageInfo, type Orientation, orientedSize } from '../image/probe.ts';
import { swapsAxes } from '../image/probe/exif.ts';
import type { RawImage } from '../image/raw-image.ts';
import { nativeDecoder } from './native-image.ts';

export interface RenderLimits {
  /** Most pixels drawn (and encoded): larger photos are scaled down to fit. */
  maxPixels: number;
  /** Renders running at once. */
  concurrent: number;
  /** Renders waiting for one of those; more are refused (503 + Retry-After). */
  queue: number;
  /** Largest photo decoded (the server's MAX_IMAGE_PIXELS; detection enforces it first). */
  maxImagePixels: number;
}

/** 4 MP (e.g. 2448x1632): plenty to see boxes on, ~16 MB of RGBA per copy. */
export const DEFAULT_RENDER_LIMITS: RenderLimits = { maxPixels: 4_000_000, concurrent: 1, queue: 4, maxImagePixels: DEFAULT_MAX_PIXELS };

export interface RendererParts {
  /** Full-size and hinted decodes: the runtime's native decoder by default. */
  decoder?: ImageDecoder;
  /** Bun.Image where the runtime has it (Bun, compiled binaries): shrinks off the event loop. */
  BunImage?: BunImageClass;
}

/** What a renderer did, for tests and logs. */
export interface RenderStats {
  running: number;
  waiting: number;
  refused: number;
}

export type BoundedRenderer = FaceRenderer & { stats(): RenderStats };

export function createFaceRenderer(limits: Partial<RenderLimits> = {}, parts: RendererParts = {}): BoundedRenderer {
  const l = { ...DEFAULT_RENDER_LIMITS, ...limits };
  for (const k of ['maxPixels', 'concurrent', 'maxImagePixels'] as const) {
    if (!(Number.isInteger(l[k]) && l[k] >= 1)) throw new RangeError(`render limit ${k} must be a positive integer, got ${l[k]}`);
  }
  if (!(Number.isInteger(l.queue) && l.queue >= 0)) throw new RangeError(`render limit queue must be a non-negative integer, got ${l.queue}`);
  const decoder = parts.decoder ?? nativeDecoder();
  const gate = new Gate(l.concurrent, l.queue);
  const render: FaceRenderer = (image, faces) =>
    gate.run(async () => {
      const info = checkImage(image, { maxPixels: l.maxImagePixels });
      const up = orientedSize(info);
      const scale = Math.min(1, Math.sqrt(l.maxPixels / (up.width * up.height)));
      const width = Math.max(1, Math.floor(up.width * scale));
      const height = Math.max(1, Math.floor(up.height * scale));
      const canvas =
        (parts.BunImage && (await viaBunImage(image, info, width, height, l, parts.BunImage))) ||
        toCanvas(await decoder.decode(image, hint(l, width, height, scale)), width, height);
      const g = canvas.getContext('2d');
      const sx = width / up.width;
      const sy = height / up.height;
      g.lineWidth = Math.max(2, width / 200);
      g.strokeStyle = '#2f6fe4';
      g.fillStyle = '#2f6fe4';
      g.font = `${Math.max(12, Math.round(width / 40))}px sans-serif`;
      for (const f of faces) {
        const [x1, y1, x2, y2] = f.box;
        g.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
        g.fillText(`${Math.round(f.score * 100)}%`, x1 * sx, Math.max(12, y1 * sy - 4));
      }
      return new Uint8Array(await canvas.encode('png'));
    });
  return Object.assign(render, { stats: () => gate.stats() });
}

/** Decoder options for a picture drawn at width x height: none at full size; else a target of
 *  half that with the default reducing gap, so a JPEG comes back DCT-scaled and anything else
 *  drawn down by Skia to about width x height (decoder.ts's decodeScale). */
function hint(l: RenderLimits, width: number, height: number, scale: number): DecodeOptions {
  if (scale === 1) return { maxPixels: l.maxImagePixels };
  return { maxPixels: l.maxImagePixels, targetWidth: Math.ceil(width / 2), targetHeight: Math.ceil(height / 2) };
}

/**
 * The photo drawn upright at width x height, decoded and resized by Bun.Image on Bun's thread
 * pool (a large JPEG shrunk inside the DCT) and turned upright by the canvas transform, so the
 * event loop never touches a full-size pixel. Undefined if Bun.Image refuses the file (the
 * native decoder then decodes it, or names what is wrong with it).
 */
async function viaBunImage(
  bytes: Uint8Array,
  info: ImageInfo,
  width: number,
  height: number,
  l: RenderLimits,
  BunImage: BunImageClass,
): Promise<Canvas | undefined> {
  const turned = swapsAxes(info.orientation);
  const [w, h] = turned ? [height, width] : [width, height];
  let img: Image;
  try {
    let p = new BunImage(bytes, { maxPixels: l.maxImagePixels, autoOrient: false });
    if (w !== info.width || h !== info.height) p = p.resize(w, h, { filter: 'box', fit: 'fill' });
    img = await loadImage(await p.png({ compressionLevel: 0 }).bytes());
  } catch {
    return undefined;
  }
  if (img.width !== w || img.height !== h) return undefined;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.setTransform(...UPRIGHT[info.orientation](width, height));
  g.drawImage(img, 0, 0);
  g.setTransform(1, 0, 0, 1, 0, 0);
  return canvas;
}

type Affine = [a: number, b: number, c: number, d: number, e: number, f: number];

/** Canvas transform (upright x = a*x + c*y + e, y = b*x + d*y + f) drawing a stored image of
 *  orientation o upright into a W x H canvas; the same eight cases as orient.ts. */
const UPRIGHT: Record<Orientation, (W: number, H: number) => Affine> = {
  1: () => [1, 0, 0, 1, 0, 0],
  2: (W) => [-1, 0, 0, 1, W, 0], // mirrored horizontally
  3: (W, H) => [-1, 0, 0, -1, W, H], // rotated 180°
  4: (_, H) => [1, 0, 0, -1, 0, H], // mirrored vertically
  5: () => [0, 1, 1, 0, 0, 0], // transposed
  6: (W) => [0, 1, -1, 0, W, 0], // stored turned 90° counter-clockwise: turn clockwise
  7: (W, H) => [0, -1, -1, 0, W, H], // transversed
  8: (_, H) => [0, -1, 1, 0, 0, H], // stored turned 90° clockwise: turn counter-clockwise
};

/** Upright RGBA (from the native decoder) on a width x height canvas, drawn down if larger. */
function toCanvas(img: RawImage, width: number, height: number): Canvas {
  const src = createCanvas(img.width, img.height);
  const ctx = src.getContext('2d');
  const data = ctx.createImageData(img.width, img.height);
  data.data.set(img.data);
  ctx.putImageData(data, 0, 0);
  if (img.width === width && img.height === height) return src;
  const out = createCanvas(width, height);
  const g = out.getContext('2d');
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = 'high';
  g.drawImage(src, 0, 0, width, height);
  return out;
}

/** At most `concurrent` tasks at once and `queue` waiting (FIFO); beyond, UNAVAILABLE. */
class Gate {
  private running = 0;
  private refused = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly concurrent: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrent) this.running++;
    else if (this.waiting.length < this.queue)
      await new Promise<void>((go) => this.waiting.push(go)); // the slot is handed over
    else {
      this.refused++;
      throw unavailable(`too many render=png requests at once (${this.running} rendering, ${this.waiting.length} waiting): retry shortly, or ask for JSON`, 1);
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  stats(): RenderStats {
    return { running: this.running, waiting: this.waiting.length, refused: this.refused };
  }
}

// Last in the file: it constructs a Gate, and a class is not usable before its declaration has
// run (Deno refused to start: "Cannot access 'Gate' before initialization").
/** The renderer the runtimes use: default limits, Bun.Image where there is one. */
export const renderFaces: BoundedRenderer = createFaceRenderer(
  {},
  {
    BunImage: (globalThis as { Bun?: { Image?: BunImageClass } }).Bun?.Image,
  },
);
