// Seeded fuzzer over every input path of a running edgeserve (issue 10's acceptance): bodies,
// images, multipart, JSON, KServe JSON and binary tensors, query parameters, headers and raw
// HTTP framing over node:net. It checks that no answer is a 5xx (503 needs Retry-After), that
// no connection closes without the answers its framing allows, that the server keeps serving
// (health probes between batches) and that its memory comes back near where it started.
//
//   node_modules/.bin/bun scripts/fuzz.ts --seed 1 --requests 10000                 # own server
//   node_modules/.bin/bun scripts/fuzz.ts --seed 1 --requests 2000 --url http://127.0.0.1:8000 [--pid N]
//
// Options: --concurrency (8), --batch (cases between health probes, 200), --json (the report
// as JSON), --models DIR (own server's repository; default a temp copy of face_detect,
// face_embed and simple). Exit status 1 when an invariant was violated. Cases live in
// scripts/fuzz/cases.ts.

import { parseArgs } from 'node:util';
import { formatReport, runFuzz, startOwnServer } from './fuzz/run.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    seed: { type: 'string', default: '1' },
    requests: { type: 'string', default: '1000' },
    url: { type: 'string' },
    pid: { type: 'string' },
    models: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    batch: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});

const int = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min}, got '${v}'\n`);
    process.exit(2);
  }
  return n;
};

const seed = int('seed', values.seed, 0);
const requests = int('requests', values.requests, 1);
const server = values.url ? undefined : await startOwnServer({ models: values.models });
const url = values.url ?? server!.url;
const pid = values.pid !== undefined ? int('pid', values.pid, 1) : server?.proc.pid;
process.stderr.write(`fuzzing ${url} (seed ${seed}, ${requests} cases${server ? ', own server' : ''})\n`);
try {
  const report = await runFuzz({
    url,
    seed,
    requests,
    pid,
    concurrency: int('concurrency', values.concurrency, 1),
    batch: int('batch', values.batch, 1),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const errors = server?.errors() ?? [];
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...report, serverErrorLines: errors }, null, 2)}\n`
      : `${formatReport(report)}\n${errors.length ? `\nserver error log lines (${errors.length}):\n${errors.slice(0, 30).join('\n')}\n` : ''}`,
  );
  process.exitCode = report.violations > 0 ? 1 : 0;
} finally {
  await server?.stop();
}
