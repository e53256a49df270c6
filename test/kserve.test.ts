// KServe without Kubernetes: deploy/'s manifests validated against KServe's CRD schemas
// (deploy/schemas/, excerpts that say where they came from) and KServe's own matching rules, and
// the OCI image (scripts/build-oci.sh, the daemonless twin of the Dockerfile) run the way the
// kubelet would run the ServingRuntime's container: the image's root filesystem read-only and
// chrooted into, its non-root user, the exact args and env, a model repository laid out as KServe
// mounts it, read-only, at /mnt/models, a tmpfs /tmp (the emptyDir), and a network namespace of
// its own so ports 8080 and 9000 are the manifest's. REST and gRPC must both answer there.

import { beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { MODELS, ROOT } from './helpers.ts';

const read = (p: string) => parse(readFileSync(join(ROOT, p), 'utf8'));
const runtime = read('deploy/servingruntime.yaml');
const isvc = read('deploy/inferenceservice-faces.yaml');

/** The CRD's structural schema as JSON Schema, strict: a property it does not list is an error. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-kubernetes-')) out[k] = strict(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}
function validator(schemaFile: string) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const int = (bits: 32 | 64) => ({ type: 'number' as const, validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** (bits - 1) });
  ajv.addFormat('int32', int(32));
  ajv.addFormat('int64', int(64));
  const validate = ajv.compile(strict(read(schemaFile)) as object);
  return (doc: unknown) =>
    validate(doc)
      ? []
      : validate.errors!.map((e) => `${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${e.params.additionalProperty}'` : ''}`);
}
const validRuntime = validator('deploy/schemas/servingruntime.v1alpha1.schema.yaml');
const validIsvc = validator('deploy/schemas/inferenceservice.v1beta1.schema.yaml');

describe('manifests', () => {
  test('both validate against their CRD schemas; broken copies do not', () => {
    expect(validRuntime(runtime)).toEqual([]);
    expect(validIsvc(isvc)).toEqual([]);
    const copy = () => structuredClone(runtime);
    const typo = copy();
    typo.spec.containers[0].argz = typo.spec.containers[0].args;
    expect(validRuntime(typo)).toContain("/spec/containers/0 must NOT have additional properties 'argz'");
    const nameless = copy();
    delete nameless.spec.containers[0].name;
    expect(validRuntime(nameless)).toContain("/spec/containers/0 must have required property 'name'");
    const quantity = copy();
    quantity.spec.containers[0].resources.limits.cpu = 'two';
    expect(validRuntime(quantity).join()).toContain('/spec/containers/0/resources/limits/cpu must match pattern');
    const port = copy();
    port.spec.containers[0].ports[0].containerPort = '8080';
    expect(validRuntime(port)).toContain('/spec/containers/0/ports/0/containerPort must be integer');
    const bad = structuredClone(isvc);
    delete bad.spec.predictor.model.modelFormat.name;
    expect(validIsvc(bad)).toContain("/spec/predictor/model/modelFormat must have required property 'name'");
  });

  test('KServe would pick this runtime for the InferenceService and route both protocols', () => {
    const c = runtime.spec.containers;
    expect(c.map((x: { name: string }) => x.name)).toEqual(['kserve-container']);
    const m = isvc.spec.predictor.model;
    // predictor_model.go: an explicit runtime offers all its formats, as "name" and "name:version".
    expect(m.runtime).toBe(runtime.metadata.name);
    const labels = runtime.spec.supportedModelFormats.flatMap((f: { name: string; version?: string }) => [
      f.name,
      ...(f.version ? [`${f.name}:${f.version}`] : []),
    ]);
    expect(labels).toContain(`${m.modelFormat.name}:${m.modelFormat.version}`);
    expect(runtime.spec.protocolVersions).toContain(m.protocolVersion);
    expect(runtime.spec.protocolVersions).toContain('grpc-v2');
    const args: string[] = c[0].args;
    expect(args).toEqual(expect.arrayContaining(['serve', '--models=/mnt/models', '--port=8080', '--grpc-port=9000']));
    expect(c[0].ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([8080, 9000]);
    expect(runtime.spec.annotations['prometheus.kserve.io/port']).toBe('8080');
    expect(runtime.spec.annotations['prometheus.kserve.io/path']).toBe('/metrics');
    expect(c[0].securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c[0].securityContext.runAsUser).toBeGreaterThan(0);
    expect(isvc.metadata.annotations['serving.kserve.io/deploymentMode']).toBe('RawDeployment');
  });
});

describe('the image, run as the ServingRuntime runs it', () => {
  let dir: string;
  let layout: string;
  let imageConfig: { config: { User: string; Entrypoint: string[]; Env: string[] } };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgeserve-kserve-'));
    buildBinaryIfStale();
    const oci = join(dir, 'edgeserve-oci.tar');
    const b = spawnSync('bash', ['scripts/build-oci.sh'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OUT: oci } });
    if (b.status !== 0) throw new Error(`build-oci failed:\n${b.stdout}${b.stderr}`);
    console.log(b.stdout.trim());
    layout = join(dir, 'layout');
    mkdirSync(layout);
    tar(['-xf', oci, '-C', layout]);
  }, 120_000);

  test('the OCI layout is consistent: digests, sizes, diff_id, entrypoint, user, ports', () => {
    const blob = (d: string) => join(layout, 'blobs', 'sha256', d.replace('sha256:', ''));
    const sha = (f: string) => `sha256:${createHash('sha256').update(readFileSync(f)).digest('hex')}`;
    expect(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    const ref = index.manifests[0];
    expect(ref.annotations['org.opencontainers.image.ref.name']).toBe('0.1.0');
    expect(sha(blob(ref.digest))).toBe(ref.digest);
    const manifest = JSON.parse(readFileSync(blob(ref.digest), 'utf8'));
    expect(statSync(blob(ref.digest)).size).toBe(ref.size);
    for (const d of [manifest.config, ...manifest.layers]) {
      expect(sha(blob(d.digest))).toBe(d.digest);
      expect(statSync(blob(d.digest)).size).toBe(d.size);
    }
    imageConfig = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
    const unzipped = spawnSync('sh', ['-c', `gzip -dc '${blob(manifest.layers[0].digest)}' | sha256sum`], { encoding: 'utf8' });
    expect(`sha256:${unzipped.stdout.split(' ')[0]}`).toBe((imageConfig as unknown as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids[0]);
    // The Dockerfile's settings, so the two builds give the same container.
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ENTRYPOINT ${JSON.stringify(imageConfig.config.Entrypoint).replace(/,/g, ', ')}`);
    expect(dockerfile).toContain(`USER ${imageConfig.config.User}`);
    expect(imageConfig.config.Env).toContain('HOME=/tmp');
    expect(imageConfig.config.User).toBe(`${runtime.spec.containers[0].securityContext.runAsUser}:${runtime.spec.containers[0].securityContext.runAsGroup}`);
    const layer = join(dir, 'layer.tar.gz');
    cpSync(blob(manifest.layers[0].digest), layer);
  }, 120_000); // hashing and unzipping the ~100 MB layer

  test('REST and gRPC answer from a /mnt/models repository, as non-root, read-only, on 8080 and 9000', async () => {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(rootfs);
    tar(['-xzf', join(dir, 'layer.tar.gz'), '-C', rootfs]);
    // What KServe's storage initializer leaves in /mnt/models for storageUri: a model repository.
    const repo = join(dir, 'storage');
    for (const m of ['face_detect', 'face_embed']) cpSync(join(MODELS, m), join(repo, m), { recursive: true });
    const configFile = join(dir, 'image-config.json');
    Bun.write(configFile, JSON.stringify(imageConfig));
    const script = [
      'set -e',
      'ip link set lo up',
      `mount --bind '${rootfs}' '${rootfs}'`,
      `mount --bind '${repo}' '${rootfs}/mnt/models'`,
      `mount -o remount,ro,bind '${rootfs}/mnt/models'`,
      `mount -t tmpfs -o size=256m,mode=1777 tmpfs '${rootfs}/tmp'`,
      `mount -t proc proc '${rootfs}/proc'`,
      `mount --rbind /dev '${rootfs}/dev'`,
      `mount -o remount,ro,bind '${rootfs}'`,
      `exec '${join(ROOT, 'node_modules', '.bin', 'bun')}' '${join(ROOT, 'test', 'kserve-pod.ts')}' '${rootfs}' '${join(ROOT, 'deploy', 'servingruntime.yaml')}' '${configFile}'`,
    ].join('\n');
    const r = Bun.spawn(['unshare', '--mount', '--net', '--fork', '--kill-child', 'sh', '-c', script], { stdout: 'pipe', stderr: 'pipe', timeout: 60_000 });
    const [stdout, stderr, status] = await Promise.all([new Response(r.stdout).text(), new Response(r.stderr).text(), r.exited]);
    if (status !== 0 && !stdout.trim()) throw new Error(`namespace setup failed (${status}):\n${stdout}${stderr}`);
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
    if (seen.error) throw new Error(`${seen.error}\n${seen.log}`);
    console.log(`KServe-style pod: ready in ${seen.readyMs} ms (exec → /v2/health/ready)`);
    expect(seen.live).toBe(200);
    expect(seen.index.map((m: { name: string; state: string }) => `${m.name} ${m.state}`)).toEqual(['face_detect READY', 'face_embed READY']);
    expect(seen.restStatus).toBe(200);
    expect(seen.restEqualsGrpc).toBe(true);
    expect(seen.bestFaceScore).toBeGreaterThan(0.9);
    expect(seen.grpcReady).toEqual({ ready: true });
    expect(seen.grpcInfer).toEqual({ id: 'kserve', outputs: ['scores', 'boxes'], scoresBytes: 4420 * 2 * 4 });
    expect(seen.metricsSuccess).toBe(2); // one REST infer, one gRPC infer
    expect(seen.exitCode).toBe(0);
    // JSON logs (LOG_FORMAT from the manifest), the gRPC port announced, nothing written to /mnt/models.
    expect(seen.log).toContain('"msg":"gRPC listening on 127.0.0.1:9000 (h2c; messages up to 67108864 bytes)"');
    expect(readdirSync(repo).sort()).toEqual(['face_detect', 'face_embed']);
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);
});

function tar(args: string[]) {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr}`);
}

/** Rebuilds dist/edgeserve when any input is newer (as test/runtime-binary.test.ts does). */
function buildBinaryIfStale() {
  const bin = join(ROOT, 'dist', 'edgeserve');
  let newest = 0;
  const walk = (p: string) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of ['src', 'models', 'scripts/build-binary.sh', 'package.json', 'package-lock.json']) walk(join(ROOT, p));
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest) return;
  const r = spawnSync('bash', ['scripts/build-binary.sh'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build:binary failed:\n${r.stdout}${r.stderr}`);
}
