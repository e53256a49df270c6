// Face task routes: /v1/faces/detect, /embed, /verify. Each accepts multipart, a raw image body
// (single-image routes) or JSON with base64. Options are query parameters, or fields of a
// multipart or JSON body, each in exactly one place (http/params.ts). Thin: parsing here, the
// work in tasks/faces/service.ts.

import { type OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { invalid } from '../../core/errors.ts';
import {
  DetectOptionsSchema,
  DetectResponseSchema,
  EmbedOptionsSchema,
  EmbedResponseSchema,
  LIVENESS_NOTE,
  VerifyOptionsSchema,
  VerifyResponseSchema,
  imageBodyDoc,
} from '../../protocol/face-schemas.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import type { Face } from '../../tasks/faces/geometry.ts';
import type { FaceService } from '../../tasks/faces/service.ts';
import { readImages } from '../image-input.ts';
import { readOptions, routeWithOptions } from '../params.ts';

/** Draws boxes on the image and encodes PNG; absent on runtimes without a canvas. */
export type FaceRenderer = (image: Uint8Array, faces: Face[]) => Promise<Uint8Array>;

// Error examples are real answers of these routes (test/faces.test.ts checks each one).
const err = (description: string, example: string) => ({
  content: { 'application/json': { schema: ErrorResponseSchema, example: { error: example } } },
  description,
});
export const FACE_ERROR_EXAMPLES = {
  400: "threshold: expected a number between 0 and 1, got ''",
  413: 'request body of 40000000 bytes exceeds the limit of 33554432 bytes',
  415: "unsupported Content-Type 'text/plain': use multipart/form-data, image/jpeg|png|webp, or application/json",
  422: 'no face found in image2',
  503: "model 'face' is loading",
} as const;
const errors = {
  400: err('Invalid request or options: the message names the option and quotes the value received', FACE_ERROR_EXAMPLES[400]),
  413: err('Body or image too large', FACE_ERROR_EXAMPLES[413]),
  415: err('Not a JPEG, PNG or WebP image, or an unsupported Content-Type', FACE_ERROR_EXAMPLES[415]),
  422: err('Corrupt image, or no face found', FACE_ERROR_EXAMPLES[422]),
  503: err('Model not ready or overloaded (Retry-After)', FACE_ERROR_EXAMPLES[503]),
};

const WHICH_FACE_RULE =
  'the best-scoring detection, and among the detections scoring within 0.05 of it the largest (config.json face.choose), so a large false detection (a 0.80 box on an ear) never wins over a 0.99 face.';

const OPTIONS_NOTE =
  'Options are query parameters; a multipart or JSON body may carry them as fields instead (`-F threshold=0.6`, `{"threshold": 0.6}`), but each option in one place only: a repeated, empty, malformed or unknown option is a 400.';

export function mountFaces(app: OpenAPIHono, faces: FaceService, o: { maxBodyBytes: number; render?: FaceRenderer }): void {
  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v1/faces/detect',
      tags: ['Faces'],
      summary: 'Detect faces in an image',
      description: `Boxes are in original-image pixels after EXIF orientation, sorted by score; with \`landmarks=5|68\` each face carries its landmarks, with \`liveness=true\` its liveness score (${LIVENESS_NOTE}), with \`eyes=true\` each eye's open probability. ${OPTIONS_NOTE}`,
      request: { query: DetectOptionsSchema, body: imageBodyDoc(['image']) },
      responses: {
        200: {
          content: { 'application/json': { schema: DetectResponseSchema }, 'image/png': { schema: { type: 'string', format: 'binary' } } },
          description: 'Faces found (or, with render=png, the image with boxes drawn)',
        },
        ...errors,
      },
    }),
    async (c) => {
      faces.admit('detect'); // a full queue answers 503 before the upload is read
      const { images, options } = await readImages(c, ['image'], o.maxBodyBytes);
      const opt = readOptions(DetectOptionsSchema, c, options);
      if (opt.render === 'png' && !o.render) throw invalid('render=png is not available on this runtime (no canvas)');
      const landmarks = opt.landmarks === undefined ? 0 : (Number(opt.landmarks) as 5 | 68);
      const d = await faces.detect(
        images.image,
        { scoreThreshold: opt.score_threshold, iouThreshold: opt.iou_threshold, maxFaces: opt.max_faces, landmarks, liveness: opt.liveness, eyes: opt.eyes },
        c.req.raw.signal,
      );
      if (opt.render === 'png' && o.render) {
        return c.body((await o.render(images.image, d.faces)) as unknown as string, 200, { 'Content-Type': 'image/png' });
      }
      return c.json(d, 200);
    },
  );

  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v1/faces/embed',
      tags: ['Faces'],
      summary: 'Embed a face (512-d, L2-normalised)',
      description: `Embeds the face in \`box\`, or the chosen face: ${WHICH_FACE_RULE} The face is aligned on its 5 landmarks first. Returns the face used and every candidate. Answers 422 when no face is found. ${OPTIONS_NOTE}`,
      request: { query: EmbedOptionsSchema, body: imageBodyDoc(['image']) },
      responses: {
        200: { content: { 'application/json': { schema: EmbedResponseSchema } }, description: 'Embedding, the face used and the candidates' },
        ...errors,
      },
    }),
    async (c) => {
      faces.admit('embed');
      const { images, options } = await readImages(c, ['image'], o.maxBodyBytes);
      const opt = readOptions(EmbedOptionsSchema, c, options);
      return c.json(await faces.embed(images.image, { box: opt.box, liveness: opt.liveness, signal: c.req.raw.signal }), 200);
    },
  );

  routeWithOptions(
    app,
    createRoute({
      method: 'post',
      path: '/v1/faces/verify',
      tags: ['Faces'],
      summary: '1:1 face verification of two images',
      description: `Compares the chosen face of image1 with the chosen face of image2 (or the faces in \`box1\` / \`box2\`) by the cosine similarity of their aligned embeddings. The chosen face: ${WHICH_FACE_RULE} Returns both faces used and every candidate of each image. Answers 422 naming the image when one has no face. ${OPTIONS_NOTE}`,
      request: { query: VerifyOptionsSchema, body: imageBodyDoc(['image1', 'image2']) },
      responses: {
        200: {
          content: { 'application/json': { schema: VerifyResponseSchema } },
          description: 'Similarity and decision, the faces compared and the candidates',
        },
        ...errors,
      },
    }),
    async (c) => {
      faces.admit('verify');
      const { images, options } = await readImages(c, ['image1', 'image2'], o.maxBodyBytes);
      const opt = readOptions(VerifyOptionsSchema, c, options);
      return c.json(
        await faces.verify(images.image1, images.image2, {
          threshold: opt.threshold,
          box1: opt.box1,
          box2: opt.box2,
          liveness: opt.liveness,
          signal: c.req.raw.signal,
        }),
        200,
      );
    },
  );
}
