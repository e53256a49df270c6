// The filesystem model repository: models/<name>/config.json and models/<name>/<version>/<file>
// (model.onnx for ONNX), plus models/<name>/warmup/ for model_warmup files. Uses node:fs, which
// Bun, Deno and Node all provide. Fingerprints (for poll mode) are the config text and each
// version file's size and mtime: cheap enough to take every few seconds.

import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRepository, RepositoryFingerprint } from '../core/repository.ts';

export class FsRepository implements ModelRepository {
  constructor(readonly root: string) {}

  async list(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`model repository ${this.root}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
    });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  }

  async readConfig(name: string) {
    const source = join(this.root, name, 'config.json');
    const text = await readFile(source, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw new Error(`${source}: ${e.message}`);
    });
    return { text, source };
  }

  async listVersions(name: string, file: string | undefined): Promise<string[]> {
    const entries = await readdir(join(this.root, name), { withFileTypes: true }).catch(() => []);
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || !/^[0-9]+$/.test(e.name)) continue;
      if (file === undefined || (await exists(join(this.root, name, e.name, file)))) out.push(e.name);
    }
    return out;
  }

  async readModel(name: string, version: string, file: string) {
    const source = join(this.root, name, version, file);
    const buf = await readFile(source);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), source };
  }

  async readAsset(name: string, path: string) {
    const source = join(this.root, name, path);
    const buf = await readFile(source).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${source}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), source };
  }

  async fingerprint(name: string, file: string | undefined): Promise<RepositoryFingerprint> {
    const { text } = await this.readConfig(name);
    const versions: Record<string, string> = {};
    for (const v of await this.listVersions(name, file)) {
      const s = file === undefined ? undefined : await stat(join(this.root, name, v, file)).catch(() => undefined);
      versions[v] = s ? `${s.size}:${s.mtimeMs}` : 'dir';
    }
    return { config: text ?? '', versions };
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
