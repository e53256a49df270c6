// The filesystem model repository: models/<name>/config.json and models/<name>/<version>/model.onnx.
// Uses node:fs, which Bun, Deno and Node all provide.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRepository } from '../core/repository.ts';

export class FsRepository implements ModelRepository {
  constructor(readonly root: string) {}

  async list(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`model repository ${this.root}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
    });
    const names: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.')) {
        if (await exists(join(this.root, e.name, 'config.json'))) names.push(e.name);
      }
    }
    return names.sort();
  }

  async readConfig(name: string) {
    const source = join(this.root, name, 'config.json');
    return { text: await readFile(source, 'utf8'), source };
  }

  async listVersions(name: string): Promise<string[]> {
    const entries = await readdir(join(this.root, name), { withFileTypes: true });
    const out: string[] = [];
    for (const e of entries) {
      if (e.isDirectory() && /^[0-9]+$/.test(e.name) && (await exists(join(this.root, name, e.name, 'model.onnx')))) out.push(e.name);
    }
    return out;
  }

  async readModel(name: string, version: string) {
    const source = join(this.root, name, version, 'model.onnx');
    const buf = await readFile(source);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), source };
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
