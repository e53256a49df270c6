// The typed protocol between the main thread (WorkerPool) and a pool worker (worker-entry.ts):
// one discriminated union each way, correlated by `reqId`. Errors cross as {code, message} so
// EdgeError codes (and therefore HTTP statuses) survive the thread boundary. Which buffers are
// copied and which are transferred is decided in transfer.ts, not here.

import type { EngineName } from '../engine/backend.ts';
import { EdgeError, type ErrorCode } from '../core/errors.ts';
import type { TensorMetadata } from '../core/inference.ts';
import type { ExecutionBatchResult, ExecutionItem } from '../core/instance.ts';
import type { ModelConfig } from '../core/model-config.ts';

/** Per-worker settings, sent once right after the worker starts. */
export interface WorkerSettings {
  /** Engine for models whose config.json names none. */
  engine: EngineName;
  /** intra-op threads of every session this worker creates (already resolved, ≥ 1). */
  intraOpThreads: number;
  maxImagePixels: number;
}

export interface WireError {
  code: ErrorCode;
  message: string;
}

/** What a worker needs to (re)create a model's sessions; the pool keeps it to reload after a crash. */
export interface LoadSpec {
  /** Unique per load (name/version#seq): a reload of the same version gets a new key. */
  key: string;
  name: string;
  version: string;
  config: ModelConfig;
  /** Copied to the worker, never transferred: the pool keeps it for reloads. */
  bytes: Uint8Array;
  /** Sessions to create on this worker for this model. */
  instances: number;
}

export type ToWorker =
  /** First message; answered with `ready` once the worker has set up its loader. */
  | { type: 'init'; reqId: number; settings: WorkerSettings }
  | ({ type: 'load'; reqId: number } & LoadSpec)
  | { type: 'execute'; reqId: number; key: string; instanceIndex: number; items: ExecutionItem[] }
  /** Frees one session of a model (all of them when instanceIndex is absent). */
  | { type: 'unload'; reqId: number; key: string; instanceIndex?: number }
  /** Test only: the worker calls process.exit(1), as a native crash in a session would end it. */
  | { type: 'crash' }
  /** Test only: the worker blocks its thread for `ms`, as a hung session would. */
  | { type: 'hang'; ms: number };

export type FromWorker =
  | { type: 'ready'; reqId: number }
  /** `config` when loading changed what is served (e.g. make_batchable refused: unbatched). */
  | { type: 'loaded'; reqId: number; inputs: TensorMetadata[]; outputs: TensorMetadata[]; config?: ModelConfig; notes?: string[]; warnings?: string[] }
  | { type: 'result'; reqId: number; batchResult: ExecutionBatchResult }
  | { type: 'unloaded'; reqId: number }
  | { type: 'error'; reqId: number; error: WireError };

const CODES = {
  INVALID_ARGUMENT: true,
  NOT_FOUND: true,
  UNAVAILABLE: true,
  PAYLOAD_TOO_LARGE: true,
  UNSUPPORTED_MEDIA: true,
  UNPROCESSABLE: true,
  DEADLINE_EXCEEDED: true,
  CANCELLED: true,
  INTERNAL: true,
  UNAUTHENTICATED: true,
  PERMISSION_DENIED: true,
  RESOURCE_EXHAUSTED: true,
  CONFLICT: true,
} satisfies Record<ErrorCode, true>;

function isCode(c: unknown): c is ErrorCode {
  return typeof c === 'string' && Object.hasOwn(CODES, c);
}

/** Any thrown value → a cloneable error; non-domain errors become INTERNAL. */
export function toWire(e: unknown): WireError {
  if (e instanceof EdgeError || (e instanceof Error && isCode((e as { code?: unknown }).code))) {
    return { code: (e as EdgeError).code, message: e.message };
  }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function fromWire(w: WireError): EdgeError {
  return new EdgeError(isCode(w.code) ? w.code : 'INTERNAL', w.message, w.code === 'UNAVAILABLE' ? 1 : undefined);
}
