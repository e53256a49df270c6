// Model repository loading: each broken model is reported with file, field and reason and marked
// unavailable while the others serve; inputs/outputs left out are read from the ONNX file;
// version_policy picks the versions.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepository } from '../../test/helpers.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import { FsRepository } from '../runtime/fs-repository.ts';
import { ModelRegistry } from './registry.ts';

let repo: string;
let registry: ModelRegistry;
const logs: string[] = [];

function model(name: string, config: unknown, files: Record<string, Uint8Array | string> = {}) {
  mkdirSync(join(repo, name), { recursive: true });
  writeFileSync(join(repo, name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [v, bytes] of Object.entries(files)) {
    mkdirSync(join(repo, name, v), { recursive: true });
    writeFileSync(join(repo, name, v, 'model.onnx'), bytes);
  }
}

beforeAll(async () => {
  repo = tempRepository();
  const simple = buildSimpleModel();
  model('bad_json', '{ "name": "bad_json", ', { 1: simple });
  model('bad_type', { name: 'bad_type', input: [{ name: 'INPUT0', data_type: 'TYPE_FLOAT99', dims: [16] }] }, { 1: simple });
  model('garbage', { name: 'garbage' }, { 1: 'this is not an onnx file' });
  model('wrong_io', { name: 'wrong_io', max_batch_size: 8, input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [16] }] }, { 1: simple });
  model('no_io', { name: 'no_io', max_batch_size: 4 }, { 1: simple, 2: simple, 3: simple });
  model('all_versions', { name: 'all_versions', version_policy: { all: {} } }, { 1: simple, 2: simple });
  model('specific', { name: 'specific', version_policy: { specific: { versions: [1] } } }, { 1: simple, 2: simple });
  registry = new ModelRegistry(new FsRepository(repo), new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: 1 }), {
    defaultInstanceCount: 1,
    maxQueueSize: 8,
    log: (l, m) => logs.push(`${l} ${m}`),
  });
  await registry.loadAll();
});
afterAll(async () => {
  await registry.unloadAll();
  rmSync(repo, { recursive: true, force: true });
});

const errorOf = (name: string) => {
  const m = registry.get(name)!;
  return m.error ?? [...m.versions.values()].map((v) => v.reason).join('; ');
};

describe('ModelRegistry', () => {
  test('the good model serves while the broken ones are unavailable', () => {
    expect(registry.resolve('simple').served.state).toBe('READY');
    for (const n of ['bad_json', 'bad_type', 'garbage', 'wrong_io']) expect(() => registry.resolve(n)).toThrow();
    expect(registry.isReady()).toBe(false);
  });

  test('errors name the file, the field and the reason', () => {
    expect(errorOf('bad_json')).toMatch(/bad_json\/config\.json: not valid JSON/);
    expect(errorOf('bad_type')).toMatch(/bad_type\/config\.json: input\.0\.data_type: must be a Triton data type/);
    expect(errorOf('garbage')).toMatch(/garbage\/1\/model\.onnx: cannot load/);
    expect(errorOf('wrong_io')).toMatch(/input\[0\]\.data_type: TYPE_FP32 but the model says TYPE_INT32/);
    expect(logs.filter((l) => l.startsWith('error')).length).toBeGreaterThanOrEqual(4);
  });

  test('inputs and outputs left out are read from the ONNX file; latest version by default', () => {
    const { served } = registry.resolve('no_io');
    expect(served.version).toBe('3');
    expect([...registry.get('no_io')!.versions.keys()]).toEqual(['3']);
    expect(served.inputs).toEqual([
      { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
    ]);
    expect(served.outputs.map((o) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
  });

  test('version_policy all / specific', () => {
    expect([...registry.get('all_versions')!.versions.keys()].sort()).toEqual(['1', '2']);
    expect(registry.resolve('all_versions', '1').served.version).toBe('1');
    expect([...registry.get('specific')!.versions.keys()]).toEqual(['1']);
    expect(() => registry.resolve('specific', '2')).toThrow(/unknown version/);
  });
});
