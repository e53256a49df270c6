// The model registry keeps the books: name → versions → state, version labels, which models
// should be loaded (strict readiness), and hooks other parts attach to (a version became ready,
// a version was retired). Building a version (reading bytes, the loader chain, warmup) is
// served-version.ts's job; where instances run is the loader's.
//
// Lifecycle, as Triton and TF Serving do it:
// - Load, then swap: a reload or a new version is loaded and warmed beside the serving one and
//   swapped in at once; requests already queued or running finish on the old one, which is then
//   drained and freed. A failed (re)load leaves what was serving in place, with the reason in the
//   index and the log.
// - One lifecycle operation at a time per model (loads, unloads, polls), so concurrent load
//   requests cannot leave orphaned instances; a load asked for while another is still waiting to
//   start joins it.
// - Control modes: `none` loads everything at start (the repository API still works), `explicit`
//   loads only what is asked for, `poll` also watches the repository (repository-poller.ts).

import { invalid, notFound, unavailable } from './errors.ts';
import type { ModelLoader } from './loader.ts';
import { ModelConfig, describeConfigError } from './model-config.ts';
import type { ComponentRun } from './instance.ts';
import { RepositoryPoller } from './repository-poller.ts';
import type { ModelRepository, RepositoryFingerprint } from './repository.ts';
import { type ServedVersion, type VersionState, buildVersion, retireVersion } from './served-version.ts';
import { add } from './stats.ts';

export type { ServedVersion, VersionState } from './served-version.ts';

export interface ServedModel {
  name: string;
  /** The config of the latest successful load (each version keeps its own in ServedVersion). */
  config?: ModelConfig;
  /** Why the model as a whole could not be loaded (bad config, no versions); while an older
   *  load still serves, why the latest reload failed. */
  error?: string;
  versions: Map<string, ServedVersion>;
  /** TF Serving's version labels: label → version. */
  labels: Map<string, string>;
  /** Set while the first load of the model runs (requests get 503, not 404). */
  loading?: boolean;
  /** What the repository held when this was loaded (poll mode compares). */
  fingerprint?: RepositoryFingerprint;
}

export interface IndexEntry {
  name: string;
  version?: string;
  state: VersionState;
  reason?: string;
}

export type ControlMode = 'none' | 'explicit' | 'poll';

export interface RegistryOptions {
  /** Instances per version when instance_group does not say. */
  defaultInstanceCount: number;
  /** Bound on waiting requests per model version when the config does not set a smaller one. */
  maxQueueSize: number;
  /** Refuse a request at once when its expected wait in the queue exceeds this (ms; 0 = off). */
  maxQueueWaitMs?: number;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  controlMode?: ControlMode;
  /** explicit mode: the models loaded at start (Triton's --load-model; `*` = all). */
  startupModels?: string[];
  /** poll mode: ms between two looks at the repository. */
  pollIntervalMs?: number;
}

export interface RegistryHooks {
  /** A version was swapped in and serves. */
  versionReady: Array<(model: string, v: ServedVersion) => void>;
  /** A version stopped serving (unloaded, replaced, or the server stopping), after draining. */
  versionRetired: Array<(model: string, v: ServedVersion) => void>;
}

export class ModelRegistry {
  readonly hooks: RegistryHooks = { versionReady: [], versionRetired: [] };
  readonly mode: ControlMode;
  private readonly models = new Map<string, ServedModel>();
  /** Models that should be loaded: readiness waits for each of them. */
  private readonly expected = new Set<string>();
  /** False until the repository has first been listed: unknown names answer 503 until then. */
  private listed = false;
  /** False until the start-up loads finish: the server is not ready while models load. */
  private loaded = false;
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly queuedLoads = new Map<string, Promise<ServedModel>>();
  private lastPrune = 0;
  private poller: RepositoryPoller | undefined;

  constructor(
    readonly repo: ModelRepository,
    private readonly loader: ModelLoader,
    private readonly opts: RegistryOptions,
  ) {
    this.mode = opts.controlMode ?? 'none';
  }

  /** Start-up: lists the repository, then loads what the control mode says should be loaded. */
  async loadAll(): Promise<void> {
    const names = await this.repo.list();
    const wanted = this.mode === 'explicit' ? (this.opts.startupModels?.includes('*') ? names : (this.opts.startupModels ?? [])) : names;
    for (const n of wanted) {
      if (!names.includes(n)) throw new Error(`--load-model ${n}: no model '${n}' in the model repository (it has ${names.join(', ') || 'none'})`);
      this.expected.add(n);
      this.models.set(n, { name: n, versions: new Map(), labels: new Map(), loading: true });
    }
    this.listed = true;
    // Models without a file of their own (pipelines over other models) load after the others.
    const order = await this.loadOrder(wanted);
    // One at a time: loading sessions is CPU-bound and the order of log lines stays readable.
    for (const n of order) await this.load(n);
    this.loaded = true;
    if (this.mode === 'poll') {
      if (!this.repo.fingerprint) throw new Error('MODEL_CONTROL_MODE=poll: this model repository cannot change at run time');
      this.poller = new RepositoryPoller(this, { intervalMs: this.opts.pollIntervalMs ?? 15_000, log: this.opts.log });
      this.poller.start();
    }
  }

  /** poll mode: one look at the repository now (tests; the timer does the same). */
  pollNow(): Promise<void> {
    if (!this.poller) throw new Error('not in poll mode');
    return this.poller.poll();
  }

  /** Triton's repository index: every model in the repository, loaded or not, per version. */
  async index(): Promise<IndexEntry[]> {
    const onDisk = await this.repo.list();
    this.pruneDeleted(onDisk);
    const names = new Set([...onDisk, ...this.models.keys()]);
    return [...names].sort().flatMap((name): IndexEntry[] => {
      const m = this.models.get(name);
      if (!m) return [{ name, state: 'UNAVAILABLE', reason: this.mode === 'explicit' ? 'not loaded' : 'unloaded' }];
      if (m.versions.size === 0) return [m.loading ? { name, state: 'LOADING' } : { name, state: 'UNAVAILABLE', reason: m.error ?? 'no versions' }];
      return [...m.versions.values()]
        .sort((a, b) => Number(a.version) - Number(b.version))
        .map((v) => {
          const reason = v.reason ?? (v.state === 'READY' && m.error ? `the latest reload failed, this version still serves: ${m.error}` : undefined);
          return { name, version: v.version, state: v.state, ...(reason ? { reason } : {}) };
        });
    });
  }

  /** Triton's load API: (re)loads a model the repository has, load-then-swap. */
  async loadByName(name: string): Promise<ServedModel> {
    if (this.mode === 'poll')
      throw invalid(`model '${name}': load is not allowed in poll mode (MODEL_CONTROL_MODE=poll): the repository is watched; change it on disk`);
    const names = await this.repo.list();
    if (!names.includes(name)) throw notFound(`no model '${name}' in the model repository (it has ${names.join(', ') || 'none'})`);
    this.expected.add(name);
    return this.load(name);
  }

  /** Triton's unload API: stops new work, lets queued and running requests finish, frees it. */
  async unloadByName(name: string): Promise<void> {
    if (this.mode === 'poll')
      throw invalid(`model '${name}': unload is not allowed in poll mode (MODEL_CONTROL_MODE=poll): remove it from the repository instead`);
    return this.unload(name);
  }

  list(): ServedModel[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): ServedModel | undefined {
    return this.models.get(name);
  }

  /** Loads or reloads one model (serialised per model; a load waiting to start is shared). */
  load(name: string, o: { onlyChanged?: boolean } = {}): Promise<ServedModel> {
    if (!o.onlyChanged) {
      const queued = this.queuedLoads.get(name);
      if (queued) return queued;
    }
    let started = false;
    const p = this.serial(name, () => {
      started = true;
      if (this.queuedLoads.get(name) === p) this.queuedLoads.delete(name);
      return this.doLoad(name, o.onlyChanged ?? false);
    });
    if (!o.onlyChanged && !started) this.queuedLoads.set(name, p);
    return p;
  }

  /** Unloads every version of a model (serialised with its other lifecycle operations). */
  unload(name: string): Promise<void> {
    return this.serial(name, async () => {
      const model = this.models.get(name);
      this.expected.delete(name);
      if (!model) throw notFound(`unknown model '${name}'`);
      this.models.delete(name);
      await Promise.all([...model.versions.values()].map((v) => this.retire(name, v)));
      this.opts.log('info', `model '${name}' unloaded`);
    });
  }

  async unloadAll(): Promise<void> {
    await this.poller?.stop();
    // File-less models (pipelines such as the face job) run on the other models' instances and
    // were loaded last: drain and unload them first, or their queued requests would meet
    // component sessions already disposed at shutdown.
    const isPipeline = (n: string) => {
      const c = this.models.get(n)?.config;
      return !!c && !!this.loader.modelFile && this.modelFile(c) === undefined;
    };
    const names = [...this.models.keys()];
    for (const group of [names.filter(isPipeline), names.filter((n) => !isPipeline(n))]) {
      await Promise.all(group.map((n) => this.unload(n).catch(() => {})));
    }
  }

  /** The version to serve: the one named (a number or a label), or the highest READY version. */
  resolve(name: string, version?: string): { model: ServedModel; served: ServedVersion } {
    if (!this.listed) throw unavailable('the server is starting: the model repository has not been read yet', 1);
    const model = this.models.get(name);
    if (!model) throw notFound(`unknown model '${name}'`);
    if (version !== undefined && version !== '') {
      const number = /^[0-9]+$/.test(version) ? version : model.labels.get(version);
      if (number === undefined) {
        const labels = [...model.labels].map(([l, v]) => `${l} → ${v}`).join(', ');
        throw notFound(
          `unknown version or label '${version}' of model '${name}' (versions: ${[...model.versions.keys()].join(', ') || 'none'}${labels ? `; labels: ${labels}` : ''})`,
        );
      }
      const sv = model.versions.get(number);
      if (!sv) throw notFound(`unknown version '${version}' of model '${name}' (available: ${[...model.versions.keys()].join(', ') || 'none'})`);
      if (sv.state !== 'READY') throw unavailable(`model '${name}' version ${number} is not ready: ${sv.reason ?? sv.state}`, 1);
      return { model, served: sv };
    }
    let best: ServedVersion | undefined;
    for (const v of model.versions.values()) if (v.state === 'READY' && (!best || Number(v.version) > Number(best.version))) best = v;
    if (!best) {
      if (model.loading) throw unavailable(`model '${name}' is loading`, 1);
      const why = model.error ?? ([...model.versions.values()].map((v) => `version ${v.version}: ${v.reason ?? v.state}`).join('; ') || 'no versions');
      throw unavailable(`model '${name}' is not ready: ${why}`, 1);
    }
    return { model, served: best };
  }

  /** Triton's strict readiness: every model that should be loaded has a READY version. */
  isReady(): boolean {
    if (!this.loaded) return false;
    const ready = [...this.expected].every((n) => [...(this.models.get(n)?.versions.values() ?? [])].some((v) => v.state === 'READY'));
    // A model that failed and was then deleted from disk should not hold readiness down: look
    // at the repository now and then while not ready.
    if (!ready && Date.now() - this.lastPrune > 1000) {
      this.lastPrune = Date.now();
      void this.repo.list().then(
        (names) => this.pruneDeleted(names),
        () => {},
      );
    }
    return ready;
  }

  /** The file a version directory holds for this config (model.onnx for ONNX). */
  modelFile(config: ModelConfig): string | undefined {
    return this.loader.modelFile ? this.loader.modelFile(config) : 'model.onnx';
  }

  /** Names the repository holds that should be served (for the poller). */
  isExpected(name: string): boolean {
    return this.expected.has(name);
  }

  /** Poll mode: a model appeared on disk. */
  expect(name: string): void {
    this.expected.add(name);
  }

  /** Folds a pipeline's runs of component models into those models' statistics. */
  recordComponentRuns(runs: ComponentRun[]): void {
    for (const r of runs) {
      const s = this.models.get(r.model)?.versions.get(r.version)?.scheduler?.stats;
      if (!s) continue;
      s.inferenceCount += r.items - r.failed;
      s.executionCount += r.executions;
      const ok = r.items - r.failed;
      if (ok > 0) add(s.success, (r.timing.inputUs + r.timing.inferUs + r.timing.outputUs) / r.items, ok);
      if (r.failed > 0) add(s.fail, 0, r.failed);
      add(s.computeInput, r.timing.inputUs / r.items, r.items);
      add(s.computeInfer, r.timing.inferUs / r.items, r.items);
      add(s.computeOutput, r.timing.outputUs / r.items, r.items);
      s.lastInferenceMs = Date.now();
    }
  }

  private async doLoad(name: string, onlyChanged: boolean): Promise<ServedModel> {
    const model: ServedModel = this.models.get(name) ?? { name, versions: new Map(), labels: new Map() };
    this.models.set(name, model);
    const serving = () => [...model.versions.values()].some((v) => v.state === 'READY');
    try {
      const config = await this.readConfig(name);
      const file = this.modelFile(config);
      const present = await this.repo.listVersions(name, file);
      let versions = selectVersions(present, config);
      if (file === undefined && present.length === 0) versions = ['1'];
      if (versions.length === 0) {
        throw new Error(
          `${name}: no version directory (e.g. ${name}/1/${file}) matches version_policy${present.length ? ` (present: ${present.join(', ')})` : ''}; run \`edgeserve pull\``,
        );
      }
      const labels = checkLabels(name, config, versions);
      const fingerprint = await this.repo.fingerprint?.(name, file);
      const configChanged = fingerprint?.config !== model.fingerprint?.config;
      // Load the new versions beside the serving ones, one at a time; each swaps in when ready.
      const failed: string[] = [];
      for (const v of versions) {
        const old = model.versions.get(v);
        const unchanged = onlyChanged && !configChanged && old?.state === 'READY' && fingerprint?.versions[v] === model.fingerprint?.versions[v];
        if (unchanged) continue;
        const error = await this.loadVersion(model, v, config, file);
        if (error) failed.push(versions.length > 1 ? `version ${v}: ${error}` : error);
      }
      // Versions the policy no longer selects stop serving once the new ones are in; while a
      // selected version failed, the ones it would replace keep serving.
      for (const [v, sv] of model.versions) {
        if (!versions.includes(v) && (failed.length === 0 || sv.state !== 'READY')) {
          model.versions.delete(v);
          await this.retire(name, sv);
        }
      }
      model.config = config;
      model.labels = labels;
      model.fingerprint = fingerprint;
      model.error = failed.length ? failed.join('; ') : undefined;
    } catch (e) {
      model.error = (e as Error).message;
      this.opts.log(
        'error',
        serving() ? `model '${name}': reload failed, the loaded version(s) keep serving: ${model.error}` : `model '${name}' unavailable: ${model.error}`,
      );
    } finally {
      model.loading = false;
    }
    return model;
  }

  /** Builds one version and swaps it in if it came up; else returns why it failed (the old
   *  one, if any, keeps serving). */
  private async loadVersion(model: ServedModel, version: string, config: ModelConfig, file: string | undefined): Promise<string | undefined> {
    const old = model.versions.get(version);
    const pending: ServedVersion = old ?? { version, state: 'LOADING', config, inputs: [], outputs: [], instances: [] };
    if (!old) model.versions.set(version, pending);
    const built = await buildVersion({
      name: model.name,
      version,
      config,
      file,
      repo: this.repo,
      loader: this.loader,
      maxQueueSize: this.opts.maxQueueSize,
      maxQueueWaitMs: this.opts.maxQueueWaitMs ?? 0,
      stats: old?.scheduler?.stats,
      onComponents: (runs) => this.recordComponentRuns(runs),
    });
    if ('error' in built) {
      if (old?.state === 'READY') {
        this.opts.log('error', `model '${model.name}' version ${version}: reload failed, the loaded one keeps serving: ${built.error}`);
      } else {
        Object.assign(pending, { state: 'UNAVAILABLE', reason: built.error });
        this.opts.log('error', `model '${model.name}' version ${version} unavailable: ${built.error}`);
      }
      return built.error;
    }
    const sv = built.version;
    for (const note of built.notes) this.opts.log('info', `model '${model.name}' version ${version}: ${note}`);
    for (const w of built.warnings) this.opts.log('warn', `model '${model.name}' version ${version}: ${w}`);
    // The swap: from here on new requests resolve to the new version.
    model.versions.set(version, sv);
    this.opts.log(
      'info',
      `model '${model.name}' version ${version} ${old?.state === 'READY' ? 'reloaded' : 'ready'} (${sv.instances.length} instance${sv.instances.length > 1 ? 's' : ''})`,
    );
    for (const h of this.hooks.versionReady) h(model.name, sv);
    if (old) await this.retire(model.name, old);
    return undefined;
  }

  private async retire(name: string, v: ServedVersion): Promise<void> {
    const wasServing = v.state === 'READY';
    await retireVersion(v);
    if (wasServing) for (const h of this.hooks.versionRetired) h(name, v);
  }

  /** config.json, validated; a directory without one serves the model file's own I/O (Triton's
   *  auto-complete), and says so. */
  private async readConfig(name: string): Promise<ModelConfig> {
    const { text, source } = await this.repo.readConfig(name);
    let raw: unknown;
    if (text === undefined) {
      const files = await this.repo.listVersions(name, 'model.onnx');
      if (files.length === 0) throw new Error(`${source} is missing, and there is no ${name}/<version>/model.onnx to complete a configuration from`);
      this.opts.log('info', `model '${name}': ${source} is missing; serving the ONNX file with its own inputs and outputs (Triton's auto-complete)`);
      raw = { name };
    } else {
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw new Error(`${source}: not valid JSON: ${(e as Error).message}`);
      }
    }
    const parsed = ModelConfig.safeParse(raw);
    if (!parsed.success) throw new Error(describeConfigError(source, parsed.error));
    if (parsed.data.name !== name) throw new Error(`${source}: name: '${parsed.data.name}' must match the directory name '${name}'`);
    return parsed.data;
  }

  /** Runs `fn` after every earlier lifecycle operation on `name` has finished. */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(name) ?? Promise.resolve();
    const p = prev.then(fn, fn);
    const tail = p.catch(() => {});
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return p;
  }

  /** Forgets models that are not serving and whose directory is gone. */
  private pruneDeleted(onDisk: string[]): void {
    for (const [name, m] of this.models) {
      if (onDisk.includes(name) || m.loading || this.tails.has(name)) continue;
      if ([...m.versions.values()].some((v) => v.state === 'READY' || v.state === 'UNLOADING')) continue;
      this.models.delete(name);
      this.expected.delete(name);
    }
    for (const n of this.expected) if (!onDisk.includes(n) && !this.models.has(n)) this.expected.delete(n);
  }

  private async loadOrder(names: string[]): Promise<string[]> {
    if (!this.loader.modelFile) return names;
    const last: string[] = [];
    const first: string[] = [];
    for (const n of names) {
      const file = await this.readConfig(n)
        .then((c) => this.loader.modelFile!(c))
        .catch(() => 'model.onnx');
      (file === undefined ? last : first).push(n);
    }
    return [...first, ...last];
  }
}

/** version_labels → a map, each label pointing at a version this load serves. */
function checkLabels(name: string, config: ModelConfig, versions: string[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const [label, v] of Object.entries(config.version_labels ?? {})) {
    if (!versions.includes(String(v))) {
      throw new Error(`${name}/config.json: version_labels.${label}: version ${v} is not among the versions served (${versions.join(', ')})`);
    }
    labels.set(label, String(v));
  }
  return labels;
}

/** Triton's version_policy over the numeric version directories present. */
export function selectVersions(present: string[], config: ModelConfig): string[] {
  const nums = present.filter((v) => /^[1-9][0-9]*$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const p = config.version_policy;
  if ('all' in p) return nums;
  if ('specific' in p) return nums.filter((v) => p.specific.versions.includes(Number(v)));
  return nums.slice(0, p.latest.num_versions);
}
