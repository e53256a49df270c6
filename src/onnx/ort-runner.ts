// Adapts an onnxruntime module (onnxruntime-node or onnxruntime-web; they share one API) to the
// verify.ts session port. The module is passed in, so importing this file loads no engine.

import type { Datatype, FixedData } from '../core/datatypes.ts';
import type { OpenSession, VerifyTensor } from './verify.ts';

type Ort = Pick<typeof import('onnxruntime-node'), 'InferenceSession' | 'Tensor'>;
type OrtSessionOptions = Parameters<Ort['InferenceSession']['create']>[1];

const ORT_TYPE: Partial<Record<Datatype, string>> = {
  FP32: 'float32',
  FP64: 'float64',
  FP16: 'float16',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  BOOL: 'bool',
};
const FROM_ORT = Object.fromEntries(Object.entries(ORT_TYPE).map(([k, v]) => [v, k])) as Record<string, Datatype>;

export function ortOpener(ort: Ort, options: OrtSessionOptions = {}): OpenSession {
  return async (model) => {
    const session = await ort.InferenceSession.create(model, options as Parameters<Ort['InferenceSession']['create']>[1]);
    return {
      async run(feeds) {
        const ortFeeds: Record<string, InstanceType<Ort['Tensor']>> = {};
        for (const [name, t] of Object.entries(feeds)) {
          const type = ORT_TYPE[t.datatype];
          if (!type) throw new Error(`no onnxruntime type for ${t.datatype}`);
          // BOOL travels as 0/1 bytes on both sides; ORT wants a Uint8Array for it too.
          ortFeeds[name] = new ort.Tensor(type as 'float32', t.data as Float32Array, t.dims);
        }
        const out = await session.run(ortFeeds);
        const result: Record<string, VerifyTensor> = {};
        for (const [name, t] of Object.entries(out)) {
          result[name] = { datatype: FROM_ORT[t.type], data: t.data as FixedData, dims: [...t.dims] };
        }
        return result;
      },
    };
  };
}
