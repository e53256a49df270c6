// A ModelRepository whose configs are bundled into the script (imported JSON) and whose weights
// come from a reader the runtime supplies (on Workers: private Static Assets). For runtimes with
// no filesystem: the set of models is fixed when the bundle is built, so there is nothing to
// poll, index or load at run time.

import type { ModelRepository } from '../../core/repository.ts';

export interface BundledModel {
  /** The parsed config.json; the registry validates it like a file's. */
  config: unknown;
  /** Version directories shipped, e.g. ['1']. */
  versions: string[];
}

/** Fetches models/<name>/<version>/model.onnx from wherever the runtime ships weights. */
export type WeightsReader = (name: string, version: string) => Promise<Uint8Array>;

export class BundledRepository implements ModelRepository {
  constructor(
    private readonly models: Record<string, BundledModel>,
    private readonly readWeights: WeightsReader,
  ) {}

  async list(): Promise<string[]> {
    return Object.keys(this.models).sort();
  }

  async readConfig(name: string) {
    return { text: JSON.stringify(this.get(name).config), source: `bundled ${name}/config.json` };
  }

  async listVersions(name: string, _file: string | undefined): Promise<string[]> {
    return [...this.get(name).versions];
  }

  async readModel(name: string, version: string, file: string) {
    const source = `${name}/${version}/${file}`;
    if (!this.get(name).versions.includes(version)) throw new Error(`${source}: not in the bundle`);
    return { bytes: await this.readWeights(name, version), source };
  }

  private get(name: string): BundledModel {
    const m = this.models[name];
    if (!m) throw new Error(`model '${name}' is not in the bundle`);
    return m;
  }
}
