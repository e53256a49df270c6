// Model lifecycle over HTTP on the real server (Bun, two worker threads): 20 reloads through
// Triton's repository API while two clients infer, then poll mode with a version directory
// dropped into the model's folder, a corrupt newer version, and a repaired one, under the same
// load. Zero failed requests throughout; the index says why the corrupt version is not served.

import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSimpleModel } from '../src/onnx/build-simple.ts';
import { tempRepository } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
  ],
});

/** Two clients posting to simple until stopped; counts answers by status and version. */
function load(url: string) {
  const counts = { ok: 0, failed: [] as string[], versions: new Set<string>() };
  let stop = false;
  const client = async () => {
    while (!stop) {
      try {
        const r = await fetch(`${url}/v2/models/simple/infer`, { method: 'POST', body: BODY, headers: { 'content-type': 'application/json' } });
        const j = (await r.json()) as { model_version?: string; outputs?: Array<{ data: number[] }>; error?: string };
        if (r.status === 200 && j.outputs?.[0].data[3] === 4) {
          counts.ok++;
          counts.versions.add(j.model_version!);
        } else counts.failed.push(`${r.status} ${j.error ?? JSON.stringify(j)}`);
      } catch (e) {
        counts.failed.push(`network: ${(e as Error).message}`); // a dropped request is a failure
      }
    }
  };
  const running = [client(), client()];
  return {
    counts,
    stop: async () => {
      stop = true;
      await Promise.all(running);
    },
  };
}

const servers: ServerProcess[] = [];
const repos: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const r of repos) rmSync(r, { recursive: true, force: true });
});

describe('lifecycle over HTTP (2 workers)', () => {
  test('20 reloads under load: 0 failed requests', async () => {
    const repo = tempRepository();
    repos.push(repo);
    const s = await startServer({ MODEL_REPOSITORY: repo, WORKERS: '2', GRPC_PORT: 'off' });
    servers.push(s);
    const l = load(s.url);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${s.url}/v2/repository/models/simple/load`, { method: 'POST' });
      expect(r.status).toBe(200);
    }
    await Bun.sleep(200);
    await l.stop();
    expect(l.counts.failed).toEqual([]);
    expect(l.counts.ok).toBeGreaterThan(100);
    // Every reload was logged as a reload, and nothing else went wrong.
    expect(s.output().match(/model 'simple' version 1 reloaded/g)?.length).toBe(20);
    expect(s.output()).not.toMatch(/ error /);
  }, 120_000);

  test('poll mode: a dropped-in version swaps in, a corrupt one leaves the old serving, under load', async () => {
    const repo = tempRepository();
    repos.push(repo);
    const s = await startServer({ MODEL_REPOSITORY: repo, WORKERS: '2', GRPC_PORT: 'off', MODEL_CONTROL_MODE: 'poll', REPOSITORY_POLL_SECS: '0.2' });
    servers.push(s);
    const l = load(s.url);
    const index = async () =>
      (await (await fetch(`${s.url}/v2/repository/index`, { method: 'POST' })).json()) as Array<{
        name: string;
        version?: string;
        state: string;
        reason?: string;
      }>;
    const until = async (what: string, ok: () => Promise<boolean>) => {
      const end = Date.now() + 20_000;
      while (!(await ok())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; index: ${JSON.stringify(await index())}`);
        await Bun.sleep(50);
      }
    };
    const version = (v: string) => async () => (await index()).some((e) => e.name === 'simple' && e.version === v && e.state === 'READY');
    mkdirSync(join(repo, 'simple', '2'));
    writeFileSync(join(repo, 'simple', '2', 'model.onnx'), buildSimpleModel());
    await until('version 2', version('2'));
    mkdirSync(join(repo, 'simple', '3'));
    writeFileSync(join(repo, 'simple', '3', 'model.onnx'), 'corrupt');
    await until('version 3 to fail', async () => (await index()).some((e) => e.version === '3' && e.state === 'UNAVAILABLE'));
    const entries = (await index()).filter((e) => e.name === 'simple');
    expect(entries.find((e) => e.version === '2')?.state).toBe('READY');
    expect(entries.find((e) => e.version === '3')?.reason).toMatch(/simple\/3\/model\.onnx: cannot load/);
    expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
    writeFileSync(join(repo, 'simple', '3', 'model.onnx'), buildSimpleModel());
    await until('version 3', version('3'));
    await Bun.sleep(200);
    await l.stop();
    expect(l.counts.failed).toEqual([]);
    expect([...l.counts.versions].sort()).toEqual(['1', '2', '3']);
    // The API does not fight the poller.
    const r = await fetch(`${s.url}/v2/repository/models/simple/load`, { method: 'POST' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/not allowed in poll mode/);
  }, 120_000);
});
