// Requests and responses of the gallery routes (/v1/faces/galleries/...), as zod schemas with
// OpenAPI names: JSON bodies and path parameters validate with them, option schemas are read
// strictly by http/params.ts, and the docs are generated from the same objects. Options carry
// `default` and `description` but no `example` (Swagger UI would send it as if typed).

import { z } from '@hono/zod-openapi';
import { parseBox } from '../image/geometry.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../tasks/faces/service.ts';
import { DEFAULT_EF_SEARCH, MAX_EF_SEARCH } from '../gallery/db/pgvector.ts';
import { LIMITS } from '../gallery/service.ts';

/** Client-given ids: letters, digits and `._@:+-`, starting with a letter or digit (emails and UUIDs fit). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._@:+-]*$/;
const id = (what: string, max: number) =>
  z.string().min(1).max(max).regex(ID, `${what} ids use letters, digits and . _ @ : + - (starting with a letter or digit)`);

export const GalleryIdSchema = id('gallery', 64);
export const SubjectIdSchema = id('subject', 128);
export const FaceIdSchema = id('face', 128);

const param = <T extends z.ZodType>(s: T, name: string, description: string) => s.openapi({ param: { name, in: 'path' }, description });
export const GalleryParams = z.object({ gallery: param(GalleryIdSchema, 'gallery', 'Gallery id') });
export const SubjectParams = GalleryParams.extend({ subject: param(SubjectIdSchema, 'subject', 'Subject id') });
export const FaceParams = SubjectParams.extend({ face: param(FaceIdSchema, 'face', 'Face id') });

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .openapi({
      description: 'Makes the enrolment safe to retry: the same key with the same request answers the face it enrolled (200), with a different request 422',
    }),
});

const unit = (def: number, what: string) => z.number().min(0).max(1).default(def).openapi({ description: what });
const threshold = () => unit(DEFAULT_MATCH_THRESHOLD, 'Cosine similarity at or above which a face matches a subject (server default if absent)');

const BoxOption = z
  .string()
  .transform((s, ctx) => {
    try {
      return parseBox(s, 'box');
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1' });
      return z.NEVER;
    }
  })
  .optional()
  .openapi({ type: 'string', description: 'Use the face in this box "x1,y1,x2,y2" (image pixels) instead of choosing one' });

const SearchMode = z.enum(['exact', 'ann']).default('exact').openapi({
  description:
    "`exact` (default): every enrolled face is compared, nothing enrolled is missed. `ann`: approximate, by the HNSW index of pgvector in the gallery's PostgreSQL (400 where the database has none); similarities of the faces it finds are exact, but it may miss one (a false reject)",
});
const EfSearch = z
  .int()
  .min(1)
  .max(MAX_EF_SEARCH)
  .optional()
  .openapi({
    description: `search=ann only: candidates the HNSW scan keeps (pgvector's hnsw.ef_search; more is slower and misses less). Default ${DEFAULT_EF_SEARCH}`,
  });

export const PageOptions = z.object({
  limit: z.int().min(1).max(1000).default(100).openapi({ description: 'Most items per page' }),
  cursor: z.string().min(1).max(1000).optional().openapi({ description: '`next_cursor` of the previous page' }),
});

export const EnrolOptions = z.object({
  face_id: FaceIdSchema.optional().openapi({
    description: 'Your id for this face; enrolling the same id again with the same image answers the existing face (200), with another 409. Default: a UUID',
  }),
  box: BoxOption,
});

export const IdentifyOptions = z.object({
  k: z.int().min(1).max(LIMITS.maxK).default(1).openapi({ description: 'Most subjects returned per face, best first' }),
  threshold: threshold(),
  faces: z.enum(['chosen', 'all']).default('chosen').openapi({ description: '`chosen`: the face the analyzer picks; `all`: every face found (at most 10)' }),
  box: BoxOption,
  search: SearchMode,
  ef_search: EfSearch,
});

export const VerifyOptions = z.object({ threshold: threshold(), box: BoxOption });

export const CreateGalleryBody = z
  .object({
    id: GalleryIdSchema.openapi({ description: 'Your id for the gallery', example: 'customers' }),
    description: z.string().max(LIMITS.description).optional().openapi({ description: 'Free text' }),
    keep_thumbnails: z.boolean().default(false).openapi({ description: 'Store a small JPEG crop of each enrolled face (biometric data: off by default)' }),
  })
  .strict()
  .openapi('CreateGallery');

export const CreateSubjectBody = z
  .object({
    id: SubjectIdSchema.openapi({ description: 'Your id for the person (e.g. your user id)', example: 'user-1234' }),
    display_name: z.string().min(1).max(LIMITS.displayName).optional().openapi({ example: 'Eileen Collins' }),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: `A small JSON object (at most ${LIMITS.metadataBytes} bytes serialised; more is a 413)` }),
  })
  .strict()
  .openapi('CreateSubject');

const ModelRefSchema = z
  .object({ name: z.string().min(1).max(200), version: z.string().min(1).max(200) })
  .strict()
  .openapi('EmbeddingModel', {
    description: 'The model (and preprocessing) that made the embeddings',
    example: { name: 'face_embed', version: '1+square-crop' },
  });

export const SearchBody = z
  .object({
    embedding: z.array(z.number().finite()).min(1).max(4096).openapi({ description: 'The query embedding (it is L2-normalised here)' }),
    model: ModelRefSchema.openapi({ description: "Which model made it: must be the gallery's (GET the gallery), or the search is a 409" }),
    k: z.int().min(1).max(LIMITS.maxK).default(1),
    threshold: threshold(),
    search: SearchMode,
    ef_search: EfSearch,
  })
  .strict()
  .openapi('SearchByVector');

const BoxSchema = z.array(z.number()).length(4).openapi({ description: '[x1, y1, x2, y2] in original-image pixels (after EXIF orientation)' });

export const GallerySchema = z
  .object({
    id: z.string(),
    tenant: z.string().nullable(),
    description: z.string().nullable(),
    model: ModelRefSchema.nullable().openapi({ description: 'Bound by the first enrolment; null while the gallery is empty' }),
    dimensions: z.int().nullable(),
    keep_thumbnails: z.boolean(),
    subjects: z.int(),
    faces: z.int(),
    created_at: z.string(),
  })
  .openapi('Gallery');

export const GalleryListSchema = z.object({ galleries: z.array(GallerySchema), next_cursor: z.string().nullable() }).openapi('GalleryList');

export const SubjectSchema = z
  .object({
    id: z.string(),
    display_name: z.string().nullable(),
    metadata: z.unknown().nullable(),
    faces: z.int(),
    created_at: z.string(),
  })
  .openapi('Subject');

export const SubjectListSchema = z.object({ subjects: z.array(SubjectSchema), next_cursor: z.string().nullable() }).openapi('SubjectList');

export const FaceRecordSchema = z
  .object({
    id: z.string(),
    subject: z.string(),
    box: BoxSchema,
    score: z.number(),
    landmarks: z.array(z.array(z.number())).nullable(),
    quality: z.record(z.string(), z.number()).nullable(),
    liveness: z.number().nullable(),
    model: ModelRefSchema,
    has_thumbnail: z.boolean(),
    created_at: z.string(),
    candidates: z.int().optional().openapi({ description: 'Faces found in the enrolment image (one was enrolled)' }),
  })
  .openapi('EnrolledFace');

export const FaceListSchema = z.object({ faces: z.array(FaceRecordSchema), next_cursor: z.string().nullable() }).openapi('FaceList');

const HitSchema = z.object({ id: z.string(), display_name: z.string().nullable(), similarity: z.number() }).openapi('SubjectMatch');

export const IdentifyResponseSchema = z
  .object({
    gallery: z.string(),
    model: ModelRefSchema,
    threshold: z.number(),
    image: z.object({ width: z.int(), height: z.int() }),
    faces: z.array(
      z.object({
        box: BoxSchema,
        score: z.number(),
        chosen: z.boolean().openapi({ description: 'The face that enrolment or verification would use' }),
        liveness: z.number().optional(),
        subject: HitSchema.nullable().openapi({ description: 'The best match at or above the threshold; null = unknown' }),
        unknown: z.boolean(),
        candidates: z.array(HitSchema).openapi({ description: "Up to k subjects at or above the threshold, best first, each with its best face's similarity" }),
      }),
    ),
  })
  .openapi('IdentifyResponse');

export const VerifySubjectResponseSchema = z
  .object({
    gallery: z.string(),
    subject: z.string(),
    similarity: z.number().openapi({ description: "Best cosine similarity between the image's face and the subject's enrolled faces" }),
    match: z.boolean(),
    threshold: z.number(),
    best_face: z.string().openapi({ description: 'The enrolled face that scored best' }),
    face: z.object({ box: BoxSchema, score: z.number(), liveness: z.number().optional() }),
    model: ModelRefSchema,
  })
  .openapi('VerifySubjectResponse');

export const SearchResponseSchema = z
  .object({
    gallery: z.string(),
    model: ModelRefSchema,
    threshold: z.number(),
    subject: HitSchema.nullable(),
    unknown: z.boolean(),
    candidates: z.array(HitSchema),
  })
  .openapi('SearchResponse');
