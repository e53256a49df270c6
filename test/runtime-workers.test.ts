// Smoke test of the Cloudflare Workers build: starts `wrangler dev --local` (workerd, offline, no
// login) on a free port, sends the first request cold (faces/detect on the astronaut) and checks
// the box and the embedding against the Bun reference computed in this process (native engine
// and decoder), runs KServe v2 infer on `simple`, checks what must be absent or private there,
// then stops wrangler. A Worker that cannot start (weights not pulled, wrangler missing, no workerd
// for this platform, a build error, port trouble) fails every test with wrangler's output: it never
// skips, so CI cannot be green with a broken Worker.

import { afterAll, describe, expect, test } from 'bun:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bigJpeg } from '../src/image/testing/images.ts';
import { faceApp } from './face-app.ts';
import { FIXTURES, MODELS, ROOT } from './helpers.ts';
import { iou } from './reference-detector.ts';
import { freePort } from './server-process.ts';

const ASTRONAUT_BOX = [179.9, 62.2, 268.6, 173];
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const START_TIMEOUT_MS = 60_000;
const jpeg = new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg')));

interface Wrangler {
  url: string;
  startMs: number;
  output: () => string;
  stop: () => Promise<void>;
}

type Started = { ok: Wrangler } | { skip: string } | { fail: string };

/** Waits for wrangler's "Ready on" line, not for a request: the first request must find a cold isolate. */
async function startWrangler(): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  let proc: ChildProcess;
  try {
    proc = spawn('node', [WRANGLER, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port)], {
      cwd: ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_HIDE_BANNER: 'true', // also skips the npm update check (network)
        CI: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    return { skip: `cannot run node: ${(e as Error).message}` };
  }
  let out = '';
  // A spawn that fails (no node) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => { proc.once('exit', () => resolve()); proc.once('error', () => resolve()); });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // wrangler ends its workerd and esbuild children on SIGTERM.
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  };
  const ready = new Promise<boolean>((resolve) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/Ready on http/.test(out)) resolve(true);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('error', (e) => { out += String(e); resolve(false); });
    proc.once('exit', () => resolve(false));
    setTimeout(() => resolve(false), START_TIMEOUT_MS);
  });
  if (await ready) return { ok: { url: `http://127.0.0.1:${port}`, startMs: performance.now() - t0, output: () => out, stop } };
  await stop();
  if (/Build failed|✘ \[ERROR\]/.test(out)) return { fail: `wrangler could not build the Worker:\n${out}` };
  return { skip: `wrangler dev did not start in ${START_TIMEOUT_MS / 1000} s:\n${out.slice(-2000)}` };
}

const missing = ['face_detect', 'face_embed', 'simple'].filter((m) => !existsSync(join(MODELS, m, '1', 'model.onnx')));
let started: Started;
if (missing.length) started = { skip: `model weights not pulled (${missing.join(', ')}): run \`bun src/cli.ts pull\`` };
else if (!existsSync(WRANGLER)) started = { skip: 'wrangler is not installed' };
else started = await startWrangler();
const startFailure = 'ok' in started ? '' : 'fail' in started ? started.fail : started.skip;
const notStarted = () => new Error(`the Worker did not start: ${startFailure}`);

const wr = 'ok' in started ? started.ok : undefined;
afterAll(() => wr?.stop());

describe('Cloudflare Workers (wrangler dev --local)', () => {
  const post = (path: string, body: BodyInit, type: string) =>
    fetch(`${wr!.url}${path}`, { method: 'POST', body, headers: { 'Content-Type': type } });

  test('wrangler builds and starts the Worker', () => {
    if (!wr) throw notStarted();
    console.log(`[runtime-workers] wrangler dev ready in ${Math.round(wr!.startMs)} ms`);
  });

  test('cold first request: /v1/faces/detect finds the astronaut where Bun does', async () => {
    if (!wr) throw notStarted();
    const t0 = performance.now();
    const r = await post('/v1/faces/detect', jpeg as BodyInit, 'image/jpeg');
    const coldMs = performance.now() - t0;
    const body = await r.text();
    expect(r.status, body).toBe(200);
    const j = JSON.parse(body) as { faces: Array<{ box: number[]; score: number }>; image: { width: number; height: number } };
    console.log(`[runtime-workers] cold first request (load 3 models + decode + detect): ${Math.round(coldMs)} ms`);
    expect(j.image).toEqual({ width: 512, height: 512 });
    expect(j.faces).toHaveLength(1);
    expect(iou(j.faces[0]!.box, ASTRONAUT_BOX)).toBeGreaterThanOrEqual(0.99);
    expect(coldMs).toBeLessThan(30_000);

    const t1 = performance.now();
    const warm = await post('/v1/faces/detect', jpeg as BodyInit, 'image/jpeg');
    const warmMs = performance.now() - t1;
    expect(warm.status).toBe(200);
    console.log(`[runtime-workers] warm request: ${Math.round(warmMs)} ms`);
  });

  test('detect and embed agree with the Bun reference (native engine and decoder, in this process)', async () => {
    if (!wr) throw notStarted();
    const ref = await faceApp();
    // The 3 MP photo is decoded DCT-scaled (3/8) by libjpeg-turbo on both sides.
    const images: Array<[string, Uint8Array]> = [['astronaut.jpg', jpeg], ['astronaut at 2000x1500', await bigJpeg(2000, 1500)]];
    try {
      for (const [name, bytes] of images) {
        const ask = async (request: (path: string) => Promise<Response>) => {
          const d = (await (await request('/v1/faces/detect')).json()) as { faces: Array<{ box: number[] }> };
          const e = (await (await request('/v1/faces/embed')).json()) as { embedding: number[] };
          return { box: d.faces[0]!.box, embedding: e.embedding };
        };
        const init = () => ({ method: 'POST', body: bytes as BodyInit, headers: { 'Content-Type': 'image/jpeg' } });
        const bun = await ask(async (p) => ref.app.request(p, init()));
        const workers = await ask((p) => fetch(`${wr.url}${p}`, init()));
        expect(iou(workers.box, bun.box), name).toBeGreaterThanOrEqual(0.99);
        let dot = 0;
        for (let i = 0; i < bun.embedding.length; i++) dot += bun.embedding[i]! * workers.embedding[i]!;
        expect(workers.embedding).toHaveLength(512);
        expect(dot, name).toBeGreaterThan(0.99); // both L2-normalised: the dot product is the cosine
      }
    } finally {
      rmSync(ref.repo, { recursive: true, force: true });
    }
  });

  test('KServe v2 infer on simple', async () => {
    if (!wr) throw notStarted();
    const a = Array.from({ length: 16 }, (_, i) => i);
    const b = Array.from({ length: 16 }, () => 2);
    const r = await post('/v2/models/simple/infer', JSON.stringify({
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
      ],
    }), 'application/json');
    expect(r.status).toBe(200);
    const j = (await r.json()) as { outputs: Array<{ name: string; data: number[] }> };
    const out = Object.fromEntries(j.outputs.map((o) => [o.name, o.data]));
    expect(out.OUTPUT0).toEqual(a.map((x) => x + 2));
    expect(out.OUTPUT1).toEqual(a.map((x) => x - 2));
    expect((await fetch(`${wr.url}/v2/health/ready`)).status).toBe(200);
  });

  test('weights are private; what Workers cannot do answers a clear 400', async () => {
    if (!wr) throw notStarted();
    for (const p of ['/models/face_detect/1/model.onnx', '/face_detect/1/model.onnx']) {
      expect((await fetch(`${wr.url}${p}`)).status).toBe(404);
    }
    const png = await post('/v1/faces/detect?render=png', jpeg as BodyInit, 'image/jpeg');
    expect(png.status).toBe(400);
    expect(((await png.json()) as { error: string }).error).toContain('render=png');
    const unload = await fetch(`${wr.url}/v2/repository/models/simple/unload`, { method: 'POST' });
    expect(unload.status).toBe(400);
    expect(((await unload.json()) as { error: string }).error).toContain('Cloudflare Workers');
    // Swagger UI's files come from the private assets through the docs routes.
    const js = await fetch(`${wr.url}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});
