// Static QDQ quantization of an FP32 ONNX model, end to end:
//   upgrade to opset 13 (checked against the original on the calibration samples)
//   → plan (plan.ts) → activation statistics (calibrate.ts) → ranges by the chosen method
//   → QDQ graph with int8 weights (qdq.ts) → bytes.
// prepareQuantization() does the expensive part once (the statistics); build() can then be
// called for several methods or exclusion lists, which is how `edgeserve quantize` compares
// them. Same input bytes, samples and options → same output bytes.

import { channelMaxima, collectStats, rangesFor, type CalibrationMethod, type TensorStats } from './calibrate.ts';
import { equalizablePairs, equalize } from './equalize.ts';
import { encodeModel, parseModel } from './graph.ts';
import { planQuantization, type Plan } from './plan.ts';
import { applyQdq, type QdqResult } from './qdq.ts';
import type { Feeds, OpenSession } from './session.ts';
import { upgradeToOpset13, type UpgradeResult } from './upgrade.ts';

export interface Prepared {
  /** The FP32 model at opset 13 (what the QDQ graph is built on). */
  upgraded: Uint8Array;
  upgrade: UpgradeResult;
  /** Largest output difference, upgraded vs original FP32, over the samples (0 expected). */
  upgradeMaxDiff: number;
  /** Conv pairs equalized, and the largest output change that caused (relative to the largest output). */
  equalized: number;
  equalizeMaxDiff: number;
  /** Statistics for every tensor the full (no exclusions) plan quantizes. */
  stats: Map<string, TensorStats>;
}

export interface BuildOptions {
  calibration: CalibrationMethod;
  /** Node names, or their output tensors' names, to leave in FP32. */
  exclude?: string[];
  /** 7-bit weights (weights.ts REDUCED_WEIGHT_MAX): for x86 CPUs without VNNI. */
  reduceRange?: boolean;
}

export interface Built {
  bytes: Uint8Array;
  plan: Plan;
  qdq: QdqResult;
}

export interface PrepareOptions {
  /** Equalize channel ranges between consecutive convs first (equalize.ts). */
  equalize?: boolean;
}

export async function prepareQuantization(fp32: Uint8Array, samples: Feeds[], open: OpenSession, o: PrepareOptions = {}): Promise<Prepared> {
  const m = parseModel(fp32);
  const upgrade = upgradeToOpset13(m);
  let upgraded = encodeModel(m);
  const upgradeMaxDiff = upgrade.changes.length ? (await outputDiff(fp32, upgraded, samples, open)).abs : 0;
  if (!(upgradeMaxDiff <= 1e-5)) {
    throw new Error(`the opset ${upgrade.from} → ${upgrade.to} upgrade changed the outputs (max abs diff ${upgradeMaxDiff}): ${upgrade.changes.join('; ')}`);
  }
  let equalized = 0;
  let equalizeMaxDiff = 0;
  if (o.equalize) {
    const pairs = equalizablePairs(m.graph);
    const ranges = await channelMaxima(upgraded, [...new Set(pairs.map((p) => p.tensor))], samples, open);
    equalized = equalize(m, pairs, ranges);
    const before = upgraded;
    upgraded = encodeModel(m);
    // Exact in real arithmetic; in float32 the outputs move by rounding only.
    equalizeMaxDiff = (await outputDiff(before, upgraded, samples, open)).relative;
    if (!(equalizeMaxDiff <= 1e-4)) throw new Error(`channel equalization changed the outputs (max diff ${equalizeMaxDiff} of the largest output)`);
  }
  const plan = planQuantization(m.graph);
  if (plan.nodes.length === 0)
    throw new Error(
      `nothing to quantize: no Conv/Gemm/MatMul with FP32 initializer weights (${plan.skipped.map((s) => `${s.label}: ${s.why}`).join('; ') || 'none found'})`,
    );
  const stats = await collectStats(
    upgraded,
    plan.tensors.map((t) => t.name),
    samples,
    open,
    true,
  );
  return { upgraded, upgrade, upgradeMaxDiff, equalized, equalizeMaxDiff, stats };
}

export function build(p: Prepared, o: BuildOptions): Built {
  const m = parseModel(p.upgraded);
  const plan = planQuantization(m.graph, { exclude: o.exclude });
  const ranges = rangesFor(p.stats, o.calibration);
  const qdq = applyQdq(m, plan, ranges, { reduceRange: o.reduceRange });
  m.other = m.other.filter((raw) => raw[0] !== ((2 << 3) | 2)); // producer_name is rewritten below
  const bytes = encodeModel({ ...m, other: [producerField(), ...m.other] });
  return { bytes, plan, qdq };
}

function producerField(): Uint8Array {
  const name = new TextEncoder().encode('edgeserve-quantize');
  return Uint8Array.of((2 << 3) | 2, name.length, ...name);
}

/** Largest |a - b| over every output of two models fed the same samples, absolute and relative to max |a|. */
export async function outputDiff(a: Uint8Array, b: Uint8Array, samples: Feeds[], open: OpenSession): Promise<{ abs: number; relative: number }> {
  const [sa, sb] = await Promise.all([open(a, { optimization: 'disabled' }), open(b, { optimization: 'disabled' })]);
  let max = 0;
  let scale = 0;
  try {
    for (const s of samples) {
      const [oa, ob] = [await sa.run(s), await sb.run(s)];
      for (const [name, t] of Object.entries(oa)) {
        const u = ob[name];
        if (!u || u.data.length !== t.data.length) return { abs: Infinity, relative: Infinity };
        for (let i = 0; i < t.data.length; i++) {
          const d = Math.abs(t.data[i] - u.data[i]);
          if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
          scale = Math.max(scale, Math.abs(t.data[i]));
        }
      }
    }
  } finally {
    await Promise.all([sa.release(), sb.release()]);
  }
  return { abs: max, relative: scale > 0 ? max / scale : max };
}
