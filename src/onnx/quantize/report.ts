// Text for `edgeserve quantize` and `edgeserve bench`: the derivation, the gate (with by how
// much it failed), ORT's fusion and per-operator timings, FP32 and INT8 side by side.

import type { GateResult } from './gates.ts';
import type { Fusion, OpProfile, Timing } from './inspect.ts';
import type { LayerError } from './sensitivity.ts';
import type { Built, Prepared } from './quantize.ts';

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const f = (x: number, d = 4) => x.toFixed(d);

export function derivationLines(p: Prepared, b: Built, fp32Bytes: number, samples: number): string[] {
  const lines = [
    `opset ${p.upgrade.from} → ${p.upgrade.to}${p.upgrade.changes.length ? ` (${p.upgrade.changes.length} nodes rewritten; outputs max abs diff ${p.upgradeMaxDiff})` : ''}`,
    ...(p.equalized ? [`channel equalization: ${p.equalized} conv pairs (outputs moved by ${p.equalizeMaxDiff.toExponential(1)} of their largest value)`] : []),
    `quantized ${b.plan.nodes.length} weight ops (${count(b.plan.nodes.map((n) => n.node.opType))}), ${b.plan.tensors.length} activation tensors; calibrated on ${samples} samples`,
    ...b.plan.skipped.map((s) => `  left in FP32: ${s.label} (${s.op}): ${s.why}`),
    `size ${kb(fp32Bytes)} → ${kb(b.bytes.length)} (${f(b.bytes.length / fp32Bytes, 2)}x)`,
  ];
  const clamped = b.qdq.weights.filter((w) => w.biasClamped > 0);
  for (const w of clamped) lines.push(`  ${w.label}: ${w.biasClamped} bias values clamped to int32`);
  return lines;
}

function count(xs: string[]): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ');
}

export function gateLines(g: GateResult, verbose = false): string[] {
  const verdict = g.pass ? 'PASS' : 'FAIL';
  if (g.kind === 'detector') {
    const held = g.samples.filter((s) => s.heldOut);
    const lines = [
      `gate (detector): ${verdict}: ${g.samples.length} samples (${held.length} held out from calibration), ${g.faces} faces; ` +
        `min IoU ${f(g.minIou)} (need ≥ 0.95), max score change ${f(g.maxScoreDelta)} (need ≤ 0.03)`,
    ];
    for (const s of g.samples)
      if (!s.pass || verbose)
        lines.push(
          `  ${s.pass ? 'ok  ' : 'FAIL'} ${s.label}${s.heldOut ? '' : ' (calibration image)'}: ${s.fp32} faces FP32, ${s.int8} INT8, IoU ${f(s.minIou, 3)}, Δscore ${f(s.maxScoreDelta, 3)}${s.why ? `: ${s.why}` : ''}`,
        );
    return lines;
  }
  if (g.kind === 'embedder') {
    const lines = [
      `gate (embedder): ${verdict}: ${g.faces.length} faces (${g.faces.filter((x) => x.heldOut).length} held out), min cosine to FP32 ${f(g.minCosine)} (need ≥ 0.99); ` +
        `${g.genuine} genuine + ${g.impostor} impostor pairs: ${g.changed.length} decisions changed, closest to the threshold ${f(g.minMargin, 3)} away; errors FP32 ${g.fp32Errors}, INT8 ${g.int8Errors}`,
    ];
    for (const x of g.faces)
      if (x.cosine < 0.99 || verbose)
        lines.push(`  ${x.cosine < 0.99 ? 'FAIL' : 'ok  '} ${x.label} (${x.identity}${x.heldOut ? '' : ', calibration image'}): cosine ${f(x.cosine)}`);
    for (const c of g.changed.slice(0, 10))
      lines.push(`  changed: ${c.a} vs ${c.b} (${c.genuine ? 'genuine' : 'impostor'}): FP32 ${f(c.fp32, 3)}, INT8 ${f(c.int8, 3)}`);
    return lines;
  }
  return [
    `gate (outputs): ${verdict}: min cosine ${f(g.minCosine)}`,
    ...Object.entries(g.outputs).map(([k, v]) => `  ${k}: min cosine ${f(v.minCosine)}, max abs diff ${v.maxAbsDiff.toPrecision(3)}`),
  ];
}

/** One number per gate for comparing methods: the margin to the threshold (≥ 0 passes). */
export function gateScore(g: GateResult): number {
  if (g.kind === 'detector') return Math.min(g.minIou - 0.95, 0.03 - g.maxScoreDelta) - (g.pass ? 0 : 1);
  if (g.kind === 'embedder') return g.minCosine - 0.99 - g.changed.length;
  return g.minCosine - 0.99;
}

export function gateSummary(g: GateResult): string {
  if (g.kind === 'detector')
    return `min IoU ${f(g.minIou)}, max Δscore ${f(g.maxScoreDelta)}, ${g.samples.filter((s) => !s.pass).length}/${g.samples.length} samples fail`;
  if (g.kind === 'embedder') return `min cosine ${f(g.minCosine)}, ${g.changed.length}/${g.genuine + g.impostor} decisions changed`;
  return `min cosine ${f(g.minCosine)}`;
}

export function fusionLines(fp32: Fusion, int8: Fusion, quantizedOps: number): string[] {
  const ops = (x: Fusion) =>
    Object.entries(x.ops)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `ORT optimized graph, INT8: ${int8.int8Kernels} int8 kernels for ${quantizedOps} quantized weight ops, ${int8.fp32WeightOps} FP32 weight ops, ${int8.qdqLeft} Q/DQ nodes left`,
    `  INT8: ${ops(int8)}`,
    `  FP32: ${ops(fp32)}`,
  ];
}

export function timingLines(engine: string, t: Timing[], clock = 'CPU ms'): string[] {
  const [a, b] = t;
  return [
    `${engine} per inference (${clock}, one thread, median of rounds): FP32 ${f(a.medianMs, 2)}, INT8 ${f(b.medianMs, 2)} → ${f(b.medianMs / a.medianMs, 2)}x` +
      ` (min ${f(a.minMs, 2)} / ${f(b.minMs, 2)})`,
  ];
}

export function profileLines(fp32: OpProfile, int8: OpProfile): string[] {
  const ops = [...new Set([...Object.keys(fp32.byOp), ...Object.keys(int8.byOp)])].sort(
    (x, y) => Math.max(fp32.byOp[y] ?? 0, int8.byOp[y] ?? 0) - Math.max(fp32.byOp[x] ?? 0, int8.byOp[x] ?? 0),
  );
  const cell = (v: number | undefined) => (v === undefined ? '' : f(v, 3)).padStart(8);
  return [
    `kernel time per operator type (ms per run, ORT profiler): FP32 ${f(fp32.perRunMs, 2)} total, INT8 ${f(int8.perRunMs, 2)} total`,
    `  ${'op'.padEnd(22)}${'FP32'.padStart(8)}${'INT8'.padStart(8)}`,
    ...ops.map((op) => `  ${op.padEnd(22)}${cell(fp32.byOp[op])}${cell(int8.byOp[op])}`),
  ];
}

export function sensitivityLines(layers: LayerError[], n: number): string[] {
  const total = layers.reduce((a, l) => a + l.error, 0);
  return [
    `layers by error when quantized alone (1 - cosine of the outputs; all ${layers.length} together sum to ${total.toExponential(2)}):`,
    ...layers.slice(0, n).map((l) => `  ${l.node.padEnd(24)} ${l.error.toExponential(2)} (${f((l.error / (total || 1)) * 100, 1)}%)`),
  ];
}
