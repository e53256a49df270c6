// The API key store on disk (Bun, Node, Deno, the compiled binary): one JSON file of hashed keys
// (src/auth/keys.ts), by default `keys.json` in DATA_DIR (beside the gallery's database; data/
// beside the model repository unless set), mode 0600.
// Every write (the CLI's create/revoke, the server's last-used times) takes a lock file, re-reads,
// changes and renames a fully written temp file into place, so readers never see half a file and
// two writers never lose each other's change. A running server polls the file (POLL_MS) and
// swaps in what it finds, so a revocation takes effect within that time; it writes last-used
// times back at most once per FLUSH_MS.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import type { ServerConfig } from '../config/server-config.ts';
import type { Authorizer } from '../auth/authorizer.ts';
import { formatKeyFile, type KeyRecord, KeyTable, parseKeyFile } from '../auth/keys.ts';
import { authorizerFromConfig, describeAuth } from '../auth/settings.ts';
import type { Logger } from './log.ts';

export const POLL_MS = 2000;
export const FLUSH_MS = 60_000;
const LOCK_STALE_MS = 10_000;

export function keysFilePath(cfg: Pick<ServerConfig, 'apiKeysFile' | 'dataDir' | 'models'>): string {
  if (cfg.apiKeysFile) return resolve(cfg.apiKeysFile);
  // DATA_DIR as the gallery reads it (runtime/gallery-db/open.ts).
  return join(cfg.dataDir ? resolve(cfg.dataDir) : join(dirname(resolve(cfg.models)), 'data'), 'keys.json');
}

/** The records in `path`; [] when the file does not exist; throws naming the file when invalid. */
export function readKeys(path: string): KeyRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return parseKeyFile(text, path);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding `<path>.lock` (O_EXCL); a lock older than LOCK_STALE_MS is a crashed writer's. */
function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${lock}: ${(e as Error).message}`);
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
      } catch {
        // gone meanwhile: try again
      }
      if (Date.now() > deadline) throw new Error(`${lock}: held by another writer for 5 s (remove it if no edgeserve is writing)`);
      sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already removed as stale by someone else
    }
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Read-modify-write under the lock. */
export function updateKeys(path: string, change: (keys: KeyRecord[]) => KeyRecord[]): KeyRecord[] {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  return withLock(path, () => {
    const next = change(readKeys(path));
    writeAtomic(path, formatKeyFile(next));
    return next;
  });
}

interface Seen {
  mtimeMs: number;
  size: number;
  ino: number;
}

/** The server's view of the file: loaded at start, polled, last-used times written back. */
export class FileKeyStore {
  readonly table = new KeyTable();
  private seen: Seen | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastFlush = Date.now();
  private lastError = '';

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly pollMs = POLL_MS,
  ) {}

  /** Loads the file (a broken file fails the start, naming it) and starts polling. Each key check
   *  also looks at the file first (one stat; a reload only if it changed), so a new or revoked
   *  key takes effect at once; the poll still notices a file that went away or broke. */
  start(): void {
    this.reload(true);
    this.table.beforeCheck = () => this.reload();
    this.timer = setInterval(() => this.tick(), this.pollMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private stat(): Seen | undefined {
    try {
      const s = statSync(this.path);
      if (s.mode & 0o077) this.warnOnce(`auth: ${this.path} is readable by group or others (mode ${(s.mode & 0o777).toString(8)}): chmod 600 it`);
      return { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
    } catch {
      return undefined;
    }
  }

  private warnOnce(msg: string): void {
    if (msg === this.lastError) return;
    this.lastError = msg;
    this.log('warn', msg);
  }

  private reload(first = false): void {
    const s = this.stat();
    if (first || s?.mtimeMs !== this.seen?.mtimeMs || s?.size !== this.seen?.size || s?.ino !== this.seen?.ino) {
      const before = this.table.size;
      try {
        this.table.replace(readKeys(this.path));
      } catch (e) {
        if (first) throw e;
        // Fail closed: a store that cannot be read has no valid keys (the server stays keyed).
        this.table.replace([]);
        this.warnOnce(`auth: ${(e as Error).message}; no API key is accepted until it is fixed`);
        this.seen = s;
        return;
      }
      if (!first) {
        if (!s && before > 0) this.warnOnce(`auth: ${this.path} is gone: no API key is accepted until it is back`);
        else this.log('info', `auth: key store changed: ${this.table.size} key${this.table.size === 1 ? '' : 's'} (${this.path})`);
      }
      this.lastError = '';
      this.seen = s;
    }
  }

  private tick(): void {
    this.reload();
    if (Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
  }

  /** Writes last-used times back (under the lock, merged into what is on disk now). */
  flush(): void {
    this.lastFlush = Date.now();
    if (this.table.used.size === 0) return;
    const used = new Map(this.table.used);
    this.table.used.clear();
    try {
      updateKeys(this.path, (keys) =>
        keys.map((k) => {
          const t = used.get(k.id);
          if (t === undefined || (k.lastUsed && Date.parse(k.lastUsed) >= t)) return k;
          return { ...k, lastUsed: new Date(t).toISOString() };
        }),
      );
    } catch (e) {
      this.warnOnce(`auth: could not record last-used times: ${(e as Error).message}`);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}

export interface ServerAuth {
  authorizer: Authorizer;
  corsOrigins: readonly string[];
  close(): void;
}

/** The auth of a server root: the file store, JWT settings (a JWKS file read here) and limits. */
export function createServerAuth(cfg: ServerConfig, log: Logger): ServerAuth {
  const store = new FileKeyStore(keysFilePath(cfg), log);
  store.start();
  let jwks: JSONWebKeySet | undefined;
  if (cfg.jwtJwksFile !== undefined) {
    try {
      jwks = JSON.parse(readFileSync(cfg.jwtJwksFile, 'utf8'));
    } catch (e) {
      throw new Error(`JWT_JWKS_FILE: ${cfg.jwtJwksFile}: ${(e as Error).message}`);
    }
  }
  let authorizer: Authorizer;
  try {
    authorizer = authorizerFromConfig(cfg, store.table, jwks);
  } catch (e) {
    store.close();
    throw e;
  }
  log('info', describeAuth(authorizer, store.path));
  if (cfg.corsOrigins.length) log('info', `auth: CORS allowed for ${cfg.corsOrigins.join(', ')}`);
  return { authorizer, corsOrigins: cfg.corsOrigins, close: () => store.close() };
}
