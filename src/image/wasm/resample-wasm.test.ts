// The SIMD resampling kernels: the embedded bytes are what resample.wat assembles to, and they
// produce the JS kernels' tensor (to float rounding) across resize modes, reductions (bilinear
// and area), enlargements, crops past the border, channel orders and layouts.

import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { assemble, tsModule } from '../../../scripts/gen-wasm.ts';
import { ImagePreprocessing } from '../../core/model-config.ts';
import { preprocess, type Box } from '../preprocess.ts';
import { rawImage } from '../raw-image.ts';
import { resampleOptions } from '../resample.ts';
import { gradient } from '../testing/images.ts';
import { wasmResampler } from './resample-kernel.ts';
import { WASM_BASE64 } from './resample-wasm.ts';

test('resample-wasm.ts embeds exactly what resample.wat assembles to (npm run gen:wasm)', async () => {
  const bytes = await assemble(join(import.meta.dir, 'resample.wat'));
  expect(tsModule('resample', bytes)).toContain(WASM_BASE64.slice(0, 96));
  expect(atob(WASM_BASE64).length).toBe(bytes.length);
  expect(Buffer.from(WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
});

test('Bun has WebAssembly SIMD, so the kernels are in use here', () => {
  expect(wasmResampler()).toBeDefined();
});

describe('WASM and JS kernels give the same tensor', () => {
  // A textured opaque image: gradients plus a per-pixel pattern, so every tap matters.
  const texture = (w: number, h: number) => {
    const g = gradient(w, h);
    for (let i = 0; i < g.length; i++) if ((i & 3) !== 3) g[i] = (g[i] + ((i * 7919) % 61)) & 255;
    return rawImage(w, h, g, true);
  };
  const both = (img: ReturnType<typeof texture>, s: ImagePreprocessing, crop?: Box) => {
    resampleOptions.wasm = true;
    const a = preprocess(img, s, crop ? { crop } : undefined).data as Float32Array;
    resampleOptions.wasm = false;
    const b = preprocess(img, s, crop ? { crop } : undefined).data as Float32Array;
    resampleOptions.wasm = true;
    expect(a.length).toBe(b.length);
    // Compared in 0-255 levels (the tensors are normalised: divide by the largest multiplier).
    const unit = s.mean !== undefined || s.std !== undefined ? Math.max(...[s.std ?? 1].flat().map((v) => 1 / v)) : Math.max(...[s.scale ?? 1].flat());
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / unit);
    expect(worst).toBeLessThan(0.05); // 16-bit fixed point vs f64 sums: invisible next to 1 level
  };
  const cases: Array<[string, number, number, Record<string, unknown>, Box?]> = [
    ['512x512 → 320x240 stretch (bilinear x, area y)', 512, 512, { width: 320, height: 240 }],
    ['1000x750 → 320x240 (area both axes)', 1000, 750, { width: 320, height: 240, mean: 127, std: 128 }],
    ['100x80 → 320x240 (enlarged)', 100, 80, { width: 320, height: 240 }],
    [
      'letterbox NHWC BGR with padding',
      600,
      400,
      { width: 256, height: 256, resize: 'letterbox', layout: 'NHWC', color: 'BGR', pad_value: 114, scale: 1 / 255 },
    ],
    ['center_crop', 640, 360, { width: 224, height: 224, resize: 'center_crop', mean: [123.7, 116.3, 103.5], std: [58.4, 57.1, 57.4] }],
    ['a crop reaching past the border', 400, 300, { width: 112, height: 112 }, [-20, 250, 90, 340]],
  ];
  for (const [name, w, h, s, crop] of cases) test(name, () => both(texture(w, h), ImagePreprocessing.parse(s), crop));
});
