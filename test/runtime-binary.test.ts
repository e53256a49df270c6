// The single binary (`npm run build:binary` → dist/edgeserve): copied alone into an empty
// directory it must serve the built-in face models, natively and with the WASM fallback
// (EDGESERVE_NATIVE=0), with the same answers as Bun (boxes IoU ≥ 0.99, embeddings cosine ≥
// 0.999). Where this test runs as root with `unshare`, the checkout's node_modules, models and
// src are also hidden from the binary, proving it reads nothing from them. The binary is rebuilt
// only when an input is newer than it; exec → ready time and size are printed.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';
import { type Child, type FaceAnswers, askServer, bunReference, expectSameAnswers, fixture, haveFaceModels, iou, startChild } from './runtime-process.ts';

const BINARY = join(ROOT, 'dist', 'edgeserve');
const ASTRONAUT_BOX = [179.9, 62.2, 268.6, 173];
// A binary that cannot be built or started fails the tests with the reason: never a skip.
const missing = process.platform !== 'linux' ? 'the binary build targets Linux' : !haveFaceModels ? 'face models not pulled (npm run pull)' : '';

/** Newest modification time under the binary's inputs. */
function newestInput(): number {
  let newest = 0;
  const walk = (p: string) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ['src', 'models', 'scripts/build-binary.sh', 'package.json', 'package-lock.json']) walk(join(ROOT, p));
  return newest;
}

function buildIfStale(): string {
  const built = statSync(BINARY, { throwIfNoEntry: false });
  if (built && built.mtimeMs >= newestInput()) return 'up to date';
  const r = spawnSync('bash', ['scripts/build-binary.sh'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  return 'rebuilt';
}

/** Runs the binary from `dir`; as root with unshare, in a mount namespace without the checkout. */
function command(bin: string, dir: string): [string, string[]] {
  const canHide = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;
  if (!canHide) return [bin, []];
  const hide = ['node_modules', 'models', 'src'].map((d) => `mount --bind ${dir}/empty ${join(ROOT, d)}`).join(' && ');
  mkdirSync(join(dir, 'empty'), { recursive: true });
  return ['unshare', ['-m', 'sh', '-c', `${hide} && exec ${bin}`]];
}

let dir = '';
let bin = '';
let reference: FaceAnswers;
let built = '';
beforeAll(async () => {
  if (missing) throw new Error(`the binary cannot be tested: ${missing}`);
  built = buildIfStale();
  dir = mkdtempSync(join(tmpdir(), 'edgeserve-bin-'));
  bin = join(dir, 'edgeserve');
  copyFileSync(BINARY, bin);
  spawnSync('chmod', ['+x', bin]);
  reference = await bunReference();
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const mode of ['native', 'wasm'] as const) {
  describe(`dist/edgeserve (${mode})`, () => {
    let srv: Child | undefined;
    let startError: unknown;
    beforeAll(async () => {
      if (!bin) return void (startError = new Error(`the binary was not built: ${missing || 'see the first failure'}`));
      const [cmd, args] = command(bin, dir);
      // No MODEL_REPOSITORY: the binary must serve its built-in repository (an empty value is an error).
      const env: Record<string, string | undefined> = { EDGESERVE_NATIVE: mode === 'wasm' ? '0' : '1', MODEL_REPOSITORY: undefined };
      try {
        srv = await startChild(cmd, args, { cwd: dir, env, timeoutMs: 30_000 });
      } catch (e) {
        startError = e;
      }
    }, 60_000);
    afterAll(async () => {
      await srv?.stop();
    });

    test('starts alone in an empty directory', () => {
      if (startError) throw startError;
      expect(existsSync(join(dir, 'node_modules'))).toBe(false);
      expect(srv!.output()).toContain(mode === 'native' ? 'engine onnxruntime-node, 2 workers' : 'engine onnxruntime-web, in-process');
      expect(srv!.output()).toContain('loading models from the models built into this binary');
      const mb = statSync(bin).size / 1e6;
      console.log(
        `dist/edgeserve (${built}, ${mb.toFixed(1)} MB, ${mode}): exec → ready ${srv!.readyMs.toFixed(0)} ms${srv!.proc.spawnfile === 'unshare' ? ', checkout hidden' : ''}`,
      );
    });

    test('finds the astronaut at the reference box', async () => {
      if (!srv) throw startError;
      const r = await fetch(`${srv.url}/v1/faces/detect`, { method: 'POST', body: fixture('astronaut.jpg'), headers: { 'Content-Type': 'image/jpeg' } });
      expect(r.status).toBe(200);
      const { faces } = (await r.json()) as { faces: Array<{ box: number[] }> };
      expect(faces).toHaveLength(1);
      expect(iou(faces[0]!.box, ASTRONAUT_BOX)).toBeGreaterThanOrEqual(0.99);
    });

    test('faces and embeddings equal the Bun reference', async () => {
      if (!srv) throw startError;
      const got = await askServer(srv.url);
      expectSameAnswers(got, reference);
    }, 30_000);

    test('serves the Swagger UI assets from inside the binary', async () => {
      if (!srv) throw startError;
      const r = await fetch(`${srv.url}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`);
      expect(r.status).toBe(200);
      expect((await r.text()).length).toBeGreaterThan(1_000_000);
    });

    test('stops gracefully on SIGTERM', async () => {
      if (!srv) throw startError;
      expect(await srv.stop()).toBe(0);
    }, 20_000);
  });
}
