// Face detection, embedding and 1:1 verification composed from models through the DataPlane,
// so the face routes share validation, queueing, batching and statistics with KServe infer.
// The models receive encoded images (BYTES) and decode/preprocess them themselves (config.json
// `image`), which keeps decoding off the HTTP thread wherever model instances run.

import type { DataPlane } from '../../core/dataplane.ts';
import { EdgeError, internal } from '../../core/errors.ts';
import type { InferResponse } from '../../core/inference.ts';
import { type Box, type DetectOptions, type Face, cosine, decodeDetections, l2normalize, largest, round, squareCrop } from './geometry.ts';

export interface FaceModels {
  detect: string;
  embed: string;
}

export interface ImageSize {
  width: number;
  height: number;
}

export interface Detection {
  faces: Face[];
  image: ImageSize;
}

export interface Embedding {
  embedding: number[];
  box: Box;
  image: ImageSize;
}

export interface Verification {
  similarity: number;
  match: boolean;
  threshold: number;
  faces: [Box, Box];
}

export const DEFAULT_DETECT: DetectOptions = { scoreThreshold: 0.7, iouThreshold: 0.3, maxFaces: 50 };
export const DEFAULT_MATCH_THRESHOLD = 0.5;

export class FaceService {
  constructor(private readonly dp: DataPlane, private readonly models: FaceModels = { detect: 'face_detect', embed: 'face_embed' }) {}

  /** Throws the 404/503 the task would meet now (model missing, not ready, queue full), so a
   *  route can refuse before it reads the upload. */
  admit(task: 'detect' | 'embed' | 'verify'): void {
    if (task !== 'embed') this.dp.admit(this.models.detect);
    if (task !== 'detect') this.dp.admit(this.models.embed);
  }

  async detect(image: Uint8Array, o: DetectOptions = DEFAULT_DETECT, signal?: AbortSignal): Promise<Detection> {
    const r = await this.dp.infer(this.models.detect, undefined, {
      inputs: [{ name: await this.imageInput(this.models.detect), datatype: 'BYTES', shape: [1], data: [image] }],
      signal,
    });
    const size = imageSize(r);
    const scores = output(r, 'scores');
    const boxes = output(r, 'boxes');
    const faces = decodeDetections(scores, boxes, size.width, size.height, o)
      .map((f) => ({ box: f.box.map((v) => round(v, 1)) as Box, score: round(f.score, 4) }));
    return { faces, image: size };
  }

  /** Embeds the face in `box` (original-image pixels), or the largest detected face. */
  async embed(image: Uint8Array, box?: Box, signal?: AbortSignal, label = 'image'): Promise<Embedding> {
    let size: ImageSize | undefined;
    if (!box) {
      const d = await this.detect(image, DEFAULT_DETECT, signal);
      const f = largest(d.faces);
      if (!f) throw new EdgeError('UNPROCESSABLE', `no face found in ${label}`);
      box = f.box;
      size = d.image;
    }
    const crop = size ? squareCrop(box, size.width, size.height) : box;
    const r = await this.dp.infer(this.models.embed, undefined, {
      inputs: [{
        name: await this.imageInput(this.models.embed), datatype: 'BYTES', shape: [1], data: [image],
        parameters: { crop: crop.map((v) => v.toFixed(2)).join(',') },
      }],
      signal,
    });
    const v = l2normalize(firstOutput(r));
    return { embedding: Array.from(v, (x) => round(x, 6)), box, image: size ?? imageSize(r) };
  }

  async verify(a: Uint8Array, b: Uint8Array, threshold = DEFAULT_MATCH_THRESHOLD, signal?: AbortSignal): Promise<Verification> {
    const [ea, eb] = await Promise.all([this.embed(a, undefined, signal, 'image1'), this.embed(b, undefined, signal, 'image2')]);
    const similarity = round(cosine(Float32Array.from(ea.embedding), Float32Array.from(eb.embedding)), 4);
    return { similarity, match: similarity >= threshold, threshold, faces: [ea.box, eb.box] };
  }

  private inputNames = new Map<string, string>();
  /** The model input that takes encoded images (config.json `image.input`). */
  private async imageInput(model: string): Promise<string> {
    let n = this.inputNames.get(model);
    if (!n) {
      const cfg = this.dp.modelConfig(model);
      if (!cfg.image) throw internal(`model '${model}' has no image preprocessing in its config.json`);
      n = cfg.image.input ?? this.dp.modelMetadata(model).inputs[0].name;
      this.inputNames.set(model, n);
    }
    return n;
  }
}

function imageSize(r: InferResponse): ImageSize {
  const w = Number(r.parameters?.image_width);
  const h = Number(r.parameters?.image_height);
  if (!(w > 0 && h > 0)) throw internal(`model '${r.model_name}' did not report the decoded image size`);
  return { width: w, height: h };
}

function output(r: InferResponse, name: string): Float32Array {
  const o = r.outputs.find((x) => x.name === name);
  if (!o || !(o.data instanceof Float32Array)) throw internal(`model '${r.model_name}' returned no FP32 output '${name}'`);
  return o.data;
}

function firstOutput(r: InferResponse): Float32Array {
  const o = r.outputs[0];
  if (!o || !(o.data instanceof Float32Array)) throw internal(`model '${r.model_name}' returned no FP32 output`);
  return o.data;
}
