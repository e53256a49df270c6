// An editable view of an ONNX model for graph rewrites (the quantizer, the opset upgrader):
// nodes as plain objects, initializers by name, everything else kept as the encoded fields it
// came in, so a rewrite changes only what it means to. Encoding is deterministic: the same
// model and the same edits give the same bytes (the derived-model sha256 relies on it).
// Hand-written on the project's own protobuf reader (../protobuf.ts) rather than a generated
// ONNX binding: no dependency, and it runs everywhere the server does.

import { lastField, messages, strings, text } from '../fields.ts';
import { readFields, repeatedInts, toNumber, WIRE, Writer } from '../protobuf.ts';
import { GRAPH, MODEL, NODE, OPSET, TENSOR, VALUE_INFO } from '../schema.ts';

export interface GraphNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** AttributeProto payloads, as read or as built by attributes.ts. */
  attributes: Uint8Array[];
  /** The node's encoded bytes when it is unchanged since parsing (copied through as is). */
  raw?: Uint8Array;
}

export interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  /** The TensorProto payload. */
  proto: Uint8Array;
}

export interface Graph {
  nodes: GraphNode[];
  /** In file order; new initializers are appended. */
  initializers: Map<string, Initializer>;
  /** ValueInfoProto payloads. */
  inputs: Uint8Array[];
  outputs: Uint8Array[];
  valueInfo: Uint8Array[];
  /** Encoded graph fields this module does not model (name, doc_string, sparse initializers…). */
  other: Uint8Array[];
}

export interface Model {
  irVersion: number;
  /** domain → version; '' is the default ONNX domain. */
  opsets: Map<string, number>;
  graph: Graph;
  /** Encoded model fields other than ir_version, opset_import and graph. */
  other: Uint8Array[];
}

export function parseModel(bytes: Uint8Array): Model {
  let irVersion = 0;
  let graphBytes: Uint8Array | undefined;
  const opsets = new Map<string, number>();
  const other: Uint8Array[] = [];
  for (const f of readFields(bytes)) {
    if (f.no === MODEL.IR_VERSION && f.wire === WIRE.VARINT) irVersion = toNumber(f);
    else if (f.no === MODEL.GRAPH && f.wire === WIRE.LEN) graphBytes = f.bytes;
    else if (f.no === MODEL.OPSET_IMPORT && f.wire === WIRE.LEN) {
      const v = lastField(f.bytes, OPSET.VERSION);
      opsets.set(text(f.bytes, OPSET.DOMAIN), v ? toNumber(v) : 0);
    } else other.push(f.raw);
  }
  if (!graphBytes) throw new Error('ONNX model has no graph (is this an ONNX file?)');
  return { irVersion, opsets, graph: parseGraph(graphBytes), other };
}

function parseGraph(bytes: Uint8Array): Graph {
  const g: Graph = { nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [], other: [] };
  for (const f of readFields(bytes)) {
    if (f.wire !== WIRE.LEN) {
      g.other.push(f.raw);
      continue;
    }
    switch (f.no) {
      case GRAPH.NODE:
        g.nodes.push(parseNode(f.bytes));
        break;
      case GRAPH.INITIALIZER: {
        const init = parseInitializer(f.bytes);
        g.initializers.set(init.name, init);
        break;
      }
      case GRAPH.INPUT:
        g.inputs.push(f.bytes);
        break;
      case GRAPH.OUTPUT:
        g.outputs.push(f.bytes);
        break;
      case GRAPH.VALUE_INFO:
        g.valueInfo.push(f.bytes);
        break;
      default:
        g.other.push(f.raw);
    }
  }
  return g;
}

function parseNode(bytes: Uint8Array): GraphNode {
  return {
    name: text(bytes, NODE.NAME),
    opType: text(bytes, NODE.OP_TYPE),
    domain: text(bytes, NODE.DOMAIN),
    inputs: strings(bytes, NODE.INPUT),
    outputs: strings(bytes, NODE.OUTPUT),
    attributes: messages(bytes, NODE.ATTRIBUTE),
    raw: bytes,
  };
}

export function parseInitializer(proto: Uint8Array): Initializer {
  const dims: number[] = [];
  let dataType = 0;
  for (const f of readFields(proto)) {
    if (f.no === TENSOR.DIMS) for (const d of repeatedInts(f)) dims.push(Number(d));
    else if (f.no === TENSOR.DATA_TYPE && f.wire === WIRE.VARINT) dataType = toNumber(f);
  }
  return { name: text(proto, TENSOR.NAME), dims, dataType, proto };
}

/** A node built by a rewrite (no raw bytes: it is encoded from its fields). */
export function node(opType: string, inputs: string[], outputs: string[], name: string, attributes: Uint8Array[] = [], domain = ''): GraphNode {
  return { name, opType, domain, inputs, outputs, attributes };
}

export function encodeModel(m: Model): Uint8Array {
  const w = new Writer().varint(MODEL.IR_VERSION, m.irVersion);
  for (const raw of m.other) w.raw(raw);
  w.message(MODEL.GRAPH, encodeGraph(m.graph));
  // Sorted by domain so that the same opsets always encode the same way.
  for (const [domain, version] of [...m.opsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    w.message(MODEL.OPSET_IMPORT, (o) => o.string(OPSET.DOMAIN, domain).varint(OPSET.VERSION, version));
  }
  return w.finish();
}

function encodeGraph(g: Graph): Uint8Array {
  const w = new Writer();
  for (const n of g.nodes) w.message(GRAPH.NODE, n.raw ?? encodeNode(n));
  for (const raw of g.other) w.raw(raw);
  for (const init of g.initializers.values()) w.message(GRAPH.INITIALIZER, init.proto);
  for (const vi of g.inputs) w.message(GRAPH.INPUT, vi);
  for (const vi of g.outputs) w.message(GRAPH.OUTPUT, vi);
  for (const vi of g.valueInfo) w.message(GRAPH.VALUE_INFO, vi);
  return w.finish();
}

function encodeNode(n: GraphNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(NODE.INPUT, i);
  for (const o of n.outputs) w.string(NODE.OUTPUT, o);
  if (n.name) w.string(NODE.NAME, n.name);
  w.string(NODE.OP_TYPE, n.opType);
  for (const a of n.attributes) w.message(NODE.ATTRIBUTE, a);
  if (n.domain) w.string(NODE.DOMAIN, n.domain);
  return w.finish();
}

/** Marks a node as edited, so it is re-encoded from its fields. */
export function touch(n: GraphNode): GraphNode {
  delete n.raw;
  return n;
}

export const valueInfoName = (vi: Uint8Array) => text(vi, VALUE_INFO.NAME);

/** A stable label for a node in reports and exclusion lists: its name, else op(first output). */
export function nodeLabel(n: GraphNode): string {
  return n.name || `${n.opType}(${n.outputs[0] ?? ''})`;
}

/** name → the nodes reading it (a node reading a name twice is listed once). */
export function consumers(g: Graph): Map<string, GraphNode[]> {
  const m = new Map<string, GraphNode[]>();
  for (const n of g.nodes) {
    for (const i of new Set(n.inputs)) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

/** name → the node producing it. */
export function producers(g: Graph): Map<string, GraphNode> {
  const m = new Map<string, GraphNode>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Graph inputs that are not initializers (IR < 4 lists weights as inputs too). */
export function realInputs(g: Graph): string[] {
  return g.inputs.map(valueInfoName).filter((n) => !g.initializers.has(n));
}
