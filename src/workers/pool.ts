// WorkerPool: a fixed set of long-lived worker threads that hold engine sessions, so the main
// thread only does HTTP. Owns the slots (one per worker), what each slot holds, and recovery:
// when a worker dies (uncaught error, process.exit, or killed as hung) its channel fails what
// was in flight with UNAVAILABLE at once, a replacement is started in the same slot and every
// model the dead worker held is loaded into it again from the kept config and bytes; the other
// workers keep serving throughout. The main thread never imports an engine.

import { availableParallelism } from 'node:os';
import type { EngineName } from '../engine/backend.ts';
import type { TensorMetadata } from '../core/inference.ts';
import type { ExecutionBatchResult, ExecutionItem } from '../core/instance.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { unavailable } from '../core/errors.ts';
import { WorkerChannel } from './channel.ts';
import type { LoadSpec } from './messages.ts';
import { packItems } from './transfer.ts';

export interface PoolOptions {
  /** Number of worker threads (≥ 1). */
  workers: number;
  engine: EngineName;
  /** Per session; 0 or absent = max(1, floor(cores / workers)) so threads in use ≤ cores. */
  intraOpThreads?: number;
  maxImagePixels: number;
  /** How long a request for a restarting worker waits for its replacement (default 2000 ms). */
  restartWaitMs?: number;
  /** A request running longer than this kills its worker as hung (default 0 = never). */
  hangTimeoutMs?: number;
  /** Cores to budget threads for (default: availableParallelism()). */
  cores?: number;
  log?: (level: 'error' | 'warn' | 'info', msg: string) => void;
  /** The worker script (default: workerEntryUrl()). */
  entry?: URL;
}

export interface SlotStatus {
  up: boolean;
  restarts: number;
  inFlight: number;
  models: string[];
}

/**
 * worker-entry.ts beside this file when running from source. In a binary built with
 * `bun build --compile src/cli.ts src/workers/worker-entry.ts`, this code is bundled into the
 * main entry at <$bunfs root>/<name> and the worker entry sits at its source path relative to the
 * entrypoints' common root (src/), so the sibling URL would miss it (checked on Bun 1.4.5).
 */
export function workerEntryUrl(): URL {
  if (import.meta.url.includes('/$bunfs/')) return new URL('./workers/worker-entry.ts', import.meta.url);
  return new URL('./worker-entry.ts', import.meta.url);
}

export function defaultIntraOpThreads(workers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / workers));
}

interface Held {
  spec: LoadSpec;
  /** Instances already disposed by their owner: not served, and freed again after a reload. */
  disposed: Set<number>;
  /** Set when reloading into a replacement failed: requests for it answer 503. */
  failed?: string;
}

type Signal = { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void };

interface Slot {
  index: number;
  channel?: WorkerChannel;
  /** Channel started, init answered, every held model reloaded. */
  up: boolean;
  /** Resolves when the slot is next up; replaced each time it goes down. */
  upSignal: Signal;
  held: Map<string, Held>;
  restarts: number;
  /** Crashes since the slot was last up: drives the restart backoff. */
  crashes: number;
  restartTimer?: ReturnType<typeof setTimeout>;
}

/** Loads wait longer than requests for a worker to come up: they happen at startup and reload. */
const LOAD_WAIT_MS = 30_000;

function signal(): Signal {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // nobody may be waiting when the pool is disposed
  return { promise, resolve, reject };
}

const shuttingDown = () => unavailable('the server is shutting down', 1);

export class WorkerPool {
  readonly size: number;
  readonly intraOpThreads: number;
  private readonly slots: Slot[];
  private readonly restartWaitMs: number;
  private readonly log: NonNullable<PoolOptions['log']>;
  private disposed = false;

  constructor(private readonly opts: PoolOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error(`a worker pool needs at least one worker, got ${opts.workers}`);
    this.size = opts.workers;
    const cores = opts.cores ?? availableParallelism();
    this.intraOpThreads = opts.intraOpThreads || defaultIntraOpThreads(opts.workers, cores);
    this.restartWaitMs = opts.restartWaitMs ?? 2000;
    this.log = opts.log ?? (() => {});
    // One session runs at a time per worker (onnxruntime-node's run() holds the thread).
    if (this.size * this.intraOpThreads > cores) {
      this.log('warn', `${this.size} workers × ${this.intraOpThreads} intra-op threads exceeds ${cores} cores: expect higher latency`);
    }
    this.slots = Array.from({ length: this.size }, (_, index) => ({
      index,
      up: false,
      upSignal: signal(),
      held: new Map(),
      restarts: 0,
      crashes: 0,
    }));
    for (const s of this.slots) void this.start(s);
  }

  /** Creates `spec.instances` sessions of a model on worker `slot`; they are reloaded after a crash. */
  async load(
    slot: number,
    spec: LoadSpec,
  ): Promise<{ inputs: TensorMetadata[]; outputs: TensorMetadata[]; config?: ModelConfig; notes?: string[]; warnings?: string[] }> {
    const s = this.slot(slot);
    await this.whenUp(s, Math.max(LOAD_WAIT_MS, this.restartWaitMs));
    const r = await this.channel(s).request({ type: 'load', ...spec });
    if (r.type !== 'loaded') throw new Error(`worker answered ${r.type} to a load`);
    s.held.set(spec.key, { spec, disposed: new Set() });
    return { inputs: r.inputs, outputs: r.outputs, config: r.config, notes: r.notes, warnings: r.warnings };
  }

  async execute(slot: number, key: string, instanceIndex: number, items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const s = this.slot(slot);
    if (!s.up) await this.whenUp(s, this.restartWaitMs);
    const h = s.held.get(key);
    if (!h || h.disposed.has(instanceIndex)) throw unavailable(`model instance ${key}[${instanceIndex}] is not loaded`, 1);
    if (h.failed) throw unavailable(`model instance ${key} could not be reloaded after a worker crash: ${h.failed}`, 1);
    const { items: packed, transfer } = packItems(items);
    const r = await this.channel(s).request({ type: 'execute', key, instanceIndex, items: packed }, transfer, this.opts.hangTimeoutMs ?? 0);
    if (r.type !== 'result') throw new Error(`worker answered ${r.type} to an execute`);
    return r.batchResult;
  }

  /** Frees one instance; the model is forgotten on this worker once all of its instances are. */
  async unload(slot: number, key: string, instanceIndex: number): Promise<void> {
    const s = this.slot(slot);
    const h = s.held.get(key);
    if (!h || h.disposed.has(instanceIndex)) return;
    h.disposed.add(instanceIndex);
    const all = h.disposed.size >= h.spec.instances;
    if (all) s.held.delete(key);
    // A dead worker's sessions died with it; a replacement reloads from `held` as it is now.
    if (!s.up) return;
    await this.channel(s)
      .request({ type: 'unload', key, instanceIndex: all ? undefined : instanceIndex })
      .catch(() => {});
  }

  status(): SlotStatus[] {
    return this.slots.map((s) => ({ up: s.up, restarts: s.restarts, inFlight: s.channel?.inFlight ?? 0, models: [...s.held.keys()] }));
  }

  /** Test hook: make worker `slot` exit (process.exit(1) inside it), as a native crash would. */
  crashForTest(slot: number): void {
    this.slot(slot).channel?.post({ type: 'crash' });
  }

  /** Test hook: block worker `slot` for `ms`, as a hung session would. */
  hangForTest(slot: number, ms: number): void {
    this.slot(slot).channel?.post({ type: 'hang', ms });
  }

  /** Terminates every worker; whatever is in flight or waiting fails with UNAVAILABLE. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots) {
      clearTimeout(s.restartTimer);
      s.up = false;
      s.channel?.close(shuttingDown());
      s.upSignal.reject(shuttingDown());
    }
  }

  private slot(i: number): Slot {
    const s = this.slots[i];
    if (!s) throw new RangeError(`no worker ${i} in a pool of ${this.size}`);
    return s;
  }

  private channel(s: Slot): WorkerChannel {
    if (!s.channel) throw unavailable(`model instance is restarting after a crash (worker ${s.index}); retry`, 1);
    return s.channel;
  }

  private async whenUp(s: Slot, ms: number): Promise<void> {
    if (s.up) return;
    if (this.disposed) throw shuttingDown();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`model instance is restarting after a crash (worker ${s.index}); retry`, 1)), ms);
    });
    try {
      await Promise.race([s.upSignal.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the slot's worker, then reloads what the slot held; the slot is up once all are in. */
  private async start(s: Slot): Promise<void> {
    const c = new WorkerChannel(this.opts.entry ?? workerEntryUrl(), `worker ${s.index}`, (reason, failed) => this.onDeath(s, c, reason, failed));
    s.channel = c;
    try {
      const { engine, maxImagePixels } = this.opts;
      await c.request({ type: 'init', settings: { engine, intraOpThreads: this.intraOpThreads, maxImagePixels } });
      await Promise.all([...s.held.values()].map((h) => this.reload(s, c, h)));
    } catch {
      return; // the worker died while starting: onDeath has scheduled the next attempt
    }
    if (s.channel !== c || this.disposed) return;
    s.up = true;
    s.crashes = 0;
    s.upSignal.resolve();
  }

  private async reload(s: Slot, c: WorkerChannel, h: Held): Promise<void> {
    const key = h.spec.key;
    try {
      await c.request({ type: 'load', ...h.spec });
      h.failed = undefined;
    } catch (e) {
      if (!c.alive) throw e; // crashed again: start over
      h.failed = (e as Error).message;
      this.log('error', `worker ${s.index}: could not reload ${key}: ${h.failed}`);
      return;
    }
    // Disposed while the replacement was loading it: free what was just created.
    if (s.held.get(key) !== h) await c.request({ type: 'unload', key });
    else for (const i of h.disposed) await c.request({ type: 'unload', key, instanceIndex: i });
  }

  /** A channel died: mark the slot down and start a replacement (backing off if it keeps dying). */
  private onDeath(s: Slot, c: WorkerChannel, reason: string, failed: number): void {
    if (s.channel !== c || this.disposed) return;
    s.channel = undefined;
    // Died while starting: whoever waits for this attempt learns why now, not at their timeout.
    if (!s.up) s.upSignal.reject(unavailable(`model instance could not be started (worker ${s.index} ${reason}); retry`, 1));
    s.up = false;
    s.upSignal = signal();
    s.crashes++;
    s.restarts++;
    const delay = s.crashes <= 1 ? 0 : Math.min(5000, 100 * 2 ** (s.crashes - 2));
    this.log('error', `worker ${s.index} ${reason}: failed ${failed} in-flight request(s); restarting${delay ? ` in ${delay} ms` : ''}`);
    s.restartTimer = setTimeout(() => {
      s.restartTimer = undefined;
      void this.start(s);
    }, delay);
  }
}
