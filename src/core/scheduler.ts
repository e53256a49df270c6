// The per model-version scheduler: a bounded queue in front of a set of model instances, with
// Triton's dynamic batching semantics (max_batch_size, preferred_batch_size,
// max_queue_delay_microseconds, default_queue_policy). Requests wait here, never in a worker's
// mailbox, so a full queue answers 503 at once, a timed-out or abandoned request is dropped
// before it costs compute, and an idle instance always takes the oldest work.

import { EdgeError, unavailable } from './errors.ts';
import type { ComponentRun, ExecutionItem, ExecutionResult, ModelInstance } from './instance.ts';
import { type ModelStats, add, newStats } from './stats.ts';

/** The longest delay a timer can hold (2^31 - 1 ms, ~24.8 days): a longer timeout would
 *  overflow to 1 ms and expire every request at once, so it counts as no timeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Completions the pace is measured over, and how many it needs before it predicts waits. */
const PACE_WINDOW = 64;
const PACE_MIN_SAMPLES = 8;

export interface SchedulerOptions {
  /** 0 = the model takes no batch dimension: one request per execution. */
  maxBatchSize: number;
  /** Absent = no dynamic batching: each request runs alone as soon as an instance is free. */
  dynamicBatching?: {
    maxQueueDelayUs: number;
    preferredBatchSizes: number[];
  };
  /** Hard bound on waiting requests (Triton's max_queue_size; 0 here is turned into a default). */
  maxQueueSize: number;
  /**
   * Refuse a request at once (503 + Retry-After) when the wait it can expect, the queue ahead of
   * it times the recent time between completions, exceeds this many ms: under overload a count
   * bound alone lets accepted requests wait seconds. 0 = no time bound.
   */
  maxQueueWaitMs?: number;
  /** Runs of other models a pipeline instance reports, for their statistics. */
  onComponents?: (runs: ComponentRun[]) => void;
  /** Default per-request timeout in µs (0 = none); requests may override with `timeout`. */
  defaultTimeoutUs: number;
  allowTimeoutOverride: boolean;
  /** REJECT fails a request whose timeout expires in the queue; DELAY lets it run late. */
  timeoutAction: 'REJECT' | 'DELAY';
}

export interface EnqueueOptions {
  signal?: AbortSignal;
  /** Per-request timeout in µs (Triton's `timeout` parameter). */
  timeoutUs?: number;
  /** Told, once the request's batch has run, when it waited and ran (request logs, traces). */
  onTiming?: (t: RequestTiming) => void;
}

/** When one request waited and ran: performance.now() ms on this thread, and its execution's
 *  batch (items) and compute split as the instance measured it (µs, the whole execution's). */
export interface RequestTiming {
  enqueuedAt: number;
  startedAt: number;
  endedAt: number;
  batchSize: number;
  inputUs: number;
  inferUs: number;
  outputUs: number;
}

interface Pending {
  item: ExecutionItem;
  batch: number;
  enqueuedAt: number;
  deadline: number; // ms timestamp, Infinity if none
  resolve: (r: ExecutionResult) => void;
  reject: (e: unknown) => void;
  settled: boolean;
  cleanup: () => void;
  onTiming?: (t: RequestTiming) => void;
}

const now = () => performance.now();

export class Scheduler {
  readonly stats: ModelStats;
  private readonly queue: Pending[] = [];
  /** Completion times (and requests completed) during the current stretch of saturation, i.e.
   *  while work waited at every completion: their rate is what the instances deliver, measured,
   *  whatever shares their threads or the CPU. Cleared when the queue runs dry. */
  private readonly paceTimes: number[] = [];
  private readonly paceCounts: number[] = [];
  private readonly idle: ModelInstance[];
  private busy = 0;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    instances: ModelInstance[],
    private readonly opts: SchedulerOptions,
    stats?: ModelStats,
  ) {
    if (instances.length === 0) throw new Error('a scheduler needs at least one model instance');
    this.idle = [...instances];
    this.stats = stats ?? newStats();
  }

  /** The ms a request queued now can expect to wait before it starts: the queue ahead of it
   *  over the rate requests completed at lately (0 until that rate is known). */
  get expectedWaitMs(): number {
    const n = this.paceTimes.length;
    if (n < PACE_MIN_SAMPLES) return 0;
    let done = 0;
    for (let i = 1; i < n; i++) done += this.paceCounts[i];
    const span = this.paceTimes[n - 1] - this.paceTimes[0];
    return span > 0 ? (this.queue.length * span) / done : 0;
  }

  private notePace(completed: number): void {
    if (this.queue.length === 0) {
      this.paceTimes.length = 0; // not saturated: the next stretch measures afresh
      this.paceCounts.length = 0;
      return;
    }
    this.paceTimes.push(now());
    this.paceCounts.push(completed);
    if (this.paceTimes.length > PACE_WINDOW) {
      this.paceTimes.shift();
      this.paceCounts.shift();
    }
  }

  get queued(): number {
    return this.queue.length;
  }
  get inFlight(): number {
    return this.busy;
  }

  /**
   * Throws the 503 that enqueue() would give right now (closing, or the queue full). Transports
   * call it before reading a request body: under overload a refused request then costs no
   * upload and no parsing, and clients that retry at once can't starve admitted work.
   */
  admit(): void {
    if (this.closed) throw unavailable('model is unloading or the server is shutting down', 1);
    if (this.queue.length >= this.opts.maxQueueSize) {
      throw unavailable(`queue full: ${this.queue.length} requests waiting (max_queue_size ${this.opts.maxQueueSize})`, 1);
    }
    const budget = this.opts.maxQueueWaitMs ?? 0;
    const wait = this.expectedWaitMs;
    if (budget > 0 && wait > budget) {
      throw unavailable(
        `overloaded: a request queued now would wait ~${Math.round(wait)} ms (${this.queue.length} ahead), over the ${budget} ms budget (MAX_QUEUE_WAIT_MS)`,
        Math.max(1, Math.ceil((wait - budget) / 1000)),
      );
    }
  }

  /** A request for this version refused before it was queued (e.g. invalid): Triton counts it
   *  as a failed request. */
  recordFailure(): void {
    add(this.stats.fail, 0);
  }

  /** Queue one request; resolves with its own outputs once its batch has run. */
  enqueue(item: ExecutionItem, batch: number, o: EnqueueOptions = {}): Promise<ExecutionResult> {
    if (o.signal?.aborted) return Promise.reject(new EdgeError('CANCELLED', 'request cancelled by the client'));
    try {
      this.admit();
    } catch (e) {
      return Promise.reject(e);
    }
    const asked = o.timeoutUs !== undefined && this.opts.allowTimeoutOverride ? o.timeoutUs : this.opts.defaultTimeoutUs;
    const timeoutUs = asked / 1000 > MAX_TIMER_MS ? 0 : asked;
    const t0 = now();
    return new Promise<ExecutionResult>((resolve, reject) => {
      const p: Pending = {
        item,
        batch,
        enqueuedAt: t0,
        deadline: timeoutUs > 0 ? t0 + timeoutUs / 1000 : Infinity,
        resolve,
        reject,
        settled: false,
        cleanup: () => {},
        onTiming: o.onTiming,
      };
      const timers: Array<() => void> = [];
      if (p.deadline !== Infinity) {
        const t = setTimeout(() => this.expire(p, timeoutUs), timeoutUs / 1000);
        timers.push(() => clearTimeout(t));
      }
      if (o.signal) {
        const onAbort = () => this.fail(p, new EdgeError('CANCELLED', 'request cancelled by the client'), true);
        o.signal.addEventListener('abort', onAbort, { once: true });
        timers.push(() => o.signal!.removeEventListener('abort', onAbort));
      }
      p.cleanup = () => {
        for (const c of timers) c();
      };
      this.queue.push(p);
      this.stats.pending++;
      this.pump();
    });
  }

  /** Stop accepting work and wait until everything queued or running has finished. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.queue.length === 0 && this.busy === 0) return;
    await new Promise<void>((r) => this.drainWaiters.push(r));
  }

  private expire(p: Pending, timeoutUs: number): void {
    const queuedIdx = this.queue.indexOf(p);
    // DELAY: a request still waiting may run late rather than fail (Triton's timeout_action).
    if (queuedIdx >= 0 && this.opts.timeoutAction === 'DELAY') return;
    this.fail(p, new EdgeError('DEADLINE_EXCEEDED', `request timed out after ${timeoutUs} µs`), true);
  }

  private fail(p: Pending, e: unknown, removeFromQueue: boolean): void {
    if (p.settled) return;
    if (removeFromQueue) {
      const i = this.queue.indexOf(p);
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.stats.pending--;
        this.checkDrained();
      }
    }
    p.settled = true;
    p.cleanup();
    add(this.stats.fail, (now() - p.enqueuedAt) * 1000);
    p.reject(e);
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (!batch) return; // waiting for more requests to fill a batch
      void this.run(this.idle.pop()!, batch);
    }
  }

  /** Pick the next batch, or undefined to wait for the batching delay. */
  private takeBatch(): Pending[] | undefined {
    const db = this.opts.dynamicBatching;
    const max = this.opts.maxBatchSize;
    if (!db || max === 0) return [this.queue.shift()!];
    let size = 0;
    let n = 0;
    let preferredAt = 0;
    for (const p of this.queue) {
      if (size + p.batch > max) break;
      size += p.batch;
      n++;
      if (db.preferredBatchSizes.includes(size)) preferredAt = n;
    }
    n = Math.max(n, 1);
    const full = size >= max || (n === this.queue.length && db.maxQueueDelayUs === 0);
    const waited = (now() - this.queue[0].enqueuedAt) * 1000;
    if (!full && preferredAt === 0 && waited < db.maxQueueDelayUs && n === this.queue.length) {
      // Not enough work yet: wait for more, at most until the oldest request's delay is up.
      if (!this.batchTimer) {
        this.batchTimer = setTimeout(
          () => {
            this.batchTimer = undefined;
            this.pump();
          },
          (db.maxQueueDelayUs - waited) / 1000,
        );
      }
      return undefined;
    }
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
    }
    // Triton prefers the largest preferred size it can form; otherwise as many as fit.
    const take = preferredAt > 0 && !full && n > preferredAt ? preferredAt : n;
    return this.queue.splice(0, take);
  }

  private async run(instance: ModelInstance, batch: Pending[]): Promise<void> {
    const start = now();
    this.busy++;
    for (const p of batch) add(this.stats.queue, (start - p.enqueuedAt) * 1000);
    const items = batch.map((p) => p.item);
    try {
      const { results, timing, components } = await instance.execute(items);
      if (components?.length) this.opts.onComponents?.(components);
      this.reportTiming(batch, start, timing);
      // Triton counts successful inferences and executions only.
      const ok = batch.filter((_, i) => !('error' in results[i]));
      const size = ok.reduce((s, p) => s + p.batch, 0);
      if (ok.length) {
        this.stats.executionCount++;
        this.stats.inferenceCount += size;
        const b = this.stats.batchSizes.get(size) ?? { count: 0, ns: 0 };
        add(b, timing.inferUs);
        this.stats.batchSizes.set(size, b);
        this.stats.lastInferenceMs = Date.now();
        add(this.stats.computeInput, timing.inputUs / batch.length, ok.length);
        add(this.stats.computeInfer, timing.inferUs / batch.length, ok.length);
        add(this.stats.computeOutput, timing.outputUs / batch.length, ok.length);
      }
      batch.forEach((p, i) => {
        const r = results[i];
        if ('error' in r) this.fail(p, new EdgeError(r.error.code as EdgeError['code'], r.error.message), false);
        else this.succeed(p, r);
      });
    } catch (e) {
      this.reportTiming(batch, start);
      for (const p of batch) this.fail(p, e, false);
    } finally {
      for (const p of batch) this.stats.pending--;
      this.notePace(batch.length);
      this.busy--;
      this.idle.push(instance);
      this.pump();
      this.checkDrained();
    }
  }

  private reportTiming(batch: Pending[], startedAt: number, t?: { inputUs: number; inferUs: number; outputUs: number }): void {
    const endedAt = now();
    const batchSize = batch.reduce((s, p) => s + p.batch, 0);
    for (const p of batch) {
      p.onTiming?.({ enqueuedAt: p.enqueuedAt, startedAt, endedAt, batchSize, inputUs: t?.inputUs ?? 0, inferUs: t?.inferUs ?? 0, outputUs: t?.outputUs ?? 0 });
    }
  }

  private succeed(p: Pending, r: ExecutionResult): void {
    if (p.settled) return; // timed out or cancelled while running: the result is dropped
    p.settled = true;
    p.cleanup();
    add(this.stats.success, (now() - p.enqueuedAt) * 1000);
    p.resolve(r);
  }

  private checkDrained(): void {
    if (this.queue.length === 0 && this.busy === 0 && this.drainWaiters.length) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }
}
