// Which tensor buffers cross the thread boundary by copy and which by transfer. Structured clone
// of a typed array copies its WHOLE backing ArrayBuffer (a 64-byte view into a 30 MB request
// body clones 30 MB), and a transferred buffer is detached for the sender. So:
// - Inputs (main → worker) are copied once into one fresh ArrayBuffer per message and that
//   buffer is transferred. The caller's buffers are never detached: the face pipeline sends the
//   same image bytes to the detector and then to the embedder, and request bodies are views.
// - Outputs (worker → main) belong to the worker and are dead once sent, so a typed array that
//   owns its whole ArrayBuffer is transferred as is (onnxruntime-node's outputs do); views,
//   shared buffers and buffers seen twice are copied first; BYTES elements are packed into one
//   buffer so a thousand strings are one transfer, not a thousand.

import type { FixedData } from '../core/datatypes.ts';
import type { ExecutionBatchResult, ExecutionItem } from '../core/instance.ts';
import type { Tensor } from '../core/tensor.ts';

const ALIGN = 8; // the largest element size: every typed-array view into the pack stays aligned

const align = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

function isBytes(t: Tensor): t is Tensor & { data: Uint8Array[] } {
  return t.datatype === 'BYTES';
}

/** Copies every tensor's data into one new ArrayBuffer; returns tensors viewing it. */
export function packTensors(tensors: readonly Tensor[]): { tensors: Tensor[]; buffer: ArrayBuffer } {
  let size = 0;
  for (const t of tensors) {
    if (isBytes(t)) for (const b of t.data) size += b.byteLength;
    else size = align(size) + (t.data as FixedData).byteLength;
  }
  const buffer = new ArrayBuffer(align(size));
  const bytes = new Uint8Array(buffer);
  let o = 0;
  const out = tensors.map((t): Tensor => {
    if (isBytes(t)) {
      const data = t.data.map((b) => {
        bytes.set(b, o);
        const v = bytes.subarray(o, o + b.byteLength);
        o += b.byteLength;
        return v;
      });
      return { ...t, data };
    }
    const src = t.data as FixedData;
    o = align(o);
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), o);
    const Ctor = src.constructor as new (b: ArrayBuffer, off: number, len: number) => FixedData;
    const data = new Ctor(buffer, o, src.length);
    o += src.byteLength;
    return { ...t, data };
  });
  return { tensors: out, buffer };
}

/** Items with every input copied into one buffer, and the transfer list that moves it. */
export function packItems(items: readonly ExecutionItem[]): { items: ExecutionItem[]; transfer: ArrayBuffer[] } {
  const { tensors, buffer } = packTensors(items.flatMap((it) => it.inputs));
  let k = 0;
  const packed = items.map((it) => ({ ...it, inputs: it.inputs.map(() => tensors[k++]) }));
  return { items: packed, transfer: [buffer] };
}

/** Makes a worker's results transferable (in place) and returns the buffers to transfer. */
export function moveResults(r: ExecutionBatchResult): ArrayBuffer[] {
  const transfer = new Set<ArrayBuffer>();
  for (const res of r.results) {
    if ('error' in res) continue;
    res.outputs = res.outputs.map((t) => {
      if (isBytes(t)) {
        const {
          tensors: [p],
          buffer,
        } = packTensors([t]);
        transfer.add(buffer);
        return p;
      }
      const d = t.data as FixedData;
      const buf = d.buffer;
      const owns = buf instanceof ArrayBuffer && d.byteOffset === 0 && d.byteLength === buf.byteLength;
      if (owns && !transfer.has(buf)) {
        transfer.add(buf);
        return t;
      }
      const copy = d.slice() as FixedData; // a fresh ArrayBuffer of exactly this view
      transfer.add(copy.buffer as ArrayBuffer);
      return { ...t, data: copy };
    });
  }
  return [...transfer];
}
