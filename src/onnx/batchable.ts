// Makes a model exported with a fixed batch of 1 accept any batch size, by a surgical protobuf
// edit: dim 0 of graph inputs/outputs becomes a symbolic dim_param, and Reshape targets that
// hard-code a leading 1 (e.g. `[1, -1]` before the classifier) become 0 ("copy dim 0 from the
// input"). Everything else is copied byte-for-byte. Whether the result is right is checked by
// running it (verify.ts), not assumed: a graph can hide the batch size in ways no edit sees.

import { encodeDim } from './encode.ts';
import { strings, text } from './fields.ts';
import { initializerNames } from './model-info.ts';
import { editMessages, readFields, spliceFields, toNumber, toText, WIRE, Writer } from './protobuf.ts';
import { leadingOneToZero, reshapeOnlyShapes } from './reshape-targets.ts';
import { ATTRIBUTE, DIM, GRAPH, MODEL, NODE, SHAPE, TENSOR, TENSOR_TYPE, TYPE, VALUE_INFO } from './schema.ts';

export interface BatchEditOptions {
  /** Rewrite Reshape targets `[1, …]` to `[0, …]` (default true). */
  fixReshapes?: boolean;
}
export interface BatchEdit {
  bytes: Uint8Array;
  /** Names whose dim 0 became the dim_param. */
  inputs: string[];
  outputs: string[];
  /** value_info entries whose fixed dim 0 of 1 was made unknown (shape inference fills it in). */
  valueInfo: string[];
  /** Reshape shape tensors (initializers or Constant outputs) whose leading 1 became 0. */
  reshapes: string[];
}

export function makeBatchDimSymbolic(bytes: Uint8Array, dimParam = 'batch', options: BatchEditOptions = {}): Uint8Array {
  return editBatchDim(bytes, dimParam, options).bytes;
}

export function editBatchDim(bytes: Uint8Array, dimParam = 'batch', { fixReshapes = true }: BatchEditOptions = {}): BatchEdit {
  const edit: BatchEdit = { bytes, inputs: [], outputs: [], valueInfo: [], reshapes: [] };
  edit.bytes = editMessages(bytes, MODEL.GRAPH, (graph) => editGraph(graph, dimParam, fixReshapes, edit));
  return edit;
}

function editGraph(graph: Uint8Array, dimParam: string, fixReshapes: boolean, edit: BatchEdit): Uint8Array {
  const constants = initializerNames(graph);
  const shapeTensors = fixReshapes ? reshapeOnlyShapes(graph) : new Set<string>();
  const wrap = (no: number, payload: Uint8Array) => new Writer().bytes(no, payload).finish();
  return spliceFields(graph, (f) => {
    if (f.wire !== WIRE.LEN) return undefined;
    if (f.no === GRAPH.INPUT || f.no === GRAPH.OUTPUT) {
      const name = nameOf(f.bytes);
      if (f.no === GRAPH.INPUT && constants.has(name)) return undefined;
      const next = setDim0(f.bytes, () => dimParam);
      if (next === f.bytes) return undefined;
      (f.no === GRAPH.INPUT ? edit.inputs : edit.outputs).push(name);
      return wrap(f.no, next);
    }
    if (f.no === GRAPH.VALUE_INFO) {
      // A fixed 1 here would contradict the new batch; unknown is always consistent.
      const next = setDim0(f.bytes, (old) => (old === 1 ? null : undefined));
      if (next === f.bytes) return undefined;
      edit.valueInfo.push(nameOf(f.bytes));
      return wrap(f.no, next);
    }
    if (f.no === GRAPH.INITIALIZER && shapeTensors.has(text(f.bytes, TENSOR.NAME))) {
      const next = leadingOneToZero(f.bytes);
      if (next === f.bytes) return undefined;
      edit.reshapes.push(text(f.bytes, TENSOR.NAME));
      return wrap(f.no, next);
    }
    if (f.no === GRAPH.NODE && shapeTensors.size > 0) {
      const out = strings(f.bytes, NODE.OUTPUT)[0];
      if (text(f.bytes, NODE.OP_TYPE) !== 'Constant' || !out || !shapeTensors.has(out)) return undefined;
      const next = editMessages(f.bytes, NODE.ATTRIBUTE, (attr) =>
        text(attr, ATTRIBUTE.NAME) === 'value' ? editMessages(attr, ATTRIBUTE.TENSOR, leadingOneToZero) : attr,
      );
      if (next === f.bytes) return undefined;
      edit.reshapes.push(out);
      return wrap(f.no, next);
    }
    return undefined;
  });
}

/**
 * Rewrites dim 0 of a ValueInfoProto's tensor shape. `to` gets the old dim (number, string or
 * null when unknown) and returns the new one, or undefined to leave it. Rank-0 and unknown-rank
 * values are left alone: they have no batch dimension to free.
 */
function setDim0(vi: Uint8Array, to: (old: number | string | null) => number | string | null | undefined): Uint8Array {
  return editMessages(vi, VALUE_INFO.TYPE, (type) =>
    editMessages(type, TYPE.TENSOR_TYPE, (tt) =>
      editMessages(tt, TENSOR_TYPE.SHAPE, (shape) => {
        let first = true;
        return spliceFields(shape, (f) => {
          if (f.no !== SHAPE.DIM || f.wire !== WIRE.LEN || !first) return undefined;
          first = false;
          const old = dimOf(f.bytes);
          const next = to(old);
          if (next === undefined || next === old) return undefined;
          // Keep the denotation and anything unknown; replace only the value/param oneof.
          const w = new Writer();
          for (const g of readFields(f.bytes)) if (g.no !== DIM.VALUE && g.no !== DIM.PARAM) w.raw(g.raw);
          w.raw(encodeDim(next));
          return new Writer().bytes(SHAPE.DIM, w.finish()).finish();
        });
      }),
    ),
  );
}

function dimOf(dim: Uint8Array): number | string | null {
  let v: number | string | null = null;
  for (const f of readFields(dim)) {
    if (f.no === DIM.VALUE && f.wire === WIRE.VARINT) v = toNumber(f);
    else if (f.no === DIM.PARAM && f.wire === WIRE.LEN) v = toText(f);
  }
  return v;
}

function nameOf(vi: Uint8Array): string {
  return text(vi, VALUE_INFO.NAME);
}
