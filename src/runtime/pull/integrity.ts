// Hashing for the two checks a pull makes: the registry's Subresource-Integrity string for the
// tarball (npm's dist.integrity, e.g. "sha512-<base64>") and the sha256 hex from config.json for
// the model file itself. Incremental hashers, so large downloads are hashed while they stream.

import { Buffer } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface Sri {
  algorithm: 'sha512' | 'sha384' | 'sha256' | 'sha1';
  /** base64 digest */
  digest: string;
}

const STRENGTH = ['sha1', 'sha256', 'sha384', 'sha512'] as const;

/**
 * The strongest hash in an SRI string (several may be listed, space-separated, as ssri does),
 * or a legacy hex sha1 (dist.shasum) when the packument is too old to carry integrity.
 */
export function parseIntegrity(integrity: string | undefined, shasum?: string): Sri | undefined {
  let best: Sri | undefined;
  for (const token of (integrity ?? '').trim().split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/=]+)(\?.*)?$/.exec(token);
    if (!m) continue;
    const algorithm = m[1] as Sri['algorithm'];
    if (!best || STRENGTH.indexOf(algorithm) > STRENGTH.indexOf(best.algorithm)) best = { algorithm, digest: m[2]! };
  }
  if (!best && shasum && /^[0-9a-f]{40}$/i.test(shasum)) {
    best = { algorithm: 'sha1', digest: Buffer.from(shasum, 'hex').toString('base64') };
  }
  return best;
}

export const sriString = (s: Sri) => `${s.algorithm}-${s.digest}`;

/** A file-system-safe cache key for an SRI value (base64 has '/' and '+'). */
export const sriKey = (s: Sri) => `${s.algorithm}-${Buffer.from(s.digest, 'base64').toString('hex')}`;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Feed once, read both digests: the download path needs SRI and sha256 of the same bytes. */
export class MultiHash {
  private readonly hashes = new Map<string, Hash>();
  constructor(algorithms: readonly string[]) {
    for (const a of new Set(algorithms)) this.hashes.set(a, createHash(a));
  }
  update(chunk: Uint8Array): void {
    for (const h of this.hashes.values()) h.update(chunk);
  }
  digest(algorithm: string, encoding: 'hex' | 'base64'): string {
    return this.hashes.get(algorithm)!.digest(encoding);
  }
}

/** Digest of a file on disk, streamed. */
export async function hashFile(path: string, algorithm: string, encoding: 'hex' | 'base64' = 'hex'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path) as AsyncIterable<Uint8Array>) h.update(chunk);
  return h.digest(encoding);
}
