// npm package tarballs through npm itself: `npm pack <name@version> --json` downloads the tarball
// the way `npm install` would, so everything in the user's npm configuration applies (registry
// and scoped registries, auth, proxy/https-proxy/noproxy, cafile/ca, strict-ssl, retries, npm's
// own cache), none of which fetch() can honour. npm checks the tarball against the registry's
// dist.integrity; we check the file against the integrity npm reports before caching it.
//
// Used where npm can be run (pull-repository.ts decides); the compiled binary and machines
// without npm use npm-package.ts's own registry client instead.

import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from './atomic.ts';
import { PullError } from './errors.ts';
import { hashFile, parseIntegrity } from './integrity.ts';

export interface PackedTarball {
  /** The .tgz npm wrote (inside the destination folder given). */
  file: string;
  version: string;
  /** Subresource integrity of the tarball, as npm computed and checked it. */
  integrity: string;
}

/** Downloads `spec` ("name@version") into `destDir` through npm. */
export type NpmPack = (spec: string, destDir: string) => Promise<PackedTarball>;

export interface NpmPackOptions {
  /** Where npm runs: its project .npmrc is the one next to the model repository. */
  cwd: string;
  env?: Record<string, string | undefined>;
  /** The npm executable (default "npm" from PATH). */
  npm?: string;
}

/** A compiled Bun binary runs from its embedded file system and carries no npm. */
export function isCompiledBinary(): boolean {
  return import.meta.url.includes('$bunfs');
}

/** An NpmPack when npm runs here, else undefined (no npm on PATH, a compiled binary, no permission to spawn). */
export function findNpm(o: NpmPackOptions): NpmPack | undefined {
  if (isCompiledBinary()) return undefined;
  try {
    const r = spawnSync(o.npm ?? 'npm', ['--version'], { cwd: o.cwd, env: cleanEnv(o.env), encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return undefined;
  } catch {
    return undefined; // e.g. Deno without --allow-run
  }
  return createNpmPack(o);
}

export function createNpmPack(o: NpmPackOptions): NpmPack {
  return async (spec, destDir) => {
    await mkdir(destDir, { recursive: true });
    const { code, stdout, stderr } = await run(
      o.npm ?? 'npm',
      ['pack', spec, '--pack-destination', destDir, '--json', '--ignore-scripts', '--loglevel=error'],
      o,
    );
    if (code !== 0) throw packError(spec, stdout, stderr, code);
    let info: { version?: string; integrity?: string; filename?: string } | undefined;
    try {
      info = (JSON.parse(stdout) as Array<typeof info>)[0];
    } catch {
      /* reported below */
    }
    if (!info?.filename || !info.version || !info.integrity) {
      throw new PullError('HTTP', `npm pack ${spec} printed no tarball description (stdout starts ${JSON.stringify(stdout.slice(0, 80))})`);
    }
    const file = join(destDir, info.filename.replace(/^@/, '').replace(/\//g, '-'));
    const sri = parseIntegrity(info.integrity);
    const written = (await readdir(destDir)).map((f) => join(destDir, f));
    if (!sri || !written.includes(file))
      throw new PullError('HTTP', `npm pack ${spec} reported ${info.filename} (${info.integrity}), but ${destDir} holds ${written.join(', ') || 'nothing'}`);
    const digest = await hashFile(file, sri.algorithm, 'base64');
    if (digest !== sri.digest) {
      await rm(file, { force: true });
      throw new PullError(
        'INTEGRITY',
        `the tarball npm pack wrote for ${spec} is ${sri.algorithm}-${digest}, not the ${info.integrity} npm reported; nothing was cached, try again`,
      );
    }
    return { file, version: info.version, integrity: info.integrity };
  };
}

/** A folder for one `npm pack` run, named like the other temporaries so a stale one is cleaned. */
export const packDirFor = (cacheNpmDir: string) => tempPathFor(join(cacheNpmDir, 'pack'));

// npm run scripts export npm_config_* for the script's own npm; a few of them would change what
// `npm pack` does here (print a dry run, pack the project itself), so they are dropped.
const DROP = /^npm_config_(dry_run|json|pack_destination|workspaces?|include_workspace_root|global|loglevel)$/i;

function cleanEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !DROP.test(e[0])));
}

function run(cmd: string, args: string[], o: NpmPackOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: o.cwd, env: cleanEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.once('error', (e) => reject(new PullError('NETWORK', `cannot run npm (${e.message})`, { cause: e })));
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** npm's error codes (E404, EINTEGRITY, E401, ECONNREFUSED…) as PullError kinds, with npm's own words. */
function packError(spec: string, stdout: string, stderr: string, code: number | null): PullError {
  // With --json npm prints {"error": {"code", "summary", "detail"}} on stdout.
  let json: { code?: string; summary?: string; detail?: string } | undefined;
  try {
    json = (JSON.parse(stdout) as { error?: typeof json }).error;
  } catch {
    /* plain text on stderr */
  }
  const lines = (t: string) =>
    t
      .split('\n')
      .map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
      .filter((l) => l && !/complete log of this run/.test(l));
  const text = json
    ? [json.summary, json.detail].filter(Boolean).join(' ')
    : lines(stderr || stdout)
        .slice(0, 6)
        .join(' ');
  const npmCode = json?.code ?? /\bcode (E[A-Z0-9]+)/.exec(stderr)?.[1] ?? '';
  const kind =
    npmCode === 'E404' || npmCode === 'ETARGET'
      ? 'NOT_FOUND'
      : npmCode === 'EINTEGRITY'
        ? 'INTEGRITY'
        : npmCode === 'E401' || npmCode === 'E403' || npmCode === 'ENEEDAUTH'
          ? 'AUTH'
          : /^E(CONNREFUSED|CONNRESET|NOTFOUND|AI_AGAIN|TIMEDOUT)$|^ERR_SOCKET/.test(npmCode) || /ETIMEDOUT|network/i.test(text)
            ? 'NETWORK'
            : 'HTTP';
  return new PullError(
    kind,
    `npm pack ${spec} failed (exit ${code}${npmCode ? `, ${npmCode}` : ''}): ${text || 'no output'}; npm used your npm configuration (npm config list shows it)`,
  );
}
