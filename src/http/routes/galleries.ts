// Gallery routes (/v1/faces/galleries/...): galleries, subjects, enrolled faces, identify,
// verify against a subject, search by vector. Thin: parsing and status codes here, the rules in
// gallery/service.ts. Path parameters are validated by their schemas (the app's defaultHook
// answers 400); options are read strictly by http/params.ts; JSON bodies are read here (bounded,
// a repeated key is a 400, unknown keys too) rather than by the route validator, which would
// keep only the last of a repeated key. The caller's tenant comes from the auth middleware.

import { type OpenAPIHono, type RouteConfig, createRoute, type z } from '@hono/zod-openapi';
import type { Context, Handler } from 'hono';
import { EdgeError, invalid } from '../../core/errors.ts';
import type { GalleryService } from '../../gallery/service.ts';
import { imageBodyDoc } from '../../protocol/face-schemas.ts';
import {
  CreateGalleryBody,
  CreateSubjectBody,
  EnrolOptions,
  FaceListSchema,
  FaceParams,
  FaceRecordSchema,
  GalleryListSchema,
  GalleryParams,
  GallerySchema,
  IdempotencyHeaders,
  IdentifyOptions,
  IdentifyResponseSchema,
  PageOptions,
  SearchBody,
  SearchResponseSchema,
  SubjectListSchema,
  SubjectParams,
  SubjectSchema,
  VerifyOptions,
  VerifySubjectResponseSchema,
} from '../../protocol/gallery-schemas.ts';
import { ErrorResponseSchema } from '../../protocol/kserve-schemas.ts';
import { tenantOf } from '../auth.ts';
import { readBody } from '../body.ts';
import { readImages } from '../image-input.ts';
import { formatRequestIssues, jsonFields, readOptions } from '../params.ts';

const TAG = 'Face gallery';
/** JSON bodies are small (a 4096-d search vector is ~80 KB of text). */
const MAX_JSON_BYTES = 256 * 1024;

const err = (description: string) => ({ content: { 'application/json': { schema: ErrorResponseSchema } }, description });
const E = {
  400: err('Invalid request: the message names the field and quotes the value received'),
  404: err("Unknown gallery, subject or face (another tenant's gallery looks the same)"),
  409: err('Duplicate id, or the gallery holds embeddings of another model'),
  413: err('Body, image or metadata too large'),
  415: err('Unsupported Content-Type or image format'),
  422: err('No usable face in the image, or an Idempotency-Key reused for a different request'),
  503: err('Face models not ready or overloaded (Retry-After)'),
};
const pick = (...codes: Array<keyof typeof E>) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const BASE = '/v1/faces/galleries';

/** Registers the route in the docs as written; at run time validates only its path parameters. */
function route(app: OpenAPIHono, r: RouteConfig, handler: Handler): void {
  app.openAPIRegistry.registerPath(r);
  const params = r.request?.params;
  app.openapi({ ...r, request: params ? { params } : {}, hide: true } as RouteConfig, handler as never);
}

async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new EdgeError('UNSUPPORTED_MEDIA', `unsupported Content-Type '${type}': send application/json`);
  const text = new TextDecoder().decode(await readBody(c, MAX_JSON_BYTES));
  if (text.trim() === '') throw invalid('empty request body: send a JSON object');
  const { object, fields } = jsonFields(text);
  const repeated = Object.entries(fields).find(([, v]) => v.length > 1);
  if (repeated) throw invalid(`${repeated[0]}: given ${repeated[1].length} times in the JSON body: give each field once`);
  const r = schema.safeParse(object);
  if (!r.success) throw invalid(formatRequestIssues(r.error.issues, object, 'JSON'));
  return r.data;
}

const params = <T>(c: Context) => c.req.param() as T;
const NoOptions = PageOptions.pick({});
/** A route without options still refuses query parameters (a typo must not pass silently). */
const noOptions = (c: Context) => readOptions(NoOptions, c);

export interface GalleryRouteOptions {
  maxBodyBytes: number;
}

export function mountGalleries(app: OpenAPIHono, gallery: GalleryService, o: GalleryRouteOptions): void {
  const images = (c: Context) => readImages(c, ['image'], o.maxBodyBytes);

  // ---- galleries

  route(
    app,
    createRoute({
      method: 'post',
      path: BASE,
      tags: [TAG],
      summary: 'Create a gallery',
      description: 'A gallery holds subjects (people) and their enrolled faces. It is bound to the embedding model of its first enrolment.',
      request: { body: { content: { 'application/json': { schema: CreateGalleryBody } }, required: true } },
      responses: { 201: json(GallerySchema, 'Created'), ...pick(400, 409, 413, 415) },
    }),
    async (c) => {
      noOptions(c);
      const body = await readJson(c, CreateGalleryBody);
      const g = await gallery.createGallery(tenantOf(c), body);
      return c.json(g, 201, { Location: `${BASE}/${encodeURIComponent(g.id)}` });
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: BASE,
      tags: [TAG],
      summary: 'List galleries',
      request: { query: PageOptions },
      responses: { 200: json(GalleryListSchema, 'One page, by id'), ...pick(400) },
    }),
    async (c) => c.json(await gallery.listGalleries(tenantOf(c), readOptions(PageOptions, c)), 200),
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: `${BASE}/{gallery}`,
      tags: [TAG],
      summary: 'Get a gallery',
      request: { params: GalleryParams },
      responses: { 200: json(GallerySchema, 'The gallery with its counts'), ...pick(400, 404) },
    }),
    async (c) => {
      noOptions(c);
      return c.json(await gallery.getGallery(tenantOf(c), params<{ gallery: string }>(c).gallery), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'delete',
      path: `${BASE}/{gallery}`,
      tags: [TAG],
      summary: 'Delete a gallery with all its subjects and faces',
      request: { params: GalleryParams },
      responses: { 204: { description: 'Deleted' }, ...pick(400, 404) },
    }),
    async (c) => {
      noOptions(c);
      await gallery.deleteGallery(tenantOf(c), params<{ gallery: string }>(c).gallery);
      return c.body(null, 204);
    },
  );

  // ---- subjects

  route(
    app,
    createRoute({
      method: 'post',
      path: `${BASE}/{gallery}/subjects`,
      tags: [TAG],
      summary: 'Create a subject (a person)',
      request: { params: GalleryParams, body: { content: { 'application/json': { schema: CreateSubjectBody } }, required: true } },
      responses: { 201: json(SubjectSchema, 'Created'), ...pick(400, 404, 409, 413, 415) },
    }),
    async (c) => {
      const p = params<{ gallery: string }>(c);
      noOptions(c);
      const body = await readJson(c, CreateSubjectBody);
      const s = await gallery.createSubject(tenantOf(c), p.gallery, body);
      return c.json(s, 201, { Location: `${BASE}/${encodeURIComponent(p.gallery)}/subjects/${encodeURIComponent(s.id)}` });
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: `${BASE}/{gallery}/subjects`,
      tags: [TAG],
      summary: 'List subjects',
      request: { params: GalleryParams, query: PageOptions },
      responses: { 200: json(SubjectListSchema, 'One page, by id; pass next_cursor as cursor for the next'), ...pick(400, 404) },
    }),
    async (c) => c.json(await gallery.listSubjects(tenantOf(c), params<{ gallery: string }>(c).gallery, readOptions(PageOptions, c)), 200),
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: `${BASE}/{gallery}/subjects/{subject}`,
      tags: [TAG],
      summary: 'Get a subject',
      request: { params: SubjectParams },
      responses: { 200: json(SubjectSchema, 'The subject and how many faces it has'), ...pick(400, 404) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string }>(c);
      noOptions(c);
      return c.json(await gallery.getSubject(tenantOf(c), p.gallery, p.subject), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'delete',
      path: `${BASE}/{gallery}/subjects/{subject}`,
      tags: [TAG],
      summary: 'Delete a subject and its faces',
      description: 'Real deletion: the rows are removed, and identify never returns the subject again.',
      request: { params: SubjectParams },
      responses: { 204: { description: 'Deleted' }, ...pick(400, 404) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string }>(c);
      noOptions(c);
      await gallery.deleteSubject(tenantOf(c), p.gallery, p.subject);
      return c.body(null, 204);
    },
  );

  // ---- faces

  route(
    app,
    createRoute({
      method: 'post',
      path: `${BASE}/{gallery}/subjects/{subject}/faces`,
      tags: [TAG],
      summary: 'Enrol a face under a subject',
      description:
        'Detects the faces in the image and enrols the chosen one (or the one in `box`): its embedding, box, landmarks, quality, the model and the time; a thumbnail only if the gallery keeps them. Idempotent on `face_id` and on the `Idempotency-Key` header: a retry answers 200 with the face first enrolled. Options are query parameters or form/JSON fields (each once).',
      request: { params: SubjectParams, headers: IdempotencyHeaders, query: EnrolOptions, body: imageBodyDoc(['image']) },
      responses: { 201: json(FaceRecordSchema, 'Enrolled'), 200: json(FaceRecordSchema, 'A retry: the face enrolled by the first request'), ...E },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string }>(c);
      const key = c.req.header('idempotency-key');
      if (key !== undefined) {
        const k = IdempotencyHeaders.safeParse({ 'idempotency-key': key });
        if (!k.success) throw invalid(formatRequestIssues(k.error.issues, { 'idempotency-key': key }, 'header'));
      }
      gallery.admit();
      const { images: img, options } = await images(c);
      const opt = readOptions(EnrolOptions, c, options);
      const r = await gallery.enrol(tenantOf(c), p.gallery, p.subject, img.image, {
        faceId: opt.face_id,
        idempotencyKey: key,
        box: opt.box,
        signal: c.req.raw.signal,
      });
      return c.json(r.face, r.created ? 201 : 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: `${BASE}/{gallery}/subjects/{subject}/faces`,
      tags: [TAG],
      summary: "List a subject's faces",
      request: { params: SubjectParams, query: PageOptions },
      responses: { 200: json(FaceListSchema, 'One page, oldest first'), ...pick(400, 404) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string }>(c);
      return c.json(await gallery.listFaces(tenantOf(c), p.gallery, p.subject, readOptions(PageOptions, c)), 200);
    },
  );

  route(
    app,
    createRoute({
      method: 'delete',
      path: `${BASE}/{gallery}/subjects/{subject}/faces/{face}`,
      tags: [TAG],
      summary: 'Delete one enrolled face',
      request: { params: FaceParams },
      responses: { 204: { description: 'Deleted' }, ...pick(400, 404) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string; face: string }>(c);
      noOptions(c);
      await gallery.deleteFace(tenantOf(c), p.gallery, p.subject, p.face);
      return c.body(null, 204);
    },
  );

  route(
    app,
    createRoute({
      method: 'get',
      path: `${BASE}/{gallery}/subjects/{subject}/faces/{face}/thumbnail`,
      tags: [TAG],
      summary: "An enrolled face's thumbnail",
      request: { params: FaceParams },
      responses: { 200: { content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } }, description: 'JPEG' }, ...pick(400, 404) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string; face: string }>(c);
      noOptions(c);
      const jpeg = await gallery.thumbnail(tenantOf(c), p.gallery, p.subject, p.face);
      return c.body(jpeg as unknown as string, 200, { 'Content-Type': 'image/jpeg', 'Cache-Control': 'no-store' });
    },
  );

  // ---- recognition

  route(
    app,
    createRoute({
      method: 'post',
      path: `${BASE}/{gallery}/identify`,
      tags: [TAG],
      summary: 'Identify: who is in this image (1:N)',
      description:
        "For the chosen face (or every face with `faces=all`): up to `k` subjects whose best enrolled face reaches the threshold, best first; `unknown: true` when none does. Exact search over every enrolled face, unless `search=ann` asks for pgvector's HNSW index (PostgreSQL with pgvector only).",
      request: { params: GalleryParams, query: IdentifyOptions, body: imageBodyDoc(['image']) },
      responses: { 200: json(IdentifyResponseSchema, 'Matches per face'), ...pick(400, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const p = params<{ gallery: string }>(c);
      gallery.admit();
      const { images: img, options } = await images(c);
      const opt = readOptions(IdentifyOptions, c, options);
      return c.json(
        await gallery.identify(tenantOf(c), p.gallery, img.image, {
          k: opt.k,
          threshold: opt.threshold,
          all: opt.faces === 'all',
          box: opt.box,
          search: opt.search,
          efSearch: opt.ef_search,
          signal: c.req.raw.signal,
        }),
        200,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: `${BASE}/{gallery}/subjects/{subject}/verify`,
      tags: [TAG],
      summary: 'Verify a claim: is this the subject (1:1)',
      description: 'Compares the chosen face of the image (or the one in `box`) with every face enrolled for the subject; the best similarity decides.',
      request: { params: SubjectParams, query: VerifyOptions, body: imageBodyDoc(['image']) },
      responses: { 200: json(VerifySubjectResponseSchema, 'Similarity and decision'), ...pick(400, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const p = params<{ gallery: string; subject: string }>(c);
      gallery.admit();
      const { images: img, options } = await images(c);
      const opt = readOptions(VerifyOptions, c, options);
      return c.json(
        await gallery.verify(tenantOf(c), p.gallery, p.subject, img.image, { threshold: opt.threshold, box: opt.box, signal: c.req.raw.signal }),
        200,
      );
    },
  );

  route(
    app,
    createRoute({
      method: 'post',
      path: `${BASE}/{gallery}/search`,
      tags: [TAG],
      summary: 'Search by an embedding made elsewhere',
      description: "The body names the model that made the vector; it must be the gallery's (`model` in GET /v1/faces/galleries/{gallery}).",
      request: { params: GalleryParams, body: { content: { 'application/json': { schema: SearchBody } }, required: true } },
      responses: { 200: json(SearchResponseSchema, 'Matches'), ...pick(400, 404, 409, 413, 415) },
    }),
    async (c) => {
      const p = params<{ gallery: string }>(c);
      noOptions(c);
      return c.json(await gallery.search(tenantOf(c), p.gallery, await readJson(c, SearchBody)), 200);
    },
  );
}
