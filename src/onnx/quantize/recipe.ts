// The quantization recipe: a model directory's quantize.json, named by a config `source` of
// the form {"quantize": "<fp32 model>", "recipe": "quantize.json", "sha256": …}. It says what
// to calibrate on and how, what to leave in FP32, and which accuracy gate decides whether the
// result may be served. `pull` uses calibration + exclude (and checks the sha256);
// `edgeserve quantize` and the test suite also run the gate. Paths are relative to the model
// directory. Validated strictly: a misspelt key is an error naming it, never ignored.

import { z } from 'zod';

const paths = z.array(z.string().min(1)).min(1);
const model = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a model name of this repository');

export const Augment = z.strictObject({
  /** Add each sample mirrored left-right. */
  flip: z.boolean().default(false),
  /** Side kept, as a fraction of the image (or face crop), centred; 1 = as is. */
  zoom: z.array(z.number().positive().max(4)).min(1).default([1]),
});

export const Calibration = z
  .strictObject({
    images: paths,
    /** For an embedder: calibrate on the faces this detector model finds in the images, cropped
     *  as the face pipeline crops them. Absent: the whole images. */
    faces: model.optional(),
    /** With `faces`: the face job model (platform edgeserve_face) whose landmarks and alignment
     *  make the embedder's input, as the server makes it. Absent: FaceService's square crop. */
    aligned_by: model.optional(),
    augment: Augment.default({ flip: false, zoom: [1] }),
    method: z.enum(['minmax', 'percentile', 'entropy', 'mse']),
    /** For method percentile: the share of values kept inside the range, e.g. 99.99. */
    percentile: z.number().gt(50).max(100).optional(),
  })
  .refine((c) => (c.method === 'percentile') === (c.percentile !== undefined), {
    message: 'percentile is required with method "percentile" and only allowed with it',
  })
  .refine((c) => !c.aligned_by || c.faces, { message: 'aligned_by needs faces (the detector)' });
export type Calibration = z.infer<typeof Calibration>;

const DetectGate = z.strictObject({
  kind: z.literal('face_detect'),
  images: paths,
  augment: Augment.default({ flip: false, zoom: [1] }),
  score_threshold: z.number().min(0).max(1).default(0.7),
  min_iou: z.number().min(0).max(1).default(0.95),
  max_score_delta: z.number().min(0).max(1).default(0.03),
});
const EmbedGate = z
  .strictObject({
    kind: z.literal('face_embed'),
    /** The detector model whose faces are embedded (FP32, so both embedders see the same crops). */
    detector: model,
    /** As calibration.aligned_by: the face job whose alignment makes the faces. */
    aligned_by: model.optional(),
    images: paths,
    /** image path (as listed in images) → who it shows; pairs with the same identity are genuine. */
    identities: z.record(z.string(), z.string().min(1)),
    augment: Augment.default({ flip: false, zoom: [1] }),
    min_cosine: z.number().min(-1).max(1).default(0.99),
    /** The face service's default match threshold (DEFAULT_MATCH_THRESHOLD): decisions as served. */
    threshold: z.number().min(-1).max(1).default(0.6),
  })
  .refine((g) => g.images.every((i) => i in g.identities), { message: 'every gate image needs an identity' });
const OutputsGate = z.strictObject({
  kind: z.literal('outputs'),
  images: paths,
  augment: Augment.default({ flip: false, zoom: [1] }),
  min_cosine: z.number().min(-1).max(1).default(0.99),
});

export const Recipe = z.strictObject({
  calibration: Calibration,
  /** 7-bit weights, so that x86 CPUs without VNNI (AVX2, AVX-512 before Cascade Lake) cannot
   *  saturate their int16 pair sums (weights.ts). Costs one bit of weight precision. */
  reduce_range: z.boolean().default(false),
  /** Equalize channel ranges between consecutive convs before calibrating (equalize.ts). */
  equalize: z.boolean().default(false),
  /** Node names, or the names of their output tensors, left in FP32. */
  exclude: z.array(z.string().min(1)).default([]),
  gate: z.discriminatedUnion('kind', [DetectGate, EmbedGate, OutputsGate]),
});
export type Recipe = z.infer<typeof Recipe>;
export type Gate = Recipe['gate'];

export function parseRecipe(json: unknown, file: string): Recipe {
  const r = Recipe.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
}
