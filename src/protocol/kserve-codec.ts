// The KServe v2 REST codec in one import for transports: request body → InferRequest
// (kserve-decode.ts) and InferResponse → response body (kserve-encode.ts), JSON and Triton's
// binary-data extension both. The HTTP layer reads the raw body and the
// Inference-Header-Content-Length header, and writes back the body and headers it is given.

export { type DecodeLimits, INFERENCE_HEADER_CONTENT_LENGTH, decodeInferRequest, parseInferenceHeaderLength } from './kserve-decode.ts';
export { CONTENT_TYPE_BINARY, CONTENT_TYPE_JSON, type EncodeOptions, type EncodedResponse, encodeInferResponse } from './kserve-encode.ts';

/** The `/v2` extensions entry for what this codec implements (Triton's name). */
export const BINARY_DATA_EXTENSION = 'binary_tensor_data';
