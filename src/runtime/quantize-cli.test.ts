// `edgeserve quantize` end to end on a throwaway repository holding the real face detector: the
// report's sections (derivation, gate, ORT's fused graph, timings per operator type), --write of
// a derived model that `pull` then finds in place, and the errors for a wrong invocation.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pullRepository } from './pull-repository.ts';
import { runQuantize } from './quantize-cli.ts';

const ROOT = resolve(import.meta.dir, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
if (!existsSync(join(ROOT, 'models', 'face_detect', '1', 'model.onnx')))
  throw new Error('models/face_detect/1/model.onnx is missing: run `npm run pull` first');

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'edgeserve-quantize-cli-'));
  mkdirSync(join(repo, 'det', '1'), { recursive: true });
  const cfg = JSON.parse(readFileSync(join(ROOT, 'models', 'face_detect', 'config.json'), 'utf8'));
  writeFileSync(join(repo, 'det', 'config.json'), JSON.stringify({ ...cfg, name: 'det' }));
  cpSync(join(ROOT, 'models', 'face_detect', '1', 'model.onnx'), join(repo, 'det', '1', 'model.onnx'));
  writeFileSync(
    join(repo, 'det', 'quantize.json'),
    JSON.stringify({
      calibration: { images: [join(FIXTURES, 'camera.png'), join(FIXTURES, 'coffee.png')], method: 'minmax' },
      reduce_range: true,
      gate: { kind: 'face_detect', images: [join(FIXTURES, 'astronaut.png'), join(FIXTURES, 'camera.png')] },
    }),
  );
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

test('report, --write, and pull finds the derived model in place', async () => {
  const c = capture();
  const code = await runQuantize(['det', '--models', repo, '--write', '--force', '--out', 'det_int8'], {}, c.io);
  const text = c.out.join('\n');
  expect(text).toMatch(/^quantize det → det_int8 \(recipe minmax, 7-bit weights\)/);
  expect(text).toMatch(/opset 9 → 13 \(15 nodes rewritten; outputs max abs diff 0\)/);
  expect(text).toMatch(/quantized 52 weight ops \(52 Conv\), 55 activation tensors; calibrated on 2 samples/);
  expect(text).toMatch(/gate \(detector\): (PASS|FAIL): 2 samples \(1 held out from calibration\), 2 faces/);
  expect(text).toMatch(/camera\.png \(calibration image\)|gate \(detector\): PASS/);
  expect(text).toMatch(/ORT optimized graph, INT8: 52 int8 kernels for 52 quantized weight ops, 0 FP32 weight ops/);
  expect(text).toMatch(/onnxruntime-node per inference \(CPU ms, one thread, median of rounds\): FP32 [0-9.]+, INT8 [0-9.]+ → [0-9.]+x/);
  expect(text).toMatch(/\n  QLinearConv +[0-9.]+\n/);
  expect(text).toMatch(/\n  Conv +[0-9.]+ *\n/);
  expect(text).toMatch(/wrote .*det_int8: config\.json \(source \{"quantize": "det", "recipe": "quantize.json", "sha256": "[0-9a-f]{64}"\}\)/);
  expect(code).toBe(text.includes('gate (detector): PASS') ? 0 : 1);
  const cfg = JSON.parse(readFileSync(join(repo, 'det_int8', 'config.json'), 'utf8'));
  expect(cfg.name).toBe('det_int8');
  expect(cfg.source.quantize).toBe('det');
  // The recipe's paths were made relative to the new directory and still name the fixtures.
  const recipe = JSON.parse(readFileSync(join(repo, 'det_int8', 'quantize.json'), 'utf8'));
  expect(resolve(repo, 'det_int8', recipe.calibration.images[0])).toBe(join(FIXTURES, 'camera.png'));
  const logs: string[] = [];
  expect(await pullRepository(repo, { log: (l, m) => logs.push(`${l} ${m}`), quiet: true, only: ['det_int8'] })).toBe(true);
  expect(logs).toEqual([]);
}, 90_000);

test('a wrong invocation says what is wrong', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['nope', '--models', repo], /no model 'nope' in /],
    [['det', '--models', repo, '--method', 'median'], /--method: one of minmax, percentile, entropy, mse; got 'median'/],
    [['det', '--models', repo, '--percentile', '99'], /--percentile needs --method percentile/],
    [['det', '--models', repo, '--images', 'a.jpg'], /--images needs --gate-images/],
    [['det', '--models', repo, '--sensitivity', '0'], /--sensitivity: expected a whole number ≥ 1, got '0'/],
  ];
  for (const [args, msg] of cases) {
    const c = capture();
    await expect(runQuantize(args, {}, c.io)).rejects.toThrow(msg);
  }
  const c = capture();
  expect(await runQuantize([], {}, c.io)).toBe(2);
  expect(c.err.join('\n')).toMatch(/expected one MODEL, got none/);
});
