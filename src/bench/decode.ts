// Decode + preprocess timings per decoder: `bun src/bench/decode.ts [runs]`.
// Cases: astronaut.jpg (512x512) and a generated 12 MP JPEG (4000x3000, q90) → the face
// detector's 320x240 FP32 input, each with and without the downscale-during-decode hint.
// Prints median and min of `runs` (default 20; 12 MP cases use a quarter of that, at least 3).

import { ImagePreprocessing } from '../core/model-config.ts';
import type { ImageDecoder } from '../image/decoder.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';
import { createJsquashDecoder } from '../image/decoders/jsquash.ts';
import { nodeJsquashWasm } from '../runtime/jsquash-wasm.ts';
import { nativeDecoder } from '../runtime/native-image.ts';
import { preprocess } from '../image/preprocess.ts';
import { bigJpeg, fixture } from '../image/testing/images.ts';

const runs = Number(process.argv[2] ?? 20);
const spec = ImagePreprocessing.parse({ width: 320, height: 240, mean: 127, std: 128 });
const decoders: ImageDecoder[] = [createCanvasDecoder(), createJsquashDecoder(nodeJsquashWasm()), nativeDecoder()];
const inputs: Array<[string, Uint8Array]> = [
  ['astronaut.jpg 512x512', fixture('astronaut.jpg')],
  ['12 MP JPEG 4000x3000', await bigJpeg()],
];

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[s.length >> 1].toFixed(2).padStart(7)} (min ${s[0].toFixed(2).padStart(7)})`;
};

console.log(`decode + preprocess → 320x240 FP32 NCHW; median (min) ms; Bun ${Bun.version}`);
console.log('input                   decoder   hint  decoded      decode              preprocess          total');
for (const [name, bytes] of inputs) {
  const n = bytes.length > 1e6 ? Math.max(3, runs >> 2) : runs;
  for (const dec of decoders) {
    for (const hint of [false, true]) {
      const opts = hint ? { targetWidth: spec.width, targetHeight: spec.height } : {};
      await dec.decode(bytes, opts); // warm-up: codec instantiation, JIT
      const d: number[] = [],
        p: number[] = [],
        t: number[] = [];
      let size = '';
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const img = await dec.decode(bytes, opts);
        const t1 = performance.now();
        preprocess(img, spec);
        const t2 = performance.now();
        d.push(t1 - t0), p.push(t2 - t1), t.push(t2 - t0);
        size = `${img.width}x${img.height}`;
      }
      console.log(`${name.padEnd(24)}${dec.name.padEnd(10)}${(hint ? 'yes' : 'no').padEnd(6)}${size.padEnd(13)}${stats(d)}  ${stats(p)}  ${stats(t)}`);
    }
  }
}

// Preprocessing alone, on the decoded pixels, over more runs (it is the part in our hands).
console.log('\npreprocess only → 320x240, median (min) ms');
const canvas = decoders[0];
for (const [name, bytes] of inputs) {
  const img = await canvas.decode(bytes);
  for (const dtype of ['FP32', 'FP16', 'UINT8'] as const) {
    const s = { ...spec, dtype };
    const n = img.width > 1000 ? Math.max(5, runs >> 1) : runs * 10;
    for (let i = 0; i < Math.min(n, 50); i++) preprocess(img, s);
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      preprocess(img, s);
      t.push(performance.now() - t0);
    }
    console.log(`${name.padEnd(24)}${dtype.padEnd(7)}${stats(t)}`);
  }
}
