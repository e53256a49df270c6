// KServe v2 / Open Inference Protocol REST bodies as zod schemas with OpenAPI names: the one
// source of both request validation and the generated OpenAPI document. Field names and shapes
// follow kserve/open-inference-protocol inference_rest.md; the Triton binary-data extension
// parameters (binary_data_size, binary_data, binary_data_output) are described where they apply.

import { z } from '@hono/zod-openapi';
import { DATATYPES } from '../core/datatypes.ts';

export const DatatypeSchema = z
  .enum(DATATYPES, { error: `must be one of ${DATATYPES.join(', ')}` })
  .openapi('Datatype', { description: 'Tensor element type (KServe v2 names).', example: 'FP32' });

/** Parameter values are scalars only (KServe `$parameters`). */
export const ParametersSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }))
  .openapi('Parameters', { description: 'Key/value parameters (string, number or boolean values).' });

/**
 * Tensor data: flat row-major or nested arrays of numbers, booleans (BOOL) or UTF-8 strings (BYTES).
 * Deliberately validated only as "an array" here: a zod check per element costs ~10 ms for a
 * 230k-element image tensor, and the codec checks every element anyway while converting it to
 * a typed array (with messages that name the tensor). The OpenAPI shape is written by hand
 * because it is recursive.
 */
export const TensorDataSchema = z
  .custom<unknown[]>((v) => Array.isArray(v), { error: 'must be an array (flat or nested) of numbers, booleans or strings' })
  .openapi('TensorData', {
    type: 'array',
    items: {
      oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string' }, { $ref: '#/components/schemas/TensorData' }],
    },
    description:
      'Row-major tensor contents, flat or nested. Numbers for numeric types (FP16/BF16 as plain numbers; ' +
      'INT64/UINT64 also as decimal strings for values beyond 2^53), true/false for BOOL, UTF-8 strings for BYTES.',
    example: [1, 2, 3, 4],
  });

const Shape = z.array(z.number().int().min(0)).openapi({ description: 'Tensor shape; the element count must match the data.', example: [1, 4] });
const MetadataShape = z.array(z.number().int().min(-1)).openapi({ description: 'Variable-size dimensions are -1.', example: [-1, 3, 240, 320] });

export const RequestInputSchema = z
  .object({
    name: z.string().min(1),
    shape: Shape,
    datatype: DatatypeSchema,
    parameters: ParametersSchema.optional().openapi({
      description: 'binary_data_size (Triton binary extension): the byte size of this input in the binary section; then "data" is left out.',
    }),
    data: TensorDataSchema.optional(),
  })
  .openapi('InferenceRequestInput');

export const RequestOutputSchema = z
  .object({
    name: z.string().min(1),
    parameters: ParametersSchema.optional().openapi({
      description: 'binary_data (Triton binary extension): true to return this output as binary after the JSON header.',
    }),
  })
  .openapi('InferenceRequestOutput');

export const InferenceRequestSchema = z
  .object({
    id: z.string().optional(),
    parameters: ParametersSchema.optional().openapi({
      description: 'binary_data_output (Triton binary extension): true to return every output as binary unless an output says otherwise.',
    }),
    inputs: z.array(RequestInputSchema),
    outputs: z.array(RequestOutputSchema).optional(),
  })
  .openapi('InferenceRequest');
export type InferenceRequestJson = z.infer<typeof InferenceRequestSchema>;

export const ResponseOutputSchema = z
  .object({
    name: z.string(),
    datatype: DatatypeSchema,
    shape: z.array(z.number().int()),
    parameters: ParametersSchema.optional().openapi({
      description: 'binary_data_size: present when the output is in the binary section instead of "data".',
    }),
    data: TensorDataSchema.optional(),
  })
  .openapi('InferenceResponseOutput');

export const InferenceResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    parameters: ParametersSchema.optional(),
    outputs: z.array(ResponseOutputSchema),
  })
  .openapi('InferenceResponse');

export const TensorMetadataSchema = z.object({ name: z.string(), datatype: DatatypeSchema, shape: MetadataShape }).openapi('TensorMetadata');

export const ModelMetadataResponseSchema = z
  .object({
    name: z.string(),
    versions: z.array(z.string()).optional(),
    platform: z.string(),
    inputs: z.array(TensorMetadataSchema),
    outputs: z.array(TensorMetadataSchema),
  })
  .openapi('ModelMetadataResponse');

export const ServerMetadataResponseSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    extensions: z.array(z.string()),
  })
  .openapi('ServerMetadataResponse', { example: { name: 'edgeserve', version: '0.1.0', extensions: ['binary_tensor_data'] } });

export const ServerLiveResponseSchema = z.object({ live: z.boolean() }).openapi('ServerLiveResponse');
export const ServerReadyResponseSchema = z.object({ ready: z.boolean() }).openapi('ServerReadyResponse');
export const ModelReadyResponseSchema = z.object({ name: z.string(), ready: z.boolean() }).openapi('ModelReadyResponse');

export const ErrorResponseSchema = z
  .object({ error: z.string() })
  .openapi('ErrorResponse', { example: { error: "input 'INPUT0': shape [1,16] needs 16 elements (64 bytes), got 15" } });
