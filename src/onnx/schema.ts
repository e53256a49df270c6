// ONNX protobuf field numbers (onnx/onnx.proto) for the messages edgeserve reads or edits, and
// the TensorProto.DataType ⇄ KServe datatype mapping. Only what the readers/writers here use.

import type { Datatype } from '../core/datatypes.ts';

export const MODEL = { IR_VERSION: 1, PRODUCER_NAME: 2, GRAPH: 7, OPSET_IMPORT: 8 } as const;
export const OPSET = { DOMAIN: 1, VERSION: 2 } as const;
export const GRAPH = {
  NODE: 1,
  NAME: 2,
  INITIALIZER: 5,
  INPUT: 11,
  OUTPUT: 12,
  VALUE_INFO: 13,
  SPARSE_INITIALIZER: 15,
} as const;
export const NODE = { INPUT: 1, OUTPUT: 2, NAME: 3, OP_TYPE: 4, ATTRIBUTE: 5, DOMAIN: 7 } as const;
export const ATTRIBUTE = { NAME: 1, INT: 3, TENSOR: 5, INTS: 8, TYPE: 20 } as const;
export const TENSOR = { DIMS: 1, DATA_TYPE: 2, INT64_DATA: 7, NAME: 8, RAW_DATA: 9 } as const;
export const SPARSE_TENSOR = { VALUES: 1 } as const;
export const VALUE_INFO = { NAME: 1, TYPE: 2 } as const;
export const TYPE = { TENSOR_TYPE: 1 } as const;
export const TENSOR_TYPE = { ELEM_TYPE: 1, SHAPE: 2 } as const;
export const SHAPE = { DIM: 1 } as const;
export const DIM = { VALUE: 1, PARAM: 2 } as const;

/** TensorProto.DataType numbers. */
export const ONNX_TYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

const TO_KSERVE: Record<number, Datatype> = {
  1: 'FP32',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'BYTES',
  9: 'BOOL',
  10: 'FP16',
  11: 'FP64',
  12: 'UINT32',
  13: 'UINT64',
  16: 'BF16',
};

/** KServe name for an ONNX elem_type; undefined for types KServe has none for (complex, float8, int4). */
export function kserveType(onnxElemType: number): Datatype | undefined {
  return TO_KSERVE[onnxElemType];
}
