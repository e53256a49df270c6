// `"source": {"quantize": …}` through the real puller: a derived model is built from its base
// and recipe, sha256-checked like any other source, written atomically, left alone when it is
// already in place, and the same bytes come out of another process (what a fresh clone gets).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pullRepository } from '../pull-repository.ts';
import { deriveQuantized, pullSibling } from './derive.ts';
import { isPullError } from './errors.ts';
import { hashFile } from './integrity.ts';

const ROOT = resolve(import.meta.dir, '..', '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const BASE = join(ROOT, 'models', 'face_detect');
if (!existsSync(join(BASE, '1', 'model.onnx'))) throw new Error('models/face_detect/1/model.onnx is missing: run `npm run pull` first');

let repo: string;
const recipe = {
  calibration: { images: [join(FIXTURES, 'camera.png')], augment: { flip: true, zoom: [1] }, method: 'minmax' },
  reduce_range: true,
  gate: { kind: 'face_detect', images: [join(FIXTURES, 'astronaut.png')] },
};
const source = (sha256: string) => ({ quantize: 'det', recipe: 'quantize.json', sha256 });

function writeDerived(sha: string, r: unknown = recipe): void {
  const cfg = JSON.parse(readFileSync(join(BASE, 'config.json'), 'utf8'));
  mkdirSync(join(repo, 'det_int8'), { recursive: true });
  writeFileSync(join(repo, 'det_int8', 'config.json'), JSON.stringify({ ...cfg, name: 'det_int8', source: source(sha) }));
  writeFileSync(join(repo, 'det_int8', 'quantize.json'), JSON.stringify(r));
}

const quiet = { log: (level: string, msg: string) => logs.push(`${level} ${msg}`), quiet: true };
const logs: string[] = [];
let sha: string;

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'edgeserve-derive-'));
  mkdirSync(join(repo, 'det', '1'), { recursive: true });
  const cfg = JSON.parse(readFileSync(join(BASE, 'config.json'), 'utf8'));
  writeFileSync(join(repo, 'det', 'config.json'), JSON.stringify({ ...cfg, name: 'det' }));
  cpSync(join(BASE, '1', 'model.onnx'), join(repo, 'det', '1', 'model.onnx'));
  writeDerived('0'.repeat(64));
  const bytes = await deriveQuantized(join(repo, 'det_int8'), source('0'.repeat(64)), pullSibling(repo, { cacheDir: join(repo, '.cache') }, ['det_int8']));
  sha = new Bun.CryptoHasher('sha256').update(bytes).digest('hex');
}, 60_000);
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('pull with a quantize source', () => {
  test('derives, checks the sha256 and writes the model; a second pull finds it in place', async () => {
    writeDerived(sha);
    expect(await pullRepository(repo, { ...quiet, only: ['det_int8'] })).toBe(true);
    const file = join(repo, 'det_int8', '1', 'model.onnx');
    expect(await hashFile(file, 'sha256')).toBe(sha);
    const mtime = Bun.file(file).lastModified;
    expect(await pullRepository(repo, { ...quiet, only: ['det_int8'] })).toBe(true);
    expect(Bun.file(file).lastModified).toBe(mtime);
  }, 60_000);

  test('another process derives the same bytes', async () => {
    const script = `import { deriveQuantized, pullSibling } from ${JSON.stringify(join(import.meta.dir, 'derive.ts'))};
      const b = await deriveQuantized(${JSON.stringify(join(repo, 'det_int8'))}, ${JSON.stringify(source(sha))}, pullSibling(${JSON.stringify(repo)}, { cacheDir: ${JSON.stringify(join(repo, '.cache'))} }, ['det_int8']));
      console.log(new Bun.CryptoHasher('sha256').update(b).digest('hex'));`;
    const p = Bun.spawnSync([process.execPath, '-e', script], { cwd: ROOT, stderr: 'pipe' });
    expect(p.stderr.toString()).toBe('');
    expect(p.stdout.toString().trim()).toBe(sha);
  }, 60_000);

  test('a sha256 mismatch is refused and nothing is written', async () => {
    rmSync(join(repo, 'det_int8', '1'), { recursive: true, force: true });
    writeDerived('f'.repeat(64));
    logs.length = 0;
    expect(await pullRepository(repo, { ...quiet, only: ['det_int8'] })).toBe(false);
    expect(logs.join('\n')).toMatch(new RegExp(`sha256 mismatch for det quantized by quantize.json: expected f{64}, got ${sha}; .* was not written`));
    expect(existsSync(join(repo, 'det_int8', '1', 'model.onnx'))).toBe(false);
  }, 60_000);

  test('a misspelt recipe key, a missing image and a cycle are errors that name them', async () => {
    const pull = pullSibling(repo, { cacheDir: join(repo, '.cache') }, ['det_int8']);
    writeDerived(sha, { ...recipe, calibration: { ...recipe.calibration, methd: 'minmax' } });
    const e1 = await deriveQuantized(join(repo, 'det_int8'), source(sha), pull).catch((e) => e);
    expect(isPullError(e1) && e1.kind).toBe('CONFIG');
    expect(e1.message).toMatch(/quantize\.json: calibration: Unrecognized key: "methd"/);
    writeDerived(sha, { ...recipe, calibration: { ...recipe.calibration, images: ['nope.png'] } });
    const e2 = await deriveQuantized(join(repo, 'det_int8'), source(sha), pull).catch((e) => e);
    expect(isPullError(e2) && e2.kind).toBe('NOT_FOUND');
    expect(e2.message).toMatch(/det_int8\/nope\.png .* cannot be read: ENOENT/);
    writeDerived(sha);
    const e3 = await pullSibling(repo, { cacheDir: join(repo, '.cache') }, ['det_int8'])('det_int8').catch((e) => e);
    expect(e3.message).toMatch(/source\.quantize cycle: det_int8 → det_int8/);
  }, 60_000);
});
