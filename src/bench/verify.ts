// `edgeserve bench -- --phases verify`: POST /v1/faces/verify, the 1:1 check of a payments flow.
//   stages  the CPU of one verify by stage (decode, detect, landmarks, align, embed, liveness),
//           in-process (verify-worker.ts: the real face job, one image after the other, one
//           intra-op thread, stages on a CPU clock), for the embedder as served (rewrite_prelu)
//           and with its PRelus as in the file, in alternated rounds;
//   served  the real server under closed-loop load at each concurrency (two file parts, as
//           the FastAPI peer's compare.sh sends them), the same two configurations alternated
//           per concurrency, with the server's CPU per verify.
// The FastAPI peer itself is run with its own load/compare.sh (README, Benchmarks).

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type CpuUse, cpuSampler, waitForQuiet } from './cpu.ts';
import { type LoadResult, multipartFilesRequest, runLoad } from './loadgen.ts';
import { startServer } from './server.ts';
import { type Row, table } from './table.ts';
import type { VerifyFromWorker, VerifyToWorker } from './verify-worker.ts';

export const STAGES = ['decode', 'detect', 'landmarks', 'align', 'embed', 'liveness'] as const;

export interface VerifyBenchOptions {
  models: string;
  /** The server's environment (settings as for serve). */
  env: Record<string, string>;
  images: [{ name: string; bytes: Uint8Array }, { name: string; bytes: Uint8Array }];
  concs: number[];
  durationMs: number;
  warmupMs: number;
  /** In-process rounds per configuration, and verifies per round. */
  rounds?: number;
  verifiesPerRound?: number;
  maxImagePixels: number;
  logDir?: string;
  log?: (s: string) => void;
}

interface Variant {
  label: string;
  models: string;
}

export interface StageResult {
  label: string;
  msPerVerify: Record<string, number>;
  cpuMsPerVerify: number;
  wallMsPerVerify: number;
  similarity: number;
}
export interface ServedRun {
  c: number;
  label: string;
  runs: Array<LoadResult & { cpu: CpuUse }>;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : '-');

/** The face job and its components only (copied), with face_embed's PRelu rewrite on or off. */
function faceRepository(models: string, rewrite: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-verify-bench-'));
  const job = JSON.parse(readFileSync(join(models, 'face', 'config.json'), 'utf8')) as { face: Record<string, unknown> };
  const parts = Object.values(job.face).flatMap((v) => (v && typeof v === 'object' && 'model' in v ? [String((v as { model: unknown }).model)] : []));
  for (const m of ['face', ...parts]) cpSync(join(models, m), join(dir, m), { recursive: true });
  const embedder = String((job.face.embedder as { model: string }).model);
  const file = join(dir, embedder, 'config.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (!rewrite) delete cfg.rewrite_prelu;
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return dir;
}

function reply(w: Worker, want: VerifyFromWorker['type']): Promise<VerifyFromWorker> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: VerifyFromWorker) => {
      w.off('message', onMsg);
      if (m.type === 'error') reject(new Error(m.message));
      else if (m.type !== want) reject(new Error(`verify worker answered ${m.type}, expected ${want}`));
      else resolve(m);
    };
    w.on('message', onMsg);
  });
}

/** Per-stage ms per verify, alternating the variants round by round. */
async function measureStages(o: VerifyBenchOptions, variants: Variant[]): Promise<StageResult[]> {
  const workers = variants.map((v) => new Worker(new URL('./verify-worker.ts', import.meta.url), { name: `verify ${v.label}` }));
  try {
    for (const [i, w] of workers.entries()) {
      const ready = reply(w, 'ready');
      w.postMessage({ type: 'load', models: variants[i].models, maxImagePixels: o.maxImagePixels } satisfies VerifyToWorker);
      await ready;
    }
    const images: [Uint8Array, Uint8Array] = [o.images[0].bytes, o.images[1].bytes];
    const run = async (w: Worker, verifies: number) => {
      const done = reply(w, 'done');
      w.postMessage({ type: 'run', images, verifies, liveness: true } satisfies VerifyToWorker);
      return (await done) as Extract<VerifyFromWorker, { type: 'done' }>;
    };
    for (const w of workers) await run(w, 5); // JIT, allocator and ORT first runs stay out
    const sums = variants.map(() => ({ stagesUs: {} as Record<string, number>, cpuUs: 0, wallUs: 0, verifies: 0, similarity: Number.NaN }));
    for (let r = 0; r < (o.rounds ?? 4); r++) {
      for (const [i, w] of workers.entries()) {
        await waitForQuiet(10_000);
        const d = await run(w, o.verifiesPerRound ?? 20);
        const s = sums[i];
        for (const [k, v] of Object.entries(d.stagesUs)) s.stagesUs[k] = (s.stagesUs[k] ?? 0) + v;
        s.cpuUs += d.cpuUs;
        s.wallUs += d.wallUs;
        s.verifies += d.verifies;
        s.similarity = d.similarity;
      }
    }
    return sums.map((s, i) => ({
      label: variants[i].label,
      msPerVerify: Object.fromEntries(Object.entries(s.stagesUs).map(([k, v]) => [k, v / 1000 / s.verifies])),
      cpuMsPerVerify: s.cpuUs / 1000 / s.verifies,
      wallMsPerVerify: s.wallUs / 1000 / s.verifies,
      similarity: s.similarity,
    }));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export function stageRows(rs: StageResult[]): Row[] {
  const row = (what: string, f: (r: StageResult) => number): Row => ({ stage: what, ...Object.fromEntries(rs.map((r) => [r.label, ms(f(r))])) });
  const without = (r: StageResult) => STAGES.filter((s) => s !== 'liveness').reduce((a, s) => a + (r.msPerVerify[s] ?? 0), 0);
  const other = Object.keys(rs[0].msPerVerify).filter((k) => !(STAGES as readonly string[]).includes(k));
  return [
    ...STAGES.map((s) => row(s, (r) => r.msPerVerify[s] ?? 0)),
    ...other.map((s) => row(s, (r) => r.msPerVerify[s])),
    row('stages, verify as served (no liveness)', without),
    row('stages, with liveness=true', (r) => Object.values(r.msPerVerify).reduce((a, b) => a + b, 0)),
    row('process CPU, whole run (with liveness)', (r) => r.cpuMsPerVerify),
    row('wall time, whole run (with liveness)', (r) => r.wallMsPerVerify),
  ];
}

export async function verifyBench(o: VerifyBenchOptions): Promise<{ stages: StageResult[]; served: ServedRun[]; tables: string[] }> {
  const log = o.log ?? ((s: string) => console.log(s));
  const shipped = faceRepository(o.models, true);
  const prelu = faceRepository(o.models, false);
  const variants: Variant[] = [
    { label: 'embedder rewrite_prelu (served)', models: shipped },
    { label: 'PRelu as in the file', models: prelu },
  ];
  const tables: string[] = [];
  try {
    const stages = await measureStages(o, variants);
    const pair = `${o.images[0].name} + ${o.images[1].name}`;
    let t = table(stageRows(stages));
    log(
      `\nVerify — CPU ms per verify by stage (${pair}: two face jobs, one after the other, in-process, 1 intra-op thread; means over ${(o.rounds ?? 4) * (o.verifiesPerRound ?? 20)} verifies per column, alternated rounds; similarity ${stages[0].similarity.toFixed(4)})`,
    );
    log(t);
    tables.push(t);

    const servers = [];
    for (const [i, v] of variants.entries()) {
      // MAX_QUEUE_WAIT_MS=0: queue rather than refuse, as the peer (gunicorn) does.
      servers.push(
        await startServer(
          { ...o.env, MODEL_REPOSITORY: v.models, MAX_QUEUE_WAIT_MS: '0', GRPC_PORT: 'off' },
          o.logDir ? join(o.logDir, `server-verify-${i}.log`) : undefined,
        ),
      );
    }
    const served: ServedRun[] = [];
    const rows: Row[] = [];
    try {
      for (const c of o.concs) {
        const runs = servers.map(() => [] as Array<LoadResult & { cpu: CpuUse }>);
        for (let round = 0; round < 2; round++) {
          for (const [i, srv] of servers.entries()) {
            await waitForQuiet(20_000);
            const cpu = cpuSampler(srv.pid);
            const r = await runLoad({
              host: '127.0.0.1',
              port: srv.port,
              connections: c,
              durationMs: o.durationMs,
              warmupMs: o.warmupMs,
              request: multipartFilesRequest('127.0.0.1', srv.port, '/v1/faces/verify', [
                { field: 'image1', file: o.images[0].bytes },
                { field: 'image2', file: o.images[1].bytes },
              ]),
            });
            runs[i].push({ ...r, cpu: cpu.stop() });
            await Bun.sleep(1000 + c * 40); // verifies still queued from closed connections drain first
          }
        }
        for (const [i, v] of variants.entries()) {
          const rs = runs[i];
          served.push({ c, label: v.label, runs: rs });
          const okRps = rs.reduce((a, r) => a + r.okRps, 0) / rs.length;
          const bad = rs.flatMap((r) =>
            Object.entries(r.status)
              .filter(([s]) => !s.startsWith('2'))
              .map(([s, n]) => `${n}x${s}`),
          );
          rows.push({
            c,
            embedder: v.label,
            'req/s': okRps.toFixed(1),
            p50: ms(Math.max(...rs.map((r) => r.ok.p50))),
            p99: ms(Math.max(...rs.map((r) => r.ok.p99))),
            'CPU ms/verify': ms(rs.reduce((a, r) => a + (r.cpu.serverCores * 1000) / r.rps, 0) / rs.length),
            'other cores': rs.map((r) => r.cpu.otherCores.toFixed(2)).join(' '),
            errors: bad.join(' ') || '0',
          });
        }
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    t = table(rows);
    log(
      `\nServed — POST /v1/faces/verify (multipart image1=${o.images[0].name}, image2=${o.images[1].name}), closed loop, MAX_QUEUE_WAIT_MS=0; req/s = mean of 2 alternated runs, p50/p99 = the worse run`,
    );
    log(t);
    tables.push(t);
    return { stages, served, tables };
  } finally {
    rmSync(shipped, { recursive: true, force: true });
    rmSync(prelu, { recursive: true, force: true });
  }
}
