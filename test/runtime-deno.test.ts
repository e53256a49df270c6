// Deno: the exact `deno task start` and `deno task start:wasm` command lines from deno.json (so
// their permissions are what is tested) serve the same answers as Bun: face boxes IoU ≥ 0.99 and
// embeddings cosine ≥ 0.999 against the Bun reference computed in this process. A missing Deno or
// face models, or a task that does not start, fail the tests with the reason and the output:
// never a skip.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';
import { type Child, type FaceAnswers, askServer, bunReference, expectSameAnswers, haveFaceModels, startChild } from './runtime-process.ts';

const DENO = join(ROOT, 'node_modules', '.bin', 'deno');
const missing = !existsSync(DENO) ? 'node_modules/.bin/deno not installed (npm install)' : !haveFaceModels ? 'face models not pulled (npm run pull)' : '';

/** A task's command line from deno.json (JSONC: whole-line // comments only). */
function taskArgs(name: string): string[] {
  const text = readFileSync(join(ROOT, 'deno.json'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  const cmd = (JSON.parse(text) as { tasks: Record<string, string> }).tasks[name];
  if (!cmd) throw new Error(`deno.json has no task '${name}'`);
  const [exe, ...args] = cmd.split(/\s+/);
  expect(exe).toBe('node_modules/.bin/deno');
  return args;
}

let reference: FaceAnswers;
beforeAll(async () => {
  if (!missing) reference = await bunReference();
}, 60_000);

for (const [task, engine] of [
  ['start', 'onnxruntime-node'],
  ['start:wasm', 'onnxruntime-web'],
] as const) {
  describe(`deno task ${task}`, () => {
    let srv: Child | undefined;
    let startError: unknown;
    beforeAll(async () => {
      try {
        if (missing) throw new Error(`deno task ${task} cannot be tested: ${missing}`);
        srv = await startChild(DENO, taskArgs(task), { cwd: ROOT, timeoutMs: 60_000 });
      } catch (e) {
        startError = e;
      }
    }, 90_000);
    afterAll(async () => {
      await srv?.stop();
    });

    test(`starts with ${engine}`, () => {
      if (startError) throw startError;
      expect(srv!.output()).toContain(`engine ${engine}`);
      console.log(`deno task ${task}: ready in ${srv!.readyMs.toFixed(0)} ms`);
    });

    test('faces and embeddings equal the Bun reference', async () => {
      if (!srv) throw startError;
      const got = await askServer(srv.url);
      expectSameAnswers(got, reference);
    }, 30_000);

    test('stops gracefully on SIGTERM', async () => {
      if (!srv) throw startError;
      expect(await srv.stop()).toBe(0);
      expect(srv.output()).toContain('stopped');
    }, 20_000);
  });
}
