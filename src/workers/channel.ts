// One worker thread and its request/reply correlation (reqId → pending). A channel dies once:
// on the thread's first error, exit or unreadable message (or kill()) every pending request is
// rejected with the same UNAVAILABLE error at once, so nothing waits on a thread that is gone,
// and the owner is told why. Channels are never revived; the pool makes a new one.

// node:worker_threads, not the global Worker: onnxruntime-web's threaded WASM glue replaces
// globalThis.Worker with this class once it creates a session in the same thread, so the
// global is not a stable API to program against (seen on Bun 1.4.5).
import { Worker } from 'node:worker_threads';
import { EdgeError, unavailable } from '../core/errors.ts';
import { type FromWorker, type ToWorker, fromWire } from './messages.ts';

export type Reply = Exclude<FromWorker, { type: 'error' }>;
/** A request as the caller writes it: the channel assigns the reqId. */
export type Request = ToWorker extends infer M ? (M extends { reqId: number } ? Omit<M, 'reqId'> : never) : never;

interface Pending {
  resolve: (m: Reply) => void;
  reject: (e: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export class WorkerChannel {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private dead = false;

  /** `onDeath` runs once, after the pending requests were failed, unless close() ended it. */
  constructor(
    entry: URL,
    readonly name: string,
    private readonly onDeath: (reason: string, failed: number) => void,
  ) {
    const w = new Worker(entry, { name });
    this.worker = w;
    w.on('message', (m: FromWorker) => this.onMessage(m));
    // An uncaught error ends the thread and an 'exit' follows: the first event wins.
    w.on('error', (e: Error) => this.kill(`threw ${e.message}`));
    w.on('messageerror', () => this.kill('sent a message that could not be read'));
    w.on('exit', (code: number) => this.kill(`exited with code ${code}`));
  }

  get alive(): boolean {
    return !this.dead;
  }
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends one request; settles with the worker's reply, its error, or UNAVAILABLE if the thread
   * dies first. With `timeoutMs`, a request still running after that long kills the thread as hung.
   */
  request(msg: Request, transfer: ArrayBuffer[] = [], timeoutMs = 0): Promise<Reply> {
    if (this.dead) return Promise.reject(unavailable(`model instance is restarting after a crash (${this.name}); retry`, 1));
    const reqId = ++this.seq;
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (timeoutMs > 0) p.timer = setTimeout(() => this.kill(`ran one request longer than ${timeoutMs} ms`), timeoutMs);
      this.pending.set(reqId, p);
      try {
        this.worker.postMessage({ ...msg, reqId } as ToWorker, transfer);
      } catch (e) {
        this.pending.delete(reqId);
        clearTimeout(p.timer);
        reject(new EdgeError('INTERNAL', `cannot send to ${this.name}: ${(e as Error).message}`));
      }
    });
  }

  /** Fire and forget (the test-only crash/hang messages). */
  post(msg: Extract<ToWorker, { type: 'crash' | 'hang' }>): void {
    if (!this.dead) this.worker.postMessage(msg);
  }

  /** Ends the thread as crashed: pending requests fail with "model instance crashed … retry". */
  kill(reason: string): void {
    if (this.dead) return;
    const failed = this.end(unavailable(`model instance crashed (${this.name} ${reason}); retry`, 1));
    this.onDeath(reason, failed);
  }

  /** Ends the thread on purpose (shutdown): pending requests fail with `err`; no onDeath. */
  close(err: EdgeError): void {
    if (!this.dead) this.end(err);
  }

  private end(err: EdgeError): number {
    this.dead = true;
    void this.worker.terminate();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    return pending.length;
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    clearTimeout(p.timer);
    if (m.type === 'error') p.reject(fromWire(m.error));
    else p.resolve(m);
  }
}
