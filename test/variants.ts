// Same-identity variants of a photo made at test time (flip, crop, rescale, re-encode), for
// verification tests: no extra files in the repository.

import { createCanvas, loadImage } from '@napi-rs/canvas';

export async function variants(bytes: Uint8Array): Promise<Record<string, Uint8Array>> {
  const img = await loadImage(Buffer.from(bytes));
  const w = img.width;
  const h = img.height;
  const flip = createCanvas(w, h);
  const fg = flip.getContext('2d');
  fg.translate(w, 0);
  fg.scale(-1, 1);
  fg.drawImage(img, 0, 0);
  const crop = createCanvas(Math.round(w * 0.8), Math.round(h * 0.8));
  crop.getContext('2d').drawImage(img, w * 0.1, 0, w * 0.8, h * 0.8, 0, 0, crop.width, crop.height);
  const small = createCanvas(Math.round(w * 0.6), Math.round(h * 0.6));
  small.getContext('2d').drawImage(img, 0, 0, small.width, small.height);
  const big = createCanvas(w * 2, h * 2);
  big.getContext('2d').drawImage(img, 0, 0, big.width, big.height);
  return {
    flipped_jpeg: new Uint8Array(await flip.encode('jpeg', 85)),
    cropped_png: new Uint8Array(await crop.encode('png')),
    rescaled_webp: new Uint8Array(await small.encode('webp', 80)),
    upscaled_low_quality_jpeg: new Uint8Array(await big.encode('jpeg', 40)),
  };
}
