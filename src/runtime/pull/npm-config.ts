// Which npm registry (and credentials) this machine is configured with, read the way npm reads
// it, so `edgeserve pull` fetches from the same mirror `npm install` uses. Precedence, highest
// first: npm_config_* environment, project .npmrc, user ~/.npmrc, global npmrc(s), npm's builtin
// npmrc; then `npm config get registry` as a fallback, then npm's documented default. No
// registry host is hard-coded apart from that default.

import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { PullError } from './errors.ts';
import { configFromEnv, parseNpmrc, type Env } from './npmrc.ts';

/** npm's own documented default registry: used only when nothing at all is configured. */
export const NPM_DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface NpmConfigOptions {
  /** Where to start looking for the project .npmrc (default: process.cwd()). */
  cwd?: string;
  env?: Env;
  home?: string;
  /** The running binary; node's location gives npm's global prefix (default: process.execPath). */
  execPath?: string;
  /** Global npmrc files checked after the prefix-derived one (default /usr/etc/npmrc, /etc/npmrc). */
  systemFiles?: readonly string[];
  /**
   * Fallback when no file sets the key: ask npm itself (`npm config get <key>`). `false` turns it
   * off; a function replaces the spawn (tests). Returns undefined when npm is absent or fails.
   */
  npmConfigGet?: false | ((key: string) => string | undefined);
}

export interface ConfigLayer {
  /** Human-readable origin, e.g. "environment" or a file path, for messages. */
  source: string;
  values: Readonly<Record<string, string>>;
}

export interface RegistryInfo {
  /** Registry base URL, always ending in '/'. */
  url: string;
  /** Where it was configured ("environment", "/home/me/.npmrc", "npm config get", "npm default"). */
  source: string;
  /** Set when a `@scope:registry` entry chose it. */
  scope?: string;
}

export interface NpmConfig {
  readonly layers: readonly ConfigLayer[];
  /** The highest-precedence value of a key and where it came from. */
  get(key: string): { value: string; source: string } | undefined;
  /** Registry for a package name, honouring `@scope:registry`. */
  registryFor(packageName: string): RegistryInfo;
  /** Authorization header value for a URL (nerf-darted credentials), if any is configured. */
  authFor(url: string): string | undefined;
  /** TLS and proxy settings npm would use, passed through for messages (fetch cannot apply them). */
  tls(): { cafile?: string; strictSsl?: boolean; proxy?: string };
  /** npm's `replace-registry-host` ("npmjs" by default, "always", "never", or a host name). */
  replaceRegistryHost(): string;
}

export function loadNpmConfig(opts: NpmConfigOptions = {}): NpmConfig {
  const env = opts.env ?? process.env;
  const home = opts.home ?? env.HOME ?? env.USERPROFILE ?? homedir();
  const cwd = resolve(opts.cwd ?? process.cwd());
  const expand = (p: string, base = cwd) => resolve(base, p.startsWith('~/') || p === '~' ? join(home, p.slice(1)) : p);

  const layers: ConfigLayer[] = [{ source: 'environment (npm_config_*)', values: configFromEnv(env) }];
  const seen = new Set<string>();
  const addFile = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readText(file);
    if (text !== undefined) layers.push({ source: file, values: parseNpmrc(text, env) });
  };
  const lookup = (key: string) => layers.find((l) => l.values[key] !== undefined)?.values[key];

  addFile(join(projectRoot(cwd), '.npmrc'));
  // userconfig may itself be set by the environment or the project .npmrc (npm allows both).
  addFile(expand(lookup('userconfig') ?? join(home, '.npmrc')));
  // npm reads one global file, but which one depends on which npm runs: read every candidate,
  // earlier ones winning, so a registry set in any of them is found.
  const nodePrefix = findNodePrefix(opts.execPath ?? process.execPath, env);
  const globalconfig = lookup('globalconfig');
  if (globalconfig) addFile(expand(globalconfig));
  const prefix = lookup('prefix');
  if (prefix) addFile(join(expand(prefix), 'etc', 'npmrc'));
  if (env.PREFIX) addFile(join(env.PREFIX, 'etc', 'npmrc'));
  if (nodePrefix) addFile(join(nodePrefix, 'etc', 'npmrc'));
  for (const f of opts.systemFiles ?? ['/usr/etc/npmrc', '/etc/npmrc']) addFile(f);
  if (nodePrefix) addFile(join(nodePrefix, 'lib', 'node_modules', 'npm', 'npmrc'));

  return makeConfig(layers, opts.npmConfigGet === undefined ? (k) => spawnNpmConfigGet(k, cwd, env) : opts.npmConfigGet, expand);
}

function makeConfig(layers: ConfigLayer[], npmGet: NpmConfigOptions['npmConfigGet'], expand: (p: string) => string): NpmConfig {
  const asked = new Map<string, string | undefined>();
  const askNpm = (key: string) => {
    if (!npmGet) return undefined;
    if (!asked.has(key)) asked.set(key, npmGet(key));
    return asked.get(key);
  };
  const get = (key: string) => {
    const layer = layers.find((l) => l.values[key] !== undefined);
    return layer ? { value: layer.values[key]!, source: layer.source } : undefined;
  };
  const fromValue = (key: string, v: { value: string; source: string }, scope?: string): RegistryInfo => {
    let url: URL;
    try {
      url = new URL(v.value);
    } catch {
      throw new PullError('CONFIG', `npm config "${key}=${v.value}" (from ${v.source}) is not a valid URL; fix it or remove it to use the default registry`);
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return { url: url.href, source: v.source, ...(scope ? { scope } : {}) };
  };
  const config: NpmConfig = {
    layers,
    get,
    registryFor(packageName) {
      const scope = packageName.startsWith('@') ? packageName.split('/')[0] : undefined;
      if (scope) {
        const key = `${scope}:registry`;
        const v = get(key);
        if (v) return fromValue(key, v, scope);
        const asked = askNpm(key);
        if (asked) return fromValue(key, { value: asked, source: `npm config get ${key}` }, scope);
      }
      const v = get('registry');
      if (v) return fromValue('registry', v);
      const asked = askNpm('registry');
      if (asked) return fromValue('registry', { value: asked, source: 'npm config get registry' });
      return { url: NPM_DEFAULT_REGISTRY, source: "npm's default (nothing configured)" };
    },
    authFor(url) {
      return authFor(url, get, config.registryFor('').url);
    },
    tls() {
      const cafile = get('cafile')?.value;
      const strict = get('strict-ssl')?.value;
      const proxy = get('https-proxy')?.value ?? get('proxy')?.value;
      return {
        ...(cafile && cafile !== 'null' ? { cafile: expand(cafile) } : {}),
        ...(strict !== undefined ? { strictSsl: strict !== 'false' } : {}),
        ...(proxy && proxy !== 'null' ? { proxy } : {}),
      };
    },
    replaceRegistryHost() {
      return get('replace-registry-host')?.value ?? 'npmjs';
    },
  };
  return config;
}

/** `//host[:port]/dir/` for a URL: the key prefix npm uses for per-registry credentials. */
export function nerfDart(url: string): string {
  const u = new URL('.', new URL(url));
  return `//${u.host}${u.pathname}`;
}

/**
 * npm-registry-fetch's lookup: walk from the URL's nerf dart up its path until a prefix carries
 * credentials. Credentials are thus only ever sent to the host they were configured for. The
 * legacy unscoped `_authToken`/`_auth` apply to the default registry only.
 */
function authFor(url: string, get: NpmConfig['get'], defaultRegistry: string): string | undefined {
  const val = (k: string) => get(k)?.value;
  let key = nerfDart(url);
  while (key !== '//' && key !== '') {
    const header = credentials(key, val);
    if (header) return header;
    key = key.replace(/([^/]+|\/)$/, '');
  }
  return nerfDart(url).startsWith(nerfDart(defaultRegistry)) ? credentials('', val) : undefined;
}

function credentials(prefix: string, val: (k: string) => string | undefined): string | undefined {
  const p = prefix ? `${prefix}:` : '';
  const token = val(`${p}_authToken`);
  if (token) return `Bearer ${token}`;
  const auth = val(`${p}_auth`);
  if (auth) return `Basic ${auth}`;
  const user = val(`${p}username`);
  const password = val(`${p}_password`);
  if (user && password) {
    // npm stores _password base64-encoded.
    return `Basic ${Buffer.from(`${user}:${Buffer.from(password, 'base64').toString('utf8')}`).toString('base64')}`;
  }
  return undefined;
}

/** npm's localPrefix: the nearest ancestor holding package.json or node_modules, else cwd. */
function projectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'node_modules'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

/** npm's global prefix is node's install prefix; under Bun or Deno, find node on PATH instead. */
function findNodePrefix(execPath: string, env: Env): string | undefined {
  const isWin = process.platform === 'win32';
  const nodeDir = (dir: string) => (isWin ? dir : dirname(dir));
  if (/^node(\.exe)?$/i.test(execPath.split(/[\\/]/).pop() ?? '')) return nodeDir(dirname(execPath));
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, isWin ? 'node.exe' : 'node'))) return nodeDir(dir);
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Ask the installed npm; slow (~0.3 s), so only a fallback, and cached per config object. */
function spawnNpmConfigGet(key: string, cwd: string, env: Env): string | undefined {
  try {
    const r = spawnSync('npm', ['config', 'get', key], {
      cwd,
      env: { ...env } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 15_000,
      shell: process.platform === 'win32',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const out = r.status === 0 ? r.stdout.trim().split(/\r?\n/).pop()?.trim() : undefined;
    return out && out !== 'undefined' && out !== 'null' ? out : undefined;
  } catch {
    return undefined;
  }
}
