// The models loaded in this thread, by name: what a pipeline platform (a model that runs other
// models, e.g. the face job: detect → landmarks → align → embed on one decoded image) uses to
// reach its component models without leaving the thread that holds the pixels. Entries are the
// engine-level instances (tensors in, tensors out) with the config they were loaded with; an
// entry leaves as soon as its version starts unloading.

import type { TensorMetadata } from '../core/inference.ts';
import type { ModelInstance } from '../core/instance.ts';
import type { ModelConfig } from '../core/model-config.ts';

export interface LocalModel {
  name: string;
  version: string;
  config: ModelConfig;
  instances: ModelInstance[];
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export class LocalDirectory {
  private readonly entries = new Map<string, LocalModel[]>();

  /** Adds a loaded version; the returned function removes it (idempotent). */
  add(m: LocalModel): () => void {
    const list = this.entries.get(m.name) ?? [];
    list.push(m);
    this.entries.set(m.name, list);
    return () => {
      const l = this.entries.get(m.name);
      const i = l?.indexOf(m) ?? -1;
      if (i >= 0) l!.splice(i, 1);
      if (l && l.length === 0) this.entries.delete(m.name);
    };
  }

  /** The version a pipeline should use: the highest version number, the latest load of it
   *  (a reload loads beside the serving one before the old is unloaded). */
  get(name: string): LocalModel | undefined {
    const l = this.entries.get(name);
    if (!l?.length) return undefined;
    return l.reduce((best, m) => (Number(m.version) >= Number(best.version) ? m : best));
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}
