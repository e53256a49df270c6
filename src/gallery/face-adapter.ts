// A FaceAnalyzer over FaceService.analyze (the face job: one decode, detect, landmarks, align,
// embed, liveness, pose, in the thread that holds the pixels). The face chosen is the face job's
// choice (tasks/faces/choose.ts), or the caller's box. `model.version` folds the embedder's
// alignment into its version ("1+similarity5"): embeddings of differently aligned crops are not
// comparable, so a gallery bound to one refuses the other. An enrolment also passes the face
// job's quality gate (config.json face.quality): a rejected face is a 422 naming the check. An
// enrolment runs the analyses its gate checks and no others (pose for max_yaw/pitch/roll, eyes for
// min_eye_open: together they cost a fifth to a third of an enrolment's throughput), so the
// stored quality holds what the gate saw.

import type { DataPlane } from '../core/dataplane.ts';
import { fivePoints } from '../tasks/faces/align.ts';
import { FaceService, type FaceModels, qualityError } from '../tasks/faces/service.ts';
import type { AnalyzeOptions, Analysis, AnalyzedFace, FaceAnalyzer } from './face-analyzer.ts';

const r1 = (x: number) => Math.round(x * 10) / 10;
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export class FaceServiceAnalyzer implements FaceAnalyzer {
  private readonly faces: FaceService;

  constructor(
    dp: DataPlane,
    private readonly models: FaceModels = { face: 'face' },
  ) {
    this.faces = new FaceService(dp, models);
  }

  admit(): void {
    this.faces.admit();
  }

  async analyze(image: Uint8Array, o: AnalyzeOptions = {}): Promise<Analysis> {
    const gate = this.faces.jobConfig().quality;
    const pose = o.enrol === true && (gate.max_yaw !== undefined || gate.max_pitch !== undefined || gate.max_roll !== undefined);
    const eyes = o.enrol === true && gate.min_eye_open !== undefined;
    const a = await this.faces.analyze(image, {
      box: o.box,
      analyze: o.all && !o.box ? 'all' : 'chosen',
      embed: true,
      liveness: o.liveness,
      pose,
      eyes,
      signal: o.signal,
    });
    const faces: AnalyzedFace[] = a.faces.map((f) => ({ box: f.box.map(r1) as AnalyzedFace['box'], score: Math.round(f.score * 1e4) / 1e4 }));
    a.analyzed.forEach((fi, k) => {
      const f = faces[fi];
      if (a.embeddings[k]) f.embedding = a.embeddings[k];
      if (a.landmarks[k]?.length >= 136) f.landmarks = fivePoints(a.landmarks[k]).map(([x, y]) => [r1(x), r1(y)]);
      if (o.liveness && a.liveness[k] !== undefined) f.liveness = a.liveness[k];
      const size = Math.min(f.box[2] - f.box[0], f.box[3] - f.box[1]);
      f.quality = {
        size_px: r1(size),
        ...(a.pose[k] ? { yaw: r1(a.pose[k][0]), pitch: r1(a.pose[k][1]), roll: r1(a.pose[k][2]) } : {}),
        ...(a.eyes[k] ? { eye_open_left: r4(a.eyes[k][0]), eye_open_right: r4(a.eyes[k][1]) } : {}),
      };
      if (o.enrol && fi === a.chosen) {
        const fail = this.faces.checkQuality({ box: f.box, score: f.score, pose: a.pose[k], eyes: a.eyes[k] });
        if (fail) throw qualityError(fail);
      }
    });
    const model = a.model ? { name: a.model.name, version: `${a.model.version}+${a.model.alignment}` } : { name: this.models.face, version: 'unknown' };
    return { image: a.image, faces, chosen: a.chosen, model };
  }
}
