// gRPC on every server runtime, started as users start them: `bun src/cli.ts serve`, the Node
// bundle (`node …/cli.js serve`, built like npm run build:node) and `deno task start` with
// deno.json's permissions. Each must announce its gRPC port, answer ServerReady, ModelInfer
// (`simple` raw, face_detect with an encoded image) and ModelStreamInfer, and stop on SIGTERM.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Msg, bytesElement, readLe32, simpleInputs, tritonInferRequest, tritonStyle } from './grpc-clients.ts';
import { FIXTURES, ROOT } from './helpers.ts';
import { type Child, haveFaceModels, startChild } from './runtime-process.ts';
import { freePort } from './server-process.ts';

if (!haveFaceModels) throw new Error('face models not pulled: run npm run pull');
const NODE_OUT = join(ROOT, 'dist', '.grpc-node-test');
const astronaut = new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg')));

function denoTask(name: string): string[] {
  const text = readFileSync(join(ROOT, 'deno.json'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  const cmd = (JSON.parse(text) as { tasks: Record<string, string> }).tasks[name]!;
  return cmd.split(/\s+/).slice(1);
}

const RUNTIMES: Array<[string, () => [string, string[]]]> = [
  ['bun src/cli.ts serve', () => [join(ROOT, 'node_modules', '.bin', 'bun'), ['src/cli.ts', 'serve']]],
  [
    'node (bundle) serve',
    () => {
      const b = spawnSync(
        join(ROOT, 'node_modules', '.bin', 'bun'),
        ['build', '--target=node', '--packages=external', '--outdir', NODE_OUT, 'src/cli.ts', 'src/workers/worker-entry.ts'],
        { cwd: ROOT, encoding: 'utf8' },
      );
      if (b.status !== 0) throw new Error(`bundling for Node failed:\n${b.stdout}${b.stderr}`);
      return ['node', [join(NODE_OUT, 'cli.js'), 'serve']];
    },
  ],
  ['deno task start', () => [join(ROOT, 'node_modules', '.bin', 'deno'), denoTask('start')]],
];

afterAll(() => rmSync(NODE_OUT, { recursive: true, force: true }));

for (const [label, command] of RUNTIMES) {
  describe(label, () => {
    let srv: Child;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      const [cmd, args] = command();
      srv = await startChild(cmd, args, { cwd: ROOT, env: { GRPC_PORT: String(port), WORKERS: '1' } });
    }, 60_000);
    afterAll(async () => {
      await srv?.stop();
    });

    test('announces the port; unary calls, an image, a stream; stops on SIGTERM', async () => {
      expect(srv.output()).toContain(`gRPC listening on 127.0.0.1:${port} (h2c; messages up to 67108864 bytes)`);
      const c = tritonStyle(`127.0.0.1:${port}`);
      expect(await c.call('ServerReady', {})).toEqual({ ready: true });
      const { a, b, inputs } = simpleInputs(2);
      const r = await c.call('ModelInfer', tritonInferRequest('simple', inputs, { id: label }));
      expect(r.id).toBe(label);
      expect(readLe32(r.raw_output_contents[0])).toEqual(a.map((x, i) => x + b[i]));
      const face = await c.call(
        'ModelInfer',
        tritonInferRequest('face_detect', [{ name: 'input', datatype: 'BYTES', shape: [1], raw: bytesElement(astronaut) }]),
      );
      expect(face.outputs.map((o: Msg) => o.name)).toEqual(['scores', 'boxes']);
      expect(face.raw_output_contents[0].length).toBe(4420 * 2 * 4);
      const s = c.stream();
      const got: Msg[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        s.on('data', (d: Msg) => got.push(d));
        s.on('end', resolve);
        s.on('error', reject);
      });
      for (const id of ['1', '2', '3']) s.write(tritonInferRequest('simple', simpleInputs().inputs, { id }));
      s.end();
      await ended;
      expect(got.map((g) => [g.error_message, g.infer_response.id])).toEqual([
        ['', '1'],
        ['', '2'],
        ['', '3'],
      ]);
      c.close();
      expect(await srv.stop()).toBe(0);
      expect(srv.output()).toContain('stopped');
    }, 30_000);
  });
}
