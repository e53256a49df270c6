// The face identity accuracy measurement (src/bench/face-accuracy.ts) run for real: every
// variant of every fixture face through the real face job, for the shipped alignment and for
// `none` (affine3 is left to the tool). Checks what the README's "Face identity accuracy"
// states: at DEFAULT_MATCH_THRESHOLD no impostor pair matches, the false-reject rate on the
// genuine pairs is the one stated, astronaut vs camera never matches, and the shipped
// alignment separates genuine from impostor pairs better than no alignment.

import { beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { far, frr, type MethodResult, measure, quantile, separation } from '../src/bench/face-accuracy.ts';
import type { Alignment } from '../src/tasks/faces/align.ts';
import { cosine } from '../src/tasks/faces/geometry.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../src/tasks/faces/service.ts';
import { MODELS, ROOT } from './helpers.ts';

const shipped = (JSON.parse(readFileSync(join(MODELS, 'face', 'config.json'), 'utf8')) as { face: { embedder: { alignment: Alignment } } }).face.embedder
  .alignment;

/** The README's statement: "At the default threshold (T) … R% of the N genuine pairs". */
function readmeClaim() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = readme.match(/At the default threshold \((0\.\d+)\) no impostor pair matches[\s\S]{0,200}?([\d.]+)% of the (\d+) genuine pairs/);
  if (!m) throw new Error('README: the "At the default threshold (…) … no impostor pair matches … N% of the M genuine pairs" sentence is missing');
  return { threshold: Number(m[1]), frr: Number(m[2]) / 100, pairs: Number(m[3]) };
}

describe('statistics', () => {
  test('FAR counts impostors at or above the threshold, FRR genuine pairs below it (verify matches at ≥)', () => {
    expect(far([0.1, 0.5, 0.6, 0.2], 0.5)).toBe(0.5);
    expect(frr([0.9, 0.5, 0.49, 0.3], 0.5)).toBe(0.5);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
  });
  test('separation: gap, EER 0 when separable, EER > 0 when the distributions overlap', () => {
    const s = separation([0.9, 0.8, 0.7], [0.1, 0.2, 0.3]);
    expect(s.gap).toBeCloseTo(0.4, 9);
    expect(s.eer).toBe(0);
    const o = separation([0.9, 0.8, 0.25], [0.1, 0.2, 0.3]);
    expect(o.gap).toBeCloseTo(-0.05, 9);
    expect(o.eer).toBeGreaterThan(0);
    expect(o.dPrime).toBeLessThan(s.dPrime);
  });
});

describe('face identity accuracy on the fixture faces', () => {
  let rs: MethodResult[];
  const of = (m: Alignment) => rs.find((r) => r.method === m)!;
  beforeAll(async () => {
    rs = await measure({ methods: shipped === 'none' ? ['none'] : [shipped, 'none'] });
  }, 120_000);

  test('the README states the default threshold in force', () => {
    expect(readmeClaim().threshold).toBe(DEFAULT_MATCH_THRESHOLD);
  });

  test('at the default threshold no impostor pair matches (the cat included)', () => {
    const r = of(shipped);
    expect(r.impostor.length).toBeGreaterThan(1000);
    expect(far(r.impostor, DEFAULT_MATCH_THRESHOLD)).toBe(0);
    expect(Math.max(...r.impostor)).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
  });

  test('genuine false rejects at the default threshold stay at what the README states', () => {
    const claim = readmeClaim();
    const r = of(shipped);
    expect(r.genuine.length).toBe(claim.pairs);
    // One pair in a hundred of slack: another CPU's float rounding may move a pair across.
    expect(frr(r.genuine, DEFAULT_MATCH_THRESHOLD)).toBeLessThanOrEqual(claim.frr + 0.01);
  });

  test('every face is found, and found where it is', () => {
    const missed = of(shipped)
      .samples.filter((s) => s.missed && s.person)
      .map((s) => `${s.name}: ${s.missed}`);
    expect(missed).toEqual([]);
  });

  test('astronaut vs camera never matches, in any variant', () => {
    const ss = of(shipped).samples.filter((s) => s.embedding);
    const eileen = ss.filter((s) => s.photo.startsWith('astronaut'));
    const camera = ss.filter((s) => s.photo === 'camera.png');
    expect(eileen.length * camera.length).toBeGreaterThan(300);
    let max = -1;
    for (const a of eileen) for (const b of camera) max = Math.max(max, cosine(a.embedding!, b.embedding!));
    expect(max).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
  });

  test('the shipped alignment separates genuine from impostor pairs better than none', () => {
    if (shipped === 'none') throw new Error("models/face ships alignment 'none': the measurement says to align");
    const a = separation(of(shipped).genuine, of(shipped).impostor);
    const n = separation(of('none').genuine, of('none').impostor);
    expect(a.gap).toBeGreaterThan(0); // some threshold separates every measured pair
    expect(a.gap).toBeGreaterThan(n.gap);
    expect(a.dPrime).toBeGreaterThan(n.dPrime);
    expect(a.eer).toBeLessThanOrEqual(n.eer);
    expect(frr(of(shipped).genuine, DEFAULT_MATCH_THRESHOLD)).toBeLessThan(frr(of('none').genuine, DEFAULT_MATCH_THRESHOLD));
  });
});
