// A recipe (recipe.ts) run against a model repository: the calibration samples, the derived
// model, the gate samples and the gate. Used by `pull` (derive only), `edgeserve quantize`
// and the tests, so the three build the same bytes. The repository, the image pipeline and
// the engines are passed in (RepoAccess, Tensorizer, OpenSession): this file does no I/O.

import { ImagePreprocessing } from '../../core/model-config.ts';
import type { ImageDecoder } from '../../image/decoder.ts';
import { FaceJobConfig } from '../../tasks/faces/pipeline-config.ts';
import { alignedFaces } from './aligned.ts';
import { DEFAULT_DETECT } from '../../tasks/faces/service.ts';
import { type CalibrationMethod } from './calibrate.ts';
import { detectorGate, embedderGate, type GateResult, outputsGate, type FaceSample } from './gates.ts';
import { build, type Built, prepareQuantization, type Prepared } from './quantize.ts';
import type { Calibration, Gate, Recipe } from './recipe.ts';
import { type FaceInputs, faceSamples, imageSamples, type Sample, type SourceImage, squareCropFaces, type Tensorizer } from './samples.ts';
import type { OpenSession, QSession } from './session.ts';

export interface RepoAccess {
  /** A model's config.json (parsed JSON). */
  config(model: string): Promise<{ image?: unknown }>;
  /** A model's FP32 weights, pulled if missing. */
  weights(model: string): Promise<Uint8Array>;
  /** A file named in the recipe (relative to the derived model's directory). */
  file(path: string): Promise<Uint8Array>;
  /** The path as the recipe's holder resolves it (to tell held-out images from calibration ones). */
  resolve(path: string): string;
}

export interface Derivation {
  model: string;
  base: string;
  recipe: Recipe;
  repo: RepoAccess;
  tensorizer: Tensorizer;
  /** Needed by aligned faces (`aligned_by`): they are warped from the decoded image. */
  decoder?: ImageDecoder;
}

export async function imageSpec(repo: RepoAccess, model: string): Promise<ImagePreprocessing> {
  const cfg = await repo.config(model);
  if (!cfg.image) throw new Error(`model '${model}' has no "image" section in its config.json; calibration feeds images through it`);
  return ImagePreprocessing.parse(cfg.image);
}

async function images(repo: RepoAccess, paths: string[]): Promise<SourceImage[]> {
  return Promise.all(paths.map(async (p) => ({ name: p.split('/').pop() ?? p, bytes: await repo.file(p) })));
}

/**
 * The faces the embedder gets, from a detector model (FP32, on the given engine): aligned as the
 * face job `alignedBy` aligns them, or else FaceService's square crop of the box.
 */
export async function detectorFaces(
  d: Derivation,
  detector: string,
  open: OpenSession,
  all: boolean,
  alignedBy?: string,
): Promise<{ faces: FaceInputs; session: { release(): Promise<void> } }> {
  const session = await open(await d.repo.weights(detector));
  const spec = await imageSpec(d.repo, detector);
  if (!alignedBy) return { session, faces: squareCropFaces(session, spec, d.tensorizer, { detect: DEFAULT_DETECT, all }) };
  if (!d.decoder) throw new Error('aligned faces need an image decoder in the derivation');
  const cfg = (await d.repo.config(alignedBy)) as { face?: unknown };
  const job = FaceJobConfig.parse(cfg.face);
  const landmarks = await open(await d.repo.weights(job.landmarks.model));
  const faces = alignedFaces({
    decoder: d.decoder,
    detector: { session, spec },
    landmarks: { session: landmarks, spec: await imageSpec(d.repo, job.landmarks.model) },
    embedSpec: await imageSpec(d.repo, d.model),
    job,
    detect: DEFAULT_DETECT,
    all,
  });
  return {
    faces,
    session: {
      release: async () => {
        await Promise.all([session.release(), landmarks.release()]);
      },
    },
  };
}

export async function calibrationSamples(d: Derivation, open: OpenSession): Promise<Sample[]> {
  const c: Calibration = d.recipe.calibration;
  const spec = await imageSpec(d.repo, d.model);
  const imgs = await images(d.repo, c.images);
  if (!c.faces) return imageSamples(imgs, spec, d.tensorizer, c.augment);
  const { faces, session } = await detectorFaces(d, c.faces, open, true, c.aligned_by);
  try {
    const s = await faceSamples(imgs, spec, d.tensorizer, faces, c.augment);
    if (s.length === 0) throw new Error(`calibration: detector '${c.faces}' found no face in ${c.images.join(', ')}`);
    return s;
  } finally {
    await session.release();
  }
}

export function methodOf(c: Calibration): CalibrationMethod {
  return c.method === 'percentile' ? { method: 'percentile', percentile: c.percentile! } : { method: c.method };
}

export function buildOptions(r: Recipe, exclude = r.exclude) {
  return { calibration: methodOf(r.calibration), exclude, reduceRange: r.reduce_range };
}

export interface Derived {
  bytes: Uint8Array;
  built: Built;
  prepared: Prepared;
  samples: Sample[];
}

/** The derived model's bytes, as `pull` writes them. `open` should be deterministic (WASM, one thread). */
export async function derive(d: Derivation, open: OpenSession): Promise<Derived> {
  const samples = await calibrationSamples(d, open);
  const fp32 = await d.repo.weights(d.base);
  const prepared = await prepareQuantization(
    fp32,
    samples.map((s) => s.feeds),
    open,
    { equalize: d.recipe.equalize },
  );
  const built = build(prepared, buildOptions(d.recipe));
  return { bytes: built.bytes, built, prepared, samples };
}

/** Gate samples; `faces` overrides how an embedder gate gets its face crops (see samples.ts). */
export async function gateSamples(d: Derivation, open: OpenSession, faces?: FaceInputs): Promise<Array<Sample & { heldOut: boolean; identity?: string }>> {
  const g: Gate = d.recipe.gate;
  const calibrated = new Set(d.recipe.calibration.images.map((p) => d.repo.resolve(p)));
  const spec = await imageSpec(d.repo, d.model);
  const out: Array<Sample & { heldOut: boolean; identity?: string }> = [];
  for (const p of g.images) {
    const [img] = await images(d.repo, [p]);
    const heldOut = !calibrated.has(d.repo.resolve(p));
    let samples: Sample[];
    if (g.kind === 'face_embed') {
      let source = faces;
      let session: { release(): Promise<void> } | undefined;
      if (!source) ({ faces: source, session } = await detectorFaces(d, g.detector, open, false, g.aligned_by));
      try {
        samples = await faceSamples([img], spec, d.tensorizer, source, g.augment);
      } finally {
        await session?.release();
      }
      for (const s of samples) out.push({ ...s, heldOut, identity: g.identities[p] });
    } else {
      samples = await imageSamples([img], spec, d.tensorizer, g.augment);
      for (const s of samples) out.push({ ...s, heldOut });
    }
  }
  return out;
}

/** Runs the recipe's gate with FP32 and INT8 sessions on the engine that will serve them. */
export async function runGate(
  d: Derivation,
  fp32: QSession,
  int8: QSession,
  samples: Array<Sample & { heldOut: boolean; identity?: string }>,
): Promise<GateResult> {
  const g = d.recipe.gate;
  if (g.kind === 'face_detect') {
    return detectorGate(fp32, int8, samples, {
      detect: { ...DEFAULT_DETECT, scoreThreshold: g.score_threshold },
      minIou: g.min_iou,
      maxScoreDelta: g.max_score_delta,
    });
  }
  if (g.kind === 'face_embed') {
    return embedderGate(fp32, int8, samples as FaceSample[], { minCosine: g.min_cosine, threshold: g.threshold });
  }
  return outputsGate(fp32, int8, samples, { minCosine: g.min_cosine });
}
