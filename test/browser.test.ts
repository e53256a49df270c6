// The docs and the demo page in a real headless Chromium (Debian's, driven by playwright-core),
// with every request off this machine blocked: Swagger UI must render from edgeserve's own
// assets, and the demo page must box the face of an uploaded photo and compare two photos.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { FIXTURES } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const suite = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) console.warn('browser tests skipped: Debian chromium is not installed (npm test installs it when run as root)');

let srv: ServerProcess;
let browser: Browser;
let ctx: BrowserContext;
const offsite: string[] = [];

suite('in headless Chromium, offline', () => {
  beforeAll(async () => {
    srv = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    ctx = await browser.newContext();
    // Cut the network: anything not served by edgeserve on loopback is recorded and refused.
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === '127.0.0.1' || u.protocol === 'blob:' || u.protocol === 'data:') return route.continue();
      offsite.push(u.href);
      return route.abort('internetdisconnected');
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  test('/docs renders Swagger UI from local assets', async () => {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('edgeserve');
    await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent ?? ''));
    expect(paths.some((p) => p.includes('/v2/models/{model_name}/infer'))).toBe(true);
    expect(paths.some((p) => p.includes('/v1/faces/detect'))).toBe(true);
    expect(offsite).toEqual([]);
    await page.close();
  }, 60_000);

  test('demo page: upload a photo, the face is boxed; compare two photos', async () => {
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/`);
    await page.setInputFiles('#file', join(FIXTURES, 'astronaut.jpg'));
    await page.waitForFunction(() => (document.getElementById('canvas') as HTMLCanvasElement).dataset.faces !== undefined, undefined, { timeout: 20_000 });
    expect(await page.textContent('#detect-result')).toBe('1 face');
    expect(await page.$eval('#canvas', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([512, 512]);
    // A box was drawn: the canvas holds the blue stroke colour somewhere along the face box.
    const blue = await page.$eval('#canvas', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 512, 512).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0x2f && d[i + 1] === 0x6f && d[i + 2] === 0xe4) n++;
      return n;
    });
    expect(blue).toBeGreaterThan(100);
    await page.screenshot({ path: join(import.meta.dir, '..', '.cache', 'demo-detect.png') }).catch(() => {});

    await page.setInputFiles('#file1', join(FIXTURES, 'astronaut.jpg'));
    await page.setInputFiles('#file2', join(FIXTURES, 'astronaut_exif6.jpg'));
    await page.waitForFunction(() => /Same person|Different/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.textContent('#compare-result')).toContain('Same person');
    await page.setInputFiles('#file2', join(FIXTURES, 'camera.png'));
    await page.waitForFunction(() => /Different/.test(document.getElementById('compare-result')!.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(offsite).toEqual([]);
    await page.close();
  }, 60_000);
});
