// Writes the QDQ graph for a plan (plan.ts) and calibrated ranges: one QuantizeLinear after
// each quantized activation's producer, one DequantizeLinear per consumer (ORT's quantizer
// calls these dedicated pairs: each fused kernel then owns its DQ), quantized weights and
// biases as int8/int32 initializers behind per-channel DequantizeLinear nodes. The FP32
// weights that were quantized are dropped, which is where the size saving comes from.

import { intAttr } from './attributes.ts';
import { type Graph, type GraphNode, type Model, node, parseInitializer, realInputs, touch, valueInfoName } from './graph.ts';
import type { Plan } from './plan.ts';
import { floatTensor, int32Tensor, int8Tensor, readFloats, uint8Tensor } from './tensor-data.ts';
import { activationParams, type ActivationQuant, minWeightScales, quantizeBias, quantizeWeights, REDUCED_WEIGHT_MAX, WEIGHT_MAX } from './weights.ts';

export interface Range {
  lo: number;
  hi: number;
}

export interface QdqResult {
  /** Per activation tensor: the calibrated range and the uint8 parameters chosen. */
  activations: Map<string, ActivationQuant & Range>;
  /** Per quantized node: weight rounding error and clamped bias channels. */
  weights: Array<{ label: string; weightMaxError: number; biasClamped: number }>;
}

/** Rewrites `m` (already at opset 13) in place. `ranges` must cover every tensor in the plan. */
export function applyQdq(m: Model, plan: Plan, ranges: Map<string, Range>, o: { reduceRange?: boolean } = {}): QdqResult {
  const g = m.graph;
  const names = new Set<string>([...g.initializers.keys(), ...g.nodes.flatMap((n) => [...n.inputs, ...n.outputs, n.name])]);
  const fresh = (want: string) => {
    let n = want;
    for (let k = 1; names.has(n); k++) n = `${want}_${k}`;
    names.add(n);
    return n;
  };
  const addInit = (want: string, build: (name: string) => Uint8Array) => {
    const name = fresh(want);
    g.initializers.set(name, parseInitializer(build(name)));
    return name;
  };
  const result: QdqResult = { activations: new Map(), weights: [] };

  // Activations: scale/zero-point initializers and the Q node, placed after the producer.
  const quantized = new Map<string, { q: string; scale: string; zp: string }>();
  for (const t of plan.tensors) {
    const r = ranges.get(t.name);
    if (!r) throw new Error(`no calibrated range for tensor '${t.name}'`);
    const p = activationParams(t.nonNegative ? 0 : r.lo, r.hi);
    result.activations.set(t.name, { ...p, ...r });
    const scale = addInit(`${t.name}_scale`, (n) => floatTensor(n, [], Float32Array.of(p.scale)));
    const zp = addInit(`${t.name}_zero_point`, (n) => uint8Tensor(n, [], Uint8Array.of(p.zeroPoint)));
    quantized.set(t.name, { q: fresh(`${t.name}_quantized`), scale, zp });
  }

  const qNode = (t: string) => {
    const a = quantized.get(t)!;
    return node('QuantizeLinear', [t, a.scale, a.zp], [a.q], fresh(`${t}_QuantizeLinear`));
  };
  const dqNode = (t: string, into: GraphNode) => {
    const a = quantized.get(t)!;
    const out = fresh(`${t}_dequantized`);
    return { out, node: node('DequantizeLinear', [a.q, a.scale, a.zp], [out], fresh(`${t}_DequantizeLinear_${into.name || into.outputs[0]}`)) };
  };

  // Weights and biases of the quantized nodes.
  const prelude = new Map<GraphNode, GraphNode[]>();
  const dropped = new Set<string>();
  for (const qn of plan.nodes) {
    const n = qn.node;
    const before: GraphNode[] = [];
    const wName = n.inputs[qn.weight.input];
    const w = g.initializers.get(wName)!;
    const xs = result.activations.get(n.inputs[0])?.scale;
    if (xs === undefined) throw new Error(`input '${n.inputs[0]}' of ${qn.label} is not quantized`);
    const bias = qn.bias !== undefined ? readFloats(g.initializers.get(n.inputs[qn.bias])!.proto) : undefined;
    const minScale = bias && bias.length === w.dims[qn.weight.axis] ? minWeightScales(bias, xs) : undefined;
    const wq = quantizeWeights(readFloats(w.proto), w.dims, qn.weight.axis, o.reduceRange ? REDUCED_WEIGHT_MAX : WEIGHT_MAX, minScale);
    const channels = w.dims[qn.weight.axis];
    const base = n.name || n.outputs[0];
    const wInt = addInit(`${wName}_quantized`, (k) => int8Tensor(k, w.dims, wq.q));
    const wScale = addInit(`${wName}_scale`, (k) => floatTensor(k, [channels], wq.scale));
    const wZp = addInit(`${wName}_zero_point`, (k) => int8Tensor(k, [channels], new Int8Array(channels)));
    const wOut = fresh(`${wName}_dequantized`);
    before.push(node('DequantizeLinear', [wInt, wScale, wZp], [wOut], fresh(`${wName}_DequantizeLinear_${base}`), [intAttr('axis', qn.weight.axis)]));
    dropped.add(wName);
    n.inputs[qn.weight.input] = wOut;
    let biasClamped = 0;
    if (qn.bias !== undefined) {
      const bName = n.inputs[qn.bias];
      const b = g.initializers.get(bName)!;
      const bq = quantizeBias(bias!, xs, wq.scale);
      biasClamped = bq.clamped;
      const bInt = addInit(`${bName}_quantized`, (k) => int32Tensor(k, b.dims, bq.q));
      const bScale = addInit(`${bName}_scale`, (k) => floatTensor(k, [channels], bq.scale));
      const bZp = addInit(`${bName}_zero_point`, (k) => int32Tensor(k, [channels], new Int32Array(channels)));
      const bOut = fresh(`${bName}_dequantized`);
      before.push(node('DequantizeLinear', [bInt, bScale, bZp], [bOut], fresh(`${bName}_DequantizeLinear_${base}`), [intAttr('axis', 0)]));
      dropped.add(bName);
      n.inputs[qn.bias] = bOut;
    }
    touch(n);
    prelude.set(n, before);
    result.weights.push({ label: qn.label, weightMaxError: wq.maxError, biasClamped });
  }

  // Rebuild the node list: Q after producers (graph inputs first), DQ before each consumer.
  const out: GraphNode[] = [];
  for (const name of realInputs(g)) if (quantized.has(name)) out.push(qNode(name));
  for (const n of g.nodes) {
    out.push(...(prelude.get(n) ?? []));
    const seen = new Map<string, string>();
    n.inputs = n.inputs.map((i) => {
      if (!quantized.has(i) || plan.keepFloat.has(n)) return i;
      const have = seen.get(i);
      if (have) return have;
      const d = dqNode(i, n);
      out.push(d.node);
      seen.set(i, d.out);
      return d.out;
    });
    if (seen.size) touch(n);
    out.push(n);
    for (const o of n.outputs) if (quantized.has(o)) out.push(qNode(o));
  }
  g.nodes = out;
  // FP32 weights nothing reads any more.
  const stillRead = new Set(out.flatMap((n) => n.inputs));
  for (const name of dropped) if (!stillRead.has(name)) g.initializers.delete(name);
  dropGraphInputsFor(g, dropped, stillRead);
  return result;
}

/** IR < 4 models list initializers as graph inputs too; drop the ones whose initializer went. */
function dropGraphInputsFor(g: Graph, dropped: Set<string>, stillRead: Set<string>): void {
  g.inputs = g.inputs.filter((vi) => {
    const name = valueInfoName(vi);
    return !(dropped.has(name) && !stillRead.has(name));
  });
}
