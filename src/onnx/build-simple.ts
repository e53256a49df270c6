// Generates Triton's quickstart "simple" model as ONNX, so the repository's `simple/` example
// and Triton client examples work without shipping a binary or needing Python's onnx package.
// OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1; INT32 tensors of shape [batch, 16].

import { encodeNode, encodeOpset, encodeValueInfo } from './encode.ts';
import { Writer } from './protobuf.ts';
import { GRAPH, MODEL, ONNX_TYPE } from './schema.ts';

/** IR 8 / opset 13: old enough for every onnxruntime release edgeserve supports, new enough to be current. */
export const SIMPLE_IR_VERSION = 8;
export const SIMPLE_OPSET = 13;

export function buildSimpleModel(): Uint8Array {
  const shape = ['batch', 16];
  const graph = new Writer()
    .message(GRAPH.NODE, encodeNode('Add', ['INPUT0', 'INPUT1'], ['OUTPUT0'], 'add'))
    .message(GRAPH.NODE, encodeNode('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1'], 'sub'))
    .string(GRAPH.NAME, 'simple')
    .message(GRAPH.INPUT, encodeValueInfo('INPUT0', ONNX_TYPE.INT32, shape))
    .message(GRAPH.INPUT, encodeValueInfo('INPUT1', ONNX_TYPE.INT32, shape))
    .message(GRAPH.OUTPUT, encodeValueInfo('OUTPUT0', ONNX_TYPE.INT32, shape))
    .message(GRAPH.OUTPUT, encodeValueInfo('OUTPUT1', ONNX_TYPE.INT32, shape))
    .finish();
  return new Writer()
    .varint(MODEL.IR_VERSION, SIMPLE_IR_VERSION)
    .string(MODEL.PRODUCER_NAME, 'edgeserve')
    .message(MODEL.GRAPH, graph)
    .message(MODEL.OPSET_IMPORT, encodeOpset('', SIMPLE_OPSET))
    .finish();
}
