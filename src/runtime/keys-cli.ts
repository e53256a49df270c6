// `edgeserve keys create|list|revoke`: manages the API key store (runtime/auth-store.ts). A new
// key is printed once, alone on stdout (so `KEY=$(edgeserve keys create …)` works), with what it
// is on stderr; only its hash is written. A running server picks up changes within POLL_MS.

import { parseArgs } from 'node:util';
import { generateKey, KEY_ID_RE, type KeyRecord, keyIdOf } from '../auth/keys.ts';
import { isScope, type Scope, SCOPES } from '../auth/scopes.ts';
import { loadServerConfig } from '../config/server-config.ts';
import { keysFilePath, POLL_MS, readKeys, updateKeys } from './auth-store.ts';

export const KEYS_HELP = `edgeserve keys — API keys (stored as SHA-256 hashes; see README "Security")

Usage:
  edgeserve keys create --scopes S[,S…] [--tenant T] [--expires 30d|12h|2027-01-31]
                                  a new key, printed once on stdout
  edgeserve keys list             every key: id, scopes, tenant, created, last used, expiry, state
  edgeserve keys revoke ID        revoke a key (a running server stops accepting it within ${POLL_MS / 1000} s)

Scopes: ${SCOPES.join(', ')} (admin includes the others).
The store: --api-keys-file (API_KEYS_FILE), default keys.json in DATA_DIR (--data-dir; default
data/ beside the model repository, --models / MODEL_REPOSITORY), where the gallery keeps its
database.
`;

type Out = { out: (s: string) => void; err: (s: string) => void };

/** `30d`, `12h`, `90m` from now, or an ISO 8601 date/time in the future. */
export function parseExpiry(v: string, now = Date.now()): Date {
  const m = /^([0-9]+)([mhd])$/.exec(v);
  const t = m
    ? now + Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']
    : /^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v)
      ? Date.parse(v)
      : Number.NaN;
  if (Number.isNaN(t)) throw new Error(`--expires: expected 30d, 12h, 90m or an ISO date, got '${v}'`);
  if (t <= now) throw new Error(`--expires: '${v}' is not in the future`);
  return new Date(t);
}

function parseScopes(v: string | undefined): Scope[] {
  if (v === undefined) throw new Error(`--scopes is required (one or more of ${SCOPES.join(', ')})`);
  const names = v.split(/[,\s]+/).filter((s) => s !== '');
  if (names.length === 0) throw new Error(`--scopes: empty (one or more of ${SCOPES.join(', ')})`);
  for (const n of names) if (!isScope(n)) throw new Error(`--scopes: unknown scope '${n}' (one of ${SCOPES.join(', ')})`);
  return names as Scope[];
}

function state(k: KeyRecord, now: number): string {
  if (k.revoked) return `revoked ${k.revoked}`;
  if (k.expires && Date.parse(k.expires) <= now) return 'expired';
  return 'active';
}

export async function runKeys(
  argv: string[],
  env: Record<string, string | undefined>,
  io: Out = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      scopes: { type: 'string' },
      tenant: { type: 'string' },
      expires: { type: 'string' },
      'api-keys-file': { type: 'string' },
      'data-dir': { type: 'string' },
      models: { type: 'string' },
    },
  });
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd) {
    io.out(KEYS_HELP);
    return values.help ? 0 : 1;
  }
  const cfg = loadServerConfig(env, { apiKeysFile: values['api-keys-file'], dataDir: values['data-dir'], models: values.models });
  const path = keysFilePath(cfg);
  const extra = (allowed: string[]) => {
    const given = ['scopes', 'tenant', 'expires'].filter((k) => (values as Record<string, unknown>)[k] !== undefined && !allowed.includes(k));
    if (given.length) throw new Error(`keys ${cmd}: --${given[0]} does not apply`);
  };
  switch (cmd) {
    case 'create': {
      extra(['scopes', 'tenant', 'expires']);
      if (rest.length) throw new Error(`keys create: unexpected argument '${rest[0]}'`);
      const scopes = parseScopes(values.scopes);
      if (values.tenant !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(values.tenant)) {
        throw new Error(`--tenant: 1-128 letters, digits, '.', '_' or '-', got '${values.tenant}'`);
      }
      const expires = values.expires !== undefined ? parseExpiry(values.expires) : null;
      const { key, record } = await generateKey({ scopes, tenant: values.tenant ?? null, expires });
      updateKeys(path, (keys) => [...keys, record]);
      io.err(
        `created ${record.id}: scopes ${record.scopes.join(' ')}${record.tenant ? `, tenant ${record.tenant}` : ''}${record.expires ? `, expires ${record.expires}` : ''} (${path})\n`,
      );
      io.err('the key is shown once, now; only its hash is stored:\n');
      io.out(`${key}\n`);
      return 0;
    }
    case 'list': {
      extra([]);
      if (rest.length) throw new Error(`keys list: unexpected argument '${rest[0]}'`);
      const keys = readKeys(path);
      if (keys.length === 0) {
        io.err(`no API keys in ${path}\n`);
        return 0;
      }
      const now = Date.now();
      const rows = [
        ['id', 'scopes', 'tenant', 'created', 'last used', 'expires', 'state'],
        ...keys.map((k) => [k.id, k.scopes.join(','), k.tenant ?? '-', k.created, k.lastUsed ?? '-', k.expires ?? '-', state(k, now)]),
      ];
      const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      io.out(
        `${rows
          .map((r) =>
            r
              .map((c, i) => c.padEnd(w[i]))
              .join('  ')
              .trimEnd(),
          )
          .join('\n')}\n`,
      );
      return 0;
    }
    case 'revoke': {
      extra([]);
      if (rest.length !== 1) throw new Error('keys revoke: give exactly one key id (see `edgeserve keys list`)');
      const id = rest[0];
      // Never echo what was given: it may be a whole key pasted by mistake.
      if (keyIdOf(id)) throw new Error(`keys revoke: that is a key, not its id: give ${keyIdOf(id)}`);
      if (!KEY_ID_RE.test(id)) throw new Error('keys revoke: not a key id (es_<12 hex digits>, as `edgeserve keys list` shows)');
      if (!readKeys(path).some((k) => k.id === id)) throw new Error(`keys revoke: no key ${id} in ${path}`);
      let found: KeyRecord | undefined;
      updateKeys(path, (keys) =>
        keys.map((k) => {
          if (k.id !== id) return k;
          found = k;
          return k.revoked ? k : { ...k, revoked: new Date().toISOString() };
        }),
      );
      if (!found) throw new Error(`keys revoke: no key ${id} in ${path}`);
      io.err(
        found.revoked ? `${id} was already revoked (${found.revoked})\n` : `revoked ${id}; a running server stops accepting it within ${POLL_MS / 1000} s\n`,
      );
      return 0;
    }
    default:
      throw new Error(`keys: unknown command '${cmd}' (create, list, revoke)`);
  }
}
