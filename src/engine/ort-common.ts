// What both onnxruntime packages share: their Tensor/InferenceSession API (onnxruntime-common).
// One adapter turns either package's session into an EngineSession, so the native and WASM
// backends differ only in how they are imported and configured.

import type * as ortTypes from 'onnxruntime-common';
import type { Datatype, TensorData } from '../core/datatypes.ts';
import { internal, invalid } from '../core/errors.ts';
import type { TensorMetadata } from '../core/inference.ts';
import type { Tensor } from '../core/tensor.ts';
import type { EngineSession } from './backend.ts';

type OrtModule = Pick<typeof ortTypes, 'Tensor'>;
type OrtType = ortTypes.Tensor.Type;

const TO_ORT: Partial<Record<Datatype, OrtType>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  INT8: 'int8',
  UINT16: 'uint16',
  INT16: 'int16',
  FP16: 'float16',
  UINT32: 'uint32',
  INT32: 'int32',
  FP32: 'float32',
  UINT64: 'uint64',
  INT64: 'int64',
  FP64: 'float64',
  BYTES: 'string',
};
const FROM_ORT: Record<string, Datatype> = Object.fromEntries(Object.entries(TO_ORT).map(([k, v]) => [v, k as Datatype]));

export function datatypeFromOrt(t: string): Datatype {
  const d = FROM_ORT[t];
  if (!d) throw internal(`onnxruntime type '${t}' has no KServe datatype`);
  return d;
}

const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();

function toOrtTensor(ort: OrtModule, t: Tensor): ortTypes.Tensor {
  const type = TO_ORT[t.datatype];
  if (!type) throw invalid(`input '${t.name}': datatype ${t.datatype} is not supported by onnxruntime`);
  if (t.datatype === 'BYTES') {
    return new ort.Tensor(
      'string',
      (t.data as Uint8Array[]).map((b) => utf8.decode(b)),
      t.shape,
    );
  }
  return new ort.Tensor(type, t.data as never, t.shape);
}

function fromOrtTensor(name: string, v: ortTypes.Tensor): Tensor {
  const datatype = datatypeFromOrt(v.type);
  let data: TensorData;
  if (datatype === 'BYTES') data = (v.data as string[]).map((s) => utf8enc.encode(s));
  // onnxruntime may hand out Float16Array where the runtime has one: keep raw half bits.
  else if (datatype === 'FP16' && !(v.data instanceof Uint16Array)) {
    const d = v.data as unknown as ArrayBufferView;
    data = new Uint16Array(d.buffer, d.byteOffset, d.byteLength / 2);
  } else data = v.data as TensorData;
  return { name, datatype, shape: v.dims.map(Number), data };
}

function metadataOf(list: readonly ortTypes.InferenceSession.ValueMetadata[]): TensorMetadata[] {
  return list.map((m) => {
    if (!m.isTensor) throw internal(`'${m.name}' is not a tensor; only tensor inputs/outputs are served`);
    return {
      name: m.name,
      datatype: datatypeFromOrt(m.type),
      shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
    };
  });
}

export function adaptSession(ort: OrtModule, session: ortTypes.InferenceSession): EngineSession {
  return {
    inputs: metadataOf(session.inputMetadata),
    outputs: metadataOf(session.outputMetadata),
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ortTypes.Tensor> = {};
      for (const f of feeds) ortFeeds[f.name] = toOrtTensor(ort, f);
      let result: ortTypes.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run(ortFeeds, outputNames);
      } catch (e) {
        // Shape/type problems the validator could not know about (e.g. a wrong symbolic dim).
        throw invalid(`onnxruntime rejected the request: ${(e as Error).message}`);
      }
      return outputNames.map((n) => fromOrtTensor(n, result[n] as ortTypes.Tensor));
    },
    release: () => session.release(),
  };
}
