// Test helpers: build tar / .tgz bytes by hand (ustar, pax and GNU long-name variants) so the tar
// reader and the pull tests need no binary fixtures. Used only by *.test.ts in this folder.

import { gzipSync } from 'node:zlib';
import { concatBytes } from '../../core/bytes.ts';

export interface FixtureEntry {
  name: string;
  data?: Uint8Array | string;
  /** tar typeflag: '0' file (default), '5' directory, '2' symlink. */
  type?: '0' | '5' | '2';
  linkname?: string;
}

export type LongNames = 'pax' | 'gnu' | 'ustar';

const enc = new TextEncoder();

export function buildTar(entries: readonly FixtureEntry[], longNames: LongNames = 'pax', globalPax?: Record<string, string>): Uint8Array {
  const blocks: Uint8Array[] = [];
  if (globalPax) blocks.push(...metaEntry('pax_global_header', 'g', paxBody(globalPax), longNames));
  for (const e of entries) {
    const data = typeof e.data === 'string' ? enc.encode(e.data) : (e.data ?? new Uint8Array());
    let name = e.name;
    let prefix = '';
    if (enc.encode(name).length > 100) {
      if (longNames === 'pax') blocks.push(...metaEntry(`PaxHeader/${name.slice(-80)}`, 'x', paxBody({ path: name }), 'pax'));
      else if (longNames === 'gnu') blocks.push(...metaEntry('././@LongLink', 'L', enc.encode(`${name}\0`), 'gnu'));
      else {
        // ustar: split at a '/' so that prefix <= 155 and name <= 100 bytes.
        const at = [...name.matchAll(/\//g)].map((m) => m.index!).find((i) => i <= 155 && name.length - i - 1 <= 100);
        if (at === undefined) throw new Error(`${name} cannot be split into a ustar prefix and name`);
        prefix = name.slice(0, at);
        name = name.slice(at + 1);
      }
      if (longNames !== 'ustar') name = name.slice(0, 100);
    }
    blocks.push(
      header({ name, prefix, size: e.type && e.type !== '0' ? 0 : data.length, type: e.type ?? '0', linkname: e.linkname ?? '', gnu: longNames === 'gnu' }),
    );
    if (!e.type || e.type === '0') blocks.push(...padded(data));
  }
  blocks.push(new Uint8Array(1024));
  return concatBytes(blocks);
}

export function buildTgz(entries: readonly FixtureEntry[], longNames: LongNames = 'pax'): Uint8Array<ArrayBuffer> {
  return new Uint8Array(gzipSync(buildTar(entries, longNames)));
}

/** A pax body: "<len> key=value\n" records, len counting the whole record including itself. */
export function paxBody(attrs: Record<string, string>): Uint8Array {
  let text = '';
  for (const [k, v] of Object.entries(attrs)) {
    const rest = ` ${k}=${v}\n`;
    let len = enc.encode(rest).length + 1;
    while (String(len).length + enc.encode(rest).length !== len) len = String(len).length + enc.encode(rest).length;
    text += `${len}${rest}`;
  }
  return enc.encode(text);
}

function metaEntry(name: string, type: string, body: Uint8Array, longNames: LongNames): Uint8Array[] {
  return [header({ name, prefix: '', size: body.length, type, linkname: '', gnu: longNames === 'gnu' }), ...padded(body)];
}

interface HeaderFields {
  name: string;
  prefix: string;
  size: number;
  type: string;
  linkname: string;
  gnu: boolean;
}

export function header(f: HeaderFields): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, len: number, s: string) => h.set(enc.encode(s).subarray(0, len), off);
  const octal = (off: number, len: number, n: number) => put(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  put(0, 100, f.name);
  octal(100, 8, f.type === '5' ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, f.size);
  octal(136, 12, 499162500);
  put(148, 8, '        ');
  put(156, 1, f.type);
  put(157, 100, f.linkname);
  if (f.gnu) put(257, 8, 'ustar  \0');
  else {
    put(257, 6, 'ustar\0');
    put(263, 2, '00');
    put(345, 155, f.prefix);
  }
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const pad = (512 - (data.length % 512)) % 512;
  return pad ? [data, new Uint8Array(pad)] : [data];
}
