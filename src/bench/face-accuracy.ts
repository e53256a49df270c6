// Face identity accuracy: genuine and impostor cosine similarities per alignment method, on every
// real face photo in test/fixtures (three people) and same-identity variants of each
// (face-variants.ts). Every embedding comes from the real face job (models/face's config with
// only `embedder.alignment` changed: detector → chosen face → 68 landmarks → alignment →
// embedder), loaded in-process through the same registry, loader chain and FaceService the
// server uses. Prints per method the genuine/impostor statistics, the separation and FAR/FRR
// at candidate thresholds: what DEFAULT_MATCH_THRESHOLD (tasks/faces/service.ts) was chosen
// from (README, "Face identity accuracy").
//
//   bun src/bench/face-accuracy.ts [--reduced] [--methods similarity5,affine3,none] [--json FILE]
//   edgeserve bench -- --phases accuracy

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { assembleCore } from '../runtime/assemble.ts';
import { FsRepository } from '../runtime/fs-repository.ts';
import { nativeTensorizer } from '../runtime/native-image.ts';
import { type Alignment, ALIGNMENTS } from '../tasks/faces/align.ts';
import { cosine } from '../tasks/faces/geometry.ts';
import { facePlatforms } from '../tasks/faces/pipeline-loader.ts';
import { DEFAULT_MATCH_THRESHOLD, FaceService } from '../tasks/faces/service.ts';
import { type Box, FULL, makeVariants, REDUCED, type VariantSet } from './face-variants.ts';
import { type Row, table } from './table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** The real faces (test/fixtures/README.md): one photo per person, plus two encodings of
 *  Eileen Collins' photo taken as they are (astronaut.jpg: JPEG q90; astronaut_exif6.jpg: stored
 *  sideways with EXIF Orientation 6). */
export interface Photo {
  identity: string;
  file: string;
  variants: boolean;
  /** false: impostor pairs only (the cat's own pairs say nothing about people). */
  person: boolean;
}
export const PHOTOS: Photo[] = [
  { identity: 'Eileen Collins', file: 'astronaut.png', variants: true, person: true },
  { identity: 'Eileen Collins', file: 'astronaut.jpg', variants: false, person: true },
  { identity: 'Eileen Collins', file: 'astronaut_exif6.jpg', variants: false, person: true },
  { identity: 'cameraman', file: 'camera.png', variants: true, person: true },
  { identity: 'Grace Hopper', file: 'grace_hopper.jpg', variants: true, person: true },
  // Not a person, but a face to the detector, and a subject of the README's gallery flow: a cat
  // must not match a person either.
  { identity: 'Chelsea (a cat)', file: 'chelsea.png', variants: true, person: false },
];

/** Candidate thresholds of the FAR/FRR table. */
export const THRESHOLDS = Array.from({ length: 9 }, (_, i) => Math.round((0.3 + 0.05 * i) * 100) / 100);

export interface Sample {
  identity: string;
  person: boolean;
  photo: string;
  /** `rotate+15`, `original`, … */
  variant: string;
  /** `astronaut.png: rotate+15`. */
  name: string;
  embedding?: Float32Array;
  /** Why there is no embedding: no face, or the chosen face is not the photo's face. */
  missed?: 'no face' | 'wrong face';
}

export interface MethodResult {
  method: Alignment;
  samples: Sample[];
  genuine: number[];
  impostor: number[];
  /** The highest impostor similarity between two people (the cat left out). */
  peopleImpostorMax: number;
  /** Per variant kind: the lowest similarity to its own photo's original over the people. */
  toOriginal: Map<string, number>;
  /** The pairs of different people that scored highest, and of the same person lowest. */
  worstImpostors: Array<{ a: string; b: string; similarity: number }>;
  worstGenuine: Array<{ a: string; b: string; similarity: number }>;
}

/** A repository with the face job's components and one face job per alignment
 *  (`face_<method>`), otherwise exactly models/face/config.json. */
function accuracyRepository(models: string, methods: readonly Alignment[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-accuracy-'));
  const base = JSON.parse(readFileSync(join(models, 'face', 'config.json'), 'utf8')) as { face: Record<string, unknown> & { embedder: object } };
  // Only the components embeddings need: optional ones (liveness, pose, eyes, …) are left out.
  const needed = new Set(['detector', 'landmarks', 'embedder']);
  const face = Object.fromEntries(
    Object.entries(base.face).filter(([k, v]) => needed.has(k) || !(v && typeof v === 'object' && 'model' in v)),
  ) as typeof base.face;
  for (const m of [face.detector, face.landmarks, face.embedder] as Array<{ model: string }>)
    cpSync(join(models, m.model), join(dir, m.model), { recursive: true });
  for (const method of methods) {
    const name = `face_${method}`;
    cpSync(join(models, 'face'), join(dir, name), { recursive: true });
    writeFileSync(
      join(dir, name, 'config.json'),
      JSON.stringify({ ...base, name, face: { ...face, embedder: { ...face.embedder, alignment: method } } }, null, 2),
    );
  }
  return dir;
}

/** The face jobs of accuracyRepository loaded in-process (native engine, native decoder). */
export async function facePipelines(models: string, methods: readonly Alignment[]) {
  const dir = accuracyRepository(models, methods);
  const tensorizer = nativeTensorizer({ maxPixels: 50_000_000 });
  const loader = new LocalLoader({
    backend: () => nodeBackend(),
    defaultInstances: 1,
    intraOpThreads: 1,
    tensorizer,
    calibrateBatches: false,
    platforms: facePlatforms({ tensorizer: async () => tensorizer, defaultInstances: 1 }),
  });
  const { dataPlane, load } = assembleCore({ repository: new FsRepository(dir), loader, log: () => {}, maxQueueSize: 64, defaultInstances: 1 });
  await load();
  return {
    service: (m: Alignment) => new FaceService(dataPlane, { face: `face_${m}` }),
    close: async () => {
      await dataPlane.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const inside = (b: Box, [x, y]: [number, number]) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

/** Every variant of every photo through each method's face job. */
export async function measure(
  o: { models?: string; methods?: readonly Alignment[]; set?: VariantSet; photos?: readonly Photo[] } = {},
): Promise<MethodResult[]> {
  const methods = o.methods ?? ALIGNMENTS;
  const p = await facePipelines(o.models ?? join(ROOT, 'models'), methods);
  try {
    const probe = p.service(methods[0]);
    // The face of each photo: the chosen detection on the photo itself (one person per photo).
    const inputs: Array<{ ph: Photo; variant: string; bytes: Uint8Array; face: Box; map: (x: number, y: number) => [number, number] }> = [];
    for (const ph of o.photos ?? PHOTOS) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, ph.file)));
      const a = await probe.analyze(bytes, { embed: false });
      if (a.chosen < 0) throw new Error(`${ph.file}: no face found in the photo itself`);
      const face = a.faces[a.chosen].box as Box;
      const vs = ph.variants
        ? await makeVariants(bytes, face, o.set ?? FULL)
        : [{ name: 'as stored', bytes, map: (x: number, y: number) => [x, y] as [number, number] }];
      for (const v of vs) inputs.push({ ph, variant: v.name, bytes: v.bytes, face, map: v.map });
    }
    const results: MethodResult[] = [];
    for (const method of methods) {
      const svc = p.service(method);
      const samples: Sample[] = [];
      for (const x of inputs) {
        const a = await svc.analyze(x.bytes);
        const s: Sample = { identity: x.ph.identity, person: x.ph.person, photo: x.ph.file, variant: x.variant, name: `${x.ph.file}: ${x.variant}` };
        const centre = x.map((x.face[0] + x.face[2]) / 2, (x.face[1] + x.face[3]) / 2);
        if (a.chosen < 0 || !a.embeddings.length) s.missed = 'no face';
        else if (!inside(a.faces[a.chosen].box as Box, centre)) s.missed = 'wrong face';
        else s.embedding = a.embeddings[0].slice();
        samples.push(s);
      }
      results.push({ method, samples, ...pairs(samples) });
    }
    return results;
  } finally {
    await p.close();
  }
}

function pairs(samples: Sample[]) {
  const genuine: number[] = [];
  const impostor: number[] = [];
  const imp: Array<{ a: string; b: string; similarity: number }> = [];
  const gen: Array<{ a: string; b: string; similarity: number }> = [];
  const toOriginal = new Map<string, number>();
  let peopleImpostorMax = -Infinity;
  const ok = samples.filter((s) => s.embedding);
  for (let i = 0; i < ok.length; i++) {
    for (let j = i + 1; j < ok.length; j++) {
      const [x, y] = [ok[i], ok[j]];
      const p = { a: x.name, b: y.name, similarity: cosine(x.embedding!, y.embedding!) };
      if (x.identity !== y.identity) {
        impostor.push(p.similarity);
        imp.push(p);
        if (x.person && y.person) peopleImpostorMax = Math.max(peopleImpostorMax, p.similarity);
      } else if (x.person) {
        genuine.push(p.similarity);
        gen.push(p);
        const original = x.variant === 'original' ? x : y.variant === 'original' ? y : undefined;
        if (original && x.photo === y.photo) {
          const v = original === x ? y.variant : x.variant;
          toOriginal.set(v, Math.min(toOriginal.get(v) ?? Infinity, p.similarity));
        }
      }
    }
  }
  imp.sort((a, b) => b.similarity - a.similarity);
  gen.sort((a, b) => a.similarity - b.similarity);
  return { genuine, impostor, peopleImpostorMax, toOriginal, worstImpostors: imp.slice(0, 3), worstGenuine: gen.slice(0, 5) };
}

// ---- statistics

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = q * (sorted.length - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

/** Share of impostor pairs at or above t (a match is similarity ≥ threshold, as verify decides). */
export const far = (impostor: readonly number[], t: number) => impostor.filter((s) => s >= t).length / impostor.length;
/** Share of genuine pairs below t. */
export const frr = (genuine: readonly number[], t: number) => genuine.filter((s) => s < t).length / genuine.length;

export interface Separation {
  genuine: { n: number; min: number; p1: number; p5: number; median: number };
  impostor: { n: number; max: number; p99: number; median: number; mean: number; sd: number };
  /** Where a normal distribution fitted to the impostor scores puts a false-accept rate of one
   *  in a million (mean + 4.75 sd): an extrapolation past the measured pairs, not a measurement. */
  impostorAt1e6: number;
  /** Lowest genuine minus highest impostor (> 0: some threshold separates every pair). */
  gap: number;
  /** Decidability: |mean genuine − mean impostor| / sqrt((var genuine + var impostor) / 2). */
  dPrime: number;
  /** Equal error rate over the thresholds the scores themselves give (0 when separable). */
  eer: number;
}

/** The standard normal's upper 1e-6 quantile. */
const Z_1E6 = 4.753;

export function separation(genuine: readonly number[], impostor: readonly number[]): Separation {
  const g = [...genuine].sort((a, b) => a - b);
  const im = [...impostor].sort((a, b) => a - b);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: number[], m: number) => x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length;
  const [mg, mi] = [mean(g), mean(im)];
  let eer = 1;
  let best = Infinity;
  for (const t of [...g, ...im]) {
    const [a, r] = [far(im, t), frr(g, t)];
    if (Math.abs(a - r) < best || (Math.abs(a - r) === best && (a + r) / 2 < eer)) {
      best = Math.abs(a - r);
      eer = (a + r) / 2;
    }
  }
  if (g[0] > im[im.length - 1]) eer = 0;
  return {
    genuine: { n: g.length, min: g[0], p1: quantile(g, 0.01), p5: quantile(g, 0.05), median: quantile(g, 0.5) },
    impostor: { n: im.length, max: im[im.length - 1], p99: quantile(im, 0.99), median: quantile(im, 0.5), mean: mi, sd: Math.sqrt(variance(im, mi)) },
    impostorAt1e6: mi + Z_1E6 * Math.sqrt(variance(im, mi)),
    gap: g[0] - im[im.length - 1],
    dPrime: Math.abs(mg - mi) / Math.sqrt((variance(g, mg) + variance(im, mi)) / 2),
    eer,
  };
}

// ---- report

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const pc = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');

export function report(rs: MethodResult[], threshold = DEFAULT_MATCH_THRESHOLD): string {
  const out: string[] = [];
  const sep = rs.map((r) => ({ r, s: separation(r.genuine, r.impostor) }));
  out.push('Genuine (same person, two variants) and impostor (two different identities, the cat included) cosine similarities');
  out.push(
    table(
      sep.map(({ r, s }) => ({
        method: r.method,
        'gen n': s.genuine.n,
        'gen min': f3(s.genuine.min),
        'gen p1': f3(s.genuine.p1),
        'gen p5': f3(s.genuine.p5),
        'gen median': f3(s.genuine.median),
        'imp n': s.impostor.n,
        'imp max': f3(s.impostor.max),
        'imp p99': f3(s.impostor.p99),
        'imp median': f3(s.impostor.median),
        'people max': f3(r.peopleImpostorMax),
        'imp sd': f3(s.impostor.sd),
        'normal 1e-6': f3(s.impostorAt1e6),
        gap: f3(s.gap),
        "d'": s.dPrime.toFixed(1),
        EER: pc(s.eer),
      })),
    ),
  );
  out.push('\nFAR (impostor pairs at or above) / FRR (genuine pairs below) per threshold');
  out.push(
    table(
      THRESHOLDS.map((t) => ({
        threshold: t.toFixed(2) + (t === threshold ? ' (default)' : ''),
        ...Object.fromEntries(rs.map((r) => [r.method, `${pc(far(r.impostor, t))} / ${pc(frr(r.genuine, t))}`])),
      })),
    ),
  );
  if (!THRESHOLDS.includes(threshold)) {
    out.push(
      `at the default threshold ${threshold}: ${rs.map((r) => `${r.method} FAR ${pc(far(r.impostor, threshold))} FRR ${pc(frr(r.genuine, threshold))}`).join('; ')}`,
    );
  }
  out.push('\nLowest similarity of each variant to its own original, over the people');
  const kinds = [...new Set(rs.flatMap((r) => [...r.toOriginal.keys()]))];
  out.push(table(kinds.map((k) => ({ variant: k, ...Object.fromEntries(rs.map((r) => [r.method, f3(r.toOriginal.get(k) ?? NaN)])) }))));
  out.push('\nHighest impostor pairs, lowest genuine pairs');
  for (const r of rs) for (const w of r.worstImpostors) out.push(`  ${r.method} impostor: ${f3(w.similarity)}  ${w.a}  vs  ${w.b}`);
  for (const r of rs) for (const w of r.worstGenuine) out.push(`  ${r.method} genuine: ${f3(w.similarity)}  ${w.a}  vs  ${w.b}`);
  const missed: Row[] = [];
  for (const r of rs) for (const s of r.samples) if (s.missed) missed.push({ method: r.method, variant: s.name, missed: s.missed });
  out.push(`\nVariants without a usable face (left out of the pairs): ${missed.length ? '' : 'none'}`);
  if (missed.length) out.push(table(missed));
  const n = rs[0]?.samples.length ?? 0;
  out.push(`\n${n} images of ${new Set(rs[0]?.samples.map((s) => s.identity)).size} identities per method`);
  return out.join('\n');
}

function parseArgs(args: string[]) {
  const o: { set: VariantSet; methods: Alignment[]; json?: string } = { set: FULL, methods: [...ALIGNMENTS] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--reduced') o.set = REDUCED;
    else if (a === '--methods') {
      const ms = (args[++i] ?? '').split(',');
      const bad = ms.filter((m) => !ALIGNMENTS.includes(m as Alignment));
      if (bad.length || !ms.length) throw new Error(`--methods: expected some of ${ALIGNMENTS.join(',')}, got '${args[i]}'`);
      o.methods = ms as Alignment[];
    } else if (a === '--json') o.json = args[++i];
    else throw new Error(`unknown option '${a}' (options: --reduced, --methods LIST, --json FILE)`);
  }
  return o;
}

/** `edgeserve bench -- --phases accuracy` and `bun src/bench/face-accuracy.ts`. */
export async function accuracyBench(args: string[] = [], models?: string): Promise<string> {
  const o = parseArgs(args);
  const rs = await measure({ models: models ? resolve(models) : undefined, methods: o.methods, set: o.set });
  if (o.json) {
    writeFileSync(
      o.json,
      JSON.stringify(
        rs.map((r) => ({
          method: r.method,
          separation: separation(r.genuine, r.impostor),
          genuine: r.genuine,
          impostor: r.impostor,
          missed: r.samples.filter((s) => s.missed).map((s) => ({ name: s.name, missed: s.missed })),
        })),
        null,
        2,
      ),
    );
  }
  return report(rs);
}

if (import.meta.main) {
  console.log(await accuracyBench(process.argv.slice(2)));
}
