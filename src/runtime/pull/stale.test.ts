// Temporaries of a pull killed with kill -9: a real `edgeserve pull` child downloading a tarball
// that never finishes is killed while its temp file exists; the next pull removes the temp (its
// pid is gone) and completes. Plus the naming rule: temps of live pids and other files stay.

import { afterAll, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullRepository } from '../pull-repository.ts';
import { buildTgz } from './fixtures.ts';
import { removeStaleTemps } from './stale.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const weights = new Uint8Array(200_000).map((_, i) => (i * 17) & 0xff);
const tgz = buildTgz([{ name: 'package/model/w.onnx', data: weights }]);
const sri = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
let stall = true;

const server: Bun.Server<undefined> = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req): Response {
    const path = new URL(req.url).pathname;
    if (path === '/stale-pkg') {
      return Response.json({
        name: 'stale-pkg',
        'dist-tags': { latest: '1.0.0' },
        versions: { '1.0.0': { name: 'stale-pkg', version: '1.0.0', dist: { tarball: `${base}stale-pkg/-/stale-pkg-1.0.0.tgz`, integrity: sri } } },
      });
    }
    if (!stall) return new Response(tgz);
    // Half the tarball, then nothing: the puller sits in the middle of writing its temp file.
    return new Response(new ReadableStream({ start: (c) => c.enqueue(tgz.subarray(0, tgz.length >> 1)) }), {
      headers: { 'content-length': String(tgz.length) },
    });
  },
});
const base: string = `http://127.0.0.1:${server.port}/`;
afterAll(() => server.stop(true));

test('kill -9 during a download leaves a temp file; the next pull removes it and completes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stale-test-'));
  writeFileSync(join(root, '.npmrc'), `registry=${base}\n`);
  writeFileSync(join(root, 'package.json'), '{"name":"project","private":true}'); // the .npmrc beside it is the project's
  mkdirSync(join(root, 'models', 'w'), { recursive: true });
  const sha256 = createHash('sha256').update(weights).digest('hex');
  writeFileSync(
    join(root, 'models', 'w', 'config.json'),
    JSON.stringify({ name: 'w', source: { npm: 'stale-pkg@1.0.0', path: 'package/model/w.onnx', sha256 } }),
  );
  const npmDir = join(root, '.cache', 'edgeserve', 'npm');
  // The built-in registry client (no npm on PATH): the download streams into `.<blob>.<pid>.<hex>.tmp`.
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'bun'), [join(ROOT, 'src', 'cli.ts'), 'pull', '--models', join(root, 'models'), '--quiet'], {
    cwd: root,
    env: { ...process.env, PATH: join(root, 'no-npm-here') },
    stdio: 'ignore',
  });
  const temps = () => (existsSync(npmDir) ? readdirSync(npmDir).filter((f) => f.endsWith('.tmp')) : []);
  const end = Date.now() + 20_000;
  while (temps().length === 0) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`no temp file appeared (pull exited ${child.exitCode})`);
    await Bun.sleep(20);
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const left = temps();
  expect(left).toHaveLength(1);
  expect(left[0]).toMatch(new RegExp(`^\\.sha512-[0-9a-f]+\\.tgz\\.${child.pid}\\.[0-9a-f]{8}\\.tmp$`));

  stall = false;
  const logs: string[] = [];
  const ok = await pullRepository(join(root, 'models'), { log: (l, m) => logs.push(`${l} ${m}`), quiet: false, npmPack: false });
  expect(ok).toBe(true);
  expect(temps()).toEqual([]);
  expect(logs.join('\n')).toContain(`removed 1 temporary file(s) left by a pull that was stopped: ${join(npmDir, left[0]!)}`);
  expect(existsSync(join(root, 'models', 'w', '1', 'model.onnx'))).toBe(true);
}, 30_000);

test('only temps of dead pids go: live ones, other hidden files and model files stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-rule-'));
  const files = ['.model.onnx.111.0a0b0c0d.tmp', '.model.onnx.222.0a0b0c0d.tmp', '.model.onnx.tmp', 'model.onnx', '.x.333.nothex!.tmp'];
  for (const f of files) writeFileSync(join(dir, f), '');
  mkdirSync(join(dir, '.pack.111.deadbeef.tmp')); // an npm pack folder
  const removed = await removeStaleTemps([dir, join(dir, 'missing')], (pid) => pid === 222);
  expect(removed.sort()).toEqual([join(dir, '.model.onnx.111.0a0b0c0d.tmp'), join(dir, '.pack.111.deadbeef.tmp')]);
  expect(readdirSync(dir).sort()).toEqual(['.model.onnx.222.0a0b0c0d.tmp', '.model.onnx.tmp', '.x.333.nothex!.tmp', 'model.onnx']);
});
