// The KServe schemas accept the spec's examples and generate named, recursive OpenAPI components.

import { describe, expect, test } from 'bun:test';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import {
  ErrorResponseSchema,
  InferenceRequestSchema,
  InferenceResponseSchema,
  ModelMetadataResponseSchema,
  ModelReadyResponseSchema,
  ServerLiveResponseSchema,
  ServerMetadataResponseSchema,
  ServerReadyResponseSchema,
} from './kserve-schemas.ts';

describe('KServe schemas', () => {
  test('accept the spec examples', () => {
    expect(ServerMetadataResponseSchema.parse({ name: 'edgeserve', version: '0.1.0', extensions: ['binary_tensor_data'] })).toBeDefined();
    expect(
      ModelMetadataResponseSchema.parse({
        name: 'face_detect',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 240, 320] }],
        outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 4420, 2] }],
      }),
    ).toBeDefined();
    expect(
      InferenceRequestSchema.parse({
        id: '42',
        inputs: [
          { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
          { name: 'input1', shape: [3], datatype: 'BOOL', data: [true, false, true] },
        ],
        outputs: [{ name: 'output0' }],
      }).inputs,
    ).toHaveLength(2);
    expect(
      InferenceResponseSchema.parse({
        model_name: 'm',
        id: '42',
        outputs: [{ name: 'output0', shape: [3, 2], datatype: 'FP32', data: [1, 1.1, 2, 2.1, 3, 3.1] }],
      }),
    ).toBeDefined();
    expect(ServerLiveResponseSchema.parse({ live: true })).toEqual({ live: true });
    expect(ServerReadyResponseSchema.parse({ ready: true })).toEqual({ ready: true });
    expect(ModelReadyResponseSchema.parse({ name: 'm', ready: false })).toEqual({ name: 'm', ready: false });
    expect(ErrorResponseSchema.safeParse({ error: 1 }).success).toBe(false);
  });

  test('generate named OpenAPI components, TensorData recursive', () => {
    const app = new OpenAPIHono();
    app.openapi(
      createRoute({
        method: 'post',
        path: '/v2/models/{model}/infer',
        request: { body: { content: { 'application/json': { schema: InferenceRequestSchema } } } },
        responses: {
          200: { description: 'ok', content: { 'application/json': { schema: InferenceResponseSchema } } },
          400: { description: 'bad', content: { 'application/json': { schema: ErrorResponseSchema } } },
        },
      }),
      (c) => c.json({ model_name: 'm', outputs: [] }, 200),
    );
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const schemas = doc.components?.schemas ?? {};
    for (const name of [
      'InferenceRequest',
      'InferenceRequestInput',
      'InferenceRequestOutput',
      'InferenceResponse',
      'InferenceResponseOutput',
      'TensorData',
      'Datatype',
      'Parameters',
      'ErrorResponse',
    ]) {
      expect(schemas[name]).toBeDefined();
    }
    expect(JSON.stringify(schemas.TensorData)).toContain('#/components/schemas/TensorData');
    expect((schemas.InferenceRequestInput as { required: string[] }).required).toEqual(['name', 'shape', 'datatype']);
  });
});
