// Codec timings on the face detector's tensors: input [1,3,240,320] FP32 (decode) and outputs
// scores [1,4420,2] + boxes [1,4420,4] FP32 (encode), JSON vs binary, plus the naive
// JSON.stringify baseline the text encoder replaces. Run: bun src/protocol/codec.bench.ts

import type { InferResponse } from '../core/inference.ts';
import { decodeInferRequest, encodeInferResponse } from './kserve-codec.ts';

function time(label: string, fn: () => unknown, iterations = 200): void {
  for (let i = 0; i < 20; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ms = (performance.now() - t0) / iterations;
  console.log(`${label.padEnd(52)} ${ms.toFixed(3)} ms`);
}

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random());
const resp: InferResponse = {
  model_name: 'face_detect',
  model_version: '1',
  outputs: [
    { name: 'scores', datatype: 'FP32', shape: [1, 4420, 2], data: rand(8840) },
    { name: 'boxes', datatype: 'FP32', shape: [1, 4420, 4], data: rand(17680) },
  ],
};

const json = encodeInferResponse(resp, {});
const bin = encodeInferResponse(resp, { parameters: { binary_data_output: true } });
console.log(`response sizes: JSON ${(json.body as string).length} chars, binary ${(bin.body as Uint8Array).byteLength} bytes`);
time('encode outputs, JSON', () => encodeInferResponse(resp, {}));
time('encode outputs, JSON.stringify(Array.from) baseline', () =>
  JSON.stringify({ outputs: resp.outputs.map((o) => ({ ...o, data: Array.from(o.data as Float32Array) })) }),
);
time('encode outputs, binary', () => encodeInferResponse(resp, { parameters: { binary_data_output: true } }));

const image = rand(3 * 240 * 320);
const enc = new TextEncoder();
const jsonReq = enc.encode(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3, 240, 320], datatype: 'FP32', data: Array.from(image) }] }));
const nestedReq = enc.encode(
  JSON.stringify({
    inputs: [
      {
        name: 'input',
        shape: [1, 3, 240, 320],
        datatype: 'FP32',
        data: [
          Array.from({ length: 3 }, (_, c) => Array.from({ length: 240 }, (_, y) => Array.from(image.subarray((c * 240 + y) * 320, (c * 240 + y + 1) * 320)))),
        ],
      },
    ],
  }),
);
const head = enc.encode(
  JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3, 240, 320], datatype: 'FP32', parameters: { binary_data_size: image.byteLength } }] }),
);
const binReq = new Uint8Array(head.byteLength + image.byteLength);
binReq.set(head);
binReq.set(new Uint8Array(image.buffer), head.byteLength);
console.log(`request sizes: JSON ${jsonReq.byteLength} bytes, binary ${binReq.byteLength} bytes`);
time('decode input [1,3,240,320], JSON flat', () => decodeInferRequest(jsonReq, undefined), 50);
time('decode input [1,3,240,320], JSON nested', () => decodeInferRequest(nestedReq, undefined), 50);
time('decode input [1,3,240,320], binary', () => decodeInferRequest(binReq, head.byteLength), 2000);

// The detector outputs sent back in as request inputs (e.g. to a post-processing model).
const outText = (json.body as string).replace('"outputs":', '"inputs":');
const outJson = enc.encode(outText);
const binBody = bin.body as Uint8Array;
const binHeadLen = Number(bin.headers['Inference-Header-Content-Length']);
const outHead = enc.encode(new TextDecoder().decode(binBody.subarray(0, binHeadLen)).replace('"outputs":', '"inputs":'));
const outBin = new Uint8Array(outHead.byteLength + binBody.byteLength - binHeadLen);
outBin.set(outHead);
outBin.set(binBody.subarray(binHeadLen), outHead.byteLength);
time('decode scores+boxes as inputs, JSON', () => decodeInferRequest(outJson, undefined));
time('decode scores+boxes as inputs, binary', () => decodeInferRequest(outBin, outHead.byteLength), 2000);
