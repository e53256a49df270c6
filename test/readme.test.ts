// Every command in README.md runs as written (issue 10, item 10 and its acceptance), or is listed
// below with the reason it is not run here (and, where another test runs it, that test, checked to
// hold the command). A README command this file neither runs nor lists fails the first test, so a
// new command in the README comes with its check.
//
// - The curl examples (and the shell lines around them: `G=…`, `KEY=$(…)`, `bin/edgeserve keys`)
//   run block by block, each block in one bash (its variables carry over, as when pasted), from
//   the repository root, against one real server started with the README's own `npm start`. The
//   only rewrite is the port: localhost:8000 / 127.0.0.1:8000 → the test server's. A .curlrc
//   (CURL_HOME) appends the HTTP status after each answer, so the command itself is unchanged.
//   Each answer is checked against what the README says of it: the status (`# 201: …`, else 2xx),
//   the JSON under or beside it (keys and values; numbers within their printed precision), the
//   `"key":value` fragments in its comment, and CHECKS below where the comment is prose.
// - Server commands (`npm start` with its variables) start, answer /v2/health/ready and stop on
//   SIGTERM with exit 0; CLI commands run and exit 0.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';
import { type Command, inlineCommands, shBlocks } from './readme-commands.ts';
import { compare, documented, hasFragment } from './readme-output.ts';
import { freePort } from './server-process.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const BLOCKS = shBlocks(README);
const INLINE = inlineCommands(README);
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** A command's run: exit status, stdout, stderr, and for curl the HTTP answers (status, body) in order. */
interface Result {
  rc: number;
  out: string;
  err: string;
  answers: { status: number; body: string }[];
}

type Entry =
  /** Run here, in its block's bash against the test server (a shell line that is not curl). */
  | { session: string; check?: (r: Result) => void }
  /** Starts a server: run with a free PORT (a written port rewritten), ready, health, SIGTERM → exit 0. */
  | { server: string; command?: string; env?: Record<string, string | undefined> }
  /** Run here from the repository root as written; exit 0 unless `rc` says otherwise. */
  | { cli: string; command?: string; rc?: number; check?: (r: Result) => void; timeoutMs?: number }
  /** Run by another test: the file, and text in it that shows it runs this command. */
  | { covered: string; evidence: string[]; why?: string }
  /** Prose naming what an npm script runs: the script must run exactly this. */
  | { script: string }
  /** Not run: why. */
  | { notRun: string };

/**
 * Every README command that is not a curl example: how it is covered. Keyed by the command as
 * written (continuation lines joined with newlines).
 */
const TABLE: Record<string, Entry> = {
  // Quick start
  'npm install && npm start': {
    server: "the server every example below runs against (npm install: the step before any test, a fresh clone's install checked by CI)",
    command: 'npm start',
  },
  'npm install && npm test': { notRun: 'npm test is the whole suite, this test among them (CI runs exactly this line on a fresh clone)' },
  'npm start': { server: "the examples' server", command: 'npm start' },
  'PORT=9000 HOST=127.0.0.1 npm start': { server: 'the port rewritten to a free one' },
  'npx edgeserve --help': {
    cli: 'the overview',
    check: (r) => {
      for (const c of ['serve', 'pull', 'bench', 'keys', 'quantize']) expect(r.out).toContain(`edgeserve ${c}`);
    },
  },
  'bin/edgeserve': { cli: 'the same CLI', command: 'bin/edgeserve --help', check: (r) => expect(r.out).toContain('edgeserve serve [options]') },
  'npm run lint': { cli: 'Biome over src, test, scripts', timeoutMs: 60_000 },
  'npm run pull': {
    cli: 'every weight in place, sha256-checked',
    check: (r) => expect(r.out + r.err).toMatch(/pull: every model's weights are in place|pulled/),
  },
  'node_modules/.bin/bun src/cli.ts pull': {
    cli: 'the same pull, without npm',
    check: (r) => expect(r.out + r.err).toMatch(/pull: every model's weights are in place|pulled/),
  },
  'node_modules/.bin/deno task pull': { cli: "the same pull under Deno's grants", timeoutMs: 60_000 },
  'npm run build:binary': { cli: 'builds dist/edgeserve (then its --help, below)', timeoutMs: 60_000 },
  'dist/edgeserve --help': {
    cli: 'the binary lists the same serve options as the CLI',
    check: (r) => {
      const flags = (s: string) => [...new Set(s.match(/--[a-z0-9-]+/g))].filter((f) => f !== '--help' && f !== '--version').sort();
      const cli = Bun.spawnSync([join(ROOT, 'bin', 'edgeserve'), 'serve', '--help'], { cwd: ROOT });
      expect(flags(r.out)).toEqual(flags(cli.stdout.toString()));
    },
  },
  'npm run gen:proto': {
    covered: 'test/grpc-codegen.test.ts',
    evidence: ["'buf'), ['generate'"],
    why: 'regenerates src/grpc/gen (tracked) into a temp folder and compares',
  },
  'npm run gen:wasm': {
    covered: 'src/image/wasm/resample-wasm.test.ts',
    evidence: ["from '../../../scripts/gen-wasm.ts'"],
    why: 'assembles resample.wat as the script does and compares with the committed file',
  },
  'npm run build:node': { covered: 'test/runtime-node.test.ts', evidence: ["'scripts/build-node.sh'"] },
  'npm run build:oci': { covered: 'test/kserve.test.ts', evidence: ["'scripts/build-oci.sh'"] },
  // test/hot-reload.test.ts runs `bun --hot src/cli.ts serve` itself, not the npm script: run here.
  'npm run dev': { server: 'bun --hot' },
  'npm run start:node': { covered: 'test/process.test.ts', evidence: ["'start:node'", "run('npm', ['run', '--silent', script]"] },
  'npm run start:deno': { covered: 'test/process.test.ts', evidence: ["'start:deno'", "run('npm', ['run', '--silent', script]"] },
  'node dist/node/cli.js serve': { covered: 'test/runtime-node.test.ts', evidence: ["startChild('node', [join(ROOT, 'dist', 'node', 'cli.js'), 'serve']"] },
  'node_modules/.bin/deno task start': {
    covered: 'test/process.test.ts',
    evidence: ["deno: [DENO, ['task', 'start']]"],
    why: "and test/runtime-deno.test.ts runs the task's command line",
  },
  // test/runtime-deno.test.ts runs the task's command line from deno.json, not `deno task`: run here
  // (its grants read and write only the checkout: data/ there, and no gallery).
  'node_modules/.bin/deno task start:wasm': { server: 'Deno on WASM', env: { GALLERY_DATABASE: 'off', DATA_DIR: undefined } },
  'deno task start': {
    covered: 'test/runtime-deno.test.ts',
    evidence: ["['start', 'onnxruntime-node']"],
    why: 'named as what npm run start:deno runs (deno on PATH inside npm scripts)',
  },
  'deno task start:wasm': {
    covered: 'test/runtime-deno.test.ts',
    evidence: ["['start:wasm', 'onnxruntime-web']"],
    why: 'named in the Deno section; the command to type is node_modules/.bin/deno task start:wasm',
  },
  'node_modules/.bin/bun src/cli.ts serve': {
    covered: 'test/server-process.ts',
    evidence: ["join(ROOT, 'node_modules', '.bin', 'bun'), ['src/cli.ts', 'serve']"],
    why: 'how every end-to-end test starts its server',
  },
  'bun src/cli.ts serve': { script: 'start' },
  'bun --hot src/cli.ts serve': { script: 'dev' },
  'dist/edgeserve': {
    covered: 'test/runtime-binary.test.ts',
    evidence: ["join(dir, 'edgeserve')", 'startChild('],
    why: 'copied alone into an empty folder and served from there',
  },
  'node node_modules/wrangler/bin/wrangler.js dev --local': {
    covered: 'test/wrangler-dev.ts',
    evidence: ["'node_modules', 'wrangler', 'bin', 'wrangler.js'", "[WRANGLER, 'dev', '--local'"],
    why: 'the Workers tests (runtime-workers, auth-workers, gallery-d1) start it',
  },
  'wrangler dev --local': { covered: 'test/wrangler-dev.ts', evidence: ["[WRANGLER, 'dev', '--local'"], why: 'named in prose' },
  'export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false': { cli: 'sets two variables' },
  'node node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir dist': {
    cli: 'bundles the Worker, prints the upload size',
    timeoutMs: 60_000,
    check: (r) => expect(r.out + r.err).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/),
  },
  'GALLERY_DATABASE=postgres://user@host:5432/db npm start': {
    covered: 'test/gallery-e2e.test.ts',
    evidence: ['GALLERY_DATABASE: pg.url'],
    why: 'a placeholder URL; two servers on a real PostgreSQL there',
  },
  'HOST=127.0.0.1 TRUST_PROXY=127.0.0.1 npm start': { server: 'behind a proxy' },
  'node_modules/.bin/bun scripts/fuzz.ts --seed 7 --requests 10000': {
    notRun: '10,000 requests: minutes of CPU; test/fuzz.test.ts runs the same script, seeded, shorter',
  },
  'TARGET=bun-linux-arm64 npm run build:binary': { notRun: 'downloads the arm64 Bun runtime (no network in CI); the README says it was not run' },
  'docker build -t edgeserve:0.1.0 .': {
    notRun: 'needs a Docker daemon (none in CI; the README says so); test/kserve.test.ts builds and runs the same image daemonless (build:oci)',
  },
  'docker build': { notRun: 'named in prose (see docker build -t …)' },
  'skopeo copy oci-archive:dist/edgeserve-oci.tar docker://REGISTRY/edgeserve:0.1.0': {
    notRun: 'pushes to a registry (REGISTRY is a placeholder; no network)',
  },
  'npm test': { notRun: 'the whole suite, this test among them' },
  'npm run bench': { notRun: 'the benchmark: ~5 minutes of full load' },
  'edgeserve bench': { notRun: 'names the benchmark command (npm run bench)' },
  'edgeserve bench -- --phases gallery': { notRun: 'a benchmark (1,000,000 enrolled faces)' },
  'edgeserve bench -- --phases quant': { notRun: 'a benchmark (FP32 vs INT8 served side by side)' },
  'npm run bench -- -- --phases accuracy': {
    notRun: 'a benchmark (every fixture face and its variants through the face job); test/face-accuracy.test.ts runs its statistics',
  },
  'bun src/bench/face-accuracy.ts': { notRun: "names the accuracy benchmark's source (run with npm run bench -- -- --phases accuracy)" },
  'node_modules/.bin/bun src/cli.ts bench -- --phases t0,http --duration 5': { notRun: 'a benchmark: a minute of full load on shared cores' },
  'npx edgeserve quantize face_detect --compare --wasm': {
    notRun: 'derives and gates INT8 models: minutes of calibration; test/quant-gate.test.ts runs the quantizer and its gates',
  },
  'npx edgeserve quantize face_embed --sensitivity 10': { notRun: 'as above, and ten more gated derivations' },
  'npx edgeserve quantize face_detect --auto-exclude 12': { notRun: 'as above, up to twelve more derivations' },
  'npx edgeserve quantize my_model --images a.jpg,b.jpg --gate-images c.jpg,d.jpg --write': { notRun: 'a template: my_model and the images are placeholders' },
  'node node_modules/wrangler/bin/wrangler.js secret put API_KEYS < data/keys.json': {
    notRun: 'puts a secret into a Cloudflare account (needs a login); test/auth-workers.test.ts gives wrangler dev a key file as API_KEYS',
  },
  'node_modules/.bin/bun src/cli.ts quantize MODEL --recipe FILE': { notRun: 'a template (MODEL, FILE); a derivation with gates: minutes' },
  'node_modules/.bin/bun src/cli.ts bench -- --phases verify': { notRun: 'a benchmark (the face job in-process, then served under load)' },
  'node_modules/.bin/bun src/cli.ts bench -- --phases enrol': { notRun: 'a benchmark (enrolment served under load)' },
  'bun --cpu-prof-md': { notRun: "names Bun's CPU profiler flag (how a measurement was made)" },
  'src/bench/peer-verify.sh': { notRun: 'starts the FastAPI peer (../shared/peer, outside the repository) and runs minutes of wrk' },
  './run_peer.sh 8321 2': { notRun: "the FastAPI peer's own start script, in ../shared/peer (outside the repository)" },
  'WRK_FILE=test/fixtures/astronaut.jpg WRK_FILE2=test/fixtures/grace_hopper.jpg \\\n  LABEL_A=peer LABEL_B=edgeserve CONCS="8 64" ROUNDS=3 DUR=10s PAUSE=12 \\\n  A_WRK_ROUTE=/verify A_WRK_FIELD=file1 A_WRK_FIELD2=file2 \\\n  B_WRK_ROUTE=/v1/faces/verify B_WRK_FIELD=image1 B_WRK_FIELD2=image2 \\\n  ../shared/peer/load/compare.sh http://127.0.0.1:8321 http://127.0.0.1:8320':
    { notRun: 'needs the FastAPI peer (../shared/peer) and minutes of wrk' },
  'edgeserve keys create': { notRun: 'named in prose; run in the Security block (bin/edgeserve keys create …)' },
  'LABEL_A=peer LABEL_B=edgeserve CONCS="1 8 64 256" ROUNDS=3 DUR=10s PAUSE=3 OUT=/tmp/compare.jsonl \\\n  B_WRK_ROUTE=/v1/faces/detect B_WRK_FIELD=image \\\n  ../shared/peer/load/compare.sh http://127.0.0.1:8202 http://127.0.0.1:8000':
    { notRun: 'needs the FastAPI peer (../shared/peer, outside the repository) and 5 minutes of wrk' },
  [`python - <<'PY'   # Triton's own client: pip install tritonclient[grpc]`.replace(/\s+#.*/, '')]: {
    notRun: 'needs tritonclient from PyPI (not installed, no PyPI here)',
  },
  // The Security block: run in its bash against the test server.
  'G=localhost:8000/v1/faces/galleries': { session: 'sets G' },
  'bin/edgeserve keys create --scopes infer,faces:read': { session: 'prints the key once', check: (r) => expect(r.out).toMatch(/^es_[0-9a-f]{12}_\S+\n$/) },
  'KEY=$(bin/edgeserve keys create --scopes admin --expires 30d)': { session: 'the key in $KEY' },
  'bin/edgeserve keys list': { session: 'lists both keys', check: (r) => expect((r.out.match(/es_[0-9a-f]{12}/g) ?? []).length).toBeGreaterThanOrEqual(2) },
  'bin/edgeserve keys revoke "${KEY:0:15}"': { session: 'revokes $KEY', check: (r) => expect(r.err + r.out).toMatch(/revoked es_[0-9a-f]{12}/) },
};
// The python entry's key is the here-document as written.
const PY = BLOCKS.flatMap((b) => b.commands).find((c) => c.text.startsWith("python - <<'PY'"));
if (PY) {
  TABLE[PY.text] = TABLE["python - <<'PY'"]!;
  delete TABLE["python - <<'PY'"];
}

/** Checks for curl answers whose README comment is prose (no status, JSON or "key":value in it). */
const CHECKS: Record<string, (r: Result, j: unknown) => void> = {
  'curl localhost:8000/v2': (_r, j) => {
    const m = j as { name: string; version: string; extensions: string[] };
    expect(m.name).toBe('edgeserve');
    expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
    // `# name, version, the N extensions`: N as the comment says.
    const said = /the (\d+) extensions/.exec(BLOCKS.flatMap((b) => b.commands).find((c) => c.text === 'curl localhost:8000/v2')!.comment)?.[1];
    expect(m.extensions.length).toBe(Number(said));
  },
  'curl localhost:8000/v2/models/face_detect': (_r, j) => expect(Object.keys(j as object)).toEqual(expect.arrayContaining(['inputs', 'outputs', 'versions'])),
  'curl localhost:8000/v2/models/simple/config': (_r, j) => expect((j as { name: string }).name).toBe('simple'),
  "curl -F image=@test/fixtures/astronaut.jpg 'localhost:8000/v1/faces/detect?render=png' -o boxed.png": () => {
    const png = readFileSync(join(ROOT, 'boxed.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  },
  'curl -F image=@test/fixtures/astronaut.jpg localhost:8000/v1/faces/embed': (_r, j) => {
    const e = j as { embedding: number[]; box: number[] };
    expect(e.embedding.length).toBe(512);
    expect(Math.hypot(...e.embedding)).toBeCloseTo(1, 3);
    expect(e.box.length).toBe(4);
  },
  'curl -X POST localhost:8000/v2/repository/index': (_r, j) => {
    const names = (j as { name: string; state: string }[]).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['face_detect', 'face_embed', 'simple']));
  },
  'curl -X POST localhost:8000/v2/repository/index -d \'{"ready":true}\'': (_r, j) => {
    const ms = j as { name: string; state: string }[];
    expect(ms.length).toBeGreaterThan(0);
    expect(ms.filter((m) => m.state !== 'READY')).toEqual([]);
  },
  'curl -X POST localhost:8000/v2/models/simple/infer -d \'{\n  "inputs": [\n    {"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},\n    {"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}\'':
    (_r, j) => {
      const out = Object.fromEntries((j as { outputs: { name: string; data: number[] }[] }).outputs.map((o) => [o.name, o.data]));
      const a = Array.from({ length: 16 }, (_, i) => i);
      expect(out.OUTPUT0).toEqual(a.map((x) => x + 1));
      expect(out.OUTPUT1).toEqual(a.map((x) => x - 1));
    },
  'curl localhost:8000/v2/models/stats': (_r, j) => expect((j as { model_stats: unknown[] }).model_stats.length).toBeGreaterThan(0),
  'curl localhost:8000/v2/models/simple/versions/1/stats': (_r, j) => {
    const s = (j as { model_stats: { name: string; version: string; inference_count: number }[] }).model_stats;
    expect(s.map((m) => [m.name, m.version])).toEqual([['simple', '1']]);
  },
  'curl -X POST localhost:8000/v2/logging -d \'{"log_verbose_level": 1}\'': (_r, j) => expect((j as { log_verbose_level: number }).log_verbose_level).toBe(1),
  'curl -X POST localhost:8000/v2/trace/setting -d \'{"trace_level": ["TIMESTAMPS"], "trace_rate": "1", "trace_count": "100"}\'': (_r, j) =>
    expect((j as { trace_level: string[] }).trace_level).toEqual(['TIMESTAMPS']),
  "curl -X POST localhost:8000/v2/models/face/trace/setting -d '{}'": (_r, j) => expect(typeof j).toBe('object'),
  "curl -F image=@test/fixtures/astronaut.jpg 'localhost:8000/v1/faces/embed?box=180,62,269,173'": (_r, j) =>
    expect((j as { embedding: number[] }).embedding.length).toBe(512),
  "curl --data-binary @test/fixtures/camera.png -H 'Content-Type: image/png' 'localhost:8000/v1/faces/detect?score_threshold=0.8&iou_threshold=0.3&max_faces=10'":
    (_r, j) => expect((j as { faces: unknown[] }).faces.length).toBe(1),
  'curl -H \'Content-Type: application/json\' -d "{\\"image\\":\\"$(base64 -w0 test/fixtures/astronaut.jpg)\\",\\"max_faces\\":5}" localhost:8000/v1/faces/detect':
    (_r, j) => expect((j as { faces: unknown[] }).faces.length).toBe(1),
  'curl -H "Authorization: Bearer $KEY" -X POST localhost:8000/v2/repository/models/simple/unload': (_r, j) => expect(j).toEqual({}),
  'curl -H "X-API-Key: $KEY" localhost:8000/metrics': (r) => expect(r.answers[0]!.body).toContain('nv_inference_request_success{'),
  'curl -H \'Content-Type: application/json\' -d \'{"id":"demo"}\' $G': (_r, j) => expect((j as { id: string }).id).toBe('demo'),
  'for s in eileen chelsea photographer; do curl -H \'Content-Type: application/json\' -d "{\\"id\\":\\"$s\\"}" $G/demo/subjects; done': (r) => {
    expect(r.answers.map((a) => (JSON.parse(a.body) as { id: string }).id)).toEqual(['eileen', 'chelsea', 'photographer']);
  },
  'curl -F image=@test/fixtures/chelsea.png $G/demo/subjects/chelsea/faces': (_r, j) => expect((j as { subject: string }).subject).toBe('chelsea'),
  'curl -F image=@test/fixtures/camera.png $G/demo/subjects/photographer/faces': (_r, j) => expect((j as { subject: string }).subject).toBe('photographer'),
};

const isCurl = (c: Command) => /^(curl |for [^;]+; do curl )/.test(c.text);
const PORT_RE = /\b(localhost|127\.0\.0\.1):8000\b/g;

// ---------------------------------------------------------------------------------------------

test('every README command is run here or listed with the reason (and the table names no stale command)', () => {
  const all = [...BLOCKS.flatMap((b) => b.commands), ...INLINE];
  const unlisted = all.filter((c) => !isCurl(c) && !(c.text in TABLE)).map((c) => `README line ${c.line} (${c.where}): ${c.text}`);
  expect(unlisted, 'add these to TABLE in test/readme.test.ts (run them, or say why not)').toEqual([]);
  const kinds = new Map<string, number>();
  for (const t of new Set(all.map((c) => c.text))) {
    const e = TABLE[t];
    const k = !e
      ? 'curl (run)'
      : 'session' in e || 'cli' in e || 'server' in e
        ? 'run'
        : 'covered' in e
          ? 'run by another test'
          : 'script' in e
            ? "an npm script's command"
            : 'not run';
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  console.log(`README commands: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const extra = [...Object.keys(TABLE), ...Object.keys(CHECKS)].filter(
    (k) => !all.some((c) => c.text === k) && !Object.values(TABLE).some((e) => 'command' in e && e.command === k),
  );
  expect(extra, 'commands in the table that the README no longer has').toEqual([]);
  // A curl answer described only in prose needs a check here.
  const unchecked = BLOCKS.flatMap((b) => b.commands).filter((c) => {
    if (!isCurl(c)) return false;
    const d = documented(c.comment, c.output);
    return d.json === undefined && d.fragments.length === 0 && d.status === undefined && !(c.text in CHECKS) && (c.comment !== '' || c.output !== '');
  });
  expect(
    unchecked.map((c) => `README line ${c.line}: ${c.text}  # ${c.comment}`),
    'add a check to CHECKS for these answers',
  ).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// The examples' server and the blocks run against it.

const tmp = mkdtempSync(join(tmpdir(), 'edgeserve-readme-'));
const dataDir = join(tmp, 'data');
const curlHome = join(tmp, 'curl');
mkdirSync(dataDir);
mkdirSync(curlHome);
writeFileSync(join(curlHome, '.curlrc'), 'write-out = "\\n@@HTTP %{http_code}@@\\n"\n');
const boxedBefore = existsSync(join(ROOT, 'boxed.png'));

/** The environment of every command: a temp data dir (gallery, keys), no gRPC port, weights already pulled. */
const ENV = { ...process.env, DATA_DIR: dataDir, CURL_HOME: curlHome, GRPC_PORT: 'off', PULL: '0', HOST: '127.0.0.1' } as Record<string, string>;
delete ENV.API_KEYS_FILE;
delete ENV.GALLERY_DATABASE;

interface Server {
  proc: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | string>;
}
const servers: Server[] = [];

async function startServer(command: string, port: number, env: Record<string, string | undefined> = {}): Promise<Server> {
  const merged = Object.fromEntries(Object.entries({ ...ENV, PORT: String(port), ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const proc = spawn('bash', ['--noprofile', '--norc', '-c', command], { cwd: ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? '?')));
  const s = { proc, port, output: () => out, exited };
  servers.push(s);
  const end = Date.now() + 60_000;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`${command} exited before it was ready:\n${out}`);
    if (
      await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return s;
    if (Date.now() > end) throw new Error(`${command}: not ready in 60 s:\n${out}`);
    await Bun.sleep(100);
  }
}

async function stopServer(s: Server): Promise<number | string> {
  s.proc.kill('SIGTERM'); // the top process, as a process manager would
  return Promise.race([s.exited, Bun.sleep(20_000).then(() => 'still running after SIGTERM')]);
}

afterAll(() => {
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  if (!boxedBefore) rmSync(join(ROOT, 'boxed.png'), { force: true });
});

/** Runs commands in one bash, as a pasted block: each one's exit status and output kept apart. */
async function runBlock(cmds: Command[], port: number): Promise<Map<Command, Result>> {
  const dir = mkdtempSync(join(tmp, 'block-'));
  const script = cmds
    .map((c, i) => `{\n${c.text.replace(PORT_RE, `$1:${port}`)}\n} >"${dir}/${i}.out" 2>"${dir}/${i}.err"; echo $? >"${dir}/${i}.rc"`)
    .join('\n');
  const p = Bun.spawn(['bash', '--noprofile', '--norc', '-c', script], { cwd: ROOT, env: ENV, stdout: 'pipe', stderr: 'pipe' });
  const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
  await p.exited;
  clearTimeout(killer);
  const results = new Map<Command, Result>();
  cmds.forEach((c, i) => {
    const read = (ext: string) => (existsSync(`${dir}/${i}.${ext}`) ? readFileSync(`${dir}/${i}.${ext}`, 'utf8') : '');
    const out = read('out');
    const answers: Result['answers'] = [];
    let rest = out;
    for (const m of out.matchAll(/\n@@HTTP (\d{3})@@\n/g)) {
      const at = rest.indexOf(m[0]);
      answers.push({ status: Number(m[1]), body: rest.slice(0, at) });
      rest = rest.slice(at + m[0].length);
    }
    results.set(c, { rc: read('rc') === '' ? -1 : Number(read('rc')), out: isCurl(c) ? rest : out, err: read('err'), answers });
  });
  return results;
}

/** Blocks run against the server: those whose commands are curl examples or session lines. */
const SESSION_BLOCKS = BLOCKS.filter((b) => b.commands.some(isCurl) && b.commands.every((c) => isCurl(c) || 'session' in (TABLE[c.text] ?? {})));

describe('the examples, against `npm start`', () => {
  let main: Server | undefined;
  let startError: unknown;
  const results = new Map<Command, Result>();
  beforeAll(async () => {
    try {
      const port = await freePort();
      main = await startServer('npm start', port);
      for (const b of SESSION_BLOCKS) for (const [c, r] of await runBlock(b.commands, port)) results.set(c, r);
    } catch (e) {
      startError = e;
    }
  }, 120_000);

  for (const b of SESSION_BLOCKS) {
    for (const c of b.commands) {
      test(`line ${c.line}: ${c.text.split('\n')[0]}`, () => {
        if (startError) throw startError;
        const r = results.get(c)!;
        const show = `\n$ ${c.text}\nrc ${r.rc}\nstdout: ${r.out}${r.answers.map((a) => `[${a.status}] ${a.body}`).join('\n')}\nstderr: ${r.err}`;
        expect(r.rc, show).toBe(0);
        const entry = TABLE[c.text];
        if (entry && 'session' in entry) {
          entry.check?.(r);
          return;
        }
        expect(r.answers.length, show).toBeGreaterThan(0);
        const doc = documented(c.comment, c.output);
        for (const a of r.answers) {
          if (doc.status !== undefined) expect(a.status, show).toBe(doc.status);
          else expect(a.status >= 200 && a.status < 300, `expected 2xx${show}`).toBe(true);
        }
        const first = r.answers[0]!;
        const json = /^\s*[[{]/.test(first.body) ? JSON.parse(first.body) : undefined;
        if (doc.json !== undefined) expect(compare(doc.json, json), show).toEqual([]);
        for (const [k, v] of doc.fragments) expect(hasFragment(json, k, v), `"${k}":${JSON.stringify(v)}${show}`).toBe(true);
        CHECKS[c.text]?.(r, json);
      });
    }
  }

  test('npm start stops on SIGTERM with exit 0', async () => {
    if (!main) throw startError;
    expect(await stopServer(main), main.output()).toBe(0);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------
// The rest of the table.

const ALL = [...BLOCKS.flatMap((b) => b.commands), ...INLINE];
const unique = <T>(xs: T[]) => [...new Set(xs)];

describe('server commands: ready, healthy, SIGTERM → exit 0', () => {
  for (const text of unique(ALL.map((c) => c.text)).filter((t) => {
    const e = TABLE[t];
    return e && 'server' in e && e.command === undefined;
  })) {
    test(text, async () => {
      const port = await freePort();
      // The written port (if any) becomes the free one; PORT is set for the commands that write none.
      const s = await startServer(text.replace(/\bPORT=\d+/, `PORT=${port}`), port, (TABLE[text] as { env?: Record<string, string | undefined> }).env);
      const r = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
      expect(r.status).toBe(200);
      expect(await stopServer(s), s.output()).toBe(0);
    }, 90_000);
  }
});

async function runCli(command: string, timeoutMs: number): Promise<Result> {
  const p = Bun.spawn(['bash', '--noprofile', '--norc', '-c', command], { cwd: ROOT, env: ENV, stdout: 'pipe', stderr: 'pipe' });
  const killer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  const [out, err, rc] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(killer);
  return { rc, out, err, answers: [] };
}

describe('CLI commands, as written, from the repository root', () => {
  // In README order, so build:binary comes before the binary's --help.
  for (const text of unique(ALL.map((c) => c.text)).filter((t) => {
    const e = TABLE[t];
    return e && 'cli' in e;
  })) {
    const e = TABLE[text] as Extract<Entry, { cli: string }>;
    const command = e.command ?? text;
    test(
      command,
      async () => {
        const r = await runCli(command, e.timeoutMs ?? 30_000);
        expect(r.rc, `$ ${command}\n${r.out}\n${r.err}`).toBe(e.rc ?? 0);
        e.check?.(r);
      },
      (e.timeoutMs ?? 30_000) + 5_000,
    );
  }
});

describe('commands run by other tests, and npm scripts named in prose', () => {
  for (const [text, e] of Object.entries(TABLE)) {
    if ('covered' in e) {
      test(`${text}: ${e.covered}`, () => {
        const src = readFileSync(join(ROOT, e.covered), 'utf8');
        for (const ev of e.evidence) expect(src, `${e.covered} should contain ${ev}`).toContain(ev);
        const script = /^npm run ([\w:]+)$/.exec(text)?.[1];
        if (script) expect(SCRIPTS[script], `package.json has no script ${script}`).toBeDefined();
      });
    } else if ('script' in e) {
      test(`${text}: what npm run ${e.script} runs`, () => expect(SCRIPTS[e.script]?.replace(/^exec /, '')).toBe(text));
    }
  }
});

describe('CLI commands not run here still name real flags', () => {
  // A benchmark or a quantization is too long to run here, but an outdated flag or phase in its
  // README line is caught from the command's own --help.
  const CLI_RE = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx edgeserve|bin\/edgeserve|edgeserve|node_modules\/\.bin\/bun src\/cli\.ts|npm run bench --)\s+/;
  const SUBS = ['bench', 'quantize', 'serve', 'pull', 'keys'];
  for (const [text, e] of Object.entries(TABLE)) {
    if (!('notRun' in e) || !CLI_RE.test(text)) continue;
    const rest = text.replace(CLI_RE, '');
    const sub = text.startsWith('npm run bench') ? 'bench' : rest.split(/\s+/)[0]!;
    if (!SUBS.includes(sub)) continue;
    test(text, () => {
      const help = Bun.spawnSync([join(ROOT, 'bin', 'edgeserve'), sub, '--help'], { cwd: ROOT, env: ENV }).stdout.toString();
      const flags = [...new Set(rest.match(/(?<=^|\s)--[a-z][a-z0-9-]*/g) ?? [])];
      for (const f of flags) expect(help, `${f} is not in edgeserve ${sub} --help`).toMatch(new RegExp(`(^|[\\s,])${f}\\b`, 'm'));
      const phases = /--phases\s+(\S+)/.exec(rest)?.[1];
      if (phases) {
        const known = /--phases\s+LIST\s+(\S+)/.exec(help)?.[1]?.split(',') ?? [];
        expect(
          phases.split(',').filter((p) => !known.includes(p)),
          `phases not in edgeserve bench --help (${known})`,
        ).toEqual([]);
      }
    });
  }
});
