// Runs fuzz cases against a server and checks the invariants of issue 10's acceptance:
// - no 5xx, except 503 with Retry-After;
// - no connection closed (or left hanging) without the answers its framing allows;
// - the server serving throughout: /v2/health/live and /ready answer between batches;
// - memory back near its start afterwards (when the server's pid is known).
// Also recorded, as findings of their own: error answers without a JSON {"error"} body, valid
// requests answered wrongly, and how long the slowest answers took. Can start its own server
// (`bun src/cli.ts serve` on a free port, as the README says).

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type Case, generate, validCase } from './cases.ts';
import { type Exchange, send } from './client.ts';
import { loadCorpus } from './images.ts';
import { Rng } from './rng.ts';

export interface FuzzOptions {
  url: string;
  seed: number;
  requests: number;
  /** Connections at once. */
  concurrency?: number;
  /** Cases between health probes. */
  batch?: number;
  /** The server's pid, for its memory (RSS from /proc). */
  pid?: number;
  /** Per-case limit; an exchange still open then is "no answer". */
  timeoutMs?: number;
  /** Valid requests sent before the run (not counted) to warm the server up; default 48. */
  warmup?: number;
  log?: (line: string) => void;
}

export type Invariant = '5xx' | 'no answer' | 'server not serving' | 'memory';

export interface Finding {
  kind: Invariant | 'no JSON error body' | 'wrong answer' | 'not HTTP' | 'no answer to an incomplete request';
  group: string;
  name: string;
  detail: string;
  count: number;
  example: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  seconds: number;
  statuses: Record<string, number>;
  byGroup: Record<string, number>;
  findings: Finding[];
  /** Findings that break an acceptance invariant. */
  violations: number;
  health: { probes: number; failures: number; slowestMs: number };
  memory?: { startMiB: number; peakMiB: number; endMiB: number };
  slowest: Array<{ ms: number; summary: string }>;
}

const INVARIANTS: ReadonlySet<string> = new Set<Invariant>(['5xx', 'no answer', 'server not serving', 'memory']);

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const { hostname: host, port: p } = new URL(o.url);
  const port = Number(p || 80);
  const concurrency = o.concurrency ?? 8;
  const batch = o.batch ?? 200;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const corpus = await loadCorpus();
  const rng = new Rng(o.seed);
  const findings = new Map<string, Finding>();
  const statuses: Record<string, number> = {};
  const byGroup: Record<string, number> = {};
  const slowest: Array<{ ms: number; summary: string }> = [];
  const health = { probes: 0, failures: 0, slowestMs: 0 };
  const note = (kind: Finding['kind'], c: Pick<Case, 'group' | 'name' | 'summary'>, detail: string) => {
    const key = `${kind}|${c.group}|${c.name}|${detail}`;
    const f = findings.get(key);
    if (f) f.count++;
    else findings.set(key, { kind, group: c.group, name: c.name, detail, count: 1, example: c.summary });
  };
  const rss = () => (o.pid ? rssMiB(o.pid) : undefined);
  // Valid requests first (not counted), so the baseline has every model instance warmed up.
  const warm = new Rng(o.seed ^ 0x5eed);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let k = 0; k < Math.ceil((o.warmup ?? 48) / concurrency); k++) {
        const c = validCase(warm.fork(), corpus);
        await send({ host, port, writes: c.writes, expect: 1, methods: c.methods, timeoutMs });
      }
    }),
  );
  const started = performance.now();
  const memStart = rss();
  let memPeak = memStart ?? 0;

  const judge = (c: Case, x: Exchange) => {
    byGroup[c.group] = (byGroup[c.group] ?? 0) + 1;
    for (const r of x.responses) {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const text = new TextDecoder().decode(r.body.subarray(0, 300));
      if (r.status >= 500 && !(r.status === 503 && r.headers['retry-after']))
        note('5xx', c, `${r.status}${r.status === 503 ? ' without Retry-After' : ''}: ${errorText(text)}`);
      if (r.status >= 400 && !isJsonError(r))
        note('no JSON error body', c, `${r.status} ${r.headers['content-type'] ?? '(no content-type)'}: ${JSON.stringify(text.slice(0, 60))}`);
    }
    if (x.garbage) note('not HTTP', c, `bytes that are not an HTTP response: ${x.garbage.slice(0, 80)}`);
    const silent = c.incomplete ? 'no answer to an incomplete request' : 'no answer';
    if (x.timedOut) note(silent, c, `${x.responses.length} of ${c.methods.length} answers within ${timeoutMs} ms`);
    else if (x.closedEarly) note(silent, c, `connection closed after ${x.responses.length} of ${c.methods.length} answers${x.error ? ` (${x.error})` : ''}`);
    const first = x.responses[0];
    if (c.want && first && !c.want.includes(first.status) && !(first.status === 503 && first.headers['retry-after'])) {
      note('wrong answer', c, `status ${first.status}, expected ${c.want.join(' or ')}: ${errorText(new TextDecoder().decode(first.body.subarray(0, 200)))}`);
    } else if (c.check && first && c.want?.includes(first.status)) {
      let bad: string | undefined;
      try {
        bad = c.check(first.status, first.body);
      } catch (e) {
        bad = `unreadable answer: ${(e as Error).message}`;
      }
      if (bad) note('wrong answer', c, bad);
    }
    slowest.push({ ms: Math.round(x.ms), summary: `${c.group}: ${c.name} → ${x.responses.map((r) => r.status).join(',') || 'nothing'}` });
    slowest.sort((a, b) => b.ms - a.ms);
    slowest.length = Math.min(slowest.length, 10);
  };

  const probe = async (after: number) => {
    for (const path of ['/v2/health/live', '/v2/health/ready']) {
      health.probes++;
      const x = await send({
        host,
        port,
        writes: [new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
        expect: 1,
        timeoutMs: 5000,
      });
      health.slowestMs = Math.max(health.slowestMs, Math.round(x.ms));
      if (x.responses[0]?.status !== 200) {
        health.failures++;
        note(
          'server not serving',
          { group: 'health', name: path, summary: `GET ${path} after ${after} cases` },
          x.responses[0] ? `status ${x.responses[0].status}` : x.timedOut ? 'no answer in 5 s' : `connection closed${x.error ? ` (${x.error})` : ''}`,
        );
      }
    }
    const m = rss();
    if (m !== undefined) memPeak = Math.max(memPeak, m);
  };

  let next = 0;
  let done = 0;
  await probe(0);
  while (next < o.requests) {
    const end = Math.min(o.requests, next + batch);
    const cases: Case[] = [];
    for (; next < end; next++) cases.push(generate(rng.fork(), corpus));
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i < cases.length) {
          const c = cases[i++];
          const x = await send({ host, port, writes: c.writes, halfClose: c.halfClose, expect: c.methods.length, methods: c.methods, timeoutMs });
          judge(c, x);
        }
      }),
    );
    done = end;
    await probe(done);
    log(
      `${done}/${o.requests} cases, ${[...findings.values()].filter((f) => INVARIANTS.has(f.kind)).reduce((s, f) => s + f.count, 0)} violations${o.pid ? `, server RSS ${rss()?.toFixed(0)} MiB` : ''}`,
    );
  }
  let memory: FuzzReport['memory'];
  if (memStart !== undefined) {
    // Let the server settle (idle connections close, the collector runs) before the last look.
    await new Promise((r) => setTimeout(r, 3000));
    const endMiB = rss()!;
    memory = { startMiB: Math.round(memStart), peakMiB: Math.round(memPeak), endMiB: Math.round(endMiB) };
    if (endMiB > memStart * 1.5 + 150)
      note(
        'memory',
        { group: 'server', name: 'RSS after the run', summary: `RSS ${memory.startMiB} → ${memory.endMiB} MiB` },
        `RSS ${memory.startMiB} MiB at start, ${memory.endMiB} MiB after (peak ${memory.peakMiB})`,
      );
  }
  const list = [...findings.values()].sort((a, b) => Number(INVARIANTS.has(b.kind)) - Number(INVARIANTS.has(a.kind)) || b.count - a.count);
  return {
    seed: o.seed,
    requests: done,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    statuses,
    byGroup,
    findings: list,
    violations: list.filter((f) => INVARIANTS.has(f.kind)).reduce((s, f) => s + f.count, 0),
    health,
    memory,
    slowest,
  };
}

function isJsonError(r: { headers: Record<string, string>; body: Uint8Array }): boolean {
  if (!/json/i.test(r.headers['content-type'] ?? '')) return false;
  try {
    const j = JSON.parse(new TextDecoder().decode(r.body));
    return typeof j?.error === 'string' && j.error.length > 0;
  } catch {
    return false;
  }
}

function errorText(text: string): string {
  try {
    const e = JSON.parse(text).error;
    if (typeof e === 'string') return e.slice(0, 160);
  } catch {}
  return JSON.stringify(text.slice(0, 100));
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface OwnServer {
  url: string;
  proc: ChildProcess;
  /** The server's log lines at error level (an internal error is logged there). */
  errors: () => string[];
  stop: () => Promise<number | null>;
}

/**
 * `bun src/cli.ts serve` on a free loopback port (no pulls, no gRPC listener), once ready. Its
 * model repository is a temp copy of models/ (weights pulled already) unless `models` names
 * one, and its data (gallery, keys) lives in that temp directory too, so a run never writes
 * into the checkout.
 */
export async function startOwnServer(o: { models?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<OwnServer> {
  const root = join(import.meta.dir, '..', '..');
  const tmp = mkdtempSync(join(tmpdir(), 'edgeserve-fuzz-'));
  let models = o.models;
  if (!models) {
    models = join(tmp, 'models');
    cpSync(join(root, 'models'), models, { recursive: true });
  }
  const timeoutMs = o.timeoutMs ?? 90_000;
  const port = await freePort();
  const proc = spawn(join(root, 'node_modules', '.bin', 'bun'), ['src/cli.ts', 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PULL: '0',
      GRPC_PORT: 'off',
      MODEL_REPOSITORY: models,
      DATA_DIR: join(tmp, 'data'),
      API_KEYS_FILE: join(tmp, 'keys.json'),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors: string[] = [];
  let tail = '';
  const take = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-20_000);
    for (const line of d.toString().split('\n')) if (/\berror\b/i.test(line) && errors.length < 200) errors.push(line.slice(0, 500));
  };
  proc.stdout!.on('data', take);
  proc.stderr!.on('data', take);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`server exited with ${proc.exitCode}:\n${tail}`);
    }
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server not ready in ${timeoutMs} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    const code = await new Promise<number | null>((resolve) => {
      if (proc.exitCode !== null) return resolve(proc.exitCode);
      const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.once('exit', (c) => (clearTimeout(kill), resolve(c)));
      proc.kill('SIGTERM');
    });
    rmSync(tmp, { recursive: true, force: true });
    return code;
  };
  return { url, proc, errors: () => errors, stop };
}

/** The report as text: figures, then each finding with a reproduction. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.requests} cases in ${r.seconds} s; ${r.violations} invariant violations`,
    `statuses: ${Object.entries(r.statuses)
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
    `groups: ${Object.entries(r.byGroup)
      .map(([g, n]) => `${g} ${n}`)
      .join(', ')}`,
    `health: ${r.health.probes} probes, ${r.health.failures} failed, slowest ${r.health.slowestMs} ms`,
    ...(r.memory ? [`server RSS: ${r.memory.startMiB} MiB at start, peak ${r.memory.peakMiB}, ${r.memory.endMiB} after`] : []),
    `slowest: ${r.slowest
      .slice(0, 5)
      .map((s) => `${s.ms} ms ${s.summary}`)
      .join('; ')}`,
    '',
  ];
  for (const f of r.findings) {
    lines.push(
      `[${INVARIANTS.has(f.kind) ? 'VIOLATION' : 'finding'}] ${f.kind} ×${f.count} — ${f.group}: ${f.name}`,
      `    ${f.detail}`,
      `    e.g. ${f.example}`,
    );
  }
  return lines.join('\n');
}
