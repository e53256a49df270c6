// Tensor contents on the gRPC wire ⇄ the DataPlane's typed arrays. Inputs come either all as
// `raw_input_contents` (what Triton's clients send: little-endian elements, BYTES as 4-byte
// length prefixes) or each as typed `contents`; outputs always go back as `raw_output_contents`,
// as Triton does. Raw input bytes are views into the received message: a fixed-size tensor is
// viewed in place and copied only when its offset is not a multiple of the element size (a typed
// array cannot start there); BYTES elements stay views.

import { create } from '@bufbuild/protobuf';
import { type Datatype, ELEMENT_SIZE, type TensorData, isDatatype } from '../core/datatypes.ts';
import { invalid } from '../core/errors.ts';
import type { Tensor } from '../core/tensor.ts';
import { checkElementCount, elementCount } from '../core/tensor.ts';
import { binaryToTensorData, tensorBytes } from '../protocol/binary-data.ts';
import {
  type InferTensorContents,
  type ModelInferRequest_InferInputTensor,
  type ModelInferResponse_InferOutputTensor,
  ModelInferResponse_InferOutputTensorSchema,
} from './gen/grpc_service_pb.ts';
import { fromInferParameters, toInferParameters } from './parameters.ts';

type ContentsField = Exclude<keyof InferTensorContents, '$typeName' | '$unknown'>;

/** The typed-contents field of each datatype (proto names in messages); FP16/BF16 have none. */
const FIELD: Record<Datatype, ContentsField | undefined> = {
  BOOL: 'boolContents',
  INT8: 'intContents',
  INT16: 'intContents',
  INT32: 'intContents',
  INT64: 'int64Contents',
  UINT8: 'uintContents',
  UINT16: 'uintContents',
  UINT32: 'uintContents',
  UINT64: 'uint64Contents',
  FP32: 'fp32Contents',
  FP64: 'fp64Contents',
  BYTES: 'bytesContents',
  FP16: undefined,
  BF16: undefined,
};
const PROTO_NAME: Record<ContentsField, string> = {
  boolContents: 'bool_contents',
  intContents: 'int_contents',
  int64Contents: 'int64_contents',
  uintContents: 'uint_contents',
  uint64Contents: 'uint64_contents',
  fp32Contents: 'fp32_contents',
  fp64Contents: 'fp64_contents',
  bytesContents: 'bytes_contents',
};
const RANGE: Partial<Record<Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  UINT8: [0, 255],
  UINT16: [0, 65535],
};

/** The request's inputs as tensors; `raw` is ModelInferRequest.raw_input_contents. */
export function decodeInputs(inputs: ModelInferRequest_InferInputTensor[], raw: Uint8Array[]): Tensor[] {
  if (raw.length > 0 && raw.length !== inputs.length) {
    throw invalid(`raw_input_contents has ${raw.length} entries but the request has ${inputs.length} inputs: give one per input, in the order of 'inputs'`);
  }
  return inputs.map((inp, i) => {
    const name = inp.name;
    if (!name) throw invalid(`input ${i} has no name`);
    if (!isDatatype(inp.datatype)) throw invalid(`input '${name}': unknown datatype '${inp.datatype}'`);
    const datatype = inp.datatype;
    const shape = inp.shape.map((d) => {
      const n = Number(d);
      if (!Number.isSafeInteger(n) || n < 0) throw invalid(`input '${name}': shape [${inp.shape.join(',')}] must be non-negative integers`);
      return n;
    });
    const parameters = fromInferParameters(inp.parameters, `input '${name}'`);
    if (parameters?.shared_memory_region !== undefined) {
      throw invalid(`input '${name}': shared memory (parameter shared_memory_region) is not supported; send raw_input_contents or contents`);
    }
    let data: TensorData;
    if (raw.length > 0) {
      if (inp.contents) throw invalid(`input '${name}' has contents, but the request also carries raw_input_contents: use one form for every input`);
      data = fromRaw(name, datatype, shape, raw[i]);
    } else {
      data = fromContents(name, datatype, shape, inp.contents);
    }
    const t: Tensor = { name, datatype, shape, data };
    if (parameters) t.parameters = parameters;
    return t;
  });
}

function fromRaw(name: string, dt: Datatype, shape: number[], bytes: Uint8Array): TensorData {
  if (dt !== 'BYTES') {
    const count = elementCount(shape);
    const want = count * ELEMENT_SIZE[dt];
    if (bytes.byteLength !== want) {
      throw invalid(`input '${name}': ${dt} shape [${shape}] needs ${want} bytes (${count} x ${ELEMENT_SIZE[dt]}), raw_input_contents has ${bytes.byteLength}`);
    }
  }
  return binaryToTensorData(name, dt, shape, bytes);
}

function fromContents(name: string, dt: Datatype, shape: number[], contents: InferTensorContents | undefined): TensorData {
  const field = FIELD[dt];
  if (!field) throw invalid(`input '${name}': ${dt} has no typed contents field; send it in raw_input_contents`);
  for (const f of Object.keys(PROTO_NAME) as ContentsField[]) {
    if (f !== field && contents && contents[f].length > 0) {
      throw invalid(`input '${name}': a ${dt} tensor's values go in contents.${PROTO_NAME[field]}, got contents.${PROTO_NAME[f]}`);
    }
  }
  if (!contents && elementCount(shape) > 0) {
    throw invalid(`input '${name}' has no data: send raw_input_contents for every input, or contents.${PROTO_NAME[field]}`);
  }
  const values = contents ? contents[field] : [];
  const data = typed(name, dt, values as unknown[]);
  checkElementCount({ name, datatype: dt, shape, data });
  return data;
}

function typed(name: string, dt: Datatype, v: unknown[]): TensorData {
  const range = RANGE[dt];
  if (range) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i] as number;
      if (x < range[0] || x > range[1]) throw invalid(`input '${name}': ${dt} element ${i} must be in [${range[0]}, ${range[1]}], got ${x}`);
    }
  }
  switch (dt) {
    case 'BOOL':
      return Uint8Array.from(v as boolean[], (b) => (b ? 1 : 0));
    case 'INT8':
      return Int8Array.from(v as number[]);
    case 'INT16':
      return Int16Array.from(v as number[]);
    case 'INT32':
      return Int32Array.from(v as number[]);
    case 'INT64':
      return BigInt64Array.from(v as bigint[]);
    case 'UINT8':
      return Uint8Array.from(v as number[]);
    case 'UINT16':
      return Uint16Array.from(v as number[]);
    case 'UINT32':
      return Uint32Array.from(v as number[]);
    case 'UINT64':
      return BigUint64Array.from(v as bigint[]);
    case 'FP32':
      return Float32Array.from(v as number[]);
    case 'FP64':
      return Float64Array.from(v as number[]);
    case 'BYTES':
      return v as Uint8Array[];
    default:
      throw invalid(`input '${name}': ${dt} has no typed contents field; send it in raw_input_contents`);
  }
}

/** One output as its tensor message and its raw contents (a view for fixed-size types). */
export function encodeOutput(t: Tensor): { tensor: ModelInferResponse_InferOutputTensor; raw: Uint8Array } {
  const tensor = create(ModelInferResponse_InferOutputTensorSchema, {
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map((d) => BigInt(d)),
    parameters: toInferParameters(t.parameters),
  });
  return { tensor, raw: tensorBytes(t) };
}
