// Request options and response bodies of the face routes (/v1/faces/*), as zod schemas with
// OpenAPI names: the option schemas validate (through http/params.ts, which reads them strictly
// from the query or the body) and document the query parameters; the response schemas carry
// real examples (face-examples.ts: astronaut.jpg, checked against the server by
// test/faces.test.ts).
//
// Options carry `default` and `description` but never `example`: Swagger UI's "Try it out" sends
// an example as if the user had typed it (it fills a parameter with its default too, which is
// the same answer as leaving it out).

import { type RouteConfig, z } from '@hono/zod-openapi';
import { parseBox } from '../image/geometry.ts';
import { DEFAULT_DETECT, DEFAULT_MATCH_THRESHOLD } from '../tasks/faces/service.ts';
import { EXAMPLES } from './face-examples.ts';

type RequestBody = NonNullable<NonNullable<RouteConfig['request']>['body']>;

const unit = (def: number, what: string) => z.number().min(0).max(1).default(def).openapi({ description: what });

export const LIVENESS_NOTE =
  'A passive single-image check (fr_liveness): it scores how much one photo looks like a live face rather than a print or a screen. It cannot see motion, depth or a mask, and its scores are not calibrated: choose the threshold on genuine and spoof captures from your own cameras and users before you rely on it.';

const liveness = z
  .boolean()
  .default(false)
  .openapi({ description: `true: also return the liveness score (0-1) of each analysed face. ${LIVENESS_NOTE}` });

export const EYES_NOTE =
  "fr_eye, per eye: a square around the eye located by the 68 landmarks, 24x24 gray. `left` is the eye on the image's left (the subject's right eye), `right` the other. Not calibrated, and sensitive to where its crop falls (a few pixels can turn an open eye's score from 1 to 0, most on small or turned faces and on an eye hidden from view): choose any threshold on your own captures (the enrolment gate's is config.json face.quality.min_eye_open).";

const BOX_EXPECTED = 'expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1';

/** A face box option ("x1,y1,x2,y2"), through parseBox: the one strict box parser (the KServe
 *  `crop` parameter uses it too). */
const boxOption = (description: string) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return parseBox(s, 'box');
      } catch {
        ctx.addIssue({ code: 'custom', message: BOX_EXPECTED });
        return z.NEVER;
      }
    })
    .optional()
    .openapi({ type: 'string', description });

const WHICH_FACE =
  'default: the chosen face (the best-scoring detection; among detections within 0.05 of the best score, the largest), so a large false detection never wins over a clearly better face';

export const DetectOptionsSchema = z.object({
  score_threshold: unit(DEFAULT_DETECT.scoreThreshold, 'Minimum face score (0-1)'),
  iou_threshold: unit(DEFAULT_DETECT.iouThreshold, 'Non-maximum suppression IoU (0-1): overlapping boxes above it are merged'),
  max_faces: z.int().min(1).max(1000).default(DEFAULT_DETECT.maxFaces).openapi({ description: 'Most faces returned, best first' }),
  render: z.enum(['png']).optional().openapi({ description: 'png: answer with the image and the boxes drawn on it instead of JSON' }),
  landmarks: z.enum(['5', '68']).optional().openapi({
    description:
      'Also return facial landmarks of each face (up to 10 faces): 5 (eye centres, nose tip, mouth corners: what the embedder is aligned on) or 68 (the fr_landmark points), [x, y] in image pixels',
  }),
  liveness,
  eyes: z
    .boolean()
    .default(false)
    .openapi({ description: `true: also return each analysed face's eye open probabilities (0-1, up to 10 faces). ${EYES_NOTE}` }),
});

export const EmbedOptionsSchema = z.object({
  box: boxOption(`Face box "x1,y1,x2,y2" in image pixels (e.g. 180,62,269,173 on astronaut.jpg) to embed instead of the chosen face; ${WHICH_FACE}`),
  liveness,
});

export const VerifyOptionsSchema = z.object({
  threshold: unit(DEFAULT_MATCH_THRESHOLD, 'Cosine similarity at or above which the two faces are the same person'),
  box1: boxOption(`Face box "x1,y1,x2,y2" in image1 to compare; ${WHICH_FACE}`),
  box2: boxOption(`Face box "x1,y1,x2,y2" in image2 to compare; ${WHICH_FACE}`),
  liveness,
});

const BoxSchema = z
  .array(z.number())
  .length(4)
  .openapi('Box', { description: '[x1, y1, x2, y2] in original-image pixels (after EXIF orientation)', example: [179.9, 62.2, 268.6, 173] });
const ImageSizeSchema = z.object({ width: z.number().int(), height: z.number().int() }).openapi('ImageSize', { example: { width: 512, height: 512 } });
const FaceSchema = z
  .object({
    box: BoxSchema,
    score: z.number().openapi({ description: 'Detector score (0-1)' }),
    landmarks: z.array(z.array(z.number()).length(2)).optional().openapi({ description: 'With landmarks=5|68: [x, y] points in image pixels' }),
    liveness: z
      .number()
      .optional()
      .openapi({ description: `With liveness=true: the probability of the live class (0-1). ${LIVENESS_NOTE}` }),
    eyes: z
      .object({ left: z.number(), right: z.number() })
      .optional()
      .openapi('EyesOpen', { description: `With eyes=true: the probability (0-1) that each eye is open. ${EYES_NOTE}` }),
  })
  .openapi('Face');
const CandidatesSchema = z
  .array(z.object({ box: BoxSchema, score: z.number() }))
  .openapi({ description: 'Every face detected, best score first: what the face used was chosen from' });
const ModelSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    alignment: z
      .string()
      .openapi({ description: 'How faces were aligned for the embedder (similarity5: a least-squares similarity of 5 landmarks onto its reference points)' }),
  })
  .openapi('FaceModel', { description: 'The embedder that made the embeddings: embeddings of different models or alignments are not comparable' });

export const DetectResponseSchema = z
  .object({
    faces: z.array(FaceSchema),
    image: ImageSizeSchema,
  })
  .openapi('FaceDetectResponse', { example: EXAMPLES.detect });

export const EmbedResponseSchema = z
  .object({
    embedding: z.array(z.number()).openapi({ description: '512 numbers, L2-normalised (the example shows the first 8)' }),
    box: BoxSchema.openapi({ description: 'The face embedded: the chosen detection, or the box given' }),
    score: z.number().openapi({ description: "The face's detector score (for a given box: that of the detection it overlaps most, 0 when none)" }),
    candidates: CandidatesSchema,
    liveness: z
      .number()
      .optional()
      .openapi({ description: `With liveness=true: the embedded face's live-class probability. ${LIVENESS_NOTE}` }),
    image: ImageSizeSchema,
    model: ModelSchema,
  })
  .openapi('FaceEmbedResponse', { example: EXAMPLES.embed });

export const VerifyResponseSchema = z
  .object({
    similarity: z.number().openapi({ description: 'Cosine similarity of the two embeddings (-1 to 1)' }),
    match: z.boolean(),
    threshold: z.number(),
    faces: z.array(BoxSchema).length(2).openapi({ description: 'The face compared in image1 and in image2 (the chosen detections, or box1/box2)' }),
    candidates: z.array(CandidatesSchema).length(2).openapi({ description: 'Every face detected in image1 and in image2, best first' }),
    liveness: z
      .array(z.number())
      .length(2)
      .optional()
      .openapi({ description: `With liveness=true: each compared face's live-class probability. ${LIVENESS_NOTE}` }),
    model: ModelSchema,
  })
  .openapi('FaceVerifyResponse', {
    description: 'Example: astronaut.jpg against astronaut_exif6.jpg (the same photo, rotated by EXIF)',
    example: EXAMPLES.verify,
  });

/**
 * Body forms, for the docs: the handler reads the body itself (it may be a raw image). Only the
 * image fields are declared: options are query parameters (a declared form field would be
 * pre-filled and sent by Swagger UI). JSON and multipart bodies may still carry options as
 * fields; the route's description says so.
 */
export const imageBodyDoc = (fields: string[]): RequestBody =>
  ({
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: fields,
          properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', format: 'binary', description: 'JPEG, PNG or WebP' }])),
        },
      },
      ...(fields.length === 1 ? { 'image/*': { schema: { type: 'string', format: 'binary' } } } : {}),
      'application/json': {
        schema: {
          type: 'object',
          required: fields,
          properties: Object.fromEntries(
            fields.map((f) => [f, { type: 'string', format: 'byte', description: 'base64-encoded JPEG, PNG or WebP (a data: URL prefix is allowed)' }]),
          ),
        },
      },
    },
    required: true,
  }) as RequestBody;
