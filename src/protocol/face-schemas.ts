// Request options and response bodies of the face routes (/v1/faces/*), as zod schemas with
// OpenAPI names: they validate query strings and JSON fields and generate the docs.

import { type RouteConfig, z } from '@hono/zod-openapi';

type RequestBody = NonNullable<NonNullable<RouteConfig['request']>['body']>;

const unit = (def: number, what: string) => z.coerce.number().min(0).max(1).default(def).openapi({ description: what, example: def });

export const DetectOptionsSchema = z.object({
  score_threshold: unit(0.7, 'Minimum face score (0-1)'),
  iou_threshold: unit(0.3, 'Non-maximum suppression IoU (0-1): overlapping boxes above it are merged'),
  max_faces: z.coerce.number().int().min(1).max(1000).default(50).openapi({ description: 'Most faces returned, best first', example: 50 }),
  render: z.enum(['png']).optional().openapi({ description: 'png: answer with the image and the boxes drawn on it instead of JSON' }),
});

export const VerifyOptionsSchema = z.object({
  threshold: unit(0.5, 'Cosine similarity at or above which the two faces are the same person'),
});

export const EmbedOptionsSchema = z.object({
  box: z.string().regex(/^\s*-?[0-9.]+\s*(,\s*-?[0-9.]+\s*){3}$/, 'must be "x1,y1,x2,y2"').optional()
    .openapi({ description: 'Face box "x1,y1,x2,y2" in image pixels; default: the largest detected face', example: '120,60,300,280' }),
});

const BoxSchema = z.array(z.number()).length(4).openapi('Box', { description: '[x1, y1, x2, y2] in original-image pixels (after EXIF orientation)', example: [164.2, 46.1, 301.7, 220.4] });
const ImageSizeSchema = z.object({ width: z.number().int(), height: z.number().int() }).openapi('ImageSize');

export const DetectResponseSchema = z.object({
  faces: z.array(z.object({ box: BoxSchema, score: z.number() }).openapi('Face')),
  image: ImageSizeSchema,
}).openapi('FaceDetectResponse');

export const EmbedResponseSchema = z.object({
  embedding: z.array(z.number()).openapi({ description: '512 numbers, L2-normalised' }),
  box: BoxSchema,
  image: ImageSizeSchema,
}).openapi('FaceEmbedResponse');

export const VerifyResponseSchema = z.object({
  similarity: z.number().openapi({ description: 'Cosine similarity of the two embeddings (-1 to 1)' }),
  match: z.boolean(),
  threshold: z.number(),
  faces: z.array(BoxSchema).length(2).openapi({ description: 'The face used in image1 and in image2' }),
}).openapi('FaceVerifyResponse');

/** Body forms, for the docs: the handler reads the body itself (it may be a raw image). */
export const imageBodyDoc = (fields: string[], options: Record<string, unknown> = {}): RequestBody => ({
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object', required: fields,
        properties: { ...Object.fromEntries(fields.map((f) => [f, { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' }])), ...options },
      },
    },
    ...(fields.length === 1 ? { 'image/*': { schema: { type: 'string', format: 'binary' } } } : {}),
    'application/json': {
      schema: {
        type: 'object', required: fields,
        properties: { ...Object.fromEntries(fields.map((f) => [f, { type: 'string', format: 'byte', description: 'base64-encoded JPEG, PNG or WebP' }])), ...options },
      },
    },
  },
  required: true,
}) as RequestBody;
