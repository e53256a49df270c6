// API keys: generation, the stored form (hashes only), parsing of the key file / Workers secret,
// and verification. Web Crypto only, so the same code runs on Bun, Node, Deno and Workers.
//
// A key is `es_<id>_<secret>`: a 12-hex-digit id (48 random bits; not secret, it names the key
// in listings, logs and metrics) and 256 random bits of secret (base64url). Only SHA-256 of the
// whole key is stored. A slow password hash (bcrypt, scrypt, argon2) exists to make guessing a
// low-entropy password from its hash expensive; a 256-bit random secret cannot be guessed at any
// speed, so a fast hash loses nothing, and a slow one would cost tens of ms of CPU on every
// request (and hand anyone sending wrong keys a cheap way to burn the server's CPU).

import { z } from 'zod';
import { isScope, type Scope, SCOPES } from './scopes.ts';

export const KEY_PREFIX = 'es_';
const KEY_RE = /^es_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
export const KEY_ID_RE = /^es_[0-9a-f]{12}$/;

export interface KeyRecord {
  /** `es_<12 hex>`: the public half, shown in listings. */
  id: string;
  /** Hex SHA-256 of the whole key. */
  sha256: string;
  scopes: Scope[];
  tenant: string | null;
  created: string;
  lastUsed: string | null;
  expires: string | null;
  revoked: string | null;
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time');
const RecordSchema = z
  .object({
    id: z.string().regex(KEY_ID_RE, 'must look like es_<12 hex digits>'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits'),
    scopes: z.array(z.string().refine(isScope, { message: `must be one of ${SCOPES.join(', ')}` })).min(1),
    tenant: z.string().min(1).max(128).nullable().default(null),
    created: iso,
    last_used: iso.nullable().default(null),
    expires: iso.nullable().default(null),
    revoked: iso.nullable().default(null),
  })
  .strict();
const FileSchema = z.object({ version: z.literal(1), keys: z.array(RecordSchema) }).strict();

/** The key file's / secret's JSON → records; throws naming the field and the source. */
export function parseKeyFile(text: string, source: string): KeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`);
  }
  const r = FileSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${source}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  const seen = new Set<string>();
  return r.data.keys.map((k) => {
    if (seen.has(k.id)) throw new Error(`${source}: key id ${k.id} appears twice`);
    seen.add(k.id);
    return {
      id: k.id,
      sha256: k.sha256,
      scopes: k.scopes as Scope[],
      tenant: k.tenant,
      created: k.created,
      lastUsed: k.last_used,
      expires: k.expires,
      revoked: k.revoked,
    };
  });
}

export function formatKeyFile(keys: KeyRecord[]): string {
  const out = keys.map((k) => ({
    id: k.id,
    sha256: k.sha256,
    scopes: k.scopes,
    tenant: k.tenant,
    created: k.created,
    last_used: k.lastUsed,
    expires: k.expires,
    revoked: k.revoked,
  }));
  return `${JSON.stringify({ version: 1, keys: out }, null, 2)}\n`;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function base64url(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export async function sha256Hex(s: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s))));
}

/** A new key and its record. The key is returned once and never stored. */
export async function generateKey(o: {
  scopes: Scope[];
  tenant?: string | null;
  expires?: Date | null;
  now?: Date;
}): Promise<{ key: string; record: KeyRecord }> {
  const id = `${KEY_PREFIX}${hex(crypto.getRandomValues(new Uint8Array(6)))}`;
  const key = `${id}_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const now = o.now ?? new Date();
  return {
    key,
    record: {
      id,
      sha256: await sha256Hex(key),
      scopes: [...new Set(o.scopes)],
      tenant: o.tenant ?? null,
      created: now.toISOString(),
      lastUsed: null,
      expires: o.expires?.toISOString() ?? null,
      revoked: null,
    },
  };
}

/** The id of a well-formed key, without looking anything up. */
export function keyIdOf(token: string): string | undefined {
  const m = KEY_RE.exec(token);
  return m ? `${KEY_PREFIX}${m[1]}` : undefined;
}

export const looksLikeKey = (token: string) => token.startsWith(KEY_PREFIX);

/** Equal-length hex strings compared without an early exit. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

export type KeyCheck = { ok: true; record: KeyRecord } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'revoked'; id?: string };

// Hashed when the id is unknown, so an unknown id costs the same as a wrong secret.
const DUMMY = '0'.repeat(64);

/** The in-memory key table a store fills; verification is a hash and one constant-time compare. */
export class KeyTable {
  private byId = new Map<string, KeyRecord>();
  /** Last-use times not yet written back (id → ms). */
  readonly used = new Map<string, number>();
  /** Runs before each well-formed key is checked: the file store re-reads a changed file there,
   *  so a key created or revoked by `edgeserve keys` counts from the next request, not the next poll. */
  beforeCheck: (() => void) | undefined;

  constructor(records: KeyRecord[] = []) {
    this.replace(records);
  }

  replace(records: KeyRecord[]): void {
    this.byId = new Map(records.map((r) => [r.id, r]));
  }

  get size(): number {
    return this.byId.size;
  }

  records(): KeyRecord[] {
    return [...this.byId.values()];
  }

  async check(token: string, now = Date.now()): Promise<KeyCheck> {
    const id = keyIdOf(token);
    if (!id) return { ok: false, reason: 'malformed' };
    this.beforeCheck?.();
    const r = this.byId.get(id);
    const digest = await sha256Hex(token);
    if (!constantTimeEqual(digest, r?.sha256 ?? DUMMY) || !r) return { ok: false, reason: 'unknown', id };
    if (r.revoked) return { ok: false, reason: 'revoked', id };
    if (r.expires && Date.parse(r.expires) <= now) return { ok: false, reason: 'expired', id };
    this.used.set(id, now);
    return { ok: true, record: r };
  }
}
