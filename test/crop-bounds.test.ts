// A box or crop far outside the image (issue 10, item 19) through the real face models: the
// face route's `box` and the KServe `crop` tensor parameter answer 400 naming the crop instead
// of resampling 1e12 pixels (before: 15 s for 1e7, 500 "Out of memory" for 1e12); boxes that
// reach a little past the border still embed.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { faceApp } from './face-app.ts';
import { FIXTURES } from './helpers.ts';

type App = Awaited<ReturnType<typeof faceApp>>['app'];
let app: App;
let repo: string;
const astronaut = new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg')));

beforeAll(async () => {
  ({ app, repo } = await faceApp());
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const embed = (box: string) => app.request(`/v1/faces/embed?box=${box}`, { method: 'POST', body: astronaut, headers: { 'content-type': 'image/jpeg' } });

/** KServe infer on face_embed with the image as a binary BYTES element and a crop parameter. */
function inferWithCrop(crop: string) {
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1], parameters: { crop, binary_data_size: astronaut.length + 4 } }],
    }),
  );
  const body = new Uint8Array(header.length + 4 + astronaut.length);
  body.set(header);
  new DataView(body.buffer).setUint32(header.length, astronaut.length, true);
  body.set(astronaut, header.length + 4);
  return app.request('/v2/models/face_embed/infer', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
  });
}

test('embed: a box of 1e7 or 1e12 pixels is a 400 naming it, not minutes of resampling', async () => {
  for (const v of ['10000000', '1000000000000']) {
    const r = await embed(`0,0,${v},${v}`);
    expect(r.status).toBe(400);
    expect((await r.json()).error).toContain(`box [0,0,${v},${v}] lies almost entirely outside the 512x512 image`);
  }
});

test('embed: a box reaching past the border still embeds', async () => {
  for (const box of ['-20,-20,300,300', '0,0,512,512', '400,400,700,700']) {
    const r = await embed(box);
    expect(r.status).toBe(200);
    expect((await r.json()).embedding).toHaveLength(512);
  }
});

test('KServe crop parameter: far outside → 400 naming it; inside → 200', async () => {
  const bad = await inferWithCrop('0,0,1000000000000,1000000000000');
  expect(bad.status).toBe(400);
  expect((await bad.json()).error).toContain('crop [0,0,1000000000000,1000000000000] lies almost entirely outside the 512x512 image');
  const ok = await inferWithCrop('160,50,290,180');
  expect(ok.status).toBe(200);
});
