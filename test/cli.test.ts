// The command line as a user meets it (issue 10, item 12): `bun src/cli.ts …` run as a child
// process, its exit code, stdout and stderr checked. Command-specific help with defaults,
// --version, strict flag values named with what was received, a bad HOST explained (never a bare
// EINVAL), usage mistakes in balanced quotes, and `pull` saying what it did or could not find.

import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempRepository } from './helpers.ts';

const BUN = join(ROOT, 'node_modules', '.bin', 'bun');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
// A server that gets further than the settings must not touch the checkout's data or the default ports.
const SAFE_ENV = { PULL: '0', GRPC_PORT: 'off', GALLERY_DATABASE: 'off', PORT: '0', HOST: '127.0.0.1' };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Run {
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...SAFE_ENV, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const r = spawnSync(BUN, ['src/cli.ts', ...args], { cwd: ROOT, env: merged, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every quote in a message is closed: an even number of each kind. */
function balanced(s: string): boolean {
  return [`'`, '"', '`'].every((q) => (s.split(q).length - 1) % 2 === 0);
}

const repo = tempRepository(); // `simple` with its weights in place
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('help and version', () => {
  test('serve --help: the serve options with their variables and defaults, not the overview', () => {
    const r = cli(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toStartWith('edgeserve serve [options]');
    for (const [flag, env, def] of [
      ['--port', 'PORT', '8000'],
      ['--host', 'HOST', '0.0.0.0'],
      ['--pull', 'PULL', 'true'],
      ['--reuse-port', 'REUSE_PORT', 'false'],
      ['--idle-timeout-s', 'IDLE_TIMEOUT_S', '30'],
      ['--body-timeout-s', 'BODY_TIMEOUT_S', '300'],
      ['--max-body-bytes', 'MAX_BODY_BYTES', '33554432'],
      ['--log-level', 'LOG_LEVEL', 'info'],
      ['--log-format', 'LOG_FORMAT', 'text'],
    ]) {
      const line = r.out.split('\n').find((l) => l.trimStart().startsWith(`${flag} `));
      expect(line, flag).toBeDefined();
      expect(line!, flag).toContain(env);
      expect(line!, flag).toContain(`(default ${def})`);
    }
    expect(r.out).not.toContain('edgeserve keys create');
    // The columns line up: every option line has its variable at the same offset.
    const offsets = new Set(
      r.out
        .split('\n')
        .filter((l) => /^ {2}--\S+ <value>/.test(l))
        .map((l) => l.search(/ {2}[A-Z][A-Z0-9_]+ {2}/)),
    );
    expect(offsets.size).toBe(1);
  });

  test('pull --help: only the settings pull reads, and --quiet', () => {
    const r = cli(['pull', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toStartWith('edgeserve pull [options] [model...]');
    expect(r.out).toMatch(/--models <value>\s+MODEL_REPOSITORY\s+.*\(default models\)/);
    expect(r.out).toContain('-q, --quiet');
    expect(r.out).not.toContain('--port');
    expect(cli(['help', 'pull']).out).toBe(r.out);
  });

  test('--help lists the commands; --version prints the package version', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['serve', 'pull', 'bench', 'keys', 'quantize']) expect(h.out).toContain(`edgeserve ${c}`);
    const v = cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(VERSION);
    // No command at all is a usage mistake: the overview on stderr, exit 2.
    const none = cli([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('edgeserve serve');
  });
});

describe('mistakes get a clear message and a non-zero exit', () => {
  test('--pull maybe (and PULL=maybe) is an error naming the flag and the value, not true', () => {
    const f = cli(['serve', '--pull', 'maybe']);
    expect(f.code).not.toBe(0);
    expect(f.err).toContain('--pull: must be true or false');
    expect(f.err).toContain('"maybe"');
    const e = cli(['serve'], { PULL: 'maybe' });
    expect(e.code).not.toBe(0);
    expect(e.err).toContain('PULL: must be true or false');
    expect(e.err).toContain('"maybe"');
  });

  test("a bad --host: malformed, not this machine's, or not resolvable — each said in words", () => {
    const malformed = cli(['serve', '--host', '999.1.1.1']);
    expect(malformed.code).not.toBe(0);
    expect(malformed.err).toContain('--host: must be an IP address');
    expect(malformed.err).toContain('"999.1.1.1"');
    // These pass the syntax check and fail at bind: the runtime's EINVAL/EADDRNOTAVAIL is explained.
    const foreign = cli(['serve', '--host', '10.99.99.99']);
    expect(foreign.code).not.toBe(0);
    expect(foreign.err).toContain('cannot listen on 10.99.99.99:0: HOST 10.99.99.99 is not an address of this machine');
    const v6 = cli(['serve', '--host', '::5']);
    expect(v6.err).toContain('cannot listen on [::5]:0: HOST ::5 is not an address of this machine');
    const unknown = cli(['serve', '--host', 'no-such-host.invalid']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('HOST no-such-host.invalid is not an address or a name this machine resolves');
    for (const r of [malformed, foreign, v6, unknown]) expect(r.err.trim().split('\n').pop()).not.toMatch(/^\w*EINVAL\w*$|^error: /);
  }, 60_000);

  test('unknown, repeated and valueless flags: our message, balanced quotes, exit 2', () => {
    const cases: Array<[string[], string]> = [
      [['serve', '--bogus'], `unknown option '--bogus' for edgeserve serve`],
      [['pull', '--port', '1'], `unknown option '--port' for edgeserve pull`],
      [['serve', '--port'], '--port needs a value'],
      [['serve', '--port', '1', '--port', '2'], '--port is given twice'],
      [['serve', 'extra'], `edgeserve serve takes no arguments, got 'extra'`],
      [['serf'], `unknown command 'serf'`],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(msg);
      expect(balanced(r.err), r.err).toBe(true);
      expect(r.err).toContain('--help');
    }
  });
});

describe('pull says what it did', () => {
  test('everything present: says so, and exits 0', () => {
    const r = cli(['pull', '--models', repo]);
    expect(r.code).toBe(0);
    expect(r.out + r.err).toContain("every model's weights are in place (sha256 ok), nothing to pull: simple");
  });

  test('pull nope: names the models the repository has', () => {
    const r = cli(['pull', '--models', repo, 'nope']);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain(`no model 'nope' in ${repo}; its models: simple`);
  });
});
