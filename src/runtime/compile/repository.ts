// The model repository built into the compiled binary: models/<name>/config.json and
// models/<name>/<version>/model.onnx from the embedded archive, held in memory (the face models
// are ~6 MB). Read-only and fixed at build time; point MODEL_REPOSITORY at a directory to serve
// other models.

import type { ModelRepository } from '../../core/repository.ts';

export class BuiltInRepository implements ModelRepository {
  constructor(private readonly files: Map<string, Uint8Array>) {}

  /** Whether the archive holds any model at all. */
  get empty(): boolean {
    return ![...this.files.keys()].some((p) => /^models\/[^/]+\/config\.json$/.test(p));
  }

  async list(): Promise<string[]> {
    const names = new Set<string>();
    for (const p of this.files.keys()) {
      const m = /^models\/([^/]+)\/config\.json$/.exec(p);
      if (m) names.add(m[1]!);
    }
    return [...names].sort();
  }

  async readConfig(name: string) {
    const source = `models/${name}/config.json (built in)`;
    const bytes = this.files.get(`models/${name}/config.json`);
    return { text: bytes ? new TextDecoder().decode(bytes) : undefined, source };
  }

  async readAsset(name: string, path: string) {
    const source = `models/${name}/${path} (built in)`;
    const bytes = this.files.get(`models/${name}/${path}`);
    if (!bytes) throw new Error(`${source}: not in this binary`);
    return { bytes: bytes.slice(), source };
  }

  async listVersions(name: string, file: string | undefined): Promise<string[]> {
    const out = new Set<string>();
    for (const p of this.files.keys()) {
      const m = /^models\/([^/]+)\/([0-9]+)\/(.+)$/.exec(p);
      if (m && m[1] === name && (file === undefined || m[3] === file)) out.add(m[2]!);
    }
    return [...out];
  }

  async readModel(name: string, version: string, file: string) {
    const source = `models/${name}/${version}/${file} (built in)`;
    const bytes = this.files.get(`models/${name}/${version}/${file}`);
    if (!bytes) throw new Error(`${source}: not in this binary`);
    // A copy: a loader may transfer the buffer to a worker, and the next load needs it again.
    return { bytes: bytes.slice(), source };
  }
}
