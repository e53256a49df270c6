// Shared by the per-runtime tests (Deno, compiled binary, bun --hot): start any server command
// as a child process on a free port, wait for /v2/health/ready, read its RSS, stop it; and the
// Bun reference answers (computed in this process) that every runtime must reproduce.

import { expect } from 'bun:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { faceApp } from './face-app.ts';
import { FIXTURES, MODELS } from './helpers.ts';
import { freePort } from './server-process.ts';

export interface Child {
  url: string;
  proc: ChildProcess;
  /** Milliseconds from spawn to the first 200 from /v2/health/ready. */
  readyMs: number;
  output: () => string;
  stop: () => Promise<number | null>;
}

export interface StartOptions {
  /** Added to this process's environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** Spawns `cmd args` with PORT set to a free port; throws with the output if it never gets ready. */
export async function startChild(cmd: string, args: string[], o: StartOptions = {}): Promise<Child> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(cmd, args, {
    cwd: o.cwd,
    env: Object.fromEntries(
      Object.entries({ ...process.env, PORT: String(port), HOST: '127.0.0.1', PULL: '0', GRPC_PORT: '0', ...o.env }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  let spawnError: Error | undefined;
  proc.on('error', (e) => {
    spawnError = e;
  });
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw spawnError;
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${cmd} exited with ${proc.exitCode ?? proc.signalCode}:\n${out}`);
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${cmd} not ready in ${timeoutMs} ms:\n${out}`);
    }
    await Bun.sleep(20);
  }
  const readyMs = performance.now() - t0;
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.once('exit', (code) => {
        clearTimeout(kill);
        resolve(code);
      });
      proc.kill('SIGTERM');
    });
  return { url, proc, readyMs, output: () => out, stop };
}

/** Resident memory of a process in bytes (Linux /proc; worker threads included). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export const fixture = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
export const haveFaceModels = ['face_detect', 'face_embed'].every((m) => existsSync(join(MODELS, m, '1', 'model.onnx')));

export const IMAGES = ['astronaut.jpg', 'camera.png'] as const;
const TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png' };
const typeOf = (f: string) => TYPES[f.split('.').pop()!]!;

export interface FaceAnswers {
  /** The best face's box per image. */
  boxes: Record<string, number[]>;
  /** The embedding of the largest face per image. */
  embeddings: Record<string, number[]>;
}

type Requester = (path: string, init: RequestInit) => Promise<Response>;

async function ask(request: Requester): Promise<FaceAnswers> {
  const out: FaceAnswers = { boxes: {}, embeddings: {} };
  for (const f of IMAGES) {
    const init = () => ({ method: 'POST', body: fixture(f) as BodyInit, headers: { 'Content-Type': typeOf(f) } });
    const d = await request('/v1/faces/detect', init());
    if (d.status !== 200) throw new Error(`detect ${f}: ${d.status} ${await d.text()}`);
    const faces = ((await d.json()) as { faces: Array<{ box: number[] }> }).faces;
    if (!faces[0]) throw new Error(`detect ${f}: no face`);
    out.boxes[f] = faces[0].box;
    const e = await request('/v1/faces/embed', init());
    if (e.status !== 200) throw new Error(`embed ${f}: ${e.status} ${await e.text()}`);
    out.embeddings[f] = ((await e.json()) as { embedding: number[] }).embedding;
  }
  return out;
}

/** The Bun reference: the same routes in this process (native engine and decoder). */
export async function bunReference(): Promise<FaceAnswers> {
  const { app, dataPlane, repo } = await faceApp();
  try {
    return await ask((path, init) => Promise.resolve(app.request(path, init)));
  } finally {
    await dataPlane.shutdown();
    rmSync(repo, { recursive: true, force: true });
  }
}

/** The same questions asked of a running server. */
export function askServer(url: string): Promise<FaceAnswers> {
  return ask((path, init) => fetch(`${url}${path}`, init));
}

export function iou(a: number[], b: number[]): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const i = w * h;
  return i / ((a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - i);
}

export function cosine(a: number[], b: number[]): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Another runtime's answers match Bun's: boxes IoU ≥ 0.99, embeddings cosine ≥ 0.999, per image. */
export function expectSameAnswers(got: FaceAnswers, reference: FaceAnswers): void {
  for (const f of IMAGES) {
    expect(iou(got.boxes[f]!, reference.boxes[f]!), f).toBeGreaterThanOrEqual(0.99);
    expect(cosine(got.embeddings[f]!, reference.embeddings[f]!), f).toBeGreaterThanOrEqual(0.999);
  }
}
