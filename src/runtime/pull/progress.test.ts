// Progress output: the redrawn bar on a TTY, one summary line elsewhere, byte formatting.

import { describe, expect, test } from 'bun:test';
import { barLine, createPullProgress, formatBytes, summaryLine } from './progress.ts';
import type { PullResult } from './pull.ts';

const result: PullResult = {
  path: '/m/face_detect/1/model.onnx',
  sha256: 'x'.repeat(64),
  bytes: 1_217_758,
  fromCache: false,
  status: 'downloaded',
  from: 'faceplugin-face-recognition-js@0.0.1',
};

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 100, write: (s: string) => out.push(s) } };
}

describe('progress', () => {
  test('formatBytes uses decimal units', () => {
    expect([0, 999, 1000, 1_217_758, 41_114_878, 3e9].map(formatBytes)).toEqual(['0 B', '999 B', '1.0 kB', '1.2 MB', '41.1 MB', '3.0 GB']);
  });

  test('bar line: bytes, total, percent, speed; fits the terminal', () => {
    const line = barLine('face_detect', 12_300_000, 41_100_000, 1.5, 100);
    expect(line).toMatch(/^face_detect \[=+> +\] 12\.3 MB \/ 41\.1 MB   29%  8\.2 MB\/s$/);
    expect(line.length).toBeLessThan(100);
    expect(barLine('face_detect', 500, 0, 1, 80)).toBe('face_detect 500 B  500 B/s');
    expect(barLine('m', 10, 10, 1, 80)).toContain('[========================================] ');
    expect(barLine('a_model_with_a_long_name', 1, 2, 1, 40).length).toBeLessThanOrEqual(40);
  });

  test('summary lines per status', () => {
    expect(summaryLine('face_detect', result, 0.84)).toBe('pulled face_detect 1.2 MB from faceplugin-face-recognition-js@0.0.1 (sha256 ok) in 0.8 s');
    expect(summaryLine('face_detect', result, 0.84, 41_114_878)).toBe(
      'pulled face_detect 1.2 MB from faceplugin-face-recognition-js@0.0.1 (downloaded 41.1 MB, sha256 ok) in 0.8 s',
    );
    expect(summaryLine('face_embed', { ...result, status: 'cached', fromCache: true }, 0.12)).toBe(
      'pulled face_embed 1.2 MB from faceplugin-face-recognition-js@0.0.1 (cached tarball, sha256 ok) in 0.1 s',
    );
    expect(summaryLine('face_detect', { ...result, status: 'present' }, 0)).toBe('face_detect is up to date (1.2 MB, sha256 ok)');
    expect(summaryLine('simple', { ...result, bytes: 120, status: 'generated', from: 'generator simple' }, 0)).toBe(
      'generated simple 120 B with generator simple in 0.0 s',
    );
  });

  test('TTY: throttled \\r redraws, cleared before the summary', () => {
    const { out, stream } = fakeStream(true);
    let t = 0;
    const p = createPullProgress('face_detect', { stream, now: () => t });
    p.update(0, 1000);
    t = 50;
    p.update(100, 1000); // within 100 ms: skipped
    t = 200;
    p.update(500, 1000);
    p.update(1000, 1000); // the final update always draws
    t = 1000;
    p.finish(result);
    expect(out.filter((s) => s.startsWith('\r') && s.includes('%'))).toHaveLength(3);
    expect(out.at(-2)).toMatch(/^\r +\r$/);
    expect(out.at(-1)).toBe('pulled face_detect 1.2 MB from faceplugin-face-recognition-js@0.0.1 (downloaded 1.0 kB, sha256 ok) in 1.0 s\n');
  });

  test('not a TTY: only the summary line', () => {
    const { out, stream } = fakeStream(false);
    const p = createPullProgress('face_detect', { stream, now: () => 0 });
    p.update(5, 10);
    p.update(10, 10);
    p.finish({ ...result, status: 'present' });
    expect(out).toEqual(['face_detect is up to date (1.2 MB, sha256 ok)\n']);
    const f = fakeStream(false);
    createPullProgress('x', { stream: f.stream }).fail();
    expect(f.out).toEqual([]);
  });
});
