// One face job on one encoded image, in the thread that decodes it: decode ONCE, then detect →
// (per analysed face) landmarks → align → embed → liveness / pose / eyes, every model reached through
// this thread's LocalDirectory as engine-level instances (tensors in, tensors out). Each run of a
// component is reported as a ComponentRun, so face_detect, face_embed, … keep their statistics
// and metrics as if they had been called directly. Components are looked up at each call, so a
// reloaded component is used from its next request on.

import { EdgeError, unavailable } from '../../core/errors.ts';
import type { ComponentRun, ExecutionTiming, ModelInstance } from '../../core/instance.ts';
import type { ImagePreprocessing } from '../../core/model-config.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { LocalDirectory, LocalModel } from '../../engine/local-directory.ts';
import type { ImageDecoder } from '../../image/decoder.ts';
import { checkCrop } from '../../image/geometry.ts';
import { preprocess } from '../../image/preprocess.ts';
import type { RawImage } from '../../image/raw-image.ts';
import { type Point, warpToTensor } from '../../image/warp.ts';
import { type Alignment, alignedFaceTensor, fivePoints } from './align.ts';
import { chooseFace } from './choose.ts';
import { eyeCrops } from './eyes.ts';
import { binnedAngle, paddedBoxCrop, resizeMap, scaledBoxCrop, softmax } from './crops.ts';
import { type Box, type Face, decodeDetections, iou, l2normalize } from './geometry.ts';
import type { FaceJobConfig, FaceJobOptions } from './pipeline-config.ts';

/** What one image's job found, before it is laid out as output tensors. */
export interface FaceJobResult {
  width: number;
  height: number;
  /** Detections (best score first), plus the caller's box last when one was given. */
  faces: Face[];
  chosen: number;
  /** Indices into faces of the analysed ones; the arrays below follow this order. */
  analyzed: number[];
  landmarks: Float32Array[];
  points5: Point[][];
  embeddings: Float32Array[];
  liveness: number[];
  pose: Array<[number, number, number]>;
  /** Open probability of the image-left and the image-right eye (eyes.ts). */
  eyes: Array<[number, number]>;
  embedModel?: { name: string; version: string };
  /** Microseconds per stage (decode, detect, landmarks, align, embed, liveness, pose, eyes). */
  stages: Record<string, number>;
}

export interface FaceJobDeps {
  directory: LocalDirectory;
  decoder: () => Promise<ImageDecoder>;
  maxPixels?: number;
}

const now = () => performance.now();

/** Per-component bookkeeping of one execute() call. */
export class ComponentLedger {
  private readonly runs = new Map<string, ComponentRun>();
  private readonly rr = new Map<string, number>();

  constructor(private readonly directory: LocalDirectory) {}

  /** The component's entry in this thread, or 503 naming it. */
  model(name: string): LocalModel {
    const m = this.directory.get(name);
    if (!m || m.instances.length === 0) throw unavailable(`component model '${name}' of the face job is not loaded in this thread`, 1);
    return m;
  }

  /** Runs one item on the component (round-robin over its instances), counting it. */
  async run(m: LocalModel, inputs: Tensor[], outputs: string[], prepUs: number): Promise<Tensor[]> {
    const k = this.rr.get(m.name) ?? 0;
    this.rr.set(m.name, k + 1);
    const inst: ModelInstance = m.instances[k % m.instances.length];
    const key = `${m.name}/${m.version}`;
    let r = this.runs.get(key);
    if (!r) {
      r = { model: m.name, version: m.version, items: 0, executions: 0, failed: 0, timing: { inputUs: 0, inferUs: 0, outputUs: 0 } };
      this.runs.set(key, r);
    }
    r.items += 1;
    r.executions += 1;
    r.timing.inputUs += prepUs;
    const res = await inst.execute([{ inputs, outputs }]).catch((e: unknown) => {
      r.failed += 1;
      throw e;
    });
    addTiming(r.timing, res.timing);
    const one = res.results[0];
    if ('error' in one) {
      r.failed += 1;
      throw new EdgeError(one.error.code as never, `${m.name}: ${one.error.message}`);
    }
    return one.outputs;
  }

  list(): ComponentRun[] {
    return [...this.runs.values()];
  }
}

function addTiming(into: ExecutionTiming, t: ExecutionTiming): void {
  into.inputUs += t.inputUs;
  into.inferUs += t.inferUs;
  into.outputUs += t.outputUs;
}

function imageSpec(m: LocalModel): { spec: ImagePreprocessing; input: string } {
  const spec = m.config.image;
  if (!spec) throw unavailable(`component model '${m.name}' has no image preprocessing in its config.json`, 1);
  return { spec, input: spec.input ?? m.inputs[0].name };
}

/** The model's input tensor for a preprocessed image, with the batch dim the model declares. */
function feed(m: LocalModel, input: string, t: { data: Tensor['data']; datatype: string; shape: number[] }): Tensor {
  const meta = m.inputs.find((i) => i.name === input);
  const shape = meta && meta.shape.length === t.shape.length + 1 ? [1, ...t.shape] : t.shape;
  return { name: input, datatype: t.datatype as Tensor['datatype'], shape, data: t.data };
}

function out(ts: Tensor[], name: string, model: string): Float32Array {
  const t = ts.find((x) => x.name === name);
  if (!t || !(t.data instanceof Float32Array)) throw new EdgeError('INTERNAL', `component model '${model}' returned no FP32 output '${name}'`);
  return t.data;
}

export async function runFaceJob(bytes: Uint8Array, cfg: FaceJobConfig, o: FaceJobOptions, deps: FaceJobDeps, ledger: ComponentLedger): Promise<FaceJobResult> {
  const stages: Record<string, number> = {};
  const lap = (stage: string, since: number) => {
    const t = now();
    stages[stage] = (stages[stage] ?? 0) + (t - since) * 1000;
    return t;
  };
  let t = now();
  const decoder = await deps.decoder();
  const det = ledger.model(cfg.detector.model);
  const ds = imageSpec(det);
  // The detector's pixels are the ones it gets when called on its own (image-input.ts): a large
  // JPEG decoded DCT-scaled towards its input, as its config's reducing_gap says.
  const detImg = await decoder.decode(bytes, {
    maxPixels: deps.maxPixels,
    targetWidth: ds.spec.width,
    targetHeight: ds.spec.height,
    reducingGap: ds.spec.reducing_gap,
  });
  t = lap('decode', t);
  const W = detImg.originalWidth,
    H = detImg.originalHeight;

  // Detect.
  const tensor = preprocess(detImg, ds.spec);
  const prep = (now() - t) * 1000;
  const dout = await ledger.run(det, [feed(det, ds.input, tensor)], [cfg.detector.scores, cfg.detector.boxes], prep);
  const faces = decodeDetections(out(dout, cfg.detector.scores, det.name), out(dout, cfg.detector.boxes, det.name), W, H, o);
  let chosen = chooseFace(faces, cfg.choose.score_margin);
  if (o.box) {
    checkCrop(o.box, W, H, 'box');
    // The caller's face: scored as the detection it overlaps most (0 when none).
    const best = faces.reduce(
      (acc, f) => {
        const v = iou(f.box, o.box!);
        return v > acc.v ? { v, s: f.score } : acc;
      },
      { v: 0, s: 0 },
    );
    faces.push({ box: o.box, score: best.s });
    chosen = faces.length - 1;
  }
  t = lap('detect', t);

  const analyzed = o.analyze === 'none' ? [] : o.analyze === 'chosen' ? (chosen >= 0 ? [chosen] : []) : faces.map((_, i) => i).slice(0, cfg.max_analyzed_faces);
  if (o.analyze === 'all' && chosen >= cfg.max_analyzed_faces) analyzed.push(chosen);
  const r: FaceJobResult = {
    width: W,
    height: H,
    faces,
    chosen,
    analyzed,
    landmarks: [],
    points5: [],
    embeddings: [],
    liveness: [],
    pose: [],
    eyes: [],
    stages,
  };
  let img = detImg;
  const scale = analysisScale(
    detImg,
    analyzed.map((i) => faces[i].box),
    cfg.analysis_face_px,
  );
  if (scale !== undefined) {
    // A JPEG is decoded at the k/8 size that covers `scale` (jpegDctSize), or in full beyond 1/2.
    const hint = isJpeg(bytes) && scale < 1 ? { targetWidth: Math.ceil(W * scale), targetHeight: Math.ceil(H * scale), reducingGap: 1 } : {};
    img = await decoder.decode(bytes, { maxPixels: deps.maxPixels, ...hint });
    t = lap('decode', t);
  }
  const alignment = cfg.embedder.alignment as Alignment;
  for (const i of analyzed) {
    const box = faces[i].box;
    // Landmarks: 68 points, relative to the crop, in pixels.
    const lm = ledger.model(cfg.landmarks.model);
    const ls = imageSpec(lm);
    const crop = scaledBoxCrop(box, W, H, cfg.landmarks.scale);
    const lt = preprocess(img, ls.spec, { crop });
    const lprep = (now() - t) * 1000;
    const raw = (await ledger.run(lm, [feed(lm, ls.input, lt)], [lm.outputs[0].name], lprep))[0].data as Float32Array;
    const pts = new Float32Array(136);
    const cw = crop[2] - crop[0],
      ch = crop[3] - crop[1];
    for (let k = 0; k < 68; k++) {
      pts[2 * k] = crop[0] + raw[2 * k] * cw;
      pts[2 * k + 1] = crop[1] + raw[2 * k + 1] * ch;
    }
    const p5 = fivePoints(pts);
    r.landmarks.push(pts);
    r.points5.push(p5);
    t = lap('landmarks', t);
    if (o.embed) {
      const em = ledger.model(cfg.embedder.model);
      const es = imageSpec(em);
      const at = alignedFaceTensor(img, { points5: p5, box }, es.spec, alignment);
      const aprep = (now() - t) * 1000;
      t = lap('align', t);
      const e = (await ledger.run(em, [feed(em, es.input, at)], [em.outputs[0].name], aprep))[0].data as Float32Array;
      r.embeddings.push(l2normalize(e));
      r.embedModel = { name: em.name, version: em.version };
      t = lap('embed', t);
    }
    if (o.liveness) {
      if (!cfg.liveness) throw new EdgeError('INVALID_ARGUMENT', 'liveness is not configured for this face model (config.json face.liveness)');
      const lv = ledger.model(cfg.liveness.model);
      const vs = imageSpec(lv);
      // The package's sampling (crops.ts resizeMap): the model's score moves with texture.
      const vcrop = scaledBoxCrop(box, W, H, cfg.liveness.scale);
      const vt = warpToTensor(img, resizeMap(vcrop, vs.spec.width, vs.spec.height), vs.spec, { round: true, within: vcrop });
      const vprep = (now() - t) * 1000;
      const logits = (await ledger.run(lv, [feed(lv, vs.input, vt)], [lv.outputs[0].name], vprep))[0].data as Float32Array;
      const p = softmax(logits);
      if (cfg.liveness.live_class >= p.length)
        throw new EdgeError('INTERNAL', `face.liveness.live_class ${cfg.liveness.live_class} but '${lv.name}' has ${p.length} classes`);
      r.liveness.push(p[cfg.liveness.live_class]);
      t = lap('liveness', t);
    }
    if (o.pose) {
      if (!cfg.pose) throw new EdgeError('INVALID_ARGUMENT', 'pose is not configured for this face model (config.json face.pose)');
      const pm = ledger.model(cfg.pose.model);
      const ps = imageSpec(pm);
      const pt = preprocess(img, ps.spec, { crop: paddedBoxCrop(box, W, H, cfg.pose.pad) });
      const pprep = (now() - t) * 1000;
      const po = await ledger.run(pm, [feed(pm, ps.input, pt)], [...cfg.pose.outputs], pprep);
      const [yaw, pitch, roll] = cfg.pose.outputs.map((n) => binnedAngle(out(po, n, pm.name)));
      r.pose.push([yaw, pitch, roll]);
      t = lap('pose', t);
    }
    if (o.eyes) {
      if (!cfg.eyes) throw new EdgeError('INVALID_ARGUMENT', 'eyes is not configured for this face model (config.json face.eyes)');
      const em = ledger.model(cfg.eyes.model);
      const es = imageSpec(em);
      const open: number[] = [];
      for (const crop of eyeCrops(pts, W, H, cfg.eyes.padding)) {
        const e0 = now();
        const et = preprocess(img, es.spec, { crop });
        const eprep = (now() - e0) * 1000;
        const p = softmax((await ledger.run(em, [feed(em, es.input, et)], [em.outputs[0].name], eprep))[0].data as Float32Array);
        if (cfg.eyes.open_class >= p.length)
          throw new EdgeError('INTERNAL', `face.eyes.open_class ${cfg.eyes.open_class} but '${em.name}' has ${p.length} classes`);
        open.push(p[cfg.eyes.open_class]);
      }
      r.eyes.push([open[0], open[1]]);
      t = lap('eyes', t);
    }
  }
  return r;
}

/** The decode scale the analysed faces need (cfg.analysis_face_px on the shorter side of each
 *  box), or undefined when the detector's pixels already have it. */
export function analysisScale(img: RawImage, boxes: Box[], facePx: number): number | undefined {
  if (!boxes.length || img.width >= img.originalWidth) return undefined;
  if (facePx <= 0) return 1;
  const have = img.width / img.originalWidth;
  let need = 0;
  for (const b of boxes) need = Math.max(need, facePx / Math.max(1, Math.min(b[2] - b[0], b[3] - b[1])));
  return need <= have ? undefined : Math.min(1, need);
}

const isJpeg = (b: Uint8Array) => b.length > 2 && b[0] === 0xff && b[1] === 0xd8;

export type { Box, RawImage };
