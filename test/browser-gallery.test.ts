// The demo page's Gallery tab in a real headless Chromium (Debian's, driven by playwright-core,
// network cut as in browser.test.ts) against a real server on a temporary data directory (its
// own SQLite gallery, no keys): enrol two people through the tab, identify another photo of one
// (found, with similarity and threshold) and a stranger ("unknown"), delete a subject and
// identify again (gone), and every failed answer shown (a photo without a face: the server's
// 422; a 403, a 502 page, a dropped connection). Then a server with API keys: without a key the
// tab shows the 401, a read-only key pasted at the top the 403 on enrolment, a write key enrols.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchOffline } from './browser-launch.ts';
import { generateKey } from '../src/auth/keys.ts';
import { updateKeys } from '../src/runtime/auth-store.ts';
import { FIXTURES } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

let browser: Browser;
let ctx: BrowserContext;
const offsite: string[] = [];
const servers: ServerProcess[] = [];

/** A server on a fresh data directory: its own gallery database and key file. */
async function server(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgeserve-browser-gallery-'));
  const s = await startServer({ DATA_DIR: dataDir, GRPC_PORT: 'off', WORKERS: '1', ...env });
  servers.push(s);
  return { srv: s, dataDir };
}

/** What the page shows in an element once it is no longer working on it. */
async function settled(page: Page, id: string, busy: RegExp) {
  await page.waitForFunction(
    ([i, b]) => {
      const el = document.getElementById(i as string)!;
      return el.textContent !== '' && !new RegExp(b as string).test(el.textContent ?? '');
    },
    [id, busy.source],
    { timeout: 30_000 },
  );
  const cls = (await page.getAttribute(`#${id}`, 'class')) ?? '';
  return { text: (await page.textContent(`#${id}`)) ?? '', ok: cls.includes('ok'), bad: cls.includes('bad') };
}

async function enrol(page: Page, subject: string, photo: string, name = '') {
  await page.fill('#enrol-subject', subject);
  await page.fill('#enrol-name', name);
  await page.setInputFiles('#enrol-file', join(FIXTURES, photo));
  await page.evaluate(() => {
    document.getElementById('enrol-result')!.textContent = '';
  });
  await page.click('#enrol-go');
  return settled(page, 'enrol-result', /Enrolling…/);
}

/** Identifies a photo (or the last one again); the text shown and the subject per face. */
async function identify(page: Page, photo?: string) {
  await page.evaluate(() => {
    const el = document.getElementById('identify-result')!;
    el.textContent = '';
    delete el.dataset.subjects;
  });
  if (photo) await page.setInputFiles('#identify-file', join(FIXTURES, photo));
  else await page.click('#identify-go');
  const r = await settled(page, 'identify-result', /Identifying…/);
  const subjects = await page.$eval('#identify-result', (e) => (e as HTMLElement).dataset.subjects);
  return { ...r, subjects: subjects === undefined ? undefined : (JSON.parse(subjects) as Array<string | null>) };
}

/** Pixels of one exact colour on a canvas. */
const pixels = (page: Page, canvas: string, rgb: [number, number, number]) =>
  page.$eval(
    canvas,
    (el, [r, g, b]) => {
      const c = el as HTMLCanvasElement;
      if (!c.width) return 0;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === r && d[i + 1] === g && d[i + 2] === b) n++;
      return n;
    },
    rgb,
  );
const GREEN: [number, number, number] = [0x13, 0x7a, 0x2f];
const RED: [number, number, number] = [0xb3, 0x26, 0x1e];

const subjectsShown = async (page: Page) => {
  await page.waitForFunction(() => document.getElementById('subjects')!.dataset.subjects !== undefined, undefined, { timeout: 20_000 });
  return JSON.parse((await page.$eval('#subjects', (e) => (e as HTMLElement).dataset.subjects))!) as string[];
};

describe('demo page Gallery tab, in headless Chromium', () => {
  beforeAll(async () => {
    ({ browser, ctx } = await launchOffline(offsite));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  test('enrol two people, identify one of them and a stranger, delete, identify again; errors shown', async () => {
    const { srv } = await server();
    const api = `${srv.url}/v1/faces/galleries`;
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/`);
    expect(await page.isVisible('#gallery')).toBe(false);
    await page.click('#tab-gallery');
    expect(await page.isVisible('#gallery')).toBe(true);
    expect(await page.isVisible('#detect')).toBe(false);
    expect(page.url()).toEndWith('#gallery');
    expect(await page.inputValue('#gallery-id')).toBe('demo');
    expect((await settled(page, 'gallery-status', /Loading…/)).text).toBe("No gallery 'demo' yet: the first enrolment creates it.");

    // Enrol: the gallery is created with the first one, and says so; the face used is boxed.
    const e1 = await enrol(page, 'eileen', 'astronaut.jpg', 'Eileen Collins');
    expect(e1).toMatchObject({ ok: true, bad: false });
    expect(e1.text).toStartWith("Created gallery 'demo' (it did not exist). Enrolled a face under 'eileen' (Eileen Collins): detector score ");
    const detected = await (await fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: readFileSync(join(FIXTURES, 'astronaut.jpg')) })).json();
    const box = JSON.parse((await page.$eval('#enrol-canvas', (c) => (c as HTMLCanvasElement).dataset.box))!);
    expect(box).toEqual(detected.faces[0].box);
    expect(await pixels(page, '#enrol-canvas', GREEN)).toBeGreaterThan(300);
    const e2 = await enrol(page, 'cameraman', 'camera.png');
    expect(e2.ok).toBe(true);
    expect(e2.text).toStartWith("Enrolled a face under 'cameraman': detector score ");
    expect(await subjectsShown(page)).toEqual(['cameraman', 'eileen']);
    expect(await page.textContent('#gallery-status')).toMatch(/^Gallery 'demo': 2 subjects, 2 faces \(embedder face_embed /);
    expect(await page.textContent('#subjects li[data-subject=eileen]')).toBe('eileen — Eileen Collins · 1 faceDelete');
    // What the page did is what the server holds.
    const held = await (await fetch(`${api}/demo/subjects`)).json();
    expect(held.subjects.map((s: { id: string; display_name: string | null; faces: number }) => [s.id, s.display_name, s.faces])).toEqual([
      ['cameraman', null, 1],
      ['eileen', 'Eileen Collins', 1],
    ]);

    // Identify: another photo of Eileen (rotated by EXIF) is her, with similarity and threshold.
    const i1 = await identify(page, 'astronaut_exif6.jpg');
    expect(i1.subjects).toEqual(['eileen']);
    expect(i1.text).toMatch(/^eileen \(Eileen Collins\) — similarity 0\.\d{3}, threshold 0\.\d+$/);
    const served = await (await fetch(`${api}/demo/identify?faces=all`, { method: 'POST', body: readFileSync(join(FIXTURES, 'astronaut_exif6.jpg')) })).json();
    expect(i1.text).toBe(`eileen (Eileen Collins) — similarity ${served.faces[0].subject.similarity.toFixed(3)}, threshold ${served.threshold}`);
    expect(await page.$eval('#identify-canvas', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([
      served.image.width,
      served.image.height,
    ]);
    expect(await pixels(page, '#identify-canvas', GREEN)).toBeGreaterThan(300);
    expect(await pixels(page, '#identify-canvas', RED)).toBe(0);
    await page.screenshot({ path: join(import.meta.dir, '..', '.cache', 'demo-gallery.png'), fullPage: true }).catch(() => {});

    // A stranger.
    const i2 = await identify(page, 'grace_hopper.jpg');
    expect(i2.subjects).toEqual([null]);
    expect(i2.text).toMatch(/^unknown — no subject reaches the threshold 0\.\d+$/);
    expect(i2.bad).toBe(false); // an answer, not an error: the line itself is red
    expect(await pixels(page, '#identify-canvas', RED)).toBeGreaterThan(300);

    // Delete Eileen: listed no more, and the same photo is now a stranger.
    expect((await identify(page, 'astronaut_exif6.jpg')).subjects).toEqual(['eileen']);
    await page.click('#subjects li[data-subject=eileen] button');
    await page.waitForFunction(
      () => /^Deleted subject 'eileen' and its faces\. Gallery 'demo': 1 subject, 1 face/.test(document.getElementById('gallery-status')!.textContent ?? ''),
      undefined,
      { timeout: 20_000 },
    );
    expect(await subjectsShown(page)).toEqual(['cameraman']);
    expect((await fetch(`${api}/demo/subjects/eileen`)).status).toBe(404);
    const i3 = await identify(page);
    expect(i3.subjects).toEqual([null]);
    expect(i3.text).toStartWith('unknown');
    expect((await identify(page, 'camera.png')).subjects).toEqual(['cameraman']);

    // A photo with no face: the server's 422, and no subject left behind by the failed enrolment.
    await fetch(`${api}/demo/subjects`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":"probe"}' });
    const refused = await fetch(`${api}/demo/subjects/probe/faces`, { method: 'POST', body: readFileSync(join(FIXTURES, 'coffee.png')) });
    expect(refused.status).toBe(422);
    const message = (await refused.json()).error;
    await fetch(`${api}/demo/subjects/probe`, { method: 'DELETE' });
    const e3 = await enrol(page, 'coffee', 'coffee.png');
    expect(e3).toMatchObject({ ok: false, bad: true, text: message });
    expect(await page.$eval('#enrol-canvas', (c) => (c as HTMLCanvasElement).dataset.box)).toBeUndefined();
    expect(await subjectsShown(page)).toEqual(['cameraman']);
    expect((await fetch(`${api}/demo/subjects/coffee`)).status).toBe(404);
    // Identify on a photo without a face: the 422 too.
    const i4 = await identify(page, 'coffee.png');
    expect(i4.bad).toBe(true);
    expect(i4.text).toMatch(/no face/);

    // Answers that are not the server's, and a bad id: shown, never "Enrolling…" forever.
    const faces = '**/v1/faces/galleries/demo/subjects/*/faces';
    await page.route(faces, (r) => r.fulfill({ status: 403, contentType: 'application/json', body: '{"error":"The key lacks scope `faces:write`"}' }));
    expect((await enrol(page, 'cameraman', 'camera.png')).text).toBe(
      'The key lacks scope `faces:write` — paste an API key with the scope it needs in the API key field at the top',
    );
    await page.unroute(faces);
    await page.route(faces, (r) => r.fulfill({ status: 502, contentType: 'text/html', body: '<h1>502 Bad Gateway</h1>' }));
    expect((await enrol(page, 'cameraman', 'camera.png')).text).toBe('HTTP 502 Bad Gateway: <h1>502 Bad Gateway</h1>');
    await page.unroute(faces);
    await page.route(faces, (r) => r.abort('connectionreset'));
    expect((await enrol(page, 'cameraman', 'camera.png')).text).toMatch(/^request failed: /);
    await page.unroute(faces);
    const bad = await enrol(page, 'no spaces please', 'camera.png');
    expect(bad.bad).toBe(true);
    expect(bad.text).toContain('no spaces please');
    expect((await enrol(page, '', 'camera.png')).text).toBe('subject id: enter who this is (e.g. user-1234)');
    expect(await subjectsShown(page)).toEqual(['cameraman']);

    // Another gallery by name: missing until the first enrolment there.
    await page.fill('#gallery-id', 'second');
    await page.click('#gallery-open');
    await page.waitForFunction(
      () => document.getElementById('gallery-status')!.textContent === "No gallery 'second' yet: the first enrolment creates it.",
      undefined,
      { timeout: 20_000 },
    );
    expect(await subjectsShown(page)).toEqual([]);
    expect((await identify(page, 'camera.png')).text).toBe("gallery 'second' not found");
    expect(offsite).toEqual([]);
    await page.close();
  }, 180_000);

  test('with API keys: the 401 is shown, a read key cannot enrol (403), a pasted write key can', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'edgeserve-browser-gallery-keys-')), 'keys.json');
    const [read, write] = await Promise.all([generateKey({ scopes: ['faces:read'] }), generateKey({ scopes: ['faces:read', 'faces:write'] })]);
    updateKeys(file, () => [read.record, write.record]);
    const { srv } = await server({ API_KEYS_FILE: file });
    const page = await ctx.newPage();
    const keysSent: Array<string | undefined> = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/faces/')) keysSent.push(r.headers()['x-api-key']);
    });
    await page.goto(`${srv.url}/#gallery`);
    expect(await page.isVisible('#gallery')).toBe(true);
    const status = await settled(page, 'gallery-status', /Loading…/);
    expect(status.bad).toBe(true);
    expect(status.text).toEndWith(' — paste an API key with the scope it needs in the API key field at the top');
    expect(keysSent).toEqual([undefined]);

    await page.fill('#api-key', read.key);
    await page.dispatchEvent('#api-key', 'change');
    await page.click('#gallery-open');
    await page.waitForFunction(
      () => document.getElementById('gallery-status')!.textContent === "No gallery 'demo' yet: the first enrolment creates it.",
      undefined,
      { timeout: 20_000 },
    );
    const denied = await enrol(page, 'eileen', 'astronaut.jpg');
    expect(denied.bad).toBe(true);
    expect(denied.text).toContain('faces:write');
    expect(keysSent.slice(1).every((k) => k === read.key)).toBe(true);

    await page.fill('#api-key', write.key);
    await page.dispatchEvent('#api-key', 'change');
    const e = await enrol(page, 'eileen', 'astronaut.jpg');
    expect(e.ok).toBe(true);
    expect(e.text).toStartWith("Created gallery 'demo' (it did not exist). Enrolled a face under 'eileen'");
    expect((await identify(page, 'astronaut_exif6.jpg')).subjects).toEqual(['eileen']);
    // The key stays with the tab (session storage), not with the URL.
    await page.reload();
    expect(await page.inputValue('#api-key')).toBe(write.key);
    expect(page.url()).not.toContain(write.key);
    expect(offsite).toEqual([]);
    await page.close();
  }, 120_000);
});
