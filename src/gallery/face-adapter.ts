// A FaceAnalyzer over today's FaceService (detect, then crop-and-embed, through the DataPlane):
// what the gallery runs until the one-decode face job replaces it behind the same interface.
// The face chosen is the one /v1/faces/embed would embed (the largest detection, square crop),
// so an embedding from that route can be searched against a gallery enrolled through this one.
// The model version comes from the embed model's infer response, recorded per call by a thin
// view of the DataPlane (FaceService itself does not return it).

import type { DataPlane } from '../core/dataplane.ts';
import { unavailable } from '../core/errors.ts';
import type { InferRequest } from '../core/inference.ts';
import { DEFAULT_DETECT, FaceService, type FaceModels } from '../tasks/faces/service.ts';
import { type Box, iou, largest, squareCrop } from '../tasks/faces/geometry.ts';
import type { AnalyzeOptions, Analysis, AnalyzedFace, FaceAnalyzer } from './face-analyzer.ts';

/** The preprocessing tag in `model.version`: embeddings of a square box crop, not aligned. */
export const SQUARE_CROP = 'square-crop';

/** Bounds the work of `all`: at most this many faces are embedded per image. */
export const MAX_EMBEDDED_FACES = 10;

export class FaceServiceAnalyzer implements FaceAnalyzer {
  constructor(private readonly dp: DataPlane, private readonly models: FaceModels = { detect: 'face_detect', embed: 'face_embed' }) {}

  admit(): void {
    this.dp.admit(this.models.detect);
    this.dp.admit(this.models.embed);
  }

  async analyze(image: Uint8Array, o: AnalyzeOptions = {}): Promise<Analysis> {
    const versions: string[] = [];
    const faces = new FaceService(this.recording(versions), this.models);
    const d = await faces.detect(image, DEFAULT_DETECT, o.signal);
    const { width, height } = d.image;
    let found: AnalyzedFace[];
    let chosen: number;
    if (o.box) {
      const best = d.faces.reduce<{ score: number; overlap: number }>((acc, f) => {
        const ov = iou(f.box, o.box!);
        return ov > acc.overlap ? { score: f.score, overlap: ov } : acc;
      }, { score: 0, overlap: 0 });
      found = [{ box: o.box, score: best.score }];
      chosen = 0;
    } else {
      found = d.faces.map((f) => ({ box: f.box, score: f.score }));
      const big = largest(d.faces);
      chosen = big ? d.faces.indexOf(big) : -1;
    }
    const toEmbed = o.all && !o.box ? found.slice(0, MAX_EMBEDDED_FACES).map((_, i) => i) : chosen >= 0 ? [chosen] : [];
    if (o.all && chosen >= MAX_EMBEDDED_FACES) toEmbed.push(chosen);
    await Promise.all(toEmbed.map(async (i) => {
      const f = found[i];
      // Without a caller's box, embed the square crop /v1/faces/embed uses for a detected face.
      const crop: Box = o.box ? f.box : squareCrop(f.box, width, height);
      const e = await faces.embed(image, crop, o.signal);
      f.embedding = Float32Array.from(e.embedding);
    }));
    // Analysing an image with no face embeds nothing: the model is then the one the DataPlane serves.
    if (versions.some((v) => v !== versions[0])) throw unavailable(`model '${this.models.embed}' changed version during the request (${[...new Set(versions)].join(', ')}): retry`, 1);
    const version = versions[0] ?? this.dp.modelMetadata(this.models.embed).versions.at(-1) ?? '?';
    return { image: { width, height }, faces: found, chosen, model: { name: this.models.embed, version: `${version}+${SQUARE_CROP}` } };
  }

  /** The DataPlane, with the embed model's versions recorded as its responses come back. */
  private recording(into: string[]): DataPlane {
    const dp = this.dp;
    const embed = this.models.embed;
    return Object.create(dp, {
      infer: {
        value: async (name: string, version: string | undefined, req: InferRequest) => {
          const r = await dp.infer(name, version, req);
          if (name === embed) into.push(r.model_version);
          return r;
        },
      },
    }) as DataPlane;
  }
}
