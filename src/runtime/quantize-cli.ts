// `edgeserve quantize MODEL`: derive an INT8 model with a recipe, run its accuracy gate on the
// engine that serves it, show what ONNX Runtime made of it (fused int8 kernels, time per
// operator type) next to the FP32 model, and with --write put it in the repository as a
// derived model (config.json with the quantize source and its sha256, the recipe, 1/model.onnx)
// — only when the gate passes, unless --force. The composition root for src/onnx/quantize:
// files, the native and WASM engines, the CPU clock.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadServerConfig } from '../config/server-config.ts';
import { ModelSource } from '../core/model-config.ts';
import type { CalibrationMethod } from '../onnx/quantize/calibrate.ts';
import { type GateResult } from '../onnx/quantize/gates.ts';
import { type FileAccess, optimizedGraph, profileOps, timeSessions } from '../onnx/quantize/inspect.ts';
import { buildOptions, type Derivation, derive, gateSamples, methodOf, runGate } from '../onnx/quantize/pipeline.ts';
import { build, type Built } from '../onnx/quantize/quantize.ts';
import { parseRecipe, type Recipe } from '../onnx/quantize/recipe.ts';
import * as report from '../onnx/quantize/report.ts';
import { layerSensitivity } from '../onnx/quantize/sensitivity.ts';
import { ortSessions, type OpenSession } from '../onnx/quantize/session.ts';
import { sha256Hex } from './pull/integrity.ts';
import { fsRepoAccess, pullSibling, wasmSessions, wasmImages } from './pull/derive.ts';
import { loadNpmConfig } from './pull/npm-config.ts';
import { GENERATORS } from './pull-repository.ts';

export const QUANTIZE_HELP = `edgeserve quantize — derive an INT8 (QDQ) model from an FP32 one and gate it (README "Quantization")

Usage:
  edgeserve quantize MODEL [options]
    MODEL is an FP32 model of the repository with a recipe (MODEL/quantize.json, or --recipe),
    or a derived model (its config's source is {"quantize": …}), which is rebuilt and re-gated.

Options:
  --models DIR          model repository (MODEL_REPOSITORY; default models)
  --recipe FILE         the recipe to use (default: MODEL/quantize.json)
  --images A,B          no recipe: calibrate on these images (whole images), gate on --gate-images
  --gate-images C,D     (with --images) held-out images; the gate compares outputs by cosine ≥ 0.99
  --method M            minmax | percentile | entropy | mse (overrides the recipe)
  --percentile P        with --method percentile, e.g. 99.999
  --equalize            equalize channel ranges between consecutive convs first
  --reduce-range        7-bit weights (x86 without VNNI saturates int16 pair sums of 8-bit ones)
  --exclude N1,N2       nodes (or their output tensors) to leave in FP32, added to the recipe's
  --compare             gate every calibration method and say which did best
  --sensitivity N       list the N layers that cost the most accuracy (always shown on a failure)
  --auto-exclude N      on a failure, leave up to N of the worst layers in FP32 until the gate passes
  --wasm                also time onnxruntime-web (one thread)
  --write               write the derived model into the repository (as --out, default MODEL_int8)
  --out NAME            the derived model's name
  --force               --write even if the gate fails
  -h, --help            this text
`;

type Io = { out: (s: string) => void; err: (s: string) => void };

const files: FileAccess = {
  read: async (p) => new Uint8Array(await readFile(p)),
  list: async (dir, prefix) => (await readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => join(dir, n)),
  remove: (p) => rm(p, { force: true }),
};

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function runQuantize(
  argv: string[],
  env: Record<string, string | undefined>,
  io: Io = {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
  },
): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      models: { type: 'string' },
      recipe: { type: 'string' },
      images: { type: 'string' },
      'gate-images': { type: 'string' },
      method: { type: 'string' },
      percentile: { type: 'string' },
      equalize: { type: 'boolean' },
      'reduce-range': { type: 'boolean' },
      exclude: { type: 'string' },
      compare: { type: 'boolean' },
      sensitivity: { type: 'string' },
      'auto-exclude': { type: 'string' },
      wasm: { type: 'boolean' },
      write: { type: 'boolean' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  if (v.help) {
    io.out(QUANTIZE_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`edgeserve quantize: expected one MODEL, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${QUANTIZE_HELP}`);
    return 2;
  }
  const name = positionals[0];
  const root = resolve(v.models ?? loadServerConfig(env).models);
  const count = (flag: string, s: string | undefined) => {
    if (s === undefined) return 0;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a whole number ≥ 1, got '${s}'`);
    return n;
  };
  const sensitivityN = count('sensitivity', v.sensitivity);
  const autoExclude = count('auto-exclude', v['auto-exclude']);

  // Which FP32 model, which recipe, and what the derived model is called.
  const cfg = JSON.parse(
    await readFile(join(root, name, 'config.json'), 'utf8').catch(() => {
      throw new Error(`no model '${name}' in ${root} (no ${join(root, name, 'config.json')})`);
    }),
  ) as { source?: unknown; image?: unknown };
  const src = ModelSource.safeParse(cfg.source);
  const derived = src.success && 'quantize' in src.data ? src.data : undefined;
  const base = derived ? derived.quantize : name;
  const out = v.out ?? (derived ? name : `${name}_int8`);
  let recipeDir = join(root, derived ? name : base);
  let recipe: Recipe;
  if (v.images) {
    if (!v['gate-images']) throw new Error('--images needs --gate-images (held-out images for the gate)');
    recipeDir = process.cwd();
    recipe = parseRecipe(
      {
        calibration: { images: v.images.split(','), method: 'minmax' },
        gate: { kind: 'outputs', images: v['gate-images'].split(',') },
      },
      '--images/--gate-images',
    );
  } else {
    const file = v.recipe ? resolve(v.recipe) : join(recipeDir, derived ? derived.recipe : 'quantize.json');
    recipeDir = dirname(file);
    const text = await readFile(file, 'utf8').catch(() => {
      throw new Error(`no recipe at ${file}: write one (README "Quantization") or pass --images/--gate-images`);
    });
    recipe = parseRecipe(JSON.parse(text), file);
  }
  if (v.method) {
    const method = v.method as Recipe['calibration']['method'];
    if (!['minmax', 'percentile', 'entropy', 'mse'].includes(method)) throw new Error(`--method: one of minmax, percentile, entropy, mse; got '${v.method}'`);
    const percentile = v.percentile === undefined ? undefined : Number(v.percentile);
    recipe = parseRecipe({ ...recipe, calibration: { ...recipe.calibration, method, percentile } }, '--method/--percentile');
  } else if (v.percentile !== undefined) throw new Error('--percentile needs --method percentile');
  if (v.equalize) recipe = { ...recipe, equalize: true };
  if (v['reduce-range']) recipe = { ...recipe, reduce_range: true };
  if (v.exclude) recipe = { ...recipe, exclude: [...recipe.exclude, ...v.exclude.split(',').filter(Boolean)] };

  const pullOpts = { cacheDir: resolve(root, '..', '.cache', 'edgeserve'), npmConfig: loadNpmConfig({ cwd: root }), generators: GENERATORS };
  const pull = pullSibling(root, pullOpts, [out]);
  // Calibration reads the model's image spec: the derived model's own config when it exists.
  const d: Derivation = { model: derived ? name : base, base, recipe, repo: fsRepoAccess(root, recipeDir, pull), ...wasmImages() };

  const wasm = await wasmSessions();
  const ort = await import('onnxruntime-node');
  const native: OpenSession = ortSessions(ort, 'native');
  const fp32Bytes = await d.repo.weights(base);
  io.out(
    `quantize ${base} → ${out} (recipe ${recipe.calibration.method}${recipe.calibration.percentile ? ` ${recipe.calibration.percentile}` : ''}${recipe.equalize ? ', equalized' : ''}${recipe.reduce_range ? ', 7-bit weights' : ''}${recipe.exclude.length ? `, ${recipe.exclude.length} excluded` : ''})`,
  );
  const t0 = performance.now();
  const dv = await derive(d, wasm);
  io.out(
    `derived in ${((performance.now() - t0) / 1000).toFixed(1)} s (onnxruntime-web, one thread: the same bytes on every machine); sha256 ${sha256Hex(dv.bytes)}`,
  );
  for (const l of report.derivationLines(dv.prepared, dv.built, fp32Bytes.length, dv.samples.length)) io.out(`  ${l}`);
  io.out(`  gzip: FP32 ${(gzipSync(fp32Bytes).length / 1024).toFixed(0)} KiB, INT8 ${(gzipSync(dv.bytes).length / 1024).toFixed(0)} KiB`);

  const samples = await gateSamples(d, native);
  const fp32 = await native(fp32Bytes);
  const gateOf = async (bytes: Uint8Array) => {
    const s = await native(bytes);
    try {
      return await runGate(d, fp32, s, samples);
    } finally {
      await s.release();
    }
  };
  let built: Built = dv.built;
  let gate: GateResult = await gateOf(built.bytes);
  io.out('');
  for (const l of report.gateLines(gate)) io.out(l);

  if (v.compare) {
    io.out('\ncalibration methods (same samples, gate on onnxruntime-node):');
    const methods: CalibrationMethod[] = [
      { method: 'minmax' },
      { method: 'percentile', percentile: 99.9 },
      { method: 'percentile', percentile: 99.99 },
      { method: 'percentile', percentile: 99.999 },
      { method: 'entropy' },
      { method: 'mse' },
    ];
    let best: { m: CalibrationMethod; score: number } | undefined;
    for (const m of methods) {
      const g = await gateOf(build(dv.prepared, { ...buildOptions(recipe), calibration: m }).bytes);
      const score = report.gateScore(g);
      if (!best || score > best.score) best = { m, score };
      io.out(`  ${describe(m).padEnd(18)} ${g.pass ? 'PASS' : 'FAIL'}  ${report.gateSummary(g)}`);
    }
    io.out(
      `  best: ${describe(best!.m)}${describe(best!.m) === describe(methodOf(recipe.calibration)) ? " (the recipe's)" : ` (the recipe has ${describe(methodOf(recipe.calibration))}; pass --method to use it)`}`,
    );
  }

  const probe = samples.slice(0, 4).map((s) => s.feeds);
  if (!gate.pass || sensitivityN) {
    const layers = await layerSensitivity(dv.prepared, buildOptions(recipe), probe, native);
    io.out('');
    for (const l of report.sensitivityLines(layers, sensitivityN || 10)) io.out(l);
    if (!gate.pass && autoExclude) {
      const excluded = [...recipe.exclude];
      for (const l of layers.slice(0, autoExclude)) {
        excluded.push(l.node);
        const b = build(dv.prepared, buildOptions(recipe, excluded));
        const g = await gateOf(b.bytes);
        io.out(`  excluding ${excluded.length - recipe.exclude.length} (${l.node}): ${g.pass ? 'PASS' : 'FAIL'}  ${report.gateSummary(g)}`);
        if (g.pass) {
          built = b;
          gate = g;
          recipe = { ...recipe, exclude: excluded };
          break;
        }
      }
    }
  }

  // What ORT runs, and how fast, FP32 next to INT8.
  const feeds = samples[0].feeds;
  const tmp = join(tmpdir(), `edgeserve-quantize-${process.pid}`);
  await mkdir(tmp, { recursive: true });
  try {
    const [ffp, fq] = [
      await optimizedGraph(native, fp32Bytes, join(tmp, 'fp32.onnx'), files),
      await optimizedGraph(native, built.bytes, join(tmp, 'int8.onnx'), files),
    ];
    io.out('');
    for (const l of report.fusionLines(ffp, fq, built.plan.nodes.length)) io.out(l);
    const q = await native(built.bytes);
    for (const l of report.timingLines(
      'onnxruntime-node',
      await timeSessions(
        [
          { label: 'FP32', session: fp32, feeds },
          { label: 'INT8', session: q, feeds },
        ],
        cpuMs,
      ),
    ))
      io.out(l);
    await q.release();
    for (const l of report.profileLines(
      await profileOps(native, fp32Bytes, feeds, 50, tmp, files),
      await profileOps(native, built.bytes, feeds, 50, tmp, files),
    ))
      io.out(l);
    if (v.wasm) {
      const [a, b] = [await wasm(fp32Bytes), await wasm(built.bytes)];
      for (const l of report.timingLines(
        'onnxruntime-web (WASM SIMD)',
        await timeSessions(
          [
            { label: 'FP32', session: a, feeds },
            { label: 'INT8', session: b, feeds },
          ],
          () => performance.now(),
          { rounds: 5, perRound: 5 },
        ),
        'wall ms',
      ))
        io.out(l);
      await Promise.all([a.release(), b.release()]);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await fp32.release();
  }

  io.out('');
  const sha = sha256Hex(built.bytes);
  if (!gate.pass) io.out(`verdict: the gate FAILS (${report.gateSummary(gate)}): ${out} must not be served in place of ${base}.`);
  else io.out(`verdict: the gate passes; ${out} may be served in place of ${base}.`);
  if (v.write) {
    if (!gate.pass && !v.force) {
      io.err(`not written: the gate failed (--force writes it anyway)`);
      return 1;
    }
    await writeDerived(root, base, out, recipe, recipeDir, sha, built.bytes);
    io.out(
      `wrote ${join(root, out)}: config.json (source {"quantize": "${base}", "recipe": "quantize.json", "sha256": "${sha}"}), quantize.json, 1/model.onnx`,
    );
  } else if (derived && derived.sha256 !== sha) {
    io.out(`note: ${name}/config.json records sha256 ${derived.sha256}; this build is ${sha} (--write updates it)`);
  }
  return gate.pass ? 0 : 1;
}

function describe(m: CalibrationMethod): string {
  return m.method === 'percentile' ? `percentile ${m.percentile}` : m.method;
}

/** The derived model's directory: the FP32 config with a new name and source, the recipe with
 *  paths made relative to the new directory, and the weights (what `pull` would derive). */
async function writeDerived(root: string, base: string, out: string, recipe: Recipe, recipeDir: string, sha: string, bytes: Uint8Array): Promise<void> {
  const dir = join(root, out);
  const cfg = JSON.parse(await readFile(join(root, base, 'config.json'), 'utf8')) as Record<string, unknown> & {
    parameters?: Record<string, { string_value: string }>;
  };
  const rel = (p: string) => relativeTo(dir, resolve(recipeDir, p));
  const moved: Recipe = {
    ...recipe,
    calibration: { ...recipe.calibration, images: recipe.calibration.images.map(rel) },
    gate:
      recipe.gate.kind === 'face_embed'
        ? {
            ...recipe.gate,
            images: recipe.gate.images.map(rel),
            identities: Object.fromEntries(Object.entries(recipe.gate.identities).map(([k, id]) => [rel(k), id])),
          }
        : { ...recipe.gate, images: recipe.gate.images.map(rel) },
  };
  const description = `INT8 (QDQ) derivation of ${base} by edgeserve quantize; recipe in quantize.json.${cfg.parameters?.description ? ` ${cfg.parameters.description.string_value}` : ''}`;
  const next = {
    ...cfg,
    name: out,
    parameters: { ...(cfg.parameters ?? {}), description: { string_value: description } },
    source: { quantize: base, recipe: 'quantize.json', sha256: sha },
  };
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(next, null, 2)}\n`);
  await writeFile(join(dir, 'quantize.json'), `${JSON.stringify(moved, null, 2)}\n`);
  await writeFile(join(dir, '1', 'model.onnx'), bytes);
}

function relativeTo(from: string, to: string): string {
  const a = resolve(from).split(/[\\/]/).filter(Boolean);
  const b = resolve(to).split(/[\\/]/).filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill('..'), ...b.slice(i)].join('/');
}
