// npm package tarballs: through npm itself where it runs (npm-pack.ts: the user's whole npm
// configuration applies), otherwise resolve name@version on the configured registry (abbreviated
// packument) and download dist.tarball verified against dist.integrity. Either way the tarball is
// kept in a cache keyed by that integrity, so several models from one package (face_detect and
// face_embed both come from faceplugin-face-recognition-js) download it once, and a re-pull works
// offline.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commit, tempPathFor, writeAtomic } from './atomic.ts';
import { downloadToFile, getJson, statusError, type HttpOptions } from './download.ts';
import { PullError } from './errors.ts';
import { hashFile, parseIntegrity, sriKey, sriString, type Sri } from './integrity.ts';
import { NPM_DEFAULT_REGISTRY, type NpmConfig, type RegistryInfo } from './npm-config.ts';
import { type NpmPack, packDirFor } from './npm-pack.ts';

export interface NpmSpec {
  name: string;
  /** Exact version or dist-tag. */
  version: string;
}

export interface NpmContext {
  config: NpmConfig;
  fetch: typeof fetch;
  cacheDir: string;
  progress?: (done: number, total: number) => void;
  idleTimeoutMs?: number;
  /** Download through npm (npm-pack.ts) instead of the registry client below. */
  npmPack?: NpmPack;
}

export interface CachedTarball {
  file: string;
  name: string;
  version: string;
  integrity: string;
  fromCache: boolean;
}

/** "name@1.2.3", "@scope/name@1.2.3"; a missing version means the "latest" dist-tag. */
export function parseNpmSpec(spec: string): NpmSpec {
  const at = spec.indexOf('@', 1);
  const name = at < 0 ? spec : spec.slice(0, at);
  const version = at < 0 ? 'latest' : spec.slice(at + 1);
  if (!/^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i.test(name) || !version) {
    throw new PullError('CONFIG', `source.npm "${spec}" is not "package@version" (e.g. "faceplugin-face-recognition-js@0.0.1")`);
  }
  return { name, version };
}

/** Scoped names keep the '@' but encode the '/', as npm does: @scope%2fname. */
export function packumentUrl(registry: string, name: string): string {
  return new URL(name.replace('/', '%2f'), registry).href;
}

/** Where a mirror keeps the same tarball: its `<name>/-/<file>` path moved onto the registry. */
export function tarballOnRegistry(tarball: string, registry: string, name: string): string {
  const u = new URL(tarball);
  for (const marker of [`/${name}/-/`, `/${name.replace('/', '%2f')}/-/`, `/${name.replace('/', '%2F')}/-/`]) {
    const i = u.pathname.indexOf(marker);
    if (i >= 0) return new URL(u.pathname.slice(i + 1) + u.search, registry).href;
  }
  return new URL(u.pathname.slice(1) + u.search, registry).href;
}

export async function getTarball(spec: NpmSpec, ctx: NpmContext): Promise<CachedTarball> {
  const dir = join(ctx.cacheDir, 'npm');
  const indexFile = join(dir, 'index', `${encodeURIComponent(`${spec.name}@${spec.version}`)}.json`);
  // Published versions are immutable, so a recorded integrity lets a re-pull skip the registry.
  const known = await readIndex(indexFile);
  if (known && (await verifiedBlob(dir, known.sri))) {
    return { file: blobPath(dir, known.sri), name: spec.name, version: known.version, integrity: sriString(known.sri), fromCache: true };
  }
  if (ctx.npmPack) return packWithNpm(spec, dir, indexFile, ctx.npmPack);
  const registry = ctx.config.registryFor(spec.name);
  const meta = await resolveVersion(spec, registry, ctx);
  const file = blobPath(dir, meta.sri);
  const fromCache = await verifiedBlob(dir, meta.sri);
  if (!fromCache) await download(meta, registry, file, spec, ctx);
  // Only exact versions are recorded: a dist-tag such as "latest" moves.
  if (meta.version === spec.version) {
    const record = { version: meta.version, integrity: sriString(meta.sri), tarball: meta.tarball };
    await writeAtomic(indexFile, new TextEncoder().encode(JSON.stringify(record)));
  }
  return { file, name: spec.name, version: meta.version, integrity: sriString(meta.sri), fromCache };
}

async function packWithNpm(spec: NpmSpec, dir: string, indexFile: string, npmPack: NpmPack): Promise<CachedTarball> {
  const dest = packDirFor(dir);
  try {
    const packed = await npmPack(`${spec.name}@${spec.version}`, dest);
    const sri = parseIntegrity(packed.integrity)!;
    const file = blobPath(dir, sri);
    const fromCache = await verifiedBlob(dir, sri);
    if (!fromCache) await commit(packed.file, file);
    if (packed.version === spec.version) {
      await writeAtomic(indexFile, new TextEncoder().encode(JSON.stringify({ version: packed.version, integrity: sriString(sri), via: 'npm pack' })));
    }
    return { file, name: spec.name, version: packed.version, integrity: sriString(sri), fromCache };
  } finally {
    await rm(dest, { recursive: true, force: true });
  }
}

interface VersionMeta {
  version: string;
  tarball: string;
  sri: Sri;
}

async function resolveVersion(spec: NpmSpec, registry: RegistryInfo, ctx: NpmContext): Promise<VersionMeta> {
  const url = packumentUrl(registry.url, spec.name);
  const opts = httpOpts(ctx, `the npm registry at ${registry.url}`, registry, url);
  opts.headers = { ...opts.headers, accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' };
  const { status, body } = await getJson(url, opts);
  if (status === 404) {
    throw new PullError(
      'NOT_FOUND',
      `package ${spec.name} not found on the npm registry at ${registry.url} (registry from ${registry.source}); check source.npm in config.json`,
    );
  }
  if (status < 200 || status > 299) throw statusError(status, url, opts.what);
  const doc = (body ?? {}) as { versions?: Record<string, unknown>; 'dist-tags'?: Record<string, string> };
  const versions = doc.versions ?? {};
  const version = versions[spec.version] ? spec.version : doc['dist-tags']?.[spec.version];
  const manifest = version ? (versions[version] as { dist?: { tarball?: string; integrity?: string; shasum?: string } } | undefined) : undefined;
  if (!version || !manifest) {
    const list = Object.keys(versions);
    const shown = list.length > 10 ? `…, ${list.slice(-10).join(', ')}` : list.join(', ');
    const latest = doc['dist-tags']?.latest;
    throw new PullError(
      'NOT_FOUND',
      `${spec.name} has no version "${spec.version}" on ${registry.url}; available: ${shown || 'none'}${latest ? ` (latest: ${latest})` : ''}`,
    );
  }
  const sri = parseIntegrity(manifest.dist?.integrity, manifest.dist?.shasum);
  if (!manifest.dist?.tarball || !sri) {
    throw new PullError('HTTP', `the registry's metadata for ${spec.name}@${version} lacks dist.tarball or dist.integrity; cannot download it safely`);
  }
  return { version, tarball: new URL(manifest.dist.tarball, registry.url).href, sri };
}

async function download(meta: VersionMeta, registry: RegistryInfo, file: string, spec: NpmSpec, ctx: NpmContext): Promise<void> {
  await mkdir(join(ctx.cacheDir, 'npm'), { recursive: true });
  const urls = candidateUrls(meta.tarball, registry, spec.name, ctx.config.replaceRegistryHost());
  const errors: string[] = [];
  for (const url of urls) {
    const temp = tempPathFor(file);
    try {
      const host = new URL(url).host;
      const what =
        host === new URL(registry.url).host ? `the npm registry at ${registry.url}` : `${host} (tarball host named by the registry at ${registry.url})`;
      const got = await downloadToFile(url, temp, [meta.sri.algorithm], { ...httpOpts(ctx, what, registry, url), progress: ctx.progress });
      const digest = got.hash.digest(meta.sri.algorithm, 'base64');
      if (digest !== meta.sri.digest) {
        await rm(temp, { force: true });
        throw new PullError(
          'INTEGRITY',
          `tarball ${spec.name}@${meta.version} from ${url} fails its integrity check: the registry says ${sriString(meta.sri)}, the download is ${meta.sri.algorithm}-${digest}; a proxy or mirror served different bytes (nothing was cached; try again)`,
        );
      }
      await commit(temp, file);
      return;
    } catch (e) {
      // Integrity failures are about the bytes, not the host: trying another URL hides them.
      if (!(e instanceof PullError) || e.kind === 'INTEGRITY' || url === urls[urls.length - 1]) {
        if (errors.length && e instanceof PullError) throw new PullError(e.kind, `${errors.join('; ')}; then ${e.message}`, { cause: e });
        throw e;
      }
      errors.push(`${e.message} — retrying on the configured registry`);
    }
  }
}

/**
 * The tarball URL as the registry gave it, plus the same path on the configured registry as a
 * fallback when the hosts differ. npm's replace-registry-host decides which goes first ("npmjs",
 * its default: a tarball URL on npm's default registry is moved onto a configured mirror up front).
 */
export function candidateUrls(tarball: string, registry: RegistryInfo, name: string, replaceHost: string): string[] {
  const tHost = new URL(tarball).host;
  if (tHost === new URL(registry.url).host) return [tarball];
  const moved = tarballOnRegistry(tarball, registry.url, name);
  const upFront = replaceHost === 'always' || (replaceHost === 'npmjs' && tHost === new URL(NPM_DEFAULT_REGISTRY).host) || replaceHost === tHost;
  return upFront ? [moved, tarball] : [tarball, moved];
}

function httpOpts(ctx: NpmContext, what: string, registry: RegistryInfo, url: string): HttpOptions {
  const auth = ctx.config.authFor(url);
  const cafile = ctx.config.tls().cafile;
  return {
    fetch: ctx.fetch,
    what,
    hint: `check your network or npm registry config (registry ${registry.url} from ${registry.source})`,
    ...(cafile ? { tlsHint: `npm is configured with cafile=${cafile}; start edgeserve with NODE_EXTRA_CA_CERTS=${cafile}` } : {}),
    ...(auth ? { headers: { authorization: auth } } : {}),
    ...(ctx.idleTimeoutMs ? { idleTimeoutMs: ctx.idleTimeoutMs } : {}),
  };
}

const blobPath = (dir: string, sri: Sri) => join(dir, `${sriKey(sri)}.tgz`);

async function verifiedBlob(dir: string, sri: Sri): Promise<boolean> {
  const file = blobPath(dir, sri);
  if (!existsSync(file)) return false;
  if ((await hashFile(file, sri.algorithm, 'base64')) === sri.digest) return true;
  await rm(file, { force: true }); // corrupt cache entry: drop it and download again
  return false;
}

async function readIndex(file: string): Promise<{ version: string; sri: Sri } | undefined> {
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as { version?: string; integrity?: string };
    const sri = parseIntegrity(j.integrity);
    return j.version && sri ? { version: j.version, sri } : undefined;
  } catch {
    return undefined;
  }
}
