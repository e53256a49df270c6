// Accuracy gates: does the quantized model give the answers the FP32 one gives?
// - detector: on every sample, the same faces at the serving threshold, each matched face
//   with box IoU ≥ 0.95 and |score change| ≤ 0.03;
// - embedder: per face, cosine ≥ 0.99 between the FP32 and the INT8 embedding, and on every
//   pair of faces (same identity = genuine, different = impostor) the same match decision at
//   the verification threshold;
// - outputs (any model): per sample and output, cosine ≥ min between FP32 and INT8.
// Each returns the figures and, when it fails, by how much. Pure comparisons over sessions:
// which engine and which samples are the caller's choice.

import { type Box, cosine, decodeDetections, type DetectOptions, iou, l2normalize } from '../../tasks/faces/geometry.ts';
import type { Sample } from './samples.ts';
import type { QSession } from './session.ts';

export interface DetectorGateOptions {
  detect: DetectOptions;
  minIou: number;
  maxScoreDelta: number;
}
export const DETECTOR_GATE = { minIou: 0.95, maxScoreDelta: 0.03 } as const;

export interface DetectorSampleResult {
  label: string;
  heldOut: boolean;
  fp32: number;
  int8: number;
  /** Over matched faces; 1 / 0 when there are none. */
  minIou: number;
  maxScoreDelta: number;
  pass: boolean;
  why?: string;
}
export interface DetectorGate {
  kind: 'detector';
  pass: boolean;
  samples: DetectorSampleResult[];
  faces: number;
  minIou: number;
  maxScoreDelta: number;
}

export async function detectorGate(
  fp32: QSession,
  int8: QSession,
  samples: Array<Sample & { heldOut: boolean }>,
  o: DetectorGateOptions,
): Promise<DetectorGate> {
  const results: DetectorSampleResult[] = [];
  for (const s of samples) {
    const [a, b] = [await fp32.run(s.feeds), await int8.run(s.feeds)];
    const fa = decodeDetections(a.scores.data, a.boxes.data, s.size.width, s.size.height, o.detect);
    const fb = decodeDetections(b.scores.data, b.boxes.data, s.size.width, s.size.height, o.detect);
    let minIou = 1;
    let maxScoreDelta = 0;
    const why: string[] = [];
    const free = [...fb];
    for (const f of fa) {
      let best = -1;
      let bestIou = 0;
      free.forEach((g, k) => {
        const v = iou(f.box, g.box);
        if (v > bestIou) {
          bestIou = v;
          best = k;
        }
      });
      if (best < 0) {
        why.push(`face at ${fmtBox(f.box)} (score ${f.score.toFixed(3)}) not found`);
        minIou = 0;
        continue;
      }
      const g = free.splice(best, 1)[0];
      minIou = Math.min(minIou, bestIou);
      maxScoreDelta = Math.max(maxScoreDelta, Math.abs(f.score - g.score));
    }
    for (const g of free) why.push(`extra face at ${fmtBox(g.box)} (score ${g.score.toFixed(3)})`);
    if (minIou < o.minIou) why.push(`IoU ${minIou.toFixed(4)} < ${o.minIou}`);
    if (maxScoreDelta > o.maxScoreDelta) why.push(`score change ${maxScoreDelta.toFixed(4)} > ${o.maxScoreDelta}`);
    results.push({
      label: s.label,
      heldOut: s.heldOut,
      fp32: fa.length,
      int8: fb.length,
      minIou,
      maxScoreDelta,
      pass: why.length === 0,
      ...(why.length ? { why: why.join('; ') } : {}),
    });
  }
  const withFaces = results.filter((r) => r.fp32 > 0);
  return {
    kind: 'detector',
    pass: results.every((r) => r.pass),
    samples: results,
    faces: results.reduce((n, r) => n + r.fp32, 0),
    minIou: Math.min(1, ...withFaces.map((r) => r.minIou)),
    maxScoreDelta: Math.max(0, ...results.map((r) => r.maxScoreDelta)),
  };
}

const fmtBox = (b: Box) => `[${b.map((v) => v.toFixed(0)).join(',')}]`;

export interface FaceSample extends Sample {
  identity: string;
  heldOut: boolean;
}
export interface EmbedderGateOptions {
  minCosine: number;
  threshold: number;
}
export const EMBEDDER_GATE = { minCosine: 0.99 } as const;

export interface EmbedderGate {
  kind: 'embedder';
  pass: boolean;
  faces: Array<{ label: string; identity: string; heldOut: boolean; cosine: number }>;
  minCosine: number;
  genuine: number;
  impostor: number;
  /** Pairs whose decision differs between FP32 and INT8. */
  changed: Array<{ a: string; b: string; genuine: boolean; fp32: number; int8: number }>;
  /** Smallest |similarity - threshold| over all pairs, FP32 and INT8 (how close a flip came). */
  minMargin: number;
  /** FP32 errors on the pairs (a wrong decision there is the model's, not the quantizer's). */
  fp32Errors: number;
  int8Errors: number;
  why?: string;
}

export async function embedderGate(fp32: QSession, int8: QSession, faces: FaceSample[], o: EmbedderGateOptions): Promise<EmbedderGate> {
  const ea: Float32Array[] = [];
  const eb: Float32Array[] = [];
  for (const f of faces) {
    ea.push(l2normalize(first(await fp32.run(f.feeds))));
    eb.push(l2normalize(first(await int8.run(f.feeds))));
  }
  const perFace = faces.map((f, i) => ({ label: f.label, identity: f.identity, heldOut: f.heldOut, cosine: cosine(ea[i], eb[i]) }));
  const changed: EmbedderGate['changed'] = [];
  let genuine = 0;
  let impostor = 0;
  let minMargin = Infinity;
  let fp32Errors = 0;
  let int8Errors = 0;
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      const same = faces[i].identity === faces[j].identity;
      if (same) genuine++;
      else impostor++;
      const sa = cosine(ea[i], ea[j]);
      const sb = cosine(eb[i], eb[j]);
      minMargin = Math.min(minMargin, Math.abs(sa - o.threshold), Math.abs(sb - o.threshold));
      if (sa >= o.threshold !== same) fp32Errors++;
      if (sb >= o.threshold !== same) int8Errors++;
      if (sa >= o.threshold !== sb >= o.threshold) changed.push({ a: faces[i].label, b: faces[j].label, genuine: same, fp32: sa, int8: sb });
    }
  }
  const minCos = Math.min(1, ...perFace.map((f) => f.cosine));
  const why: string[] = [];
  if (minCos < o.minCosine)
    why.push(
      `cosine ${minCos.toFixed(4)} < ${o.minCosine} (${perFace
        .filter((f) => f.cosine < o.minCosine)
        .map((f) => f.label)
        .join(', ')})`,
    );
  if (changed.length) why.push(`${changed.length} verification decision(s) changed`);
  return {
    kind: 'embedder',
    pass: why.length === 0,
    faces: perFace,
    minCosine: minCos,
    genuine,
    impostor,
    changed,
    minMargin: Number.isFinite(minMargin) ? minMargin : 1,
    fp32Errors,
    int8Errors,
    ...(why.length ? { why: why.join('; ') } : {}),
  };
}

function first(out: Record<string, { data: Float32Array }>): Float32Array {
  const v = Object.values(out)[0];
  if (!v) throw new Error('the embedder returned no output');
  return v.data;
}

export interface OutputsGate {
  kind: 'outputs';
  pass: boolean;
  /** Worst cosine per output over the samples. */
  outputs: Record<string, { minCosine: number; maxAbsDiff: number }>;
  minCosine: number;
  why?: string;
}

/** For any model: every output of every sample close to FP32 by cosine. */
export async function outputsGate(fp32: QSession, int8: QSession, samples: Sample[], o: { minCosine: number }): Promise<OutputsGate> {
  const outputs: OutputsGate['outputs'] = {};
  for (const s of samples) {
    const [a, b] = [await fp32.run(s.feeds), await int8.run(s.feeds)];
    for (const [name, t] of Object.entries(a)) {
      const u = b[name].data;
      let dot = 0;
      let na = 0;
      let nb = 0;
      let max = 0;
      for (let i = 0; i < t.data.length; i++) {
        dot += t.data[i] * u[i];
        na += t.data[i] * t.data[i];
        nb += u[i] * u[i];
        max = Math.max(max, Math.abs(t.data[i] - u[i]));
      }
      const c = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb || 1);
      const cur = outputs[name] ?? { minCosine: 1, maxAbsDiff: 0 };
      outputs[name] = { minCosine: Math.min(cur.minCosine, c), maxAbsDiff: Math.max(cur.maxAbsDiff, max) };
    }
  }
  const minCos = Math.min(1, ...Object.values(outputs).map((v) => v.minCosine));
  const pass = minCos >= o.minCosine;
  return { kind: 'outputs', pass, outputs, minCosine: minCos, ...(pass ? {} : { why: `output cosine ${minCos.toFixed(4)} < ${o.minCosine}` }) };
}

export type GateResult = DetectorGate | EmbedderGate | OutputsGate;
