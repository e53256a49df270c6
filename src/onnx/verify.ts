// Proves a batch-dimension edit by running it: N random items through the edited model in one
// batch must match N batch-1 runs of the original, item by item, with the right output shapes.
// The engine is a port (open a session from bytes, run named tensors), so this module loads no
// runtime; ort-runner.ts adapts onnxruntime to it.

import type { Datatype, FixedData } from '../core/datatypes.ts';
import { readModelIO } from './model-info.ts';

export interface VerifyTensor {
  datatype: Datatype;
  data: FixedData;
  dims: number[];
}
export interface VerifySession {
  run(feeds: Record<string, VerifyTensor>): Promise<Record<string, VerifyTensor>>;
  /** Frees the session (engines leak sessions that are never released). */
  release?(): Promise<void>;
}
export type OpenSession = (model: Uint8Array) => Promise<VerifySession>;

export interface OutputCheck {
  name: string;
  /** dims the batched run produced. */
  dims: number[];
  shapeOk: boolean;
  bitIdentical: boolean;
  maxAbsDiff: number;
}
export interface BatchVerdict {
  ok: boolean;
  batch: number;
  outputs: OutputCheck[];
  /** Why it failed (a thrown error, a wrong shape, a difference over the tolerance). */
  error?: string;
}
export interface VerifyOptions {
  batch?: number;
  seed?: number;
  atol?: number;
}

export async function verifyBatchable(
  original: Uint8Array,
  edited: Uint8Array,
  open: OpenSession,
  { batch = 4, seed = 1, atol = 1e-5 }: VerifyOptions = {},
): Promise<BatchVerdict> {
  const { inputs } = readModelIO(original);
  try {
    const rand = mulberry32(seed);
    const items = Array.from(
      { length: batch },
      () =>
        Object.fromEntries(
          inputs.map((io) => {
            const dims = io.shape.map((d, i) => (i === 0 ? 1 : d));
            if (!dims.every((d): d is number => typeof d === 'number' && d > 0)) {
              throw new Error(`input '${io.name}' has non-fixed dims ${JSON.stringify(io.shape)}; cannot make test data`);
            }
            return [io.name, randomTensor(io.datatype, dims, rand)];
          }),
        ) as Record<string, VerifyTensor>,
    );
    const expected: Array<Record<string, VerifyTensor>> = [];
    const single = await open(original);
    try {
      for (const item of items) expected.push(await single.run(item));
    } finally {
      await single.release?.();
    }
    const candidate = await open(edited);
    let batched: Record<string, VerifyTensor>;
    let alone: Record<string, VerifyTensor>;
    try {
      batched = await candidate.run(Object.fromEntries(inputs.map((io) => [io.name, stack(items.map((it) => it[io.name]))])));
      // Batch 1 through the edited model too: an edit may be right for N and wrong for 1.
      alone = await candidate.run(items[0]);
    } finally {
      await candidate.release?.();
    }
    const outputs = Object.keys(expected[0]).map((name) => {
      const check = compare(
        name,
        expected.map((e) => e[name]),
        batched[name],
        batch,
      );
      const one = compare(name, [expected[0][name]], alone[name], 1);
      return {
        ...check,
        shapeOk: check.shapeOk && one.shapeOk,
        bitIdentical: check.bitIdentical && one.bitIdentical,
        maxAbsDiff: Math.max(check.maxAbsDiff, one.maxAbsDiff),
      };
    });
    const bad = outputs.filter((o) => !o.shapeOk || o.maxAbsDiff > atol);
    const error =
      bad.length === 0
        ? undefined
        : bad
            .map((o) =>
              o.shapeOk
                ? `${o.name}: max abs diff ${o.maxAbsDiff} > ${atol}`
                : `${o.name}: batched dims [${o.dims}] are not [${batch}, …] as the single runs imply`,
            )
            .join('; ');
    return { ok: !error, batch, outputs, error };
  } catch (e) {
    return { ok: false, batch, outputs: [], error: e instanceof Error ? e.message : String(e) };
  }
}

function compare(name: string, singles: VerifyTensor[], got: VerifyTensor | undefined, batch: number): OutputCheck {
  const want = [batch, ...singles[0].dims.slice(1)];
  const dims = got?.dims ?? [];
  const shapeOk = !!got && dims.length === want.length && dims.every((d, i) => d === want[i]);
  if (!got || !shapeOk) return { name, dims, shapeOk, bitIdentical: false, maxAbsDiff: Infinity };
  let maxAbsDiff = 0;
  let bitIdentical = true;
  const per = singles[0].data.length;
  singles.forEach((s, i) => {
    for (let j = 0; j < per; j++) {
      const a = Number(s.data[j]);
      const b = Number(got.data[i * per + j]);
      if (!Object.is(a, b)) bitIdentical = false;
      // NaN on one side only is the worst difference there is, not an invisible one.
      const d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.isNaN(a - b) ? Infinity : Math.abs(a - b);
      if (!(d <= maxAbsDiff)) maxAbsDiff = d;
    }
  });
  return { name, dims, shapeOk, bitIdentical, maxAbsDiff };
}

function stack(ts: VerifyTensor[]): VerifyTensor {
  const per = ts[0].data.length;
  const data = new (ts[0].data.constructor as new (n: number) => FixedData)(per * ts.length);
  ts.forEach((t, i) => {
    (data as { set(a: ArrayLike<number | bigint>, o: number): void }).set(t.data, i * per);
  });
  return { datatype: ts[0].datatype, data, dims: [ts.length, ...ts[0].dims.slice(1)] };
}

function randomTensor(datatype: Datatype, dims: number[], rand: () => number): VerifyTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const gen: Partial<Record<Datatype, () => FixedData>> = {
    FP32: () => Float32Array.from({ length: n }, () => rand() * 2 - 1),
    FP64: () => Float64Array.from({ length: n }, () => rand() * 2 - 1),
    INT32: () => Int32Array.from({ length: n }, () => Math.floor(rand() * 200) - 100),
    INT64: () => BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 200) - 100)),
    UINT8: () => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)),
    INT8: () => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128),
    BOOL: () => Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1)),
  };
  const make = gen[datatype];
  if (!make) throw new Error(`cannot make random ${datatype} test data`);
  return { datatype, data: make(), dims };
}

/** Small seeded PRNG: reproducible test data without a dependency. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
