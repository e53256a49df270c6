// Which nodes run in int8 and which tensors get a QuantizeLinear/DequantizeLinear pair: the
// layout ONNX Runtime's QDQ transformers fuse into int8 kernels (QLinearConv, QLinearMatMul,
// QGemm, and QLinearAdd / QLinearConcat where every input and the output are quantized).
//
// - Conv, Gemm and MatMul with an FP32 initializer as weight are quantized (unless excluded):
//   the weight per output channel (symmetric int8), the activation input per tensor (uint8).
// - Their output is quantized too: that Q is what lets ORT emit an int8 kernel. A Conv whose
//   only consumer is a Relu has the Relu's output quantized instead, with a range starting at 0,
//   which ORT recognises as "the Relu is implied by the Q" and drops the Relu.
// - Graph outputs are never quantized (a client gets FP32 as before).
// Ops between quantized tensors that have no int8 kernel (PRelu, Mul by a constant, Softmax…)
// simply run in FP32 between a DequantizeLinear and a QuantizeLinear.

import { consumers, type Graph, type GraphNode, nodeLabel, realInputs, valueInfoName } from './graph.ts';
import { attrInt } from './attributes.ts';
import { ONNX_TYPE } from '../schema.ts';

export const WEIGHT_OPS = ['Conv', 'Gemm', 'MatMul'] as const;

export interface QuantNode {
  node: GraphNode;
  label: string;
  /** Index of the weight input, and the weight axis that carries the output channels. */
  weight: { input: number; axis: number };
  /** Index of the bias input (Conv's B, Gemm's C) when it can be quantized to int32. */
  bias?: number;
}

export interface Plan {
  nodes: QuantNode[];
  /** Activation tensors to quantize, in graph order; `nonNegative` for implied Relus. */
  tensors: Array<{ name: string; nonNegative: boolean }>;
  /** Weight ops left in FP32, with the reason. */
  skipped: Array<{ label: string; op: string; why: string }>;
  /**
   * Excluded nodes: they read their inputs in FP32, not through a DequantizeLinear. (ORT
   * quantizes the FP32 weight of a Conv that sits between a DQ and a Q by itself, so an
   * excluded node must not sit between them.)
   */
  keepFloat: Set<GraphNode>;
}

export interface PlanOptions {
  /** Node names (or names of a node's output tensors) to leave in FP32. */
  exclude?: string[];
}

export function planQuantization(g: Graph, o: PlanOptions = {}): Plan {
  const excluded = new Set(o.exclude ?? []);
  const uses = consumers(g);
  const graphOutputs = new Set(g.outputs.map(valueInfoName));
  const plan: Plan = { nodes: [], tensors: [], skipped: [], keepFloat: new Set() };
  const marked = new Map<string, boolean>();
  const mark = (name: string, nonNegative: boolean) => {
    if (!graphOutputs.has(name) && !g.initializers.has(name) && !marked.has(name)) marked.set(name, nonNegative);
  };

  for (const n of g.nodes) {
    if (!(WEIGHT_OPS as readonly string[]).includes(n.opType) || n.domain !== '') continue;
    const label = nodeLabel(n);
    if (excluded.has(label) || excluded.has(n.name) || n.outputs.some((t) => excluded.has(t))) {
      plan.skipped.push({ label, op: n.opType, why: 'excluded' });
      plan.keepFloat.add(n);
      continue;
    }
    const q = weightSlot(n, g);
    if (typeof q === 'string') {
      plan.skipped.push({ label, op: n.opType, why: q });
      continue;
    }
    if (g.initializers.has(n.inputs[0]) || graphOutputs.has(n.inputs[0])) {
      plan.skipped.push({ label, op: n.opType, why: 'its input is a constant or a graph output' });
      continue;
    }
    plan.nodes.push({ node: n, label, ...q });
    mark(n.inputs[0], false);
    const out = n.outputs[0];
    const next = uses.get(out) ?? [];
    if (next.length === 1 && next[0].opType === 'Relu' && !graphOutputs.has(out)) mark(next[0].outputs[0], true);
    else mark(out, false);
  }
  // Graph order (producer order), so the plan and the bytes it leads to are deterministic.
  const order = new Map<string, number>();
  for (const [i, name] of realInputs(g).entries()) order.set(name, -1 - i);
  for (const [i, n] of g.nodes.entries()) for (const t of n.outputs) order.set(t, i);
  plan.tensors = [...marked]
    .sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0) || (a < b ? -1 : 1))
    .map(([name, nonNegative]) => ({ name, nonNegative }));
  return plan;
}

/** Where the weight (and bias) of a weight op sit, or why the op stays in FP32. */
function weightSlot(n: GraphNode, g: Graph): Omit<QuantNode, 'node' | 'label'> | string {
  const w = g.initializers.get(n.inputs[1]);
  if (!w) return 'weight is not a constant initializer';
  if (w.dataType !== ONNX_TYPE.FLOAT) return `weight is data_type ${w.dataType}, not FLOAT`;
  const fp32Bias = (i: number) => {
    const b = n.inputs[i] ? g.initializers.get(n.inputs[i]) : undefined;
    return b && b.dataType === ONNX_TYPE.FLOAT ? b : undefined;
  };
  if (n.opType === 'Conv') {
    if (w.dims.length < 3) return `Conv weight has rank ${w.dims.length}`;
    if (n.inputs[2] && !fp32Bias(2)) return 'bias is not an FP32 initializer';
    return { weight: { input: 1, axis: 0 }, ...(n.inputs[2] ? { bias: 2 } : {}) };
  }
  if (n.opType === 'Gemm') {
    if (w.dims.length !== 2) return `Gemm weight has rank ${w.dims.length}`;
    if ((attrInt(n.attributes, 'transA') ?? 0) !== 0) return 'transA=1';
    const axis = (attrInt(n.attributes, 'transB') ?? 0) === 1 ? 0 : 1;
    const c = n.inputs[2] ? fp32Bias(2) : undefined;
    if (n.inputs[2] && !c) return 'C is not an FP32 initializer';
    // An int32 C needs one value per output column; a full [M, N] C stays FP32 and blocks fusion.
    if (c && !(c.dims.length === 1 && c.dims[0] === w.dims[axis])) return `C has dims [${c.dims}], not [${w.dims[axis]}]`;
    return { weight: { input: 1, axis }, ...(c ? { bias: 2 } : {}) };
  }
  // MatMul: B is [K, N] (or batched […, K, N]); per output column = the last axis.
  if (w.dims.length !== 2) return `MatMul weight has rank ${w.dims.length} (only 2-D weights are quantized)`;
  return { weight: { input: 1, axis: 1 } };
}
