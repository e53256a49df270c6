// KServe v2 inference request body → InferRequest: the JSON form and Triton's binary-data
// extension (a JSON header of Inference-Header-Content-Length bytes, then each input with
// parameters.binary_data_size, in order). Every failure is an INVALID_ARGUMENT EdgeError whose
// message names the tensor, what was expected and what was got.

import type { TensorData } from '../core/datatypes.ts';
import { invalid } from '../core/errors.ts';
import type { InferRequest, RequestedOutput } from '../core/inference.ts';
import type { Parameters, Tensor } from '../core/tensor.ts';
import { checkElementCount, elementCount } from '../core/tensor.ts';
import { binaryToTensorData } from './binary-data.ts';
import { flattenData, hasUnsafeInteger, jsonToTensorData } from './json-data-decode.ts';
import { type InferenceRequestJson, InferenceRequestSchema } from './kserve-schemas.ts';
import { describeValue, formatIssues } from './schema-errors.ts';

export const INFERENCE_HEADER_CONTENT_LENGTH = 'Inference-Header-Content-Length';

export interface DecodeLimits {
  /** Most inputs one request may name (default 1024). */
  maxInputs?: number;
  /** Deepest nesting accepted in JSON `data` (default 64). */
  maxDepth?: number;
  /** Most elements one input tensor may hold (default: no limit beyond the body size). */
  maxElements?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses the Inference-Header-Content-Length header value (absent → undefined: plain JSON body). */
export function parseInferenceHeaderLength(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (!/^\d+$/.test(v)) throw invalid(`${INFERENCE_HEADER_CONTENT_LENGTH} must be a non-negative integer, got ${describeValue(value)}`);
  return Number(v);
}

export function decodeInferRequest(body: Uint8Array, headerLength: number | undefined, limits: DecodeLimits = {}): InferRequest {
  const { maxInputs = 1024, maxDepth = 64, maxElements = Infinity } = limits;
  if (headerLength !== undefined && (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.byteLength)) {
    throw invalid(`${INFERENCE_HEADER_CONTENT_LENGTH} is ${headerLength} but the body is ${body.byteLength} bytes`);
  }
  const jsonBytes = headerLength === undefined ? body : body.subarray(0, headerLength);
  const binary = headerLength === undefined ? undefined : body.subarray(headerLength);
  const text = decodeText(jsonBytes);
  const raw = parseJson(text, headerLength === undefined);

  const parsed = InferenceRequestSchema.safeParse(raw);
  if (!parsed.success) throw invalid(`invalid inference request: ${formatIssues(parsed.error.issues, raw)}`);
  const req = parsed.data;
  if (req.inputs.length > maxInputs) throw invalid(`request has ${req.inputs.length} inputs, more than the limit of ${maxInputs}`);
  checkUnique('input', req.inputs);
  if (req.outputs) checkUnique('output', req.outputs);
  checkBinaryFlags(req);
  restoreExactIntegers(req, text);

  const inputs: Tensor[] = [];
  const binaryInputs: string[] = [];
  let offset = 0;
  for (const inp of req.inputs) {
    const { name, datatype, shape } = inp;
    const count = elementCount(shape);
    if (count > maxElements) throw invalid(`input '${name}': shape [${shape}] has ${count} elements, more than the limit of ${maxElements}`);
    if (inp.parameters?.shared_memory_region !== undefined) {
      throw invalid(`input '${name}': shared memory (parameters.shared_memory_region) is not supported; send "data" or binary data`);
    }
    const size = inp.parameters?.binary_data_size;
    let data: TensorData;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalid(`input '${name}': parameters.binary_data_size must be a non-negative integer, got ${describeValue(size)}`);
      }
      if (inp.data !== undefined) throw invalid(`input '${name}' has both "data" and parameters.binary_data_size; send one`);
      if (binary === undefined) {
        throw invalid(
          `input '${name}' has parameters.binary_data_size ${size} but the request has no binary data (the ${INFERENCE_HEADER_CONTENT_LENGTH} header is missing)`,
        );
      }
      const left = binary.byteLength - offset;
      if (size > left) {
        throw invalid(
          `input '${name}': parameters.binary_data_size is ${size} but only ${left} bytes of binary data remain (binary section ${binary.byteLength} bytes, ${offset} taken by earlier inputs)`,
        );
      }
      data = binaryToTensorData(name, datatype, shape, binary.subarray(offset, offset + size));
      offset += size;
      binaryInputs.push(`'${name}' (${size})`);
    } else {
      if (inp.data === undefined) throw invalid(`input '${name}' has no data: give "data", or parameters.binary_data_size with binary data after the JSON`);
      const flat = flattenData(name, inp.data, maxDepth);
      // Count first: a wrong-sized tensor is reported as such, not by its first bad element.
      checkElementCount({ name, datatype, shape, data: flat as unknown as TensorData });
      data = jsonToTensorData(name, datatype, flat);
    }
    const tensor: Tensor = { name, datatype, shape, data };
    const parameters = withoutKey(inp.parameters, 'binary_data_size');
    if (parameters) tensor.parameters = parameters;
    inputs.push(tensor);
  }
  if (binary !== undefined && offset !== binary.byteLength) {
    const declared = binaryInputs.length
      ? `inputs ${binaryInputs.join(', ')} declare ${offset} bytes in parameters.binary_data_size`
      : 'no input has parameters.binary_data_size';
    throw invalid(
      `request has ${binary.byteLength} bytes of binary data after the ${headerLength}-byte JSON header but ${declared}: ${binary.byteLength - offset} bytes left over`,
    );
  }

  const out: InferRequest = { inputs };
  if (req.id !== undefined) out.id = req.id;
  if (req.parameters !== undefined) out.parameters = req.parameters;
  if (req.outputs !== undefined) out.outputs = req.outputs.map(toRequestedOutput);
  return out;
}

function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw invalid('request JSON is not valid UTF-8');
  }
}

function parseJson(text: string, noHeader: boolean): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // The usual cause of binary garbage after JSON: a binary-extension body without its header.
    const hint = noHeader && text.includes('binary_data_size') ? ` (a body with binary tensor data needs the ${INFERENCE_HEADER_CONTENT_LENGTH} header)` : '';
    throw invalid(`request body is not valid JSON: ${(e as Error).message}${hint}`);
  }
}

function checkUnique(kind: string, items: ReadonlyArray<{ name: string }>): void {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name)) throw invalid(`${kind} '${name}' appears more than once in the request`);
    seen.add(name);
  }
}

/** binary_data / binary_data_output must be real booleans: "false" as a string would read as true. */
function checkBinaryFlags(req: InferenceRequestJson): void {
  const bdo = req.parameters?.binary_data_output;
  if (bdo !== undefined && typeof bdo !== 'boolean') throw invalid(`parameters.binary_data_output must be true or false, got ${describeValue(bdo)}`);
  for (const o of req.outputs ?? []) {
    const bd = o.parameters?.binary_data;
    if (bd !== undefined && typeof bd !== 'boolean')
      throw invalid(`output '${o.name}': parameters.binary_data must be true or false, got ${describeValue(bd)}`);
    if (o.parameters?.shared_memory_region !== undefined) {
      throw invalid(`output '${o.name}': shared memory (parameters.shared_memory_region) is not supported`);
    }
  }
}

/**
 * JSON.parse rounds integers beyond 2^53 to the nearest double. For INT64/UINT64 inputs that hold
 * such values, parse again with a reviver that sees each number's source text (JSON.parse
 * source-text access: Bun, V8) and keep the exact digits as BigInt. Only on that rare path, since
 * a reviver slows parsing of large tensors several times over.
 */
function restoreExactIntegers(req: InferenceRequestJson, text: string): void {
  const wide = req.inputs.filter((i) => (i.datatype === 'INT64' || i.datatype === 'UINT64') && i.data !== undefined && hasUnsafeInteger(i.data));
  if (wide.length === 0) return;
  const exact = JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) => {
    const src = context?.source;
    if (typeof value === 'number' && !Number.isSafeInteger(value) && src !== undefined && /^-?\d+$/.test(src)) return BigInt(src);
    return value;
  }) as { inputs: Array<{ data?: unknown[] }> };
  for (const inp of wide) inp.data = exact.inputs[req.inputs.indexOf(inp)].data;
}

function toRequestedOutput(o: { name: string; parameters?: Parameters }): RequestedOutput {
  return o.parameters === undefined ? { name: o.name } : { name: o.name, parameters: o.parameters };
}

function withoutKey(p: Parameters | undefined, key: string): Parameters | undefined {
  if (p === undefined || !(key in p)) return p;
  const { [key]: _dropped, ...rest } = p;
  return Object.keys(rest).length ? rest : undefined;
}
