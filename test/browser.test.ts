// The docs and the demo page in a real headless Chromium (Debian's, driven by playwright-core),
// with every request off this machine blocked: Swagger UI must render from edgeserve's own
// assets with the face routes first, its "Try it out" on detect, embed and verify (a picked
// file, nothing else changed) must answer what the README's curl command answers, and the demo
// page must box faces, compare two photos (picked or dropped, the faces compared boxed on both;
// a click on another face compares that one) and show every failed answer. The Gallery tab: browser-gallery.test.ts.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { launchOffline } from './browser-launch.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../src/tasks/faces/service.ts';
import { FIXTURES } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

// A small body limit, so the demo page meets a real 413 from the server.
const MAX_BODY_BYTES = 2_000_000;

let srv: ServerProcess;
let browser: Browser;
let ctx: BrowserContext;
let docs: Page | undefined; // /docs, loaded once (Swagger UI's bundle is ~1.9 MB of JavaScript)
const offsite: string[] = [];
const missing: string[] = [];

describe('in headless Chromium, offline', () => {
  beforeAll(async () => {
    ({ browser, ctx } = await launchOffline(offsite));
    srv = await startServer({ MAX_BODY_BYTES: String(MAX_BODY_BYTES), GRPC_PORT: 'off' });
    ctx.on('response', (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('/docs renders Swagger UI from local assets, the face routes first', async () => {
    docs = await ctx.newPage();
    const page = docs;
    await page.goto(`${srv.url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('edgeserve');
    await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
    const tags = await page.$$eval('.opblock-tag', (els) => els.map((e) => e.getAttribute('data-tag')));
    expect(tags[0]).toBe('Faces');
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent ?? ''));
    expect(paths.slice(0, 3)).toEqual(['/v1/faces/detect', '/v1/faces/embed', '/v1/faces/verify']);
    expect(paths.some((p) => p.includes('/v2/models/{model_name}/infer'))).toBe(true);
    expect(offsite).toEqual([]);
    expect(missing).toEqual([]); // the favicon Chromium asks for included
  }, 60_000);

  // What the README's curl command answers, run as written (with the fixture for photo.jpg).
  const curl = (args: string[]) => {
    const p = Bun.spawnSync(['curl', '-s', '--fail-with-body', ...args], { cwd: FIXTURES });
    expect(p.exitCode).toBe(0);
    return JSON.parse(p.stdout.toString());
  };

  /** Opens an operation, "Try it out", picks the files, Execute; returns what was sent and answered. */
  async function tryItOut(page: Page, route: string, files: string[]) {
    const op = page.locator(`#operations-Faces-post_v1_faces_${route}`);
    await op.locator('.opblock-summary').click();
    await op.locator('.try-out__btn').click();
    const pickers = op.locator('input[type=file]');
    expect(await pickers.count()).toBe(files.length);
    for (const [i, f] of files.entries()) await pickers.nth(i).setInputFiles(join(FIXTURES, f));
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes(`/v1/faces/${route}`));
    await op.locator('button.execute').click();
    const request: Request = await sent;
    const status = op.locator('.live-responses-table .response .response-col_status');
    await status.waitFor({ timeout: 20_000 });
    const body = await op.locator('.live-responses-table .response .response-col_description pre').first().textContent();
    const parts = [...(request.postDataBuffer()?.toString('latin1') ?? '').matchAll(/; name="([^"]*)"/g)].map((m) => m[1]);
    return { status: (await status.textContent())?.trim(), json: JSON.parse(body ?? ''), query: new URL(request.url()).search, parts };
  }

  test('Swagger UI "Try it out" with a picked file and nothing else changed gives the README curl answers', async () => {
    const page = docs ?? (await ctx.newPage());
    if (!docs) await page.goto(`${srv.url}/docs`);
    await page.waitForSelector('#operations-Faces-post_v1_faces_detect', { timeout: 20_000 });

    const d = await tryItOut(page, 'detect', ['astronaut.jpg']);
    // Swagger UI 5 fills each parameter with its schema default and sends it (no example is
    // declared, and no option is a body field): the same as leaving them out. Which ones: every
    // query option with a default in the OpenAPI document (liveness=false and the like too).
    const doc = await (await fetch(`${srv.url}/openapi.json`)).json();
    const defaults = (path: string) => {
      const params = (doc.paths[path].post.parameters ?? []) as Array<{ in: string; name: string; schema?: { default?: unknown } }>;
      const sent = params.filter((p) => p.in === 'query' && p.schema?.default !== undefined).map((p) => `${p.name}=${p.schema!.default}`);
      return sent.length ? `?${sent.join('&')}` : '';
    };
    expect(d.query).toStartWith('?score_threshold=0.7&iou_threshold=0.3&max_faces=50');
    expect({ status: d.status, query: d.query, parts: d.parts }).toEqual({ status: '200', query: defaults('/v1/faces/detect'), parts: ['image'] });
    expect(d.json).toEqual(curl(['-F', 'image=@astronaut.jpg', `${srv.url}/v1/faces/detect`]));
    expect(d.json.faces).toHaveLength(1);

    const e = await tryItOut(page, 'embed', ['astronaut.jpg']);
    expect({ status: e.status, query: e.query, parts: e.parts }).toEqual({ status: '200', query: defaults('/v1/faces/embed'), parts: ['image'] });
    const ce = curl(['-F', 'image=@astronaut.jpg', `${srv.url}/v1/faces/embed`]);
    expect(e.json).toEqual(ce);
    expect(e.json.box).toEqual(d.json.faces[0].box); // the detected face, not a fixed example box

    const v = await tryItOut(page, 'verify', ['astronaut.jpg', 'camera.png']);
    expect(v.query).toStartWith(`?threshold=${DEFAULT_MATCH_THRESHOLD}`);
    expect({ status: v.status, query: v.query, parts: v.parts }).toEqual({ status: '200', query: defaults('/v1/faces/verify'), parts: ['image1', 'image2'] });
    expect(v.json).toEqual(curl(['-F', 'image1=@astronaut.jpg', '-F', 'image2=@camera.png', `${srv.url}/v1/faces/verify`]));
    expect(v.json).toMatchObject({ match: false, threshold: DEFAULT_MATCH_THRESHOLD });
    expect(offsite).toEqual([]);
    await page.close();
    docs = undefined;
  }, 60_000);

  test('demo page: upload a photo, the face is boxed and labelled legibly; compare two photos', async () => {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/`);
    expect(await page.$eval('link[rel=icon]', (l) => (l as HTMLLinkElement).href)).toBe(`${srv.url}/favicon.svg`);
    await page.setInputFiles('#file', join(FIXTURES, 'astronaut.jpg'));
    await page.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).dataset.faces !== undefined, undefined, { timeout: 20_000 });
    expect(await page.textContent('#detect-result')).toBe('1 face');
    expect(await page.$eval('#canvas', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([512, 512]);
    // The box and its label: the label is white text on a solid blue block, whatever is under it.
    const drawn = await page.$eval('#canvas', (el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const isBlue = (i: number) => d[i] === 0x2f && d[i + 1] === 0x6f && d[i + 2] === 0xe4;
      let blue = 0;
      for (let i = 0; i < d.length; i += 4) if (isBlue(i)) blue++;
      const [l] = JSON.parse(c.dataset.labels!) as Array<{ x: number; y: number; w: number; h: number }>;
      let labelBlue = 0,
        labelWhite = 0,
        labelOther = 0;
      for (let y = Math.ceil(l.y); y < Math.floor(l.y + l.h); y++) {
        for (let x = Math.ceil(l.x); x < Math.floor(l.x + l.w); x++) {
          const i = (y * c.width + x) * 4;
          if (isBlue(i)) labelBlue++;
          else if (d[i] > 240 && d[i + 1] > 240 && d[i + 2] > 240) labelWhite++;
          else labelOther++;
        }
      }
      return { blue, label: l, labelBlue, labelWhite, labelOther };
    });
    expect(drawn.blue).toBeGreaterThan(100);
    expect(drawn.label.h).toBeGreaterThan(12);
    const area = drawn.labelBlue + drawn.labelWhite + drawn.labelOther;
    expect(drawn.labelBlue / area).toBeGreaterThan(0.5); // a solid background …
    expect(drawn.labelWhite).toBeGreaterThan(20); // … with the text on it
    expect(drawn.labelOther / area).toBeLessThan(0.3); // only antialiased edges: no photo shows through
    await page.screenshot({ path: join(import.meta.dir, '..', '.cache', 'demo-detect.png') }).catch(() => {});

    await page.click('#tab-compare');
    expect(await page.isVisible('#compare')).toBe(true);
    expect(await page.isVisible('#detect')).toBe(false);
    await page.setInputFiles('#file1', join(FIXTURES, 'astronaut.jpg'));
    await page.setInputFiles('#file2', join(FIXTURES, 'astronaut_exif6.jpg'));
    await page.waitForFunction(() => /Same person|Different/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    expect(await page.textContent('#compare-result')).toContain('Same person');
    await expectCompared(page, 'astronaut.jpg', 'astronaut_exif6.jpg');
    await page.setInputFiles('#file2', join(FIXTURES, 'camera.png'));
    await page.waitForFunction(() => /Different/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    await expectCompared(page, 'astronaut.jpg', 'camera.png');
    expect(offsite).toEqual([]);
    await page.close();
  }, 60_000);

  /**
   * The compare tab shows which faces were compared: each photo is drawn at its oriented size
   * with the verify answer's face boxed in blue, and the result says how many faces were found.
   */
  async function expectCompared(page: Page, a: string, b: string) {
    const served = curl(['-F', `image1=@${a}`, '-F', `image2=@${b}`, `${srv.url}/v1/faces/verify`]);
    const shown = await page.$$eval('#canvas1, #canvas2', (els) =>
      els.map((el) => {
        const c = el as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        // Blue pixels on the box's left edge (the column the 2+ px stroke covers whole): the box is
        // drawn where the answer says.
        const [x1, y1, , y2] = JSON.parse(c.dataset.box ?? '[0,0,0,0]') as number[];
        let edge = 0;
        for (let y = Math.ceil(y1); y < Math.floor(y2); y++) {
          const i = (y * c.width + Math.floor(x1)) * 4;
          if (d[i] === 0x2f && d[i + 1] === 0x6f && d[i + 2] === 0xe4) edge++;
        }
        return {
          box: c.dataset.box ? JSON.parse(c.dataset.box) : undefined,
          candidates: c.dataset.candidates,
          size: [c.width, c.height],
          edge,
          height: y2 - y1,
        };
      }),
    );
    for (const [k, s] of shown.entries()) {
      expect(s.box).toEqual(served.faces[k]);
      expect(s.candidates).toBe(String(served.candidates[k].length));
      expect(s.edge).toBeGreaterThan(0.8 * s.height);
    }
    expect(shown.map((s) => s.size)).toEqual(
      await Promise.all(
        [a, b].map(async (f) => {
          const r = curl(['-F', `image=@${f}`, `${srv.url}/v1/faces/detect`]);
          return [r.image.width, r.image.height];
        }),
      ),
    );
    const found = (n: number) => (n === 1 ? '1 face' : `${n} faces`);
    expect(await page.textContent('#compare-result')).toEndWith(
      `; the faces compared are boxed in blue (of ${found(served.candidates[0].length)} and ${found(served.candidates[1].length)} found)`,
    );
  }

  /** Drops a file on an element, as a drag from the desktop does. */
  async function drop(page: Page, selector: string, file: string, type: string) {
    const b64 = readFileSync(join(FIXTURES, file)).toString('base64');
    await page.$eval(
      selector,
      (el, [data, name, mime]) => {
        const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: mime }));
        el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [b64, file, type] as const,
    );
  }

  test('demo page: photos dropped on the compare boxes are compared', async () => {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/`);
    await drop(page, '#drop1', 'astronaut.jpg', 'image/jpeg');
    expect(await page.textContent('#compare-result')).toBe('Pick two photos.');
    await drop(page, '#drop2', 'camera.png', 'image/png');
    await page.waitForFunction(() => /Different people/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    await expectCompared(page, 'astronaut.jpg', 'camera.png');
    await drop(page, '#drop2', 'astronaut_exif6.jpg', 'image/jpeg');
    await page.waitForFunction(() => /Same person/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    await page.close();
  }, 60_000);

  test('demo page: a photo of two people: the chosen face is boxed, a click on the other compares that one', async () => {
    // The astronaut small at left, the photographer larger at right: the rule picks him.
    const c = createCanvas(1000, 600);
    const x = c.getContext('2d');
    x.fillStyle = '#808080';
    x.fillRect(0, 0, 1000, 600);
    x.drawImage(await loadImage(readFileSync(join(FIXTURES, 'astronaut.png'))), 0, 100, 400, 400);
    x.drawImage(await loadImage(readFileSync(join(FIXTURES, 'camera.png'))), 400, 0, 600, 600);
    const two = Buffer.from(await c.encode('jpeg', 92));
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/#compare`);
    expect(await page.isVisible('#compare')).toBe(true);
    const choosers: unknown[] = [];
    page.on('filechooser', (f) => choosers.push(f));
    const verifies: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/faces/verify')) verifies.push(new URL(r.url()).search);
    });
    await page.setInputFiles('#file1', { name: 'two.jpg', mimeType: 'image/jpeg', buffer: two });
    await page.setInputFiles('#file2', join(FIXTURES, 'astronaut_exif6.jpg'));
    await page.waitForFunction(() => /Same person|Different/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, {
      timeout: 20_000,
    });
    const text = (await page.textContent('#compare-result')) ?? '';
    expect(text).toStartWith('Different people');
    expect(text).toEndWith('(of 2 faces and 1 face found); click a dashed box to compare that face instead');
    const form = new FormData();
    form.append('image1', new Blob([two]), 'two.jpg');
    form.append('image2', new Blob([readFileSync(join(FIXTURES, 'astronaut_exif6.jpg'))]), 'b.jpg');
    const served = await (await fetch(`${srv.url}/v1/faces/verify`, { method: 'POST', body: form })).json();
    const box1 = async () => JSON.parse((await page.$eval('#canvas1', (e) => (e as HTMLCanvasElement).dataset.box))!) as number[];
    expect(await box1()).toEqual(served.faces[0]);
    expect(served.faces[0][0]).toBeGreaterThan(400); // the photographer
    const astronaut = (served.candidates[0] as Array<{ box: number[] }>).find((f) => f.box[2] < 400)!.box;
    // The face not compared is drawn too, dashed amber, where the answer found it.
    const amber = await page.$eval(
      '#canvas1',
      (e, [x1, y1, x2, y2]) => {
        const cv = e as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let inside = 0,
          outside = 0;
        for (let y = 0; y < cv.height; y++) {
          for (let x = 0; x < cv.width; x++) {
            const i = (y * cv.width + x) * 4;
            if (d[i] !== 0xf2 || d[i + 1] !== 0xb9 || d[i + 2] !== 0x0c) continue;
            if (x >= x1 - 4 && x <= x2 + 4 && y >= y1 - 4 && y <= y2 + 4) inside++;
            else outside++;
          }
        }
        return { inside, outside };
      },
      astronaut,
    );
    expect(amber.inside).toBeGreaterThan(100);
    expect(amber.outside).toBe(0);

    // Click the astronaut's (dashed) face: compared instead, the file picker stays shut.
    const at = async (bx: number, by: number) => {
      const r = await page.$eval('#canvas1', (e) => {
        const b = e.getBoundingClientRect();
        return [b.left, b.top, b.width, (e as HTMLCanvasElement).width];
      });
      const s = r[2] / r[3];
      await page.mouse.click(r[0] + bx * s, r[1] + by * s);
    };
    await at((astronaut[0] + astronaut[2]) / 2, (astronaut[1] + astronaut[3]) / 2);
    await page.waitForFunction(() => /^Same person/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await box1()).toEqual(astronaut);
    expect(verifies).toEqual(['', `?box1=${encodeURIComponent(astronaut.join(','))}`]);
    expect(choosers).toHaveLength(0);
    await page.screenshot({ path: join(import.meta.dir, '..', '.cache', 'demo-compare.png'), fullPage: true }).catch(() => {});
    // A click beside the faces still opens the file picker.
    await at(950, 580);
    await page.waitForEvent('filechooser', { timeout: 5_000 }).catch(() => {});
    expect(choosers).toHaveLength(1);
    await page.close();
  }, 60_000);

  test('demo page: any failed answer is shown, never "Detecting…" forever', async () => {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/`);
    const result = async () => {
      await page.waitForFunction(() => document.getElementById('detect-result')!.className.includes('bad'), undefined, { timeout: 20_000 });
      return (await page.textContent('#detect-result')) ?? '';
    };
    const pick = (name: string, mimeType: string, buffer: Buffer) => page.setInputFiles('#file', { name, mimeType, buffer });
    const reset = () =>
      page.$eval('#detect-result', (e) => {
        (e as HTMLElement).className = 'result';
      });

    // The server's own {"error"}: a file that is not an image.
    await pick('notes.jpg', 'image/jpeg', Buffer.from('hello, I am not a picture\n'));
    const served = await fetch(`${srv.url}/v1/faces/detect`, {
      method: 'POST',
      body: (() => {
        const f = new FormData();
        f.append('image', new Blob(['hello, I am not a picture\n']), 'notes.jpg');
        return f;
      })(),
    });
    expect(served.status).toBe(415);
    expect(await result()).toBe((await served.json()).error);

    // A real 413 from the server (the body is over MAX_BODY_BYTES by more than 1 MiB: on Bun
    // an empty answer so far, JSON once the runtime answers it).
    await reset();
    const big = Buffer.alloc(MAX_BODY_BYTES + 1_200_000, 7);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    await pick('big.jpg', 'image/jpeg', big);
    expect(await result()).toMatch(/^HTTP 413|exceeds the limit/);

    // Answers that are not JSON, as a proxy or a runtime may give them.
    await page.route('**/v1/faces/detect', (r) => r.fulfill({ status: 413, body: '' }));
    await reset();
    await pick('a.jpg', 'image/jpeg', readFileSync(join(FIXTURES, 'astronaut.jpg')));
    expect(await result()).toBe('HTTP 413 Payload Too Large (the photo is too large for this server)');
    await page.unroute('**/v1/faces/detect');
    await page.route('**/v1/faces/detect', (r) => r.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' }));
    await reset();
    await pick('a.jpg', 'image/jpeg', readFileSync(join(FIXTURES, 'astronaut.jpg')));
    expect(await result()).toBe('HTTP 502 Bad Gateway: <h1>502 Bad Gateway</h1>');
    await page.unroute('**/v1/faces/detect');
    await page.route('**/v1/faces/detect', (r) => r.abort('connectionreset'));
    await reset();
    await pick('a.jpg', 'image/jpeg', readFileSync(join(FIXTURES, 'astronaut.jpg')));
    expect(await result()).toMatch(/^request failed: /);
    await page.unroute('**/v1/faces/detect');
    // And a good answer after all that.
    await pick('a.jpg', 'image/jpeg', readFileSync(join(FIXTURES, 'astronaut.jpg')));
    await page.waitForFunction(() => document.getElementById('detect-result')!.textContent === '1 face', undefined, { timeout: 20_000 });
    const icon = await fetch(`${srv.url}/favicon.ico`);
    expect({ status: icon.status, type: icon.headers.get('content-type') }).toEqual({ status: 200, type: 'image/svg+xml' });
    expect(await icon.text()).toStartWith('<svg');
    await page.close();
  }, 60_000);
});
