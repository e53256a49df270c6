// What ONNX Runtime makes of a model: the graph it runs after its optimizations (written by
// ORT itself through SessionOptions.optimizedModelFilePath), whether the QDQ groups became int8
// kernels, and where the time goes per operator type (ORT's own profiler). File access and the
// CPU clock are passed in, so this module needs no runtime API.

import { parseModel } from './graph.ts';
import type { Feeds, OpenSession, QSession } from './session.ts';

export interface Fusion {
  /** op type (domain-qualified when not the default domain) → count, in the optimized graph. */
  ops: Record<string, number>;
  /** int8 kernels: QLinearConv, QLinearMatMul, QGemm, MatMulIntegerToFloat, ConvInteger… */
  int8Kernels: number;
  /** FP32 Conv/Gemm/MatMul still present (left in FP32 by the plan, or not fused). */
  fp32WeightOps: number;
  /** Quantize/Dequantize nodes left (boundaries between int8 kernels and FP32 ops). */
  qdqLeft: number;
}

const INT8_KERNELS = /^(com\.microsoft:)?(QLinear(Conv|MatMul)|QGemm|MatMulIntegerToFloat|ConvInteger|MatMulInteger|DynamicQuantizeMatMul)$/;
const FP32_WEIGHT_OPS = /^(com\.microsoft(\.nchwc)?:)?(Conv|Gemm|MatMul|FusedConv|FusedGemm|FusedMatMul)$/;

export interface FileAccess {
  read(path: string): Promise<Uint8Array>;
  /** Files in `dir` whose name starts with `prefix` (ORT appends a timestamp to profile files). */
  list(dir: string, prefix: string): Promise<string[]>;
  remove(path: string): Promise<void>;
}

/** Opens `model` with ORT writing its optimized graph to `path`, and counts what is in it. */
export async function optimizedGraph(open: OpenSession, model: Uint8Array, path: string, files: FileAccess): Promise<Fusion> {
  const s = await open(model, { optimizedModelPath: path });
  await s.release();
  const optimized = parseModel(await files.read(path));
  await files.remove(path);
  const ops: Record<string, number> = {};
  for (const n of optimized.graph.nodes) {
    const k = n.domain ? `${n.domain}:${n.opType}` : n.opType;
    ops[k] = (ops[k] ?? 0) + 1;
  }
  const count = (re: RegExp) =>
    Object.entries(ops)
      .filter(([k]) => re.test(k))
      .reduce((a, [, v]) => a + v, 0);
  return { ops, int8Kernels: count(INT8_KERNELS), fp32WeightOps: count(FP32_WEIGHT_OPS), qdqLeft: count(/(^|:)(QuantizeLinear|DequantizeLinear)$/) };
}

export interface OpProfile {
  /** Kernel time per run, all nodes. */
  perRunMs: number;
  /** op type → kernel ms per run. */
  byOp: Record<string, number>;
}

/** Runs `feeds` `runs` times with ORT's profiler on and sums kernel time per operator type. */
export async function profileOps(open: OpenSession, model: Uint8Array, feeds: Feeds, runs: number, dir: string, files: FileAccess): Promise<OpProfile> {
  const prefix = `edgeserve-profile-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const s = await open(model, { profilePrefix: `${dir}/${prefix}` });
  try {
    for (let i = 0; i < 5; i++) await s.run(feeds);
    for (let i = 0; i < runs; i++) await s.run(feeds);
    s.endProfiling?.();
  } finally {
    await s.release();
  }
  const [file] = await files.list(dir, prefix);
  if (!file) throw new Error(`ORT wrote no profile file under ${dir}/${prefix}*`);
  const events = JSON.parse(new TextDecoder().decode(await files.read(file))) as Array<{
    cat?: string;
    name?: string;
    dur?: number;
    args?: { op_name?: string };
  }>;
  await files.remove(file);
  const byOp: Record<string, number> = {};
  let total = 0;
  // The first 5 runs were warm-up: skip their events (one kernel event per node per run).
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time'));
  const perRun = kernels.length / (runs + 5);
  for (const e of kernels.slice(Math.round(perRun * 5))) {
    const op = e.args?.op_name ?? 'unknown';
    byOp[op] = (byOp[op] ?? 0) + (e.dur ?? 0) / 1000 / runs;
    total += (e.dur ?? 0) / 1000 / runs;
  }
  return { perRunMs: total, byOp };
}

export interface Timing {
  label: string;
  medianMs: number;
  minMs: number;
}

/**
 * Per-inference time of several sessions measured in interleaved rounds (so a busy machine
 * slows all of them alike), by the CPU clock given: on one intra-op thread, CPU time is the
 * inference's own work even when other processes compete for the cores.
 */
export async function timeSessions(
  entries: Array<{ label: string; session: QSession; feeds: Feeds }>,
  clockMs: () => number,
  o: { rounds?: number; perRound?: number } = {},
): Promise<Timing[]> {
  const rounds = o.rounds ?? 10;
  const per = o.perRound ?? 20;
  const samples = entries.map(() => [] as number[]);
  for (const e of entries) for (let i = 0; i < 5; i++) await e.session.run(e.feeds);
  for (let r = 0; r < rounds; r++) {
    for (const [k, e] of entries.entries()) {
      const t0 = clockMs();
      for (let i = 0; i < per; i++) await e.session.run(e.feeds);
      samples[k].push((clockMs() - t0) / per);
    }
  }
  return entries.map((e, k) => {
    const v = [...samples[k]].sort((a, b) => a - b);
    return { label: e.label, medianMs: v[Math.floor(v.length / 2)], minMs: v[0] };
  });
}
