// Runs inside the namespaces test/kserve.test.ts sets up (its own network, so ports 8080 and
// 9000 are the manifest's own; the image's root filesystem read-only, the model repository
// mounted read-only at /mnt/models, a tmpfs at /tmp): starts the container as KServe would,
// with the ServingRuntime's args and env, as its non-root user, chrooted into the image's root
// filesystem, then talks REST and gRPC to it and prints one JSON line with what it saw.
// usage: bun test/kserve-pod.ts ROOTFS MANIFEST IMAGE_CONFIG (the image's OCI config JSON)

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bytesElement, tritonInferRequest, tritonStyle } from './grpc-clients.ts';

const [rootfs, manifestPath, imageConfigPath] = process.argv.slice(2);
const runtime = parse(readFileSync(manifestPath!, 'utf8'));
const container = runtime.spec.containers[0];
const image = JSON.parse(readFileSync(imageConfigPath!, 'utf8')).config;
const user = `${container.securityContext.runAsUser}:${container.securityContext.runAsGroup}`;
// What the kubelet gives the process: the image's Env, then the container's env on top.
const env: Record<string, string> = {};
for (const e of image.Env as string[]) {
  const i = e.indexOf('=');
  env[e.slice(0, i)] = e.slice(i + 1);
}
for (const e of container.env as Array<{ name: string; value: string }>) env[e.name] = e.value;

// Whatever happens, this process ends: the test waits for its one line.
setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: 'pod driver timed out after 45 s', log: out })}\n`);
  proc.kill('SIGKILL');
  process.exit(1);
}, 45_000).unref();
const t0 = performance.now();
const proc = spawn('/usr/sbin/chroot', [`--userspec=${user}`, rootfs!, ...image.Entrypoint, ...container.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let spawnError: Error | undefined;
proc.on('error', (e) => {
  spawnError = e;
});
proc.stdout.on('data', (d) => {
  out += d;
});
proc.stderr.on('data', (d) => {
  out += d;
});
const rest = 'http://127.0.0.1:8080';
const result: Record<string, unknown> = {};
try {
  for (;;) {
    if (spawnError) throw spawnError;
    if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}`);
    if (
      await fetch(`${rest}${container.readinessProbe.httpGet.path}`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (performance.now() - t0 > 30_000) throw new Error('not ready in 30 s');
    await Bun.sleep(50);
  }
  result.readyMs = Math.round(performance.now() - t0);
  result.live = (await fetch(`${rest}${container.livenessProbe.httpGet.path}`)).status;
  result.index = await (await fetch(`${rest}/v2/repository/index`, { method: 'POST' })).json();
  const jpeg = new Uint8Array(readFileSync(join(import.meta.dir, 'fixtures', 'astronaut.jpg')));
  // KServe v2 infer over REST (Triton's binary extension) and gRPC, on the same image.
  const header = JSON.stringify({
    inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: jpeg.byteLength + 4 } }],
    outputs: [
      { name: 'scores', parameters: { binary_data: true } },
      { name: 'boxes', parameters: { binary_data: true } },
    ],
  });
  const restRes = await fetch(`${rest}/v2/models/face_detect/infer`, {
    method: 'POST',
    body: Buffer.concat([Buffer.from(header), bytesElement(jpeg)]),
    headers: { 'Inference-Header-Content-Length': String(header.length) },
  });
  const restBody = Buffer.from(await restRes.arrayBuffer());
  const restBinary = restBody.subarray(Number(restRes.headers.get('Inference-Header-Content-Length')));
  const grpc = tritonStyle('127.0.0.1:9000');
  result.grpcReady = await grpc.call('ServerReady', {});
  const r = await grpc.call(
    'ModelInfer',
    tritonInferRequest('face_detect', [{ name: 'input', datatype: 'BYTES', shape: [1], raw: bytesElement(jpeg) }], { id: 'kserve' }),
  );
  result.grpcInfer = { id: r.id, outputs: r.outputs.map((o: { name: string }) => o.name), scoresBytes: r.raw_output_contents[0].length };
  const grpcBinary = Buffer.concat([r.raw_output_contents[0], r.raw_output_contents[1]]);
  result.restStatus = restRes.status;
  result.restEqualsGrpc = Buffer.compare(restBinary, grpcBinary) === 0;
  const scores = new Float32Array(Uint8Array.from(r.raw_output_contents[0]).buffer);
  let best = 0;
  for (let i = 1; i < scores.length; i += 2) best = Math.max(best, scores[i]);
  result.bestFaceScore = best;
  grpc.close();
  const metricsPath = runtime.spec.annotations['prometheus.kserve.io/path'];
  const metrics = await (await fetch(`http://127.0.0.1:${runtime.spec.annotations['prometheus.kserve.io/port']}${metricsPath}`)).text();
  result.metricsSuccess = Number(/nv_inference_request_success\{model="face_detect",version="1"\} (\d+)/.exec(metrics)?.[1]);
} catch (e) {
  result.error = (e as Error).message;
}
proc.kill('SIGTERM');
result.exitCode = spawnError ? null : await new Promise((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.once('exit', (c) => r(c))));
result.log = out;
process.stdout.write(`${JSON.stringify(result)}\n`);
