// Model lifecycle on the real `simple` model, in-process: load-then-swap reloads under load,
// a failed reload that leaves the old version serving, concurrent loads that never leak
// instances, poll mode (a new version, a broken version, a removed and an added model),
// version labels, warmup, strict readiness, auto-complete without config.json, explicit mode.

import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepository } from '../../test/helpers.ts';
import { LocalLoader } from '../engine/local-loader.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';
import { FsRepository } from '../runtime/fs-repository.ts';
import { DataPlane } from './dataplane.ts';
import type { ExecutionItem } from './instance.ts';
import type { LoadedModel, ModelLoader } from './loader.ts';
import type { ModelConfig } from './model-config.ts';
import { type ControlMode, ModelRegistry } from './registry.ts';

/** The real in-process chain, counting live instances and warmup executions. */
class CountingLoader implements ModelLoader {
  live = 0;
  executions = 0;
  private readonly inner = new LocalLoader({ backend: () => nodeBackend(), defaultInstances: 1, intraOpThreads: 1 });
  modelFile(c: ModelConfig) {
    return this.inner.modelFile(c);
  }
  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    const loaded = await this.inner.load(name, version, config, bytes);
    this.live += loaded.instances.length;
    return {
      ...loaded,
      instances: loaded.instances.map((i) => ({
        execute: (items: ExecutionItem[]) => {
          this.executions++;
          return i.execute(items);
        },
        dispose: async () => {
          this.live--;
          await i.dispose();
        },
      })),
    };
  }
}

const SIMPLE = {
  name: 'simple',
  max_batch_size: 8,
  input: [
    { name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] },
    { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] },
  ],
  output: [
    { name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] },
    { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] },
  ],
};

let repo: string;
let registry: ModelRegistry | undefined;
const logs: string[] = [];

function setup(mode: ControlMode = 'none', startupModels?: string[]) {
  const loader = new CountingLoader();
  registry = new ModelRegistry(new FsRepository(repo), loader, {
    defaultInstanceCount: 1,
    maxQueueSize: 64,
    log: (l, m) => logs.push(`${l} ${m}`),
    controlMode: mode,
    startupModels,
    pollIntervalMs: 3_600_000,
  });
  return { loader, registry, dp: new DataPlane(registry, { name: 'edgeserve', version: 'test', extensions: [] }) };
}

function writeModel(name: string, config: unknown, versions: Record<string, Uint8Array | string>) {
  mkdirSync(join(repo, name), { recursive: true });
  if (config !== undefined) writeFileSync(join(repo, name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [v, bytes] of Object.entries(versions)) {
    mkdirSync(join(repo, name, v), { recursive: true });
    writeFileSync(join(repo, name, v, 'model.onnx'), bytes);
  }
}

const inputs = () => [
  { name: 'INPUT0', datatype: 'INT32' as const, shape: [1, 16], data: Int32Array.from({ length: 16 }, (_, i) => i) },
  { name: 'INPUT1', datatype: 'INT32' as const, shape: [1, 16], data: new Int32Array(16).fill(1) },
];

afterEach(async () => {
  await registry?.unloadAll();
  registry = undefined;
  if (repo) rmSync(repo, { recursive: true, force: true });
  logs.length = 0;
});

describe('model lifecycle', () => {
  test('20 reloads while two clients infer: no failed request, no leaked instance', async () => {
    repo = tempRepository();
    const { loader, registry, dp } = setup();
    await registry.loadAll();
    let ok = 0;
    const failures: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        await dp.infer('simple', undefined, { inputs: inputs() }).then(
          (r) => {
            if ((r.outputs[0].data as Int32Array)[3] === 4) ok++;
            else failures.push('wrong answer');
          },
          (e: Error) => failures.push(e.message),
        );
      }
    };
    const clients = [client(), client()];
    for (let i = 0; i < 20; i++) await dp.loadModel('simple');
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(loader.live).toBe(1);
    expect(registry.get('simple')!.versions.get('1')!.scheduler!.stats.success.count).toBe(ok);
  });

  test('8 concurrent loads, five times: one version live, nothing leaked', async () => {
    repo = tempRepository();
    const { loader, registry, dp } = setup();
    await registry.loadAll();
    for (let round = 0; round < 5; round++) await Promise.all(Array.from({ length: 8 }, () => dp.loadModel('simple')));
    expect(loader.live).toBe(1);
    await dp.unloadModel('simple');
    expect(loader.live).toBe(0);
  });

  test('a failed reload leaves the serving version in place, with the reason in the index', async () => {
    repo = tempRepository();
    const { registry, dp } = setup();
    await registry.loadAll();
    writeFileSync(join(repo, 'simple', '1', 'model.onnx'), 'not an onnx file');
    await expect(dp.loadModel('simple')).rejects.toThrow(/failed to load 'simple'.*cannot load/);
    const r = await dp.infer('simple', undefined, { inputs: inputs() });
    expect((r.outputs[0].data as Int32Array)[0]).toBe(1);
    const idx = await registry.index();
    expect(idx.find((e) => e.name === 'simple')).toMatchObject({ version: '1', state: 'READY', reason: expect.stringContaining('the latest reload failed') });
    expect(registry.isReady()).toBe(true);
    // A broken config: same.
    writeFileSync(join(repo, 'simple', 'config.json'), '{ "name": ');
    await expect(dp.loadModel('simple')).rejects.toThrow(/not valid JSON/);
    expect((await dp.infer('simple', undefined, { inputs: inputs() })).model_version).toBe('1');
  });

  test('poll mode: a new version swaps in, a broken one leaves the previous serving, removed and added models follow the disk', async () => {
    repo = tempRepository();
    const { registry, dp } = setup('poll');
    await registry.loadAll();
    await expect(dp.loadModel('simple')).rejects.toThrow(/not allowed in poll mode/);
    writeModel('simple', undefined, { 2: buildSimpleModel() });
    await registry.pollNow();
    expect((await dp.infer('simple', undefined, { inputs: inputs() })).model_version).toBe('2');
    expect([...registry.get('simple')!.versions.keys()]).toEqual(['2']);
    writeModel('simple', undefined, { 3: 'garbage' });
    await registry.pollNow();
    expect((await dp.infer('simple', undefined, { inputs: inputs() })).model_version).toBe('2');
    expect((await registry.index()).filter((e) => e.name === 'simple').map((e) => `${e.version}:${e.state}`)).toEqual(['2:READY', '3:UNAVAILABLE']);
    // Fixed on disk: the next pass loads it.
    writeModel('simple', undefined, { 3: buildSimpleModel() });
    await registry.pollNow();
    expect((await dp.infer('simple', undefined, { inputs: inputs() })).model_version).toBe('3');
    writeModel('other', SIMPLE.name ? { ...SIMPLE, name: 'other' } : {}, { 1: buildSimpleModel() });
    await registry.pollNow();
    expect(dp.modelReady('other')).toBe(true);
    rmSync(join(repo, 'other'), { recursive: true });
    await registry.pollNow();
    expect(() => registry.resolve('other')).toThrow(/unknown model/);
    expect(registry.isReady()).toBe(true);
  });

  test('version labels resolve wherever a version goes, and change on reload', async () => {
    repo = tempRepository();
    writeModel(
      'labelled',
      { ...SIMPLE, name: 'labelled', version_policy: { all: {} }, version_labels: { stable: 1, canary: 2 } },
      { 1: buildSimpleModel(), 2: buildSimpleModel() },
    );
    const { registry, dp } = setup();
    await registry.loadAll();
    expect((await dp.infer('labelled', 'stable', { inputs: inputs() })).model_version).toBe('1');
    expect((await dp.infer('labelled', 'canary', { inputs: inputs() })).model_version).toBe('2');
    expect(dp.modelReady('labelled', 'stable')).toBe(true);
    expect(() => registry.resolve('labelled', 'beta')).toThrow(/unknown version or label 'beta'.*labels: stable → 1, canary → 2/);
    writeModel('labelled', { ...SIMPLE, name: 'labelled', version_policy: { all: {} }, version_labels: { stable: 2 } }, {});
    await dp.loadModel('labelled');
    expect((await dp.infer('labelled', 'stable', { inputs: inputs() })).model_version).toBe('2');
    writeModel('labelled', { ...SIMPLE, name: 'labelled', version_labels: { stable: 1 } }, {});
    await expect(dp.loadModel('labelled')).rejects.toThrow(/version_labels\.stable: version 1 is not among the versions served \(2\)/);
  });

  test('model_warmup runs on every instance before the version serves; a failing sample fails the load', async () => {
    repo = tempRepository();
    const warm = {
      name: 'zeros',
      batch_size: 2,
      count: 3,
      inputs: { INPUT0: { data_type: 'TYPE_INT32', dims: [16], zero_data: true }, INPUT1: { data_type: 'TYPE_INT32', dims: [16], random_data: true } },
    };
    writeModel('warm', { ...SIMPLE, name: 'warm', model_warmup: [warm] }, { 1: buildSimpleModel() });
    writeModel(
      'cold',
      { ...SIMPLE, name: 'cold', model_warmup: [{ ...warm, inputs: { NOPE: { data_type: 'TYPE_INT32', dims: [16], zero_data: true } } }] },
      { 1: buildSimpleModel() },
    );
    const { loader, registry } = setup();
    await registry.loadAll();
    expect(loader.executions).toBe(3 + 1); // warm: 3 runs; cold: fails on its first
    expect(registry.get('warm')!.versions.get('1')!.state).toBe('READY');
    expect(registry.get('warm')!.versions.get('1')!.scheduler!.stats.success.count).toBe(0); // warmup is not traffic
    expect(registry.get('cold')!.error).toMatch(/model_warmup 'zeros' failed/);
  });

  test('startup: 503 until the repository is read; LOADING while loading; a failed model deleted from disk stops holding readiness', async () => {
    repo = tempRepository();
    writeModel('broken', { name: 'broken' }, { 1: 'garbage' });
    const { registry } = setup();
    expect(() => registry.resolve('simple')).toThrow(/server is starting/);
    expect(() => registry.resolve('simple')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    const loading = registry.loadAll();
    await Bun.sleep(0);
    await loading;
    expect(registry.isReady()).toBe(false);
    rmSync(join(repo, 'broken'), { recursive: true });
    expect((await registry.index()).map((e) => e.name)).toEqual(['simple']);
    expect(registry.isReady()).toBe(true);
  });

  test('a directory without config.json: auto-completed from the ONNX file, or said missing', async () => {
    repo = tempRepository();
    writeModel('bare', undefined, { 1: buildSimpleModel() });
    mkdirSync(join(repo, 'empty'));
    const { registry, dp } = setup();
    await registry.loadAll();
    expect((await dp.infer('bare', undefined, { inputs: inputs() })).outputs[0].data).toEqual(Int32Array.from({ length: 16 }, (_, i) => i + 1));
    expect(logs.join('\n')).toMatch(/bare\/config\.json is missing; serving the ONNX file/);
    expect(registry.get('empty')!.error).toMatch(/empty\/config\.json is missing, and there is no empty\/<version>\/model\.onnx/);
  });

  test('explicit mode: only what is asked for loads; readiness counts only those', async () => {
    repo = tempRepository();
    writeModel('other', { ...SIMPLE, name: 'other' }, { 1: buildSimpleModel() });
    const { registry, dp } = setup('explicit', ['simple']);
    await registry.loadAll();
    expect(registry.isReady()).toBe(true);
    expect((await registry.index()).find((e) => e.name === 'other')).toEqual({ name: 'other', state: 'UNAVAILABLE', reason: 'not loaded' });
    await dp.loadModel('other');
    expect(dp.modelReady('other')).toBe(true);
    await dp.unloadModel('other');
    expect(registry.isReady()).toBe(true);
  });

  test("a second platform is one loader: Triton's identity backend", async () => {
    repo = tempRepository();
    writeModel(
      'echo',
      {
        name: 'echo',
        backend: 'identity',
        max_batch_size: 4,
        input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [3] }],
        output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [3] }],
      },
      {},
    );
    writeModel('nope', { name: 'nope', backend: 'tensorrt' }, {});
    const { registry, dp } = setup();
    await registry.loadAll();
    const r = await dp.infer('echo', undefined, { inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }] });
    expect(r.outputs).toEqual([{ name: 'OUTPUT0', datatype: 'FP32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6), parameters: undefined }]);
    expect(dp.modelMetadata('echo').platform).toBe('identity');
    expect(registry.get('nope')!.error).toMatch(/backend: unknown 'tensorrt' \(known: onnxruntime_onnx/);
  });
});
