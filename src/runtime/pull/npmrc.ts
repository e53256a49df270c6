// Parsing of one .npmrc file, the way npm reads it: the `ini` package's line rules (`;`/`#`
// comments, quoted values, `key[]` arrays, bare keys = true) plus npm's `${VAR}` substitution in
// keys and values. Pure: no file system, the environment is passed in.

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * npm's envReplace: `${VAR}` becomes the variable's value, `${VAR?}` becomes '' when unset, an
 * unset `${VAR}` stays literal (npm 9+ keeps it, so a missing token fails visibly at the
 * registry instead of silently sending an empty one), and `\${VAR}` is an escaped literal.
 */
export function envReplace(value: string, env: Env): string {
  return value.replace(/(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g, (orig, esc: string, name: string, optional?: string) => {
    // An odd number of backslashes escapes the `$`; keep half of them, as npm does.
    if (esc.length % 2) return orig.slice((esc.length + 1) / 2);
    const v = env[name];
    return esc.slice(esc.length / 2) + (v !== undefined ? v : optional ? '' : `\${${name}}`);
  });
}

/** ini's `unsafe`: unquote a quoted value, else cut at the first unescaped `;` or `#`. */
function unsafe(raw: string): string {
  const val = raw.trim();
  const quoted = (val.startsWith('"') && val.endsWith('"')) || (val.startsWith("'") && val.endsWith("'"));
  if (quoted && val.length >= 2) {
    if (val[0] === "'") return val.slice(1, -1);
    try {
      const parsed: unknown = JSON.parse(val);
      return typeof parsed === 'string' ? parsed : val;
    } catch {
      return val;
    }
  }
  let out = '';
  let esc = false;
  for (const c of val) {
    if (esc) {
      out += '\\;#'.includes(c) ? c : `\\${c}`;
      esc = false;
    } else if (c === ';' || c === '#') {
      break;
    } else if (c === '\\') {
      esc = true;
    } else {
      out += c;
    }
  }
  return (esc ? `${out}\\` : out).trim();
}

/**
 * Key/value pairs of one npmrc text. Values stay strings (npm's typed coercion is irrelevant to
 * the handful of keys we read); arrays are joined with newlines; `[section]` bodies are skipped
 * because npm nests them under the section name where no config key reads them.
 */
export function parseNpmrc(text: string, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*([;#]|$)/.test(line)) continue;
    const m = /^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$/.exec(line);
    if (!m) continue;
    if (m[1] !== undefined) {
      inSection = true;
      continue;
    }
    if (inSection || m[2] === undefined) continue;
    let key = envReplace(unsafe(m[2]), env);
    const value = m[3] === undefined ? 'true' : envReplace(unsafe(m[4] ?? ''), env);
    if (key.endsWith('[]')) {
      key = key.slice(0, -2);
      out[key] = out[key] === undefined ? value : `${out[key]}\n${value}`;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * npm_config_* variables as config keys (npm's loadEnv): case-insensitive prefix, `_` → `-`
 * except a leading one, lower-cased — but nerf-darted keys (`//host/:_authToken`) kept verbatim.
 */
export function configFromEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || !/^npm_config_/i.test(name)) continue;
    let key = name.slice('npm_config_'.length);
    if (!key.startsWith('//')) key = key.replace(/(?!^)_/g, '-').toLowerCase();
    out[key] = value;
  }
  return out;
}
