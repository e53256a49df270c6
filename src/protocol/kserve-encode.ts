// InferResponse → KServe v2 response body. Outputs go in JSON (flat `data`, as Triton writes it)
// or, with Triton's binary-data extension, after the JSON header as raw bytes: per output
// `parameters.binary_data`, defaulting to the request's `parameters.binary_data_output`.
// The JSON is assembled as text so big float outputs never become arrays of boxed numbers.

import { invalid } from '../core/errors.ts';
import type { InferResponse, RequestedOutput } from '../core/inference.ts';
import type { Parameters, Tensor } from '../core/tensor.ts';
import { byteSize } from '../core/tensor.ts';
import { writeTensorBytes } from './binary-data.ts';
import { tensorDataToJson } from './json-data-encode.ts';
import { INFERENCE_HEADER_CONTENT_LENGTH } from './kserve-decode.ts';

export const CONTENT_TYPE_JSON = 'application/json';
/** What Triton sends when a response carries binary outputs (extension_binary_data.md). */
export const CONTENT_TYPE_BINARY = 'application/octet-stream';

export interface EncodedResponse {
  /** A string for JSON-only responses; bytes (JSON header + binary outputs) otherwise. */
  body: Uint8Array | string;
  /** Content-Type, plus Inference-Header-Content-Length when binary outputs follow the JSON. */
  headers: Record<string, string>;
}

/** What the encoder needs from the request: the output selection and binary flags, and the id. */
export interface EncodeOptions {
  id?: string;
  outputs?: RequestedOutput[];
  parameters?: Parameters;
}

const utf8 = new TextEncoder();

export function encodeInferResponse(resp: InferResponse, req: EncodeOptions): EncodedResponse {
  const parts: string[] = [];
  const binaries: Tensor[] = [];
  for (const { tensor, binary } of selectOutputs(resp.outputs, req)) {
    let s = `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":${JSON.stringify(tensor.shape)}`;
    const params = binary ? { ...tensor.parameters, binary_data_size: byteSize(tensor) } : tensor.parameters;
    if (params && Object.keys(params).length) s += `,"parameters":${JSON.stringify(params)}`;
    if (binary) binaries.push(tensor);
    else s += `,"data":${tensorDataToJson(tensor)}`;
    parts.push(`${s}}`);
  }
  let json = `{"model_name":${JSON.stringify(resp.model_name)}`;
  if (resp.model_version) json += `,"model_version":${JSON.stringify(resp.model_version)}`;
  const id = resp.id ?? req.id;
  if (id !== undefined) json += `,"id":${JSON.stringify(id)}`;
  if (resp.parameters && Object.keys(resp.parameters).length) json += `,"parameters":${JSON.stringify(resp.parameters)}`;
  json += `,"outputs":[${parts.join(',')}]}`;

  if (binaries.length === 0) return { body: json, headers: { 'Content-Type': CONTENT_TYPE_JSON } };

  // The header value counts UTF-8 bytes, not UTF-16 code units (names may be non-ASCII).
  const header = utf8.encode(json);
  let total = header.byteLength;
  for (const t of binaries) total += byteSize(t);
  const body = new Uint8Array(total);
  body.set(header, 0);
  let offset = header.byteLength;
  for (const t of binaries) offset = writeTensorBytes(t, body, offset);
  return {
    body,
    headers: { 'Content-Type': CONTENT_TYPE_BINARY, [INFERENCE_HEADER_CONTENT_LENGTH]: String(header.byteLength) },
  };
}

/**
 * The outputs to write, in the request's order when it names them (all, in model order,
 * otherwise), each with its binary flag. The DataPlane should already have rejected unknown
 * names; if one still arrives it is the client's mistake to report, not a silent omission.
 */
function selectOutputs(outputs: readonly Tensor[], req: EncodeOptions): Array<{ tensor: Tensor; binary: boolean }> {
  const byDefault = req.parameters?.binary_data_output === true;
  if (!req.outputs || req.outputs.length === 0) return outputs.map((tensor) => ({ tensor, binary: byDefault }));
  return req.outputs.map((o) => {
    const tensor = outputs.find((t) => t.name === o.name);
    if (!tensor) throw invalid(`output '${o.name}' was requested but the model produced only ${outputs.map((t) => `'${t.name}'`).join(', ') || 'no outputs'}`);
    const flag = o.parameters?.binary_data;
    return { tensor, binary: typeof flag === 'boolean' ? flag : byDefault };
  });
}
