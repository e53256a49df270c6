// Request options and response bodies of the face routes (/v1/faces/*), as zod schemas with
// OpenAPI names: the option schemas validate (through http/params.ts, which reads them strictly
// from the query or the body) and document the query parameters; the response schemas carry
// real examples (astronaut.jpg, checked against the server by test/faces.test.ts).
//
// Options carry `default` and `description` but never `example`: Swagger UI's "Try it out" sends
// an example as if the user had typed it (it fills a parameter with its default too, which is
// the same answer as leaving it out).

import { type RouteConfig, z } from '@hono/zod-openapi';
import { parseBox } from '../image/geometry.ts';
import { DEFAULT_DETECT, DEFAULT_MATCH_THRESHOLD } from '../tasks/faces/service.ts';

type RequestBody = NonNullable<NonNullable<RouteConfig['request']>['body']>;

const unit = (def: number, what: string) => z.number().min(0).max(1).default(def).openapi({ description: what });

export const DetectOptionsSchema = z.object({
  score_threshold: unit(DEFAULT_DETECT.scoreThreshold, 'Minimum face score (0-1)'),
  iou_threshold: unit(DEFAULT_DETECT.iouThreshold, 'Non-maximum suppression IoU (0-1): overlapping boxes above it are merged'),
  max_faces: z.int().min(1).max(1000).default(DEFAULT_DETECT.maxFaces).openapi({ description: 'Most faces returned, best first' }),
  render: z.enum(['png']).optional().openapi({ description: 'png: answer with the image and the boxes drawn on it instead of JSON' }),
});

export const VerifyOptionsSchema = z.object({
  threshold: unit(DEFAULT_MATCH_THRESHOLD, 'Cosine similarity at or above which the two faces are the same person'),
});

const BOX_EXPECTED = 'expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1';

export const EmbedOptionsSchema = z.object({
  // parseBox: the one strict box parser (the KServe `crop` parameter uses it too).
  box: z.string()
    .transform((s, ctx) => {
      try {
        return parseBox(s, 'box');
      } catch {
        ctx.addIssue({ code: 'custom', message: BOX_EXPECTED });
        return z.NEVER;
      }
    })
    .optional()
    .openapi({ type: 'string', description: 'Face box "x1,y1,x2,y2" in image pixels (e.g. 180,62,269,173 on astronaut.jpg); default: the largest detected face' }),
});

const ASTRONAUT_BOX = [179.9, 62.2, 268.6, 173];
const BoxSchema = z.array(z.number()).length(4).openapi('Box', { description: '[x1, y1, x2, y2] in original-image pixels (after EXIF orientation)', example: ASTRONAUT_BOX });
const ImageSizeSchema = z.object({ width: z.number().int(), height: z.number().int() }).openapi('ImageSize', { example: { width: 512, height: 512 } });

export const DetectResponseSchema = z.object({
  faces: z.array(z.object({ box: BoxSchema, score: z.number() }).openapi('Face')),
  image: ImageSizeSchema,
}).openapi('FaceDetectResponse', { example: { faces: [{ box: ASTRONAUT_BOX, score: 1 }], image: { width: 512, height: 512 } } });

/** The first values of astronaut.jpg's embedding (the docs show 8 of the 512). */
export const ASTRONAUT_EMBEDDING_START = [0.01787, 0.00861, -0.005479, -0.075844, 0.009662, -0.004925, -0.001706, -0.013228];

export const EmbedResponseSchema = z.object({
  embedding: z.array(z.number()).openapi({ description: '512 numbers, L2-normalised (the example shows the first 8)' }),
  box: BoxSchema,
  image: ImageSizeSchema,
}).openapi('FaceEmbedResponse', { example: { embedding: ASTRONAUT_EMBEDDING_START, box: ASTRONAUT_BOX, image: { width: 512, height: 512 } } });

export const VerifyResponseSchema = z.object({
  similarity: z.number().openapi({ description: 'Cosine similarity of the two embeddings (-1 to 1)' }),
  match: z.boolean(),
  threshold: z.number(),
  faces: z.array(BoxSchema).length(2).openapi({ description: 'The face used in image1 and in image2' }),
}).openapi('FaceVerifyResponse', {
  description: 'Example: astronaut.jpg against astronaut_exif6.jpg (the same photo, rotated by EXIF)',
  example: { similarity: 0.9984, match: true, threshold: 0.5, faces: [ASTRONAUT_BOX, [179.7, 62.1, 268.8, 173.1]] },
});

/**
 * Body forms, for the docs: the handler reads the body itself (it may be a raw image). Only the
 * image fields are declared: options are query parameters (a declared form field would be
 * pre-filled and sent by Swagger UI). JSON and multipart bodies may still carry options as
 * fields; the route's description says so.
 */
export const imageBodyDoc = (fields: string[]): RequestBody => ({
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object', required: fields,
        properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' }])),
      },
    },
    ...(fields.length === 1 ? { 'image/*': { schema: { type: 'string', format: 'binary' } } } : {}),
    'application/json': {
      schema: {
        type: 'object', required: fields,
        properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', format: 'byte', description: 'base64-encoded JPEG, PNG or WebP (a data: URL prefix is allowed)' }])),
      },
    },
  },
  required: true,
}) as RequestBody;
