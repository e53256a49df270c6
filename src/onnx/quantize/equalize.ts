// Channel equalization before quantization (Nagel et al. 2019, "Data-Free Quantization
// Through Weight Equalization and Bias Correction"; SmoothQuant's balancing for the 1x1 case).
// Activations are quantized per tensor, so a channel whose values stay small next to its
// neighbours' gets only a few of the 256 levels: in depthwise-separable nets (both face models)
// that costs more accuracy than anything else. For a Conv A whose output channel c feeds a
// Conv B only, through nothing or a positively homogeneous activation (Relu, PRelu, LeakyRelu:
// f(x / s) = f(x) / s for s > 0), dividing A's channel c by s_c and multiplying B's input
// channel c by s_c leaves the model's function unchanged while changing channel c's range:
// - B depthwise: B's per-channel weight scales absorb any s_c, so every channel is brought to
//   the tensor's largest range (s_c = r_c / R);
// - B dense: B's weights for input c grow by s_c, so the range is shared between activation
//   and weight: s_c = sqrt(r_c / w_c) (both become sqrt(r_c * w_c), up to one common factor).
// Only exact operations and Math.sqrt (correctly rounded everywhere) are used, so the result
// is the same on every engine.

import { attrInt } from './attributes.ts';
import { consumers, type Graph, type GraphNode, type Model, parseInitializer, valueInfoName } from './graph.ts';
import { floatTensor, readFloats } from './tensor-data.ts';

const HOMOGENEOUS = new Set(['Relu', 'PRelu', 'LeakyRelu']);
/** Bounds on s_c: a nearly dead channel is not blown up by more than this. */
const MAX_FACTOR = 256;

export interface EqualizePair {
  a: GraphNode;
  b: GraphNode;
  /** A's output, whose per-channel ranges decide the scales. */
  tensor: string;
  depthwise: boolean;
}

/** The (A, B) pairs of a graph that can be equalized exactly. */
export function equalizablePairs(g: Graph): EqualizePair[] {
  const uses = consumers(g);
  const outputs = new Set(g.outputs.map(valueInfoName));
  const shared = (name: string) => (uses.get(name)?.length ?? 0) !== 1;
  const pairs: EqualizePair[] = [];
  for (const a of g.nodes) {
    if (!isConv(a, g) || shared(a.inputs[1]) || (a.inputs[2] && shared(a.inputs[2]))) continue;
    const kind = convKind(a, g);
    if (kind === 'grouped') continue;
    const out = a.outputs[0];
    if (outputs.has(out) || shared(out)) continue;
    let next = uses.get(out)![0];
    let feed = out;
    if (HOMOGENEOUS.has(next.opType) && next.domain === '' && next.inputs[0] === out) {
      feed = next.outputs[0];
      if (outputs.has(feed) || shared(feed)) continue;
      next = uses.get(feed)![0];
    }
    if (!isConv(next, g) || shared(next.inputs[1]) || next.inputs[0] !== feed) continue;
    const bKind = convKind(next, g);
    if (bKind === 'grouped') continue;
    const channels = g.initializers.get(a.inputs[1])!.dims[0];
    const bw = g.initializers.get(next.inputs[1])!.dims;
    if ((bKind === 'depthwise' ? bw[0] : bw[1]) !== channels) continue;
    pairs.push({ a, b: next, tensor: out, depthwise: bKind === 'depthwise' });
  }
  return pairs;
}

function isConv(n: GraphNode, g: Graph): boolean {
  return (
    n.opType === 'Conv' &&
    n.domain === '' &&
    g.initializers.get(n.inputs[1])?.dataType === 1 &&
    (!n.inputs[2] || g.initializers.get(n.inputs[2])?.dataType === 1)
  );
}

function convKind(n: GraphNode, g: Graph): 'dense' | 'depthwise' | 'grouped' {
  const group = attrInt(n.attributes, 'group') ?? 1;
  if (group === 1) return 'dense';
  const w = g.initializers.get(n.inputs[1])!.dims;
  return w[1] === 1 && w[0] === group ? 'depthwise' : 'grouped';
}

/**
 * Rescales every pair in place. `ranges` holds max |value| per channel of each pair's tensor
 * (calibrate.ts channelMaxima on the model before this call). Returns how many pairs changed.
 */
export function equalize(m: Model, pairs: EqualizePair[], ranges: Map<string, Float64Array>): number {
  const g = m.graph;
  let changed = 0;
  for (const p of pairs) {
    const r = ranges.get(p.tensor);
    if (!r) throw new Error(`no channel ranges for '${p.tensor}'`);
    const wb = weights(g, p.b.inputs[1]);
    const s = p.depthwise ? depthwiseScales(r) : denseScales(r, wb.data, wb.dims);
    if (s.every((v) => v === 1)) continue;
    // A: output channel c divided by s_c (weights and bias).
    const wa = weights(g, p.a.inputs[1]);
    const perA = wa.data.length / wa.dims[0];
    for (let c = 0; c < s.length; c++) for (let i = 0; i < perA; i++) wa.data[c * perA + i] /= s[c];
    store(g, p.a.inputs[1], wa);
    if (p.a.inputs[2]) {
      const b = weights(g, p.a.inputs[2]);
      for (let c = 0; c < s.length; c++) b.data[c] /= s[c];
      store(g, p.a.inputs[2], b);
    }
    // B: input channel c multiplied by s_c.
    const w = weights(g, p.b.inputs[1]);
    const spatial = w.dims.slice(2).reduce((x, y) => x * y, 1);
    const inC = w.dims[1];
    for (let o = 0; o < w.dims[0]; o++) {
      for (let k = 0; k < inC; k++) {
        const c = p.depthwise ? o : k;
        const base = (o * inC + k) * spatial;
        for (let i = 0; i < spatial; i++) w.data[base + i] *= s[c];
      }
    }
    store(g, p.b.inputs[1], w);
    changed++;
  }
  return changed;
}

function depthwiseScales(r: Float64Array): Float64Array {
  const R = Math.max(...r);
  return Float64Array.from(r, (v) => (v > 0 && R > 0 ? clamp(v / R) : 1));
}

function denseScales(r: Float64Array, w: Float32Array, dims: number[]): Float64Array {
  const inC = dims[1];
  const spatial = dims.slice(2).reduce((x, y) => x * y, 1);
  const wc = new Float64Array(inC);
  for (let o = 0; o < dims[0]; o++) {
    for (let c = 0; c < inC; c++) {
      const base = (o * inC + c) * spatial;
      for (let i = 0; i < spatial; i++) wc[c] = Math.max(wc[c], Math.abs(w[base + i]));
    }
  }
  const raw = Float64Array.from(r, (v, c) => (v > 0 && wc[c] > 0 ? Math.sqrt(v / wc[c]) : 0));
  // One common factor so that the largest activation range stays what it was.
  const R = Math.max(...r);
  let newMax = 0;
  for (let c = 0; c < r.length; c++) if (raw[c] > 0) newMax = Math.max(newMax, r[c] / raw[c]);
  const k = newMax > 0 && R > 0 ? newMax / R : 1;
  return Float64Array.from(raw, (v) => (v > 0 ? clamp(v * k) : 1));
}

function clamp(s: number): number {
  return Math.min(MAX_FACTOR, Math.max(1 / MAX_FACTOR, s));
}

function weights(g: Graph, name: string): { data: Float32Array; dims: number[] } {
  const init = g.initializers.get(name)!;
  return { data: readFloats(init.proto), dims: init.dims };
}

function store(g: Graph, name: string, w: { data: Float32Array; dims: number[] }): void {
  g.initializers.set(name, parseInitializer(floatTensor(name, w.dims, w.data)));
}
