// The `edgeserve_face` platform: a model whose config.json names component models (section
// `face`, pipeline-config.ts) and whose instances run the face job (face-job.ts) on encoded
// images in the thread that holds the components. It has no model file; the registry loads it
// after the models with files, and it serves version 1. Registered by the composition roots
// through LocalLoader's `platforms` (worker-entry.ts, runtime/stack.ts, runtime/cloudflare.ts).
//
// KServe I/O: input `image` (BYTES [1]: one JPEG/PNG/WebP); request parameters (see
// parseJobParameters); outputs, all for the analysed faces in the order of `analyzed`:
//   boxes FP32 [n,4] · scores FP32 [n] · chosen INT32 [1] (-1: no face) · analyzed INT32 [m]
//   landmarks FP32 [m,68,2] · embeddings FP32 [m,d] (L2-normalised) · liveness FP32 [m or 0]
//   pose FP32 [m or 0, 3] (yaw, pitch, roll in degrees) · eyes FP32 [m or 0, 2] (open
//   probability of the image-left and the image-right eye)
// and response parameters image_width, image_height, embed_model, embed_version, alignment,
// stage_us (JSON: microseconds per stage in this thread).

import { EdgeError } from '../../core/errors.ts';
import type { TensorMetadata } from '../../core/inference.ts';
import type { ExecutionBatchResult, ExecutionItem, ModelInstance } from '../../core/instance.ts';
import type { LoadedModel, ModelLoader } from '../../core/loader.ts';
import type { ModelConfig } from '../../core/model-config.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { ImageTensorizer } from '../../engine/image-input.ts';
import type { LocalDirectory } from '../../engine/local-directory.ts';
import { errorOf } from '../../engine/engine-instance.ts';
import { instanceCount } from '../../engine/onnx-loader.ts';
import type { ImageDecoder } from '../../image/decoder.ts';
import { ComponentLedger, type FaceJobResult, runFaceJob } from './face-job.ts';
import { FaceJobConfig, parseJobParameters } from './pipeline-config.ts';

export const FACE_PLATFORM = 'edgeserve_face';

export interface FacePipelineOptions {
  /** The thread's image decoder, loaded on first need. */
  decoder: () => Promise<ImageDecoder>;
  maxPixels?: number;
  defaultInstances: number;
}

const meta = (name: string, datatype: TensorMetadata['datatype'], shape: number[]): TensorMetadata => ({ name, datatype, shape });

export class FacePipelineLoader implements ModelLoader {
  constructor(
    private readonly directory: LocalDirectory,
    private readonly opts: FacePipelineOptions,
  ) {}

  async load(name: string, _version: string, config: ModelConfig): Promise<LoadedModel> {
    const parsed = FaceJobConfig.safeParse((config as Record<string, unknown>).face);
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => `face.${i.path.join('.')}: ${i.message}`).join('; ') || 'face: missing');
    }
    const cfg = parsed.data;
    await this.opts.decoder(); // a missing decoder fails the load, not the first request
    if (config.max_batch_size !== 0) throw new Error(`max_batch_size: the face job takes one image per request (0), got ${config.max_batch_size}`);
    // Components must be loaded in this thread first (the registry loads file-less models last).
    const parts = [cfg.detector.model, cfg.landmarks.model, cfg.embedder.model, cfg.liveness?.model, cfg.pose?.model, cfg.eyes?.model].filter(
      (m): m is string => !!m,
    );
    for (const m of parts) {
      const c = this.directory.get(m);
      if (!c)
        throw new Error(
          `component model '${m}' is not loaded (loaded here: ${this.directory.names().join(', ') || 'none'}); every component must be served wherever '${name}' is`,
        );
      if (!c.config.image) throw new Error(`component model '${m}' has no image preprocessing (config.json image)`);
    }
    const embedder = this.directory.get(cfg.embedder.model)!;
    const dim = embedder.outputs[0]?.shape.at(-1) ?? -1;
    const n = instanceCount(config, this.opts.defaultInstances);
    return {
      instances: Array.from({ length: n }, () => new FacePipelineInstance(cfg, this.directory, this.opts)),
      inputs: [meta('image', 'BYTES', [1])],
      outputs: [
        meta('boxes', 'FP32', [-1, 4]),
        meta('scores', 'FP32', [-1]),
        meta('chosen', 'INT32', [1]),
        meta('analyzed', 'INT32', [-1]),
        meta('landmarks', 'FP32', [-1, 68, 2]),
        meta('embeddings', 'FP32', [-1, dim]),
        meta('liveness', 'FP32', [-1]),
        meta('pose', 'FP32', [-1, 3]),
        meta('eyes', 'FP32', [-1, 2]),
      ],
      notes: [`face job: ${parts.join(' → ')}, alignment ${cfg.embedder.alignment}`],
    };
  }

  modelFile(): undefined {
    return undefined;
  }
}

class FacePipelineInstance implements ModelInstance {
  constructor(
    private readonly cfg: FaceJobConfig,
    private readonly directory: LocalDirectory,
    private readonly opts: FacePipelineOptions,
  ) {}

  async execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const t0 = performance.now();
    const ledger = new ComponentLedger(this.directory);
    const results: ExecutionBatchResult['results'] = [];
    for (const item of items) {
      try {
        const img = item.inputs.find((t) => t.name === 'image');
        if (!img || img.datatype !== 'BYTES' || (img.data as Uint8Array[]).length !== 1) {
          throw new EdgeError('INVALID_ARGUMENT', "input 'image' must be one encoded image (BYTES, shape [1])");
        }
        const o = parseJobParameters(withoutTimeout(item.parameters));
        const r = await runFaceJob(
          (img.data as Uint8Array[])[0],
          this.cfg,
          o,
          { directory: this.directory, decoder: this.opts.decoder, maxPixels: this.opts.maxPixels },
          ledger,
        );
        results.push(toOutputs(r, item.outputs, this.cfg.embedder.alignment));
      } catch (e) {
        results.push({ error: errorOf(e) });
      }
    }
    const components = ledger.list();
    // The pipeline's own compute: what its components did not spend.
    const total = (performance.now() - t0) * 1000;
    const inner = components.reduce((s, c) => s + c.timing.inferUs, 0);
    return { results, timing: { inputUs: total - inner, inferUs: inner, outputUs: 0 }, components };
  }

  async dispose(): Promise<void> {}
}

function withoutTimeout(p: ExecutionItem['parameters']) {
  if (!p || !('timeout' in p)) return p;
  const { timeout: _t, ...rest } = p;
  return rest;
}

function toOutputs(r: FaceJobResult, wanted: string[], alignment: string) {
  const n = r.faces.length;
  const m = r.analyzed.length;
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  r.faces.forEach((f, i) => {
    boxes.set(f.box, i * 4);
    scores[i] = f.score;
  });
  const cat = (parts: Float32Array[], per: number) => {
    const o = new Float32Array(parts.length * per);
    parts.forEach((p, i) => {
      o.set(p, i * per);
    });
    return o;
  };
  const dim = r.embeddings[0]?.length ?? 0;
  const all: Tensor[] = [
    { name: 'boxes', datatype: 'FP32', shape: [n, 4], data: boxes },
    { name: 'scores', datatype: 'FP32', shape: [n], data: scores },
    { name: 'chosen', datatype: 'INT32', shape: [1], data: Int32Array.of(r.chosen) },
    { name: 'analyzed', datatype: 'INT32', shape: [m], data: Int32Array.from(r.analyzed) },
    { name: 'landmarks', datatype: 'FP32', shape: [m, 68, 2], data: cat(r.landmarks, 136) },
    { name: 'embeddings', datatype: 'FP32', shape: [r.embeddings.length, dim], data: cat(r.embeddings, dim) },
    { name: 'liveness', datatype: 'FP32', shape: [r.liveness.length], data: Float32Array.from(r.liveness) },
    { name: 'pose', datatype: 'FP32', shape: [r.pose.length, 3], data: Float32Array.from(r.pose.flat()) },
    { name: 'eyes', datatype: 'FP32', shape: [r.eyes.length, 2], data: Float32Array.from(r.eyes.flat()) },
  ];
  return {
    outputs: all.filter((t) => wanted.includes(t.name)),
    parameters: {
      image_width: r.width,
      image_height: r.height,
      alignment,
      ...(r.embedModel ? { embed_model: r.embedModel.name, embed_version: r.embedModel.version } : {}),
      stage_us: JSON.stringify(Object.fromEntries(Object.entries(r.stages).map(([k, v]) => [k, Math.round(v)]))),
    },
  };
}

/** LocalLoader's `platforms` entry for the face job, over a thread's image tensorizer (whose
 *  decoder it uses). What each composition root passes. */
export function facePlatforms(o: {
  tensorizer: () => Promise<ImageTensorizer>;
  maxPixels?: number;
  defaultInstances: number;
}): Record<string, (d: LocalDirectory) => ModelLoader> {
  const decoder = async () => {
    const d = (await o.tensorizer()).decoder;
    if (!d) throw new Error("this runtime's image tensorizer exposes no decoder: the face job cannot run here");
    return d;
  };
  return { [FACE_PLATFORM]: (directory) => new FacePipelineLoader(directory, { decoder, maxPixels: o.maxPixels, defaultInstances: o.defaultInstances }) };
}
