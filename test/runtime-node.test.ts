// Node: `npm run build:node` bundles the CLI for Node 20 (which runs no TypeScript) and
// `node dist/node/cli.js serve` must serve the same answers as Bun: boxes IoU ≥ 0.99 and
// embeddings cosine ≥ 0.999 against the Bun reference computed in this process. A missing node
// or face models, a failed build or a server that does not start fail the tests with the reason
// and the output: never a skip.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';
import { type Child, type FaceAnswers, askServer, bunReference, expectSameAnswers, haveFaceModels, iou, startChild } from './runtime-process.ts';

const node = spawnSync('node', ['--version'], { encoding: 'utf8' });
const missing = node.status !== 0 ? 'node is not on PATH' : !haveFaceModels ? 'face models not pulled (npm run pull)' : '';

describe('node dist/node/cli.js serve', () => {
  let srv: Child | undefined;
  let reference: FaceAnswers;
  beforeAll(async () => {
    if (missing) throw new Error(`the Node runtime cannot be tested: ${missing}`);
    const b = spawnSync('bash', ['scripts/build-node.sh'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build:node failed:\n${b.stdout}${b.stderr}`);
    reference = await bunReference();
    srv = await startChild('node', [join(ROOT, 'dist', 'node', 'cli.js'), 'serve'], { cwd: ROOT });
    console.log(`node ${node.stdout.trim()}: ready in ${srv.readyMs.toFixed(0)} ms`);
  }, 90_000);
  afterAll(async () => {
    await srv?.stop();
  });

  test('native engine in worker threads', () => {
    expect(srv!.output()).toContain('(Node) listening');
    expect(srv!.output()).toContain('engine onnxruntime-node, 2 workers');
  });

  test('faces and embeddings equal the Bun reference', async () => {
    const got = await askServer(srv!.url);
    expectSameAnswers(got, reference);
  }, 30_000);

  test('multipart upload and the docs assets go through the node:http adapter', async () => {
    const form = new FormData();
    form.append('image', new Blob([await Bun.file(join(ROOT, 'test', 'fixtures', 'camera.png')).arrayBuffer()]), 'camera.png');
    const r = await fetch(`${srv!.url}/v1/faces/detect`, { method: 'POST', body: form });
    expect(r.status).toBe(200);
    expect(iou(((await r.json()) as { faces: Array<{ box: number[] }> }).faces[0]!.box, reference.boxes['camera.png']!)).toBeGreaterThanOrEqual(0.99);
    const docs = await fetch(`${srv!.url}/docs/assets/swagger-ui-dist/swagger-ui.css`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/css');
  });

  test('stops gracefully on SIGTERM', async () => {
    expect(await srv!.stop()).toBe(0);
    expect(srv!.output()).toContain('stopped');
  }, 20_000);
});
