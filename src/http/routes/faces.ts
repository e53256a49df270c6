// Face task routes: /v1/faces/detect, /embed, /verify. Each accepts multipart, a raw image body
// (single-image routes) or JSON with base64; options come from the query string or JSON/form
// fields. Thin: parsing here, the work in tasks/faces/service.ts.

import { type OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { invalid } from '../../core/errors.ts';
import {
  DetectOptionsSchema, DetectResponseSchema, EmbedOptionsSchema, EmbedResponseSchema, VerifyOptionsSchema,
  VerifyResponseSchema, imageBodyDoc,
} from '../../protocol/face-schemas.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import { formatIssues } from '../../protocol/schema-errors.ts';
import type { Face } from '../../tasks/faces/geometry.ts';
import type { FaceService } from '../../tasks/faces/service.ts';
import { readImages } from '../image-input.ts';

/** Draws boxes on the image and encodes PNG; absent on runtimes without a canvas. */
export type FaceRenderer = (image: Uint8Array, faces: Face[]) => Promise<Uint8Array>;

const err = (d: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description: d });
const errors = {
  400: err('Invalid request or options'),
  413: err('Body or image too large'),
  415: err('Not a JPEG, PNG or WebP image'),
  422: err('Corrupt image, or no face found'),
  503: err('Model not ready or overloaded (Retry-After)'),
};

function options<T extends z.ZodType>(schema: T, c: Context, extra: Record<string, unknown>): z.infer<T> {
  const r = schema.safeParse({ ...c.req.query(), ...extra });
  if (!r.success) throw invalid(formatIssues(r.error.issues, undefined, 'options'));
  return r.data;
}

export function mountFaces(app: OpenAPIHono, faces: FaceService, o: { maxBodyBytes: number; render?: FaceRenderer }): void {
  app.openapi(createRoute({
    method: 'post', path: '/v1/faces/detect', tags: ['Faces'], summary: 'Detect faces in an image',
    description: 'Boxes are in original-image pixels after EXIF orientation, sorted by score. Options may be query parameters or JSON/form fields.',
    request: { query: DetectOptionsSchema, body: imageBodyDoc(['image'], { score_threshold: { type: 'number' }, iou_threshold: { type: 'number' }, max_faces: { type: 'integer' } }) },
    responses: {
      200: {
        content: { 'application/json': { schema: DetectResponseSchema }, 'image/png': { schema: { type: 'string', format: 'binary' } } },
        description: 'Faces found (or, with render=png, the image with boxes drawn)',
      },
      ...errors,
    },
  }), async (c) => {
    faces.admit('detect'); // a full queue answers 503 before the upload is read
    const { images, extra } = await readImages(c, ['image'], o.maxBodyBytes);
    const opt = options(DetectOptionsSchema, c, extra);
    const d = await faces.detect(images.image, { scoreThreshold: opt.score_threshold, iouThreshold: opt.iou_threshold, maxFaces: opt.max_faces }, c.req.raw.signal);
    if (opt.render === 'png') {
      if (!o.render) throw invalid('render=png is not available on this runtime');
      return c.body((await o.render(images.image, d.faces)) as unknown as string, 200, { 'Content-Type': 'image/png' });
    }
    return c.json(d, 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/v1/faces/embed', tags: ['Faces'], summary: 'Embed a face (512-d, L2-normalised)',
    description: 'Embeds the face in `box`, or the largest detected face. Answers 422 when no face is found.',
    request: { query: EmbedOptionsSchema, body: imageBodyDoc(['image'], { box: { type: 'string', example: '120,60,300,280' } }) },
    responses: { 200: { content: { 'application/json': { schema: EmbedResponseSchema } }, description: 'Embedding and the box used' }, ...errors },
  }), async (c) => {
    faces.admit('embed');
    const { images, extra } = await readImages(c, ['image'], o.maxBodyBytes);
    const opt = options(EmbedOptionsSchema, c, extra);
    const box = opt.box?.split(',').map(Number) as [number, number, number, number] | undefined;
    if (box && (box[2] <= box[0] || box[3] <= box[1])) throw invalid(`box must have x2 > x1 and y2 > y1, got ${opt.box}`);
    return c.json(await faces.embed(images.image, box, c.req.raw.signal), 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/v1/faces/verify', tags: ['Faces'], summary: '1:1 face verification of two images',
    description: 'Detects the largest face in image1 and image2, embeds both and compares them by cosine similarity. Answers 422 naming the image when one has no face.',
    request: { query: VerifyOptionsSchema, body: imageBodyDoc(['image1', 'image2'], { threshold: { type: 'number' } }) },
    responses: { 200: { content: { 'application/json': { schema: VerifyResponseSchema } }, description: 'Similarity and decision' }, ...errors },
  }), async (c) => {
    faces.admit('verify');
    const { images, extra } = await readImages(c, ['image1', 'image2'], o.maxBodyBytes);
    const opt = options(VerifyOptionsSchema, c, extra);
    return c.json(await faces.verify(images.image1, images.image2, opt.threshold, c.req.raw.signal), 200);
  });
}
