// A small push-based tar reader (POSIX ustar, pax extended headers, GNU long names) and a helper
// that finds one file in a .tgz by streaming it through node:zlib. Models live inside multi-MB
// npm tarballs; streaming means only the wanted file is ever held in memory, and reading stops
// as soon as it has been found.

import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { PullError } from './errors.ts';
import { concatBytes } from '../../core/bytes.ts';

export interface TarEntry {
  name: string;
  size: number;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  linkname?: string;
}

const BLOCK = 512;
const META_LIMIT = 1 << 20; // pax / GNU long-name bodies are tiny; bigger means garbage
const utf8 = new TextDecoder();

/**
 * Feed chunks with `write`; for each entry `want` decides whether its body is collected, and
 * `onFile` receives collected bodies (return true to stop reading). `finish` checks that the
 * archive did not end mid-entry.
 */
export class TarReader {
  private header = new Uint8Array(BLOCK);
  private headerLen = 0;
  private remaining = 0; // body bytes left in the current entry
  private padding = 0; // zero bytes after the body, up to the next block
  private entry: TarEntry | undefined;
  private meta: 'pax' | 'paxGlobal' | 'longName' | 'longLink' | undefined;
  private parts: Uint8Array[] | undefined; // body being collected
  private pax: Record<string, string> = {};
  private paxGlobal: Record<string, string> = {};
  private zeroBlocks = 0;
  private offset = 0;
  done = false;

  constructor(
    private readonly want: (entry: TarEntry) => boolean,
    private readonly onFile: (entry: TarEntry, data: Uint8Array) => boolean | void,
  ) {}

  /** Returns true once reading can stop (end of archive, or onFile asked to stop). */
  write(chunk: Uint8Array): boolean {
    let off = 0;
    while (off < chunk.length && !this.done) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        this.parts?.push(chunk.subarray(off, off + n));
        this.remaining -= n;
        off += n;
        this.offset += n;
        if (this.remaining === 0) this.endBody();
      } else if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - off);
        this.padding -= n;
        off += n;
        this.offset += n;
      } else {
        const n = Math.min(BLOCK - this.headerLen, chunk.length - off);
        this.header.set(chunk.subarray(off, off + n), this.headerLen);
        this.headerLen += n;
        off += n;
        this.offset += n;
        if (this.headerLen === BLOCK) {
          this.headerLen = 0;
          this.readHeader(this.offset - BLOCK);
        }
      }
    }
    return this.done;
  }

  finish(): void {
    // Archives that end without the two zero blocks are accepted, but not ones cut mid-entry.
    if (!this.done && (this.remaining > 0 || this.headerLen > 0)) {
      throw new PullError('TAR', `tar archive is truncated (ended inside an entry near byte ${this.offset})`);
    }
  }

  private readHeader(at: number): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks === 2) this.done = true;
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h)) {
      throw new PullError('TAR', `not a tar archive, or corrupt header at byte ${at}`);
    }
    const flag = String.fromCharCode(h[156]!);
    const size = readSize(h.subarray(124, 136));
    const ustar = str(h, 257, 6) === 'ustar'; // POSIX "ustar\0"; GNU's "ustar " has no prefix field
    const posix = ustar && h[262] === 0;
    let name = str(h, 0, 100);
    const prefix = posix ? str(h, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;

    this.meta = flag === 'x' ? 'pax' : flag === 'g' ? 'paxGlobal' : flag === 'L' ? 'longName' : flag === 'K' ? 'longLink' : undefined;
    if (this.meta) {
      if (size > META_LIMIT) throw new PullError('TAR', `tar extended header of ${size} bytes at byte ${at} is implausible`);
      this.entry = undefined;
      this.startBody(size, true);
      return;
    }
    const attrs = { ...this.paxGlobal, ...this.pax };
    this.pax = {};
    const entry: TarEntry = {
      name: attrs.path ?? name,
      size: attrs.size !== undefined ? Number(attrs.size) : size,
      type: flag === '5' ? 'directory' : flag === '2' ? 'symlink' : flag === '1' ? 'link' : '0\u00007'.includes(flag) ? 'file' : 'other',
    };
    const link = attrs.linkpath ?? str(h, 157, 100);
    if (link) entry.linkname = link;
    if (entry.type === 'file' && entry.name.endsWith('/')) entry.type = 'directory';
    this.entry = entry;
    // Links and directories carry no body whatever their size field says.
    const bodySize = entry.type === 'file' || entry.type === 'other' ? entry.size : 0;
    this.startBody(bodySize, entry.type === 'file' && this.want(entry));
  }

  private startBody(size: number, collect: boolean): void {
    this.parts = collect ? [] : undefined;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.endBody();
  }

  private endBody(): void {
    const data = this.parts ? concatBytes(this.parts) : undefined;
    this.parts = undefined;
    if (this.meta) {
      const bytes = data ?? new Uint8Array();
      const text = utf8.decode(bytes);
      if (this.meta === 'pax') Object.assign(this.pax, parsePax(bytes));
      else if (this.meta === 'paxGlobal') Object.assign(this.paxGlobal, parsePax(bytes));
      else if (this.meta === 'longName') this.pax.path = cstr(text);
      else this.pax.linkpath = cstr(text);
      this.meta = undefined;
    } else if (data && this.entry && this.onFile(this.entry, data) === true) {
      this.done = true;
    }
  }
}

/** pax records: "<len> <key>=<value>\n", len counting bytes of the whole record. */
export function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(utf8.decode(data.subarray(pos, sp)));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) break;
    const record = utf8.decode(data.subarray(sp + 1, pos + len - 1)); // drop the trailing \n
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

function checksumOk(h: Uint8Array): boolean {
  const stored = parseInt(str(h, 148, 8).trim() || 'x', 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b; // some old tars summed signed chars
  }
  return stored === unsigned || stored === signed;
}

/** Octal, or GNU base-256 (high bit set) for sizes over 8 GiB. */
function readSize(field: Uint8Array): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = str(field, 0, field.length).trim();
  return s ? parseInt(s, 8) : 0;
}

function str(buf: Uint8Array, start: number, len: number): string {
  return cstr(utf8.decode(buf.subarray(start, start + len)));
}

function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

export interface TgzSearch {
  /** The first entry `match` accepted, with its bytes. */
  found?: { entry: TarEntry; data: Uint8Array };
  /** Every file name read (the whole archive when nothing matched), for "did you mean". */
  names: string[];
}

/** Stream a .tgz (file path or bytes) and return the first regular file `match` accepts. */
export async function findInTgz(source: string | Uint8Array, match: (name: string) => boolean): Promise<TgzSearch> {
  const result: TgzSearch = { names: [] };
  const reader = new TarReader(
    (e) => {
      result.names.push(e.name);
      return match(e.name);
    },
    (entry, data) => {
      result.found = { entry, data };
      return true;
    },
  );
  const gunzip = createGunzip();
  const input = typeof source === 'string' ? createReadStream(source) : undefined;
  if (input) {
    input.on('error', (e) => gunzip.destroy(e));
    input.pipe(gunzip);
  } else {
    gunzip.end(source);
  }
  try {
    for await (const chunk of gunzip as AsyncIterable<Uint8Array>) {
      if (reader.write(chunk)) break;
    }
    reader.finish();
  } catch (e) {
    if (e instanceof PullError) throw e;
    const what = typeof source === 'string' ? source : 'tarball';
    throw new PullError('TAR', `cannot read ${what} as a gzipped tar archive: ${(e as Error).message}`, { cause: e });
  } finally {
    input?.destroy();
    gunzip.destroy();
  }
  return result;
}
