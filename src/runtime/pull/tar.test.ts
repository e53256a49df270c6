// Tar reader: ustar (with prefix), pax and GNU long names, chunk boundaries, early stop,
// corrupt input, and archives made by the real `tar` CLI when one is installed.

import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PullError } from './errors.ts';
import { buildTar, buildTgz, header, paxBody, type FixtureEntry } from './fixtures.ts';
import { TarReader, findInTgz, parsePax, type TarEntry } from './tar.ts';

const dec = new TextDecoder();
const longDir = `package/${'deeply-nested-folder/'.repeat(8)}`; // > 155 bytes of directories
const longName = `${longDir}model.onnx`;
const big = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);

const entries: FixtureEntry[] = [
  { name: 'package/', type: '5' },
  { name: 'package/package.json', data: '{"name":"x"}' },
  { name: 'package/link', type: '2', linkname: 'package.json' },
  { name: 'package/model/big.bin', data: big },
  { name: longName, data: 'long one' },
  { name: 'package/after.txt', data: 'after' },
];

/** Run a TarReader over bytes in fixed-size chunks, collecting every file. */
function readAll(tar: Uint8Array, chunk: number): { files: Map<string, Uint8Array>; seen: TarEntry[] } {
  const files = new Map<string, Uint8Array>();
  const seen: TarEntry[] = [];
  const r = new TarReader(
    (e) => (seen.push(e), true),
    (e, d) => void files.set(e.name, d),
  );
  for (let i = 0; i < tar.length; i += chunk) r.write(tar.subarray(i, i + chunk));
  r.finish();
  return { files, seen };
}

describe('TarReader', () => {
  for (const mode of ['pax', 'gnu'] as const) {
    test(`${mode} long names, at any chunk size`, () => {
      const tar = buildTar(entries, mode);
      for (const chunk of [1, 7, 511, 512, 513, 4096, tar.length]) {
        const { files } = readAll(tar, chunk);
        expect([...files.keys()]).toEqual(['package/package.json', 'package/model/big.bin', longName, 'package/after.txt']);
        expect(files.get('package/model/big.bin')).toEqual(big);
        expect(dec.decode(files.get(longName))).toBe('long one');
      }
    });
  }

  test('ustar prefix field joins with the name', () => {
    const name = `package/${'d'.repeat(120)}/model.onnx`;
    const { files } = readAll(buildTar([{ name, data: 'p' }], 'ustar'), 512);
    expect([...files.keys()]).toEqual([name]);
  });

  test('directories and symlinks are listed as such, never collected', () => {
    const { seen } = readAll(buildTar(entries, 'pax'), 4096);
    expect(seen.map((e) => e.type)).toEqual(['file', 'file', 'file', 'file']);
  });

  test('pax global headers apply; local ones win', () => {
    const tar = buildTar([{ name: 'a.txt', data: 'x' }], 'pax', { comment: 'hi' });
    expect([...readAll(tar, 100).files.keys()]).toEqual(['a.txt']);
    expect(parsePax(paxBody({ path: 'ü/long', size: '12' }))).toEqual({ path: 'ü/long', size: '12' });
  });

  test('stops once onFile says so', () => {
    const names: string[] = [];
    const r = new TarReader(
      (e) => (names.push(e.name), e.name.endsWith('big.bin')),
      () => true,
    );
    expect(r.write(buildTar(entries))).toBe(true);
    expect(names).toEqual(['package/package.json', 'package/model/big.bin']);
  });

  test('a corrupt header is a TAR error', () => {
    const tar = buildTar([{ name: 'a', data: 'x' }]);
    tar[10] ^= 0xff;
    const r = new TarReader(
      () => true,
      () => {},
    );
    expect(() => r.write(tar)).toThrow(/not a tar archive, or corrupt header at byte 0/);
  });

  test('an archive cut inside an entry is a TAR error', () => {
    const tar = buildTar([{ name: 'a', data: big }]);
    const r = new TarReader(
      () => true,
      () => {},
    );
    r.write(tar.subarray(0, 2000));
    expect(() => r.finish()).toThrow(PullError);
  });

  test('base-256 size fields (GNU, files over 8 GiB) are read', () => {
    const h = header({ name: 'b', prefix: '', size: 3, type: '0', linkname: '', gnu: false });
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h[135] = 3;
    let sum = 0;
    h.fill(0x20, 148, 156);
    for (const b of h) sum += b;
    h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    const body = new Uint8Array(512);
    body.set([1, 2, 3]);
    const got = readAll(new Uint8Array([...h, ...body, ...new Uint8Array(1024)]), 512).files.get('b');
    expect(got).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('findInTgz', () => {
  test('finds one file in gzipped bytes and stops reading', async () => {
    const res = await findInTgz(buildTgz(entries, 'gnu'), (n) => n === longName);
    expect(dec.decode(res.found?.data)).toBe('long one');
    expect(res.names).not.toContain('package/after.txt');
  });

  test('lists every file when nothing matches', async () => {
    const res = await findInTgz(buildTgz(entries), () => false);
    expect(res.found).toBeUndefined();
    expect(res.names).toEqual(['package/package.json', 'package/model/big.bin', longName, 'package/after.txt']);
  });

  test('reads from a file path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-test-'));
    writeFileSync(join(dir, 'x.tgz'), buildTgz(entries));
    const res = await findInTgz(join(dir, 'x.tgz'), (n) => n.endsWith('big.bin'));
    expect(res.found?.data).toEqual(big);
  });

  test('not gzip, or gzip of garbage, is a TAR error', async () => {
    await expect(findInTgz(new TextEncoder().encode('hello'), () => true)).rejects.toThrow(/cannot read tarball as a gzipped tar archive/);
    await expect(findInTgz(new Uint8Array(gzipSync(new Uint8Array(600).fill(7))), () => true)).rejects.toThrow(/not a tar archive/);
    await expect(findInTgz('/nonexistent/x.tgz', () => true)).rejects.toThrow(/cannot read \/nonexistent\/x.tgz/);
  });

  const hasTar = spawnSync('tar', ['--version']).status === 0;
  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    test.skipIf(!hasTar)(`reads a ${format} archive made by the tar CLI`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tar-cli-'));
      const rel = format === 'ustar' ? `package/${'u'.repeat(90)}/${'v'.repeat(40)}/m.onnx` : longName;
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), big);
      writeFileSync(join(dir, 'package', 'README.md'), 'readme');
      const out = join(dir, 'p.tgz');
      const r = spawnSync('tar', [`--format=${format}`, '-czf', out, '-C', dir, 'package']);
      expect(r.status).toBe(0);
      const res = await findInTgz(out, (n) => n === rel);
      expect(res.found?.data).toEqual(new Uint8Array(readFileSync(join(dir, rel))));
    });
  }
});
