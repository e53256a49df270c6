// The committed TypeScript in src/grpc/gen/ is exactly what `npm run gen:proto` (buf generate
// with protoc-gen-es from node_modules, buf.gen.yaml) makes from proto/: regenerated into a temp
// directory and compared file by file, so an edited .proto without regenerating fails here.

import { expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';

test('src/grpc/gen is what buf generate makes from proto/', () => {
  const out = mkdtempSync(join(tmpdir(), 'edgeserve-gen-'));
  try {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'buf'), ['generate', '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const committed = join(ROOT, 'src', 'grpc', 'gen');
    const fresh = join(out, 'src', 'grpc', 'gen');
    expect(readdirSync(fresh).sort()).toEqual(readdirSync(committed).sort());
    for (const f of readdirSync(fresh)) expect(readFileSync(join(fresh, f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
