// Enrolment throughput against the embed pipeline's own ceiling (issue 15: within 10%), on the
// real server (child process) with its default gallery database (an SQLite file, WAL,
// synchronous=FULL) in a temporary folder. At each concurrency, closed loop, alternated twice:
//   embed   POST /v1/faces/embed                              (decode, detect, landmarks, align, embed)
//   job     POST /v2/models/face/infer                        (the face job exactly as enrolment runs
//           it under the default quality gate, which checks neither pose nor eyes)
//   enrol   POST /v1/faces/galleries/bench/subjects/p/faces   (that face job + the quality gate, one
//           atomic database write, the Idempotency-Key lookup, the index update)
// with the server's CPU per request, so a gap can be told apart: enrol/job is what the gallery
// itself costs, job/embed what the extra analyses cost.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CpuUse, cpuSampler, waitForQuiet } from './cpu.ts';
import { type LoadResult, multipartRequest, postRequest, runLoad } from './loadgen.ts';
import { startServer } from './server.ts';
import { type Row, table } from './table.ts';

const KINDS = ['embed', 'job', 'enrol'] as const;
type Kind = (typeof KINDS)[number];
type Measured = LoadResult & { cpu: CpuUse };

export interface EnrolRun {
  c: number;
  runs: Record<Kind, Measured[]>;
  okRps: Record<Kind, number>;
  ratio: number;
  gallery: number;
}

export interface EnrolBenchOptions {
  /** The server's environment (settings as for serve). */
  env: Record<string, string>;
  image: Uint8Array;
  imageName: string;
  concs: number[];
  durationMs: number;
  warmupMs: number;
  logFile?: string;
  log?: (s: string) => void;
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0) : '-');
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** KServe infer on the face model: the image as one binary BYTES element (binary tensor extension). */
function faceJobRequest(port: number, image: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: image.length + 4 } }],
      parameters: { analyze: 'chosen', embed: true },
    }),
  );
  const body = new Uint8Array(header.length + 4 + image.length);
  body.set(header);
  new DataView(body.buffer).setUint32(header.length, image.length, true);
  body.set(image, header.length + 4);
  return postRequest('127.0.0.1', port, '/v2/models/face/infer', 'application/octet-stream', body, {
    'Inference-Header-Content-Length': String(header.length),
  });
}

export async function enrolBench(o: EnrolBenchOptions): Promise<{ runs: EnrolRun[]; table: string; verdict: string }> {
  const log = o.log ?? ((s: string) => console.log(s));
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-enrol-bench-'));
  const srv = await startServer({ ...o.env, GALLERY_DATABASE: join(dir, 'gallery.sqlite'), MAX_QUEUE_WAIT_MS: '0', GRPC_PORT: 'off' }, o.logFile);
  const runs: EnrolRun[] = [];
  try {
    const post = (path: string, body: unknown) =>
      fetch(`${srv.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    for (const [path, body] of [
      ['/v1/faces/galleries', { id: 'bench' }],
      ['/v1/faces/galleries/bench/subjects', { id: 'p' }],
    ] as const) {
      const r = await post(path, body);
      if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    }
    const requests: Record<Kind, Uint8Array> = {
      embed: multipartRequest('127.0.0.1', srv.port, '/v1/faces/embed', 'image', o.image),
      job: faceJobRequest(srv.port, o.image),
      enrol: multipartRequest('127.0.0.1', srv.port, '/v1/faces/galleries/bench/subjects/p/faces', 'image', o.image),
    };
    const measure = async (kind: Kind, c: number): Promise<Measured> => {
      await waitForQuiet(20_000);
      const cpu = cpuSampler(srv.pid);
      const r = await runLoad({ host: '127.0.0.1', port: srv.port, connections: c, durationMs: o.durationMs, warmupMs: o.warmupMs, request: requests[kind] });
      const out = { ...r, cpu: cpu.stop() };
      await Bun.sleep(500 + c * 25); // queued requests from closed connections must not leak into the next run
      return out;
    };
    for (const c of o.concs) {
      const rs: Record<Kind, Measured[]> = { embed: [], job: [], enrol: [] };
      for (let round = 0; round < 2; round++) for (const k of KINDS) rs[k].push(await measure(k, c));
      const okRps = Object.fromEntries(KINDS.map((k) => [k, rs[k].reduce((a, r) => a + r.okRps, 0) / rs[k].length])) as Record<Kind, number>;
      const gallery =
        (rs.enrol.reduce((a, r) => a + (r.cpu.serverCores * 1000) / r.rps, 0) - rs.job.reduce((a, r) => a + (r.cpu.serverCores * 1000) / r.rps, 0)) / 2;
      runs.push({ c, runs: rs, okRps, ratio: okRps.enrol / okRps.embed, gallery });
    }
    const faces = (await (await fetch(`${srv.url}/v1/faces/galleries/bench`)).json()) as { faces: number };
    const label: Record<Kind, string> = {
      embed: 'POST /v1/faces/embed (the ceiling)',
      job: 'face job as enrolment runs it (KServe)',
      enrol: 'enrol (POST …/subjects/p/faces)',
    };
    const rows: Row[] = runs.flatMap((r) =>
      KINDS.map((k) => {
        const xs = r.runs[k];
        const bad = xs
          .flatMap((x) =>
            Object.entries(x.status)
              .filter(([s]) => !s.startsWith('2'))
              .map(([s, n]) => `${n}x${s}`),
          )
          .join(' ');
        return {
          c: r.c,
          request: label[k],
          'req/s': r.okRps[k].toFixed(1),
          p50: ms(Math.max(...xs.map((x) => x.ok.p50))),
          p99: ms(Math.max(...xs.map((x) => x.ok.p99))),
          errors: bad,
          'CPU ms/req': ms(xs.reduce((a, x) => a + (x.cpu.serverCores * 1000) / x.rps, 0) / xs.length),
          'of embed': k === 'embed' ? '' : pct(r.okRps[k] / r.okRps.embed),
          'other cores': xs.map((x) => x.cpu.otherCores.toFixed(2)).join(' '),
        };
      }),
    );
    const t = table(rows);
    log(
      `\nGallery enrolment vs the embed pipeline — multipart ${o.imageName} (${o.image.length} B), closed loop, SQLite (WAL, synchronous=FULL), MAX_QUEUE_WAIT_MS=0; req/s = mean of 2 alternated runs, p50/p99 the worse; ${faces.faces} faces enrolled by the end`,
    );
    log(t);
    const worst = Math.min(...runs.map((r) => r.ratio));
    const ofJob = Math.min(...runs.map((r) => r.okRps.enrol / r.okRps.job));
    const verdict = `enrolment throughput ≥ 90% of /v1/faces/embed at every concurrency: worst ${pct(worst)} ${worst >= 0.9 ? 'MET' : 'MISSED'} (of the same face job: worst ${pct(ofJob)}; the gallery's own CPU per enrolment ${runs.map((r) => `${ms(r.gallery)} ms at c=${r.c}`).join(', ')})`;
    return { runs, table: t, verdict };
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { fixture } = await import('../image/testing/images.ts');
  const concs = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const { verdict } = await enrolBench({
    env: { MODEL_REPOSITORY: join(import.meta.dir, '..', '..', 'models') },
    image: fixture('astronaut.jpg'),
    imageName: 'astronaut.jpg',
    concs: concs.length ? concs : [8, 64],
    durationMs: 5000,
    warmupMs: 1000,
  });
  console.log(verdict);
}
