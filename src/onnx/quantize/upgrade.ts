// Opset upgrade to 13, the first opset whose QuantizeLinear/DequantizeLinear take an `axis`
// (per-channel weights). Many exported CNNs (the face models: opset 9) are older. Only the
// operators whose inputs or meaning changed between the model's opset and 13 need rewriting;
// those are listed in CHANGED, each with a converter or, where none is written, a refusal that
// names the node. Every other operator only gained types or optional attributes in that range
// and is kept as it is. quantize.ts runs the upgraded FP32 model against the original before
// quantizing anything, so a converter mistake shows as a numeric difference, not silently.

import { attrFloat, attrInt, attrInts64, withoutAttrs, intAttr } from './attributes.ts';
import { type Graph, type GraphNode, type Model, node, nodeLabel, parseInitializer, touch } from './graph.ts';
import { readFields } from '../protobuf.ts';
import { valueRanks } from './shapes.ts';
import { floatTensor, int64Tensor } from './tensor-data.ts';

export const TARGET_OPSET = 13;
/** IR 7 is the IR version that goes with opset 13 (onnx 1.8). */
const MIN_IR = 7;

export interface UpgradeResult {
  from: number;
  to: number;
  /** One line per rewritten node, e.g. "Slice_152: starts/ends/axes attributes → inputs". */
  changes: string[];
}

interface Ctx {
  g: Graph;
  from: number;
  ranks: Map<string, number>;
  /** Adds an initializer under a fresh name based on `name`; returns the name used. */
  add: (name: string, build: (name: string) => Uint8Array) => string;
  /** Nodes to insert before the one being converted. */
  extra: GraphNode[];
}
type Converter = (n: GraphNode, c: Ctx) => string | undefined;

/** op → the opset that changed it incompatibly, and how to rewrite a node from before it. */
const CHANGED: Record<string, { since: number; convert?: Converter }> = {
  Slice: { since: 10, convert: sliceToInputs },
  TopK: { since: 10, convert: attrToInput('k', 1, 'k') },
  Upsample: { since: 10 },
  Resize: { since: 11 },
  Clip: { since: 11, convert: clipToInputs },
  Pad: { since: 11, convert: padToInputs },
  Dropout: { since: 12, convert: dropoutToIdentity },
  Softmax: { since: 13, convert: softmaxAxis },
  LogSoftmax: { since: 13, convert: softmaxAxis },
  Hardmax: { since: 13, convert: softmaxAxis },
  Squeeze: { since: 13, convert: attrToInput('axes', 1) },
  Unsqueeze: { since: 13, convert: attrToInput('axes', 1) },
  Split: { since: 13, convert: attrToInput('split', 1) },
  ReduceSum: { since: 13, convert: attrToInput('axes', 1) },
  BatchNormalization: { since: 9, convert: (n) => (attrInt(n.attributes, 'spatial') === 0 ? refuse(n, 'spatial=0') : undefined) },
  Scan: { since: 9 },
};

/** Rewrites `m` in place to the default-domain opset 13 (no-op at 13 or above). */
export function upgradeToOpset13(m: Model): UpgradeResult {
  const from = m.opsets.get('') ?? m.opsets.get('ai.onnx') ?? 0;
  const result: UpgradeResult = { from, to: Math.max(from, TARGET_OPSET), changes: [] };
  if (from >= TARGET_OPSET) return result;
  if (from < 7) throw new Error(`opset ${from} is older than edgeserve's upgrader handles (7 and above)`);
  const g = m.graph;
  const taken = new Set([...g.initializers.keys(), ...g.nodes.flatMap((n) => n.outputs)]);
  const ctx: Ctx = {
    g,
    from,
    ranks: valueRanks(g),
    extra: [],
    add(name, build) {
      let unique = name;
      for (let k = 1; taken.has(unique); k++) unique = `${name}_${k}`;
      taken.add(unique);
      g.initializers.set(unique, parseInitializer(build(unique)));
      return unique;
    },
  };
  const nodes: GraphNode[] = [];
  for (const n of g.nodes) {
    if (n.attributes.some(isGraphAttr)) throw new Error(`${nodeLabel(n)} (${n.opType}) has a subgraph; the opset upgrader does not rewrite subgraphs`);
    const rule = n.domain === '' || n.domain === 'ai.onnx' ? CHANGED[n.opType] : undefined;
    ctx.extra = [];
    if (rule && from < rule.since) {
      if (!rule.convert) refuse(n, `changed in opset ${rule.since}`);
      const what = rule.convert!(n, ctx);
      if (what) result.changes.push(`${nodeLabel(n)}: ${what}`);
    }
    nodes.push(...ctx.extra, n);
  }
  g.nodes = nodes;
  m.opsets.delete('ai.onnx');
  m.opsets.set('', TARGET_OPSET);
  m.irVersion = Math.max(m.irVersion, MIN_IR);
  return result;
}

function refuse(n: GraphNode, why: string): never {
  throw new Error(`cannot upgrade ${nodeLabel(n)} (${n.opType}, ${why}) to opset ${TARGET_OPSET}; export the model at opset ${TARGET_OPSET} or later`);
}

function isGraphAttr(a: Uint8Array): boolean {
  // AttributeProto.g (6) or .graphs (11).
  for (const f of readFields(a)) if (f.no === 6 || f.no === 11) return true;
  return false;
}

const base = (n: GraphNode) => n.name || n.outputs[0] || n.opType;

/** An INTS attribute becomes an INT64 input at `slot` (empty inputs before it are padded). */
function attrToInput(attr: string, slot: number, label = attr): Converter {
  return (n, c) => {
    const values = attrInts64(n.attributes, attr);
    if (values === undefined) {
      const one = attrInt(n.attributes, attr); // TopK's k is a single INT
      if (one === undefined) return undefined; // absent: the input is optional too
      return place(n, c, attr, slot, [BigInt(one)], label, [1]);
    }
    return place(n, c, attr, slot, values, label, [values.length]);
  };
}

function place(n: GraphNode, c: Ctx, attr: string, slot: number, values: bigint[], label: string, dims: number[]): string {
  const name = c.add(`${base(n)}_${label}`, (k) => int64Tensor(k, dims, values));
  while (n.inputs.length < slot) n.inputs.push('');
  n.inputs[slot] = name;
  n.attributes = withoutAttrs(n.attributes, attr);
  touch(n);
  return `${attr} attribute → input`;
}

function sliceToInputs(n: GraphNode, c: Ctx): string {
  const starts = attrInts64(n.attributes, 'starts');
  const ends = attrInts64(n.attributes, 'ends');
  if (!starts || !ends) refuse(n, 'no starts/ends');
  const axes = attrInts64(n.attributes, 'axes');
  const b = base(n);
  n.inputs = [
    n.inputs[0],
    c.add(`${b}_starts`, (k) => int64Tensor(k, [starts.length], starts)),
    c.add(`${b}_ends`, (k) => int64Tensor(k, [ends.length], ends)),
  ];
  if (axes) n.inputs.push(c.add(`${b}_axes`, (k) => int64Tensor(k, [axes.length], axes)));
  n.attributes = withoutAttrs(n.attributes, 'starts', 'ends', 'axes');
  touch(n);
  return 'starts/ends/axes attributes → inputs';
}

function clipToInputs(n: GraphNode, c: Ctx): string {
  const min = attrFloat(n.attributes, 'min');
  const max = attrFloat(n.attributes, 'max');
  const b = base(n);
  n.inputs = [
    n.inputs[0],
    min === undefined ? '' : c.add(`${b}_min`, (k) => floatTensor(k, [], Float32Array.of(min))),
    max === undefined ? '' : c.add(`${b}_max`, (k) => floatTensor(k, [], Float32Array.of(max))),
  ];
  while (n.inputs.length > 1 && n.inputs[n.inputs.length - 1] === '') n.inputs.pop();
  n.attributes = withoutAttrs(n.attributes, 'min', 'max');
  touch(n);
  return 'min/max attributes → inputs';
}

function padToInputs(n: GraphNode, c: Ctx): string {
  const pads = attrInts64(n.attributes, 'pads') ?? refuse(n, 'no pads');
  const value = attrFloat(n.attributes, 'value') ?? 0;
  const b = base(n);
  n.inputs = [n.inputs[0], c.add(`${b}_pads`, (k) => int64Tensor(k, [pads.length], pads))];
  if (value !== 0) n.inputs.push(c.add(`${b}_value`, (k) => floatTensor(k, [], Float32Array.of(value))));
  n.attributes = withoutAttrs(n.attributes, 'pads', 'value');
  touch(n);
  return 'pads/value attributes → inputs';
}

function dropoutToIdentity(n: GraphNode, c: Ctx): string {
  // Inference-time Dropout is the identity; the mask output has no consumer in exported graphs.
  const maskUsed = n.outputs[1] && c.g.nodes.some((m) => m.inputs.includes(n.outputs[1]));
  if (maskUsed) refuse(n, 'its mask output is used');
  n.opType = 'Identity';
  n.outputs = [n.outputs[0]];
  n.attributes = [];
  touch(n);
  return 'Dropout (inference: identity) → Identity';
}

/**
 * Before 13, Softmax flattened its input to 2-D at `axis` (default 1) and normalised each row;
 * from 13 it normalises along `axis` (default -1). They agree when `axis` is the last one; when
 * the rank is unknown or the axis is not the last, the old meaning is spelled out as
 * Flatten → Softmax(-1) → Reshape(original shape).
 */
function softmaxAxis(n: GraphNode, c: Ctx): string {
  const axis = attrInt(n.attributes, 'axis') ?? 1;
  const rank = c.ranks.get(n.inputs[0]) ?? c.ranks.get(n.outputs[0]);
  if (axis === -1 || (rank !== undefined && (axis === rank - 1 || axis - rank === -1))) {
    n.attributes = [...withoutAttrs(n.attributes, 'axis'), intAttr('axis', -1)];
    touch(n);
    return `axis ${axis} is the last axis: same meaning at opset 13`;
  }
  const b = base(n);
  const flat = `${b}_flat`;
  const soft = `${b}_2d`;
  const shape = `${b}_shape`;
  c.extra.push(node('Flatten', [n.inputs[0]], [flat], `${b}_flatten`, [intAttr('axis', axis)]));
  c.extra.push(node(n.opType, [flat], [soft], `${b}_rows`, [intAttr('axis', -1)]));
  c.extra.push(node('Shape', [n.inputs[0]], [shape], `${b}_shape_of`));
  n.opType = 'Reshape';
  n.inputs = [soft, shape];
  n.attributes = [];
  touch(n);
  return `axis ${axis} (rank ${rank ?? 'unknown'}): Flatten → ${c.extra[1].opType}(-1) → Reshape`;
}
