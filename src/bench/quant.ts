// `edgeserve bench -- --phases quant`: FP32 and INT8 side by side for the face models. Each
// model's recipe (models/<m>/quantize.json) is derived as `pull` would, gated on
// onnxruntime-node, and timed per inference (native and WASM, one thread, interleaved
// rounds, CPU time); then the server is started twice on the same repository, once with the
// FP32 detector and once with the INT8 one in its place, and /v1/faces/detect is driven at
// each concurrency given. The INT8 server run is a measurement, not a recommendation: the
// gate decides what may be served.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { timeSessions } from '../onnx/quantize/inspect.ts';
import { type Derivation, derive, gateSamples, runGate } from '../onnx/quantize/pipeline.ts';
import { parseRecipe } from '../onnx/quantize/recipe.ts';
import { gateSummary } from '../onnx/quantize/report.ts';
import { ortSessions } from '../onnx/quantize/session.ts';
import { fsRepoAccess, pullSibling, wasmSessions, wasmImages } from '../runtime/pull/derive.ts';
import { GENERATORS } from '../runtime/pull-repository.ts';
import { loadNpmConfig } from '../runtime/pull/npm-config.ts';
import type { Row } from './table.ts';

export interface QuantModelResult {
  model: string;
  bytes: { fp32: number; int8: number };
  gate: { pass: boolean; summary: string };
  native: { fp32: number; int8: number };
  wasm: { fp32: number; int8: number };
  int8Bytes: Uint8Array;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Derive, gate and time one FP32 model of `root` with its recipe. */
export async function quantModel(root: string, model: string): Promise<QuantModelResult> {
  const dir = join(root, model);
  const recipe = parseRecipe(JSON.parse(readFileSync(join(dir, 'quantize.json'), 'utf8')), join(dir, 'quantize.json'));
  const pull = pullSibling(root, { cacheDir: resolve(root, '..', '.cache', 'edgeserve'), npmConfig: loadNpmConfig({ cwd: root }), generators: GENERATORS }, [
    `${model}_int8`,
  ]);
  const d: Derivation = { model, base: model, recipe, repo: fsRepoAccess(root, dir, pull), ...wasmImages() };
  const wasm = await wasmSessions();
  const native = ortSessions(await import('onnxruntime-node'), 'native');
  const fp32Bytes = await d.repo.weights(model);
  const { bytes } = await derive(d, wasm);
  const samples = await gateSamples(d, native);
  const [a, b] = [await native(fp32Bytes), await native(bytes)];
  const gate = await runGate(d, a, b, samples);
  const feeds = samples[0].feeds;
  const [tn0, tn1] = await timeSessions(
    [
      { label: 'FP32', session: a, feeds },
      { label: 'INT8', session: b, feeds },
    ],
    cpuMs,
  );
  await Promise.all([a.release(), b.release()]);
  const [wa, wb] = [await wasm(fp32Bytes), await wasm(bytes)];
  const [tw0, tw1] = await timeSessions(
    [
      { label: 'FP32', session: wa, feeds },
      { label: 'INT8', session: wb, feeds },
    ],
    () => performance.now(),
    { rounds: 5, perRound: 5 },
  );
  await Promise.all([wa.release(), wb.release()]);
  return {
    model,
    bytes: { fp32: fp32Bytes.length, int8: bytes.length },
    gate: { pass: gate.pass, summary: gateSummary(gate) },
    native: { fp32: tn0.medianMs, int8: tn1.medianMs },
    wasm: { fp32: tw0.medianMs, int8: tw1.medianMs },
    int8Bytes: bytes,
  };
}

export function quantRows(rs: QuantModelResult[]): Row[] {
  const r2 = (x: number) => x.toFixed(2);
  return rs.flatMap((r) => [
    {
      model: r.model,
      precision: 'FP32',
      size: `${(r.bytes.fp32 / 1024).toFixed(0)} KiB`,
      'native ms': r2(r.native.fp32),
      'WASM ms': r2(r.wasm.fp32),
      gate: '',
    },
    {
      model: r.model,
      precision: 'INT8',
      size: `${(r.bytes.int8 / 1024).toFixed(0)} KiB`,
      'native ms': `${r2(r.native.int8)} (${r2(r.native.int8 / r.native.fp32)}x)`,
      'WASM ms': `${r2(r.wasm.int8)} (${r2(r.wasm.int8 / r.wasm.fp32)}x)`,
      gate: `${r.gate.pass ? 'PASS' : 'FAIL'}: ${r.gate.summary}`,
    },
  ]);
}

/** A copy of the repository with `model`'s weights replaced (and its source dropped: no pull). */
export function repositoryWith(root: string, model: string, bytes: Uint8Array): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-bench-int8-'));
  cpSync(root, dir, { recursive: true });
  const cfgFile = join(dir, model, 'config.json');
  const { source: _source, ...cfg } = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  writeFileSync(join(dir, model, '1', 'model.onnx'), bytes);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
