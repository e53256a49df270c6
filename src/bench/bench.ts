// `edgeserve bench` (npm run bench): how fast the face detector is served, against the ceiling
// the same hardware and thread budget allow. Phases (pick with --phases):
//   t0       T₀: decode + preprocess + infer + post-process in worker threads, no HTTP (t0.ts)
//   http     the real server (child process) under closed-loop load at each concurrency
//   batch    dynamic batching on vs off, two servers, runs alternated per concurrency
//   12mp     a 12 MP JPEG (astronaut.jpg upscaled to 4000x3000, q90): T₀ and served
//   overload ~4x the server's capacity in connections with a small queue: 503s, p99, RSS
//   gallery  identification search over 100k and 1M enrolled faces, memory per face (gallery.ts)
//   quant    FP32 vs INT8 face models: derivation, gate, per-inference time, served detector (quant.ts)
//   accuracy face identity: genuine/impostor similarities per alignment, FAR/FRR (face-accuracy.ts)
//   verify   POST /v1/faces/verify: CPU per verify by stage in-process, served req/s, embedder
//            PRelu rewrite on vs off (verify.ts)
//   enrol    gallery enrolment vs POST /v1/faces/embed, its ceiling (gallery-enrol.ts)
// Prints one table per phase and the targets' verdicts, and writes them (text and JSON) to
// --out (default bench-results/, gitignored). Server settings come from the usual environment
// variables and flags (WORKERS, INTRA_OP_THREADS, …), so any configuration can be benched.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ENV_NAMES, ServerConfig } from '../config/server-config.ts';
import { ModelConfig } from '../core/model-config.ts';
import { fixture, bigJpeg } from '../image/testing/images.ts';
import { type LoadResult, multipartRequest, runLoad } from './loadgen.ts';
import { makeBatchRepos } from './repo.ts';
import { type ServerProcess, startServer } from './server.ts';
import { measureT0, type T0Result } from './t0.ts';
import { type CpuUse, cpuSampler, waitForQuiet } from './cpu.ts';
import { type Row, table } from './table.ts';

const PHASES = ['t0', 'http', 'batch', '12mp', 'overload', 'gallery', 'quant', 'accuracy', 'verify', 'enrol'] as const;
type Phase = (typeof PHASES)[number];

const HELP = `edgeserve bench [options]
  Server settings as for serve: flags (--workers 2, --intra-op-threads 1, …) or WORKERS=…,
  INTRA_OP_THREADS=… in the environment. While cli.ts parses flags strictly, put bench options
  after \`--\`: bun src/cli.ts bench -- --phases t0,http (npm run bench -- -- --phases t0,http).

  --phases LIST        ${PHASES.join(',')} (default: all)
  --duration S         seconds measured per run (default 5)
  --warmup S           unmeasured seconds before each run (default 1)
  --concs LIST         HTTP concurrencies (default 1,8,64,256)
  --big-concs LIST     concurrencies for the 12 MP JPEG (default 1,64)
  --image FILE         JPEG to send (default test/fixtures/astronaut.jpg)
  --verify-images A,B  the verify pair (default test/fixtures/astronaut.jpg,grace_hopper.jpg)
  --verify-concs LIST  verify concurrencies (default 8,64)
  --enrol-concs LIST   enrolment concurrencies (default 8,64)
  --max-batch N        max_batch_size of the batching-on server (default 8)
  --batch-delay-us N   its max_queue_delay_microseconds (default 0)
  --overload-queue N   MAX_QUEUE_SIZE in the overload phase (default 64)
  --overload-conc N    connections in the overload phase (default 4 x (queue + instances), min 512)
  --retries N          re-run a measurement up to N times when other processes took more
                       than 0.15 core during it (default 2; the least disturbed run is kept)
  --out DIR            where tables and JSON go (default bench-results)
`;

export interface BenchOptions {
  phases: Phase[];
  durationMs: number;
  warmupMs: number;
  concs: number[];
  bigConcs: number[];
  image?: string;
  verifyImages?: [string, string];
  verifyConcs: number[];
  enrolConcs: number[];
  maxBatch: number;
  batchDelayUs: number;
  overloadQueue: number;
  overloadConc?: number;
  retries: number;
  out: string;
  /** Server settings given as flags among the bench options (e.g. --workers 1). */
  server: Partial<Record<keyof ServerConfig, string>>;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const nums = (s: string) =>
  list(s).map((x) => {
    const n = Number(x);
    if (!(n > 0)) throw new Error(`not a positive number: ${x}`);
    return n;
  });

/** Accepts `--key value`, `--key=value` and `key=value` (cli.ts hands over what follows `--`). */
export function parseBenchArgs(args: string[]): BenchOptions | undefined {
  const o: BenchOptions = {
    phases: [...PHASES],
    durationMs: 5000,
    warmupMs: 1000,
    concs: [1, 8, 64, 256],
    bigConcs: [1, 64],
    verifyConcs: [8, 64],
    enrolConcs: [8, 64],
    maxBatch: 8,
    batchDelayUs: 0,
    overloadQueue: 64,
    retries: 2,
    out: 'bench-results',
    server: {},
  };
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    if (a === '--help' || a === '-h') return undefined;
    let v: string | undefined;
    if (a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const key = a.replace(/^--/, '');
    const val = () =>
      v ??
      args[++i] ??
      (() => {
        throw new Error(`--${key} needs a value`);
      })();
    switch (key) {
      case 'phases': {
        const p = list(val());
        const bad = p.filter((x) => !PHASES.includes(x as Phase));
        if (bad.length) throw new Error(`unknown phase(s) ${bad.join(', ')}; phases: ${PHASES.join(', ')}`);
        o.phases = p as Phase[];
        break;
      }
      case 'duration':
        o.durationMs = nums(val())[0] * 1000;
        break;
      case 'warmup':
        o.warmupMs = Number(val()) * 1000;
        break;
      case 'concs':
        o.concs = nums(val());
        break;
      case 'big-concs':
        o.bigConcs = nums(val());
        break;
      case 'image':
        o.image = val();
        break;
      case 'verify-images': {
        const pair = list(val());
        if (pair.length !== 2) throw new Error(`--verify-images takes two files (A,B), got ${pair.length}`);
        o.verifyImages = [pair[0], pair[1]];
        break;
      }
      case 'verify-concs':
        o.verifyConcs = nums(val());
        break;
      case 'enrol-concs':
        o.enrolConcs = nums(val());
        break;
      case 'max-batch':
        o.maxBatch = nums(val())[0];
        break;
      case 'batch-delay-us':
        o.batchDelayUs = Number(val());
        break;
      case 'overload-queue':
        o.overloadQueue = nums(val())[0];
        break;
      case 'overload-conc':
        o.overloadConc = nums(val())[0];
        break;
      case 'retries':
        o.retries = Number(val());
        break;
      case 'out':
        o.out = val();
        break;
      default: {
        const field = Object.values(ENV_NAMES).find((f) => f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) === key);
        if (!field || field === 'pull') throw new Error(`unknown bench option '${args[i]}'\n\n${HELP}`);
        o.server[field] = val();
      }
    }
  }
  return o;
}

/** The worker/thread split `serve` would use with these settings (same rules as runtime/). */
export function threadBudget(cfg: ServerConfig, cores = availableParallelism()) {
  const workers = cfg.workers ?? cores;
  if (workers === 0)
    return {
      workers: 0,
      t0Workers: 1,
      pipelinesPerWorker: cfg.instances || 1,
      intraOpThreads: cfg.intraOpThreads || cores,
      instances: cfg.instances || 1,
      cores,
    };
  const intraOpThreads = cfg.intraOpThreads || Math.max(1, Math.floor(cores / workers));
  const instances = cfg.instances || workers;
  return { workers, t0Workers: workers, pipelinesPerWorker: Math.ceil(instances / workers), intraOpThreads, instances, cores };
}

/** cfg as the environment variables `serve` reads, so the child gets exactly these settings. */
function serverEnv(cfg: ServerConfig, over: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, field] of Object.entries(ENV_NAMES)) {
    const v = cfg[field];
    // An empty list (LOAD_MODEL, CORS_ORIGINS…) is left unset: the server refuses empty values.
    // No gRPC port: startServer turns it off, so two bench servers never fight over 8001.
    if (v !== undefined && String(v) !== '' && !['port', 'host', 'pull', 'logLevel', 'grpcPort'].includes(field)) env[name] = String(v);
  }
  env.MODEL_REPOSITORY = resolve(cfg.models);
  return { ...env, ...over };
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : '-');
const rate = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '-');
const errs = (r: LoadResult) => {
  const bad = Object.entries(r.status)
    .filter(([s]) => !s.startsWith('2'))
    .map(([s, n]) => `${n}x${s}`);
  if (r.socketErrors) bad.push(`${r.socketErrors} sock`);
  return bad.join(' ') || '0';
};

async function modelCounts(url: string, model = 'face_detect'): Promise<{ inferences: number; executions: number } | undefined> {
  try {
    const j = (await (await fetch(`${url}/v2/models/${model}/stats`)).json()) as { model_stats?: Array<{ inference_count: number; execution_count: number }> };
    const s = j.model_stats?.[0];
    return s ? { inferences: s.inference_count, executions: s.execution_count } : undefined;
  } catch {
    return undefined;
  }
}

export async function runBench(base: ServerConfig, args: string[]): Promise<void> {
  const o = parseBenchArgs(args);
  if (!o) {
    process.stdout.write(HELP);
    return;
  }
  const cfg = Object.keys(o.server).length ? ServerConfig.parse({ ...base, ...o.server }) : base;
  const budget = threadBudget(cfg);
  const rawConfig = JSON.parse(await Bun.file(join(cfg.models, 'face_detect', 'config.json')).text()) as Record<string, unknown>;
  const config = ModelConfig.parse(rawConfig);
  const model = new Uint8Array(await Bun.file(join(cfg.models, 'face_detect', '1', 'model.onnx')).arrayBuffer());
  const image = o.image ? new Uint8Array(await Bun.file(o.image).arrayBuffer()) : fixture('astronaut.jpg');
  const imageName = o.image ? basename(o.image) : 'astronaut.jpg';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  mkdirSync(o.out, { recursive: true });
  const out: string[] = [];
  const json: Record<string, unknown> = { stamp, bun: Bun.version, cores: budget.cores, budget, options: o };
  const say = (s = '') => {
    out.push(s);
    console.log(s);
  };
  const split = budget.workers
    ? `${budget.workers} workers x ${budget.intraOpThreads} intra-op threads, ${budget.instances} instances`
    : `in-process, ${budget.intraOpThreads} intra-op threads`;
  say(`edgeserve bench — Bun ${Bun.version}, ${budget.cores} cores, ${split}; ${o.durationMs / 1000}s per run after ${o.warmupMs / 1000}s warm-up; ${stamp}`);
  const verdicts: string[] = [];
  // The box may be shared: start each run on a quiet machine and re-run one that other
  // processes disturbed, keeping the least disturbed.
  const undisturbed = async <T>(run: () => Promise<T>, other: (r: T) => number): Promise<T> => {
    let best: T | undefined;
    for (let i = 0; i <= o.retries; i++) {
      await waitForQuiet(20_000);
      const r = await run();
      if (best === undefined || other(r) < other(best)) best = r;
      if (other(best) <= 0.15) break;
    }
    return best!;
  };
  const load = (srv: ServerProcess, body: Uint8Array, c: number, durationMs = o.durationMs, backoffOn503Ms = 0) =>
    undisturbed(
      async () => {
        const cpu = cpuSampler(srv.pid);
        const r = await runLoad({
          host: '127.0.0.1',
          port: srv.port,
          connections: c,
          durationMs,
          warmupMs: o.warmupMs,
          backoffOn503Ms,
          request: multipartRequest('127.0.0.1', srv.port, '/v1/faces/detect', 'image', body),
        });
        return { ...r, cpu: cpu.stop() };
      },
      (r) => r.cpu.otherCores,
    );
  // Requests still queued server-side from the closed connections must not leak into the next run.
  const settle = (c: number) => Bun.sleep(1000 + c * 10);
  const t0Of = (img: Uint8Array, workers: number, pipelines: number) =>
    undisturbed(
      () =>
        measureT0({
          config,
          model,
          image: img,
          workers,
          pipelinesPerWorker: pipelines,
          intraOpThreads: budget.intraOpThreads,
          maxImagePixels: cfg.maxImagePixels,
          durationMs: o.durationMs,
          warmup: img.length > 1e6 ? 3 : 20,
        }),
      (r) => r.otherCores,
    );

  // ---- T₀
  let t0: T0Result | undefined;
  let t0Alone: T0Result | undefined;
  if (o.phases.includes('t0') || o.phases.includes('http')) {
    t0Alone = await t0Of(image, 1, 1);
    // Two ways to fill the same threads: one image at a time per worker thread, or two (the
    // next one decodes on Bun's pool while the current one infers, as the served pool
    // pipelines). T₀ is the better of the two: the ceiling, not a straw man.
    const serial = await t0Of(image, budget.t0Workers, budget.pipelinesPerWorker);
    const overlapped = await t0Of(image, budget.t0Workers, 2 * budget.pipelinesPerWorker);
    t0 = overlapped.imagesPerSecond > serial.imagesPerSecond ? overlapped : serial;
    say(`\nT₀ — in-process ceiling (decode + preprocess + infer + post-process, no HTTP), face detector, ${imageName}`);
    const row = (run: string, r: T0Result) => ({
      run,
      'img/s': rate(r.imagesPerSecond),
      p50: ms(r.latency.p50),
      p99: ms(r.latency.p99),
      cores: r.selfCores.toFixed(2),
      'other cores': r.otherCores.toFixed(2),
    });
    say(
      table([
        row(`1 pipeline x ${budget.intraOpThreads} thr: per-image time`, t0Alone),
        row(`${budget.t0Workers} threads x ${serial.pipelinesPerWorker} pipeline x ${budget.intraOpThreads} thr${t0 === serial ? ' = T₀' : ''}`, serial),
        row(
          `${budget.t0Workers} threads x ${overlapped.pipelinesPerWorker} pipelines x ${budget.intraOpThreads} thr${t0 === overlapped ? ' = T₀' : ''}`,
          overlapped,
        ),
      ]),
    );
    json.t0 = { alone: t0Alone, serial, overlapped, t0: t0.imagesPerSecond };
  }

  // ---- served over HTTP
  if (o.phases.includes('http') || o.phases.includes('12mp')) {
    const srv = await startServer(serverEnv(cfg), join(o.out, 'server.log'));
    try {
      if (o.phases.includes('http')) {
        const rows: Row[] = [];
        const runs: Array<LoadResult & { cpu: CpuUse }> = [];
        for (const c of o.concs) {
          const r = await load(srv, image, c);
          const use = r.cpu;
          runs.push(r);
          rows.push({
            c,
            'req/s': rate(r.okRps),
            p50: ms(r.ok.p50),
            p99: ms(r.ok.p99),
            errors: errs(r),
            'served/T₀': t0 ? pct(r.okRps / t0.imagesPerSecond) : '-',
            'srv cores': use.serverCores.toFixed(2),
            'other cores': use.otherCores.toFixed(2),
          });
          await settle(c);
        }
        say(`\nServed — POST /v1/faces/detect, multipart ${imageName} (${image.length} B), closed loop, ${split}`);
        say(table(rows));
        json.http = runs;
        if (t0 && t0Alone) {
          const sat = Math.max(...runs.filter((r) => r.connections >= 64).map((r) => r.okRps));
          const one = runs.find((r) => r.connections === 1);
          if (Number.isFinite(sat))
            verdicts.push(
              `served/T₀ at saturation (best of c≥64): ${pct(sat / t0.imagesPerSecond)} (target ≥ 90%) ${sat / t0.imagesPerSecond >= 0.9 ? 'MET' : 'MISSED'}`,
            );
          if (one)
            verdicts.push(
              `c=1 median ${ms(one.ok.p50)} ms vs T₀ per-image ${ms(t0Alone.latency.p50)} ms + 1 ms ${one.ok.p50 <= t0Alone.latency.p50 + 1 ? 'MET' : 'MISSED'}`,
            );
        }
      }
      if (o.phases.includes('12mp')) {
        const big = await bigJpeg(4000, 3000);
        writeFileSync(join(o.out, 'astronaut-12mp.jpg'), big);
        const bigT0 = await t0Of(big, budget.t0Workers, 2 * budget.pipelinesPerWorker);
        const bigAlone = await t0Of(big, 1, 1);
        const rows: Row[] = [
          {
            run: 'T₀ 1 pipeline (per-image time)',
            'img/s': rate(bigAlone.imagesPerSecond),
            p50: ms(bigAlone.latency.p50),
            p99: ms(bigAlone.latency.p99),
            errors: '',
            'served/T₀': '',
          },
          {
            run: `T₀ ${budget.t0Workers} threads x ${bigT0.pipelinesPerWorker} pipelines x ${budget.intraOpThreads} thr`,
            'img/s': rate(bigT0.imagesPerSecond),
            p50: ms(bigT0.latency.p50),
            p99: ms(bigT0.latency.p99),
            errors: '',
            'served/T₀': '',
          },
        ];
        const runs: LoadResult[] = [];
        for (const c of o.bigConcs) {
          const r = await load(srv, big, c);
          runs.push(r);
          rows.push({
            run: `served c=${c}`,
            'img/s': rate(r.okRps),
            p50: ms(r.ok.p50),
            p99: ms(r.ok.p99),
            errors: errs(r),
            'served/T₀': pct(r.okRps / bigT0.imagesPerSecond),
          });
          await settle(c);
        }
        say(`\n12 MP JPEG — 4000x3000 q90 (${(big.length / 1e6).toFixed(1)} MB; written to ${join(o.out, 'astronaut-12mp.jpg')})`);
        say(table(rows));
        json.big = { t0: bigT0, alone: bigAlone, http: runs };
      }
    } finally {
      await srv.stop();
    }
  }

  // ---- batching on vs off
  if (o.phases.includes('batch')) {
    const repos = await makeBatchRepos(rawConfig, config, model, o.maxBatch, o.batchDelayUs);
    const off = await startServer(serverEnv(cfg, { MODEL_REPOSITORY: repos.off }), join(o.out, 'server-batch-off.log'));
    const on = await startServer(serverEnv(cfg, { MODEL_REPOSITORY: repos.on }), join(o.out, 'server-batch-on.log'));
    try {
      const rows: Row[] = [];
      const runs: Array<{ c: number; off: LoadResult[]; on: LoadResult[]; meanBatch: number }> = [];
      for (const c of o.concs) {
        // Alternated off, on, off, on, so slow drift and other tenants hit both alike; the
        // sums over both rounds are compared.
        const offRuns: Array<LoadResult & { cpu: CpuUse }> = [];
        const onRuns: Array<LoadResult & { cpu: CpuUse }> = [];
        let inferences = 0;
        let executions = 0;
        for (let round = 0; round < 2; round++) {
          offRuns.push(await load(off, image, c));
          await settle(c);
          const before = await modelCounts(on.url);
          onRuns.push(await load(on, image, c));
          const after = await modelCounts(on.url);
          await settle(c);
          if (before && after) {
            inferences += after.inferences - before.inferences;
            executions += after.executions - before.executions;
          }
        }
        const meanBatch = executions > 0 ? inferences / executions : NaN;
        const okRps = (rs: LoadResult[]) => rs.reduce((a, r) => a + r.okRps, 0) / rs.length;
        const cores = (rs: Array<{ cpu: CpuUse }>) => (rs.reduce((a, r) => a + r.cpu.serverCores, 0) / rs.length).toFixed(2);
        const worstP50 = (rs: LoadResult[]) => Math.max(...rs.map((r) => r.ok.p50));
        const worstP99 = (rs: LoadResult[]) => Math.max(...rs.map((r) => r.ok.p99));
        runs.push({ c, off: offRuns, on: onRuns, meanBatch });
        rows.push({
          c,
          'off req/s': rate(okRps(offRuns)),
          'off p50': ms(worstP50(offRuns)),
          'off p99': ms(worstP99(offRuns)),
          'on req/s': rate(okRps(onRuns)),
          'on p50': ms(worstP50(onRuns)),
          'on p99': ms(worstP99(onRuns)),
          'mean batch': Number.isFinite(meanBatch) ? meanBatch.toFixed(1) : '-',
          'off cores': cores(offRuns),
          'on cores': cores(onRuns),
          'on/off': pct(okRps(onRuns) / okRps(offRuns)),
          errors: `${offRuns.map(errs).join('+')} / ${onRuns.map(errs).join('+')}`,
        });
      }
      say(
        `\nBatching — off: max_batch_size 0; on: max_batch_size ${o.maxBatch}, dynamic_batching delay ${o.batchDelayUs} µs (symbolic batch dim, outputs within ${repos.maxAbsDiff.toExponential(1)} of unbatched); req/s = mean of 2 alternated runs, p50/p99 = the worse run`,
      );
      say(table(rows));
      json.batch = runs;
      const ratios = runs.map((r) => r.on.reduce((a, x) => a + x.okRps, 0) / r.off.reduce((a, x) => a + x.okRps, 0));
      const worst = Math.min(...ratios);
      // Where no batch forms (mean batch 1.0) both servers run the same code: what differs there is
      // this box's run-to-run noise (±5% measured), so that is the tolerance.
      verdicts.push(
        `batching on vs off: worst on/off throughput ${pct(worst)} (target: never slower, beyond ±5% run-to-run noise) ${worst >= 0.95 ? 'MET' : 'MISSED'}`,
      );
    } finally {
      await Promise.all([off.stop(), on.stop()]);
      repos.remove();
    }
  }

  // ---- FP32 vs INT8 (src/bench/quant.ts): per-inference times, gates, served detector
  if (o.phases.includes('quant')) {
    const { quantModel, quantRows, repositoryWith } = await import('./quant.ts');
    const rs = [await quantModel(resolve(cfg.models), 'face_detect'), await quantModel(resolve(cfg.models), 'face_embed')];
    say('\nFP32 vs INT8 — per inference (one thread, CPU ms, median of interleaved rounds) and accuracy gate');
    say(table(quantRows(rs)));
    const repo = repositoryWith(resolve(cfg.models), 'face_detect', rs[0].int8Bytes);
    const rows: Row[] = [];
    try {
      for (const [precision, models] of [
        ['FP32', cfg.models],
        ['INT8', repo.dir],
      ] as const) {
        const srv = await startServer(serverEnv(cfg, { MODEL_REPOSITORY: models }), join(o.out, `server-quant-${precision}.log`));
        try {
          for (const c of o.concs.filter((c) => c >= 64)) {
            const r = await load(srv, image, c);
            rows.push({
              detector: precision,
              c,
              'req/s': rate(r.okRps),
              p50: ms(r.ok.p50),
              p99: ms(r.ok.p99),
              errors: errs(r),
              'other cores': r.cpu.otherCores.toFixed(2),
            });
            await settle(c);
          }
        } finally {
          await srv.stop();
        }
      }
    } finally {
      repo.remove();
    }
    say(`\nServed — POST /v1/faces/detect with the FP32 and the INT8 detector, ${split}`);
    say(table(rows));
    json.quant = { models: rs.map(({ int8Bytes: _b, ...r }) => r), served: rows };
  }

  // ---- face identity accuracy (src/bench/face-accuracy.ts): in-process, not timed
  if (o.phases.includes('accuracy')) {
    const { accuracyBench } = await import('./face-accuracy.ts');
    say('\nFace identity accuracy — every fixture face and its variants through the face job, per alignment');
    say(await accuracyBench([], cfg.models));
  }

  // ---- verify (src/bench/verify.ts): CPU by stage, served, PRelu rewrite on vs off
  if (o.phases.includes('verify')) {
    const { verifyBench } = await import('./verify.ts');
    const [a, b] = o.verifyImages ?? [];
    const img = async (f: string | undefined, name: string) => ({
      name: f ? basename(f) : name,
      bytes: f ? new Uint8Array(await Bun.file(f).arrayBuffer()) : fixture(name),
    });
    const r = await verifyBench({
      models: resolve(cfg.models),
      env: serverEnv(cfg),
      images: [await img(a, 'astronaut.jpg'), await img(b, 'grace_hopper.jpg')],
      concs: o.verifyConcs,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      maxImagePixels: cfg.maxImagePixels,
      logDir: o.out,
      log: say,
    });
    json.verify = r;
  }

  // ---- enrolment vs the embed pipeline (src/bench/gallery-enrol.ts)
  if (o.phases.includes('enrol')) {
    const { enrolBench } = await import('./gallery-enrol.ts');
    const r = await enrolBench({
      env: serverEnv(cfg),
      image,
      imageName,
      concs: o.enrolConcs,
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      logFile: join(o.out, 'server-enrol.log'),
      log: say,
    });
    verdicts.push(r.verdict);
    json.enrol = r.runs;
  }

  // ---- overload
  if (o.phases.includes('gallery')) {
    // In-process: the identification search over 100k and 1M faces (src/bench/gallery.ts).
    const { galleryBench } = await import('./gallery.ts');
    await galleryBench([100_000, 1_000_000]);
  }
  if (o.phases.includes('overload')) {
    const q = o.overloadQueue;
    const c = o.overloadConc ?? Math.max(512, 4 * (q + budget.instances));
    const srv = await startServer(serverEnv(cfg, { MAX_QUEUE_SIZE: String(q) }), join(o.out, 'server-overload.log'));
    try {
      const rows: Row[] = [];
      const runs: unknown[] = [];
      // Two kinds of client: ones that retry a 503 at once (a storm: every rejected request is
      // sent again immediately, the worst case) and ones that honour Retry-After (1 s).
      for (const [mode, backoff] of [
        ['retry at once', 0],
        ['honour Retry-After', 1000],
      ] as const) {
        const rssBefore = srv.rssMiB();
        let rssPeak = rssBefore;
        const timer = setInterval(() => {
          rssPeak = Math.max(rssPeak, srv.rssMiB());
        }, 200);
        const r = await load(srv, image, c, Math.max(o.durationMs, 5000), backoff);
        clearInterval(timer);
        await settle(c);
        const rssAfter = srv.rssMiB();
        const other =
          Object.entries(r.status)
            .filter(([s]) => !s.startsWith('2') && s !== '503')
            .reduce((n, [, k]) => n + k, 0) + r.socketErrors;
        rows.push({
          clients: mode,
          'ok req/s': rate(r.okRps),
          '503/s': rate((r.status[503] ?? 0) / r.seconds),
          'ok p50': ms(r.ok.p50),
          'ok p99': ms(r.ok.p99),
          'other errors': String(other),
          'RSS before': `${rssBefore.toFixed(0)} MiB`,
          'RSS peak': `${rssPeak.toFixed(0)} MiB`,
          'RSS after': `${rssAfter.toFixed(0)} MiB`,
        });
        runs.push({ mode, backoff, result: r, rssBefore, rssPeak, rssAfter });
        verdicts.push(
          `overload (${mode}): ${other} responses other than 200/503, accepted p99 ${ms(r.ok.p99)} ms, RSS ${rssBefore.toFixed(0)} → peak ${rssPeak.toFixed(0)} → ${rssAfter.toFixed(0)} MiB ${other === 0 ? 'MET' : 'MISSED'}`,
        );
      }
      say(`\nOverload — ${c} connections against MAX_QUEUE_SIZE ${q}`);
      say(table(rows));
      json.overload = { c, queue: q, runs };
    } finally {
      await srv.stop();
    }
  }

  if (verdicts.length) {
    say('\nTargets (this run):');
    for (const v of verdicts) say(`  ${v}`);
  }
  say(`\nReproduce: npm run bench${args.length ? ` -- -- ${args.join(' ')}` : ''}  (bun src/cli.ts bench -- --help lists the options)`);
  writeFileSync(join(o.out, `bench-${stamp}.txt`), out.join('\n') + '\n');
  writeFileSync(join(o.out, `bench-${stamp}.json`), JSON.stringify(json, null, 2));
  writeFileSync(join(o.out, 'latest.txt'), out.join('\n') + '\n');
}
