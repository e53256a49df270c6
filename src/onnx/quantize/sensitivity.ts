// Which quantized layers cost the most accuracy: each quantized node is quantized alone (every
// other node left in FP32) and the model's outputs are compared with the FP32 model's on a few
// samples. The error is 1 - cosine over all outputs concatenated (0 = identical), averaged over
// the samples. Excluding the worst nodes (recipe `exclude`) is the usual fix for a failing gate.

import { build, type BuildOptions, type Prepared } from './quantize.ts';
import type { Feeds, OpenSession } from './session.ts';

export interface LayerError {
  node: string;
  /** Mean over samples of 1 - cosine(FP32 outputs, outputs with only this node quantized). */
  error: number;
}

export async function layerSensitivity(p: Prepared, o: BuildOptions, samples: Feeds[], open: OpenSession): Promise<LayerError[]> {
  const all = build(p, { ...o, exclude: [] }).plan.nodes.map((n) => n.label);
  const ref = await open(p.upgraded);
  const expected: Float32Array[] = [];
  for (const s of samples) expected.push(concat(await ref.run(s)));
  await ref.release();
  const out: LayerError[] = [];
  for (const label of all) {
    const one = build(p, { ...o, exclude: all.filter((l) => l !== label) });
    const s = await open(one.bytes);
    let err = 0;
    for (const [i, f] of samples.entries()) err += 1 - cosineOf(expected[i], concat(await s.run(f)));
    await s.release();
    out.push({ node: label, error: err / samples.length });
  }
  return out.sort((a, b) => b.error - a.error);
}

function concat(out: Record<string, { data: Float32Array }>): Float32Array {
  const parts = Object.keys(out)
    .sort()
    .map((k) => out[k].data);
  const r = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    r.set(p, o);
    o += p.length;
  }
  return r;
}

function cosineOf(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 && nb === 0 ? 1 : d / Math.sqrt(na * nb || 1);
}
