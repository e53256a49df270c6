// The server as a process among others (issue 10, items 5 and 6), on Bun, Node and Deno, with the
// commands the README gives:
// - a second server on a port in use fails with a message naming the port and a non-zero exit,
//   whatever the runtime (Bun sets SO_REUSEPORT by default: a second `npm start` used to start and
//   the kernel split the requests between the two); REUSE_PORT=on on every server shares the port
//   (Bun and Deno; Node 20 has no SO_REUSEPORT in listen() and says so);
// - SIGTERM sent to the top process of `npm start`, `npm run start:node`, `npm run start:deno` (what
//   a container runtime or process manager signals) drains the requests in flight, then every
//   process of the tree exits and the port closes.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, ROOT } from './helpers.ts';
import { freePort } from './server-process.ts';

const BUN = join(ROOT, 'node_modules', '.bin', 'bun');
const DENO = join(ROOT, 'node_modules', '.bin', 'deno');
// Quiet, light servers: no weight pulls, no gRPC listener, no gallery file shared between them.
const ENV = { PULL: '0', GRPC_PORT: 'off', GALLERY_DATABASE: 'off', HOST: '127.0.0.1', WORKERS: '1' };
const RUNTIMES = {
  bun: [BUN, ['src/cli.ts', 'serve']],
  node: ['node', ['dist/node/cli.js', 'serve']],
  deno: [DENO, ['task', 'start']],
} as const satisfies Record<string, readonly [string, readonly string[]]>;

interface Proc {
  proc: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

const running: Proc[] = [];
/** Processes seen below the npm scripts: killed at the end if a failed test left them behind. */
const seen = new Set<number>();
afterAll(() => {
  for (const p of running) if (p.proc.exitCode === null && p.proc.signalCode === null) killTree(p.proc.pid!);
  for (const pid of seen) if (alive(pid) && /serve|deno/.test(cmdline(pid))) process.kill(pid, 'SIGKILL'); // not a reused pid
});

function run(cmd: string, args: readonly string[], env: Record<string, string>): Proc {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', (e) => {
      out += String(e);
      resolve('spawn error');
    });
  });
  const p = { proc, output: () => out, exited };
  running.push(p);
  return p;
}

async function waitReady(p: Proc, port: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`exited before it was ready:\n${p.output()}`);
    if (
      await fetch(`http://127.0.0.1:${port}/v2/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    if (Date.now() > end) throw new Error(`not ready in ${timeoutMs} ms:\n${p.output()}`);
    await Bun.sleep(50);
  }
}

/** Waits for the process to exit; fails (and kills it) if it is still running after `ms`. */
async function exitWithin(p: Proc, ms: number): Promise<number | string> {
  const r = await Promise.race([p.exited, Bun.sleep(ms).then(() => 'still running' as const)]);
  if (r === 'still running') {
    killTree(p.proc.pid!);
    throw new Error(`still running after ${ms} ms:\n${p.output()}`);
  }
  return r;
}

/** A server's own "ready" log line: it listens and its models are loaded (even where another answers the port). */
async function waitLogReady(p: Proc, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!/INFO: ready\b|"msg":"ready"/.test(p.output())) {
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) throw new Error(`exited before it was ready:\n${p.output()}`);
    if (Date.now() > end) throw new Error(`no ready line in ${timeoutMs} ms:\n${p.output()}`);
    await Bun.sleep(50);
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Every process below `pid` (Linux /proc): the npm script's shell, deno task's child, the server. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** SIGKILL to a process and everything below it (deno task's child would outlive its parent). */
function killTree(pid: number): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

beforeAll(() => {
  // The Node root runs from the bundle, as `npm run start:node` builds it.
  const b = spawnSync('bash', ['scripts/build-node.sh'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`build:node failed:\n${b.stdout}${b.stderr}`);
  if (!existsSync(DENO)) throw new Error('node_modules/.bin/deno is missing (npm install)');
});

describe('a port in use', () => {
  test('a second server on a port in use exits non-zero saying so, on Bun, Node and Deno; the first keeps the port', async () => {
    const port = await freePort();
    const first = run(BUN, ['src/cli.ts', 'serve'], { PORT: String(port) });
    await waitReady(first, port);
    const seconds = Object.entries(RUNTIMES).map(([name, [cmd, args]]) => [name, run(cmd, args, { PORT: String(port) })] as const);
    for (const [name, p] of seconds) {
      const code = await exitWithin(p, 30_000);
      expect(code, `${name}:\n${p.output()}`).not.toBe(0);
      expect(p.output(), name).toContain(`cannot listen on 127.0.0.1:${port}: port ${port} is already in use`);
      expect(p.output(), name).not.toContain('listening on');
    }
    // Only the first answers: every new connection reaches it, none a half-started second server.
    for (let i = 0; i < 10; i++) expect((await fetch(`http://127.0.0.1:${port}/v2/health/ready`, { headers: { Connection: 'close' } })).status).toBe(200);
    expect(first.proc.exitCode).toBeNull();
    first.proc.kill('SIGTERM');
    expect(await exitWithin(first, 20_000)).toBe(0);
  }, 120_000);

  test('REUSE_PORT=on on every server shares the port (Bun and Deno); Node 20 refuses it in words', async () => {
    const port = await freePort();
    const bun = run(BUN, ['src/cli.ts', 'serve'], { PORT: String(port), REUSE_PORT: 'on' });
    await waitReady(bun, port);
    const deno = run(DENO, ['task', 'start'], { PORT: String(port), REUSE_PORT: 'on' });
    await waitLogReady(deno);
    expect(deno.output()).toContain(`listening on http://127.0.0.1:${port}`);
    const node = run('node', ['dist/node/cli.js', 'serve'], { PORT: String(port), REUSE_PORT: 'on' });
    const [major = 0, minor = 0] = spawnSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim().split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 12)) {
      expect(await exitWithin(node, 30_000)).not.toBe(0);
      expect(node.output()).toContain('REUSE_PORT=true needs Node ≥ 22.12');
    } else {
      await waitLogReady(node);
      node.proc.kill('SIGTERM');
      expect(await exitWithin(node, 20_000)).toBe(0);
    }
    // With the Bun server gone, the port still answers: the Deno server was listening on it too.
    bun.proc.kill('SIGTERM');
    expect(await exitWithin(bun, 20_000)).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status).toBe(200);
    deno.proc.kill('SIGTERM');
    expect(await exitWithin(deno, 20_000)).toBe(0);
    expect(await portOpen(port)).toBe(false);
  }, 120_000);
});

describe('SIGTERM to the top process of the npm scripts', () => {
  const photo = readFileSync(join(FIXTURES, 'astronaut.jpg'));
  const detect = (port: number) =>
    fetch(`http://127.0.0.1:${port}/v1/faces/detect`, { method: 'POST', body: photo, headers: { 'Content-Type': 'image/jpeg' } }).then(
      (r) => String(r.status),
      // Refused: never accepted (the listener had closed). Any other error drops an accepted request.
      (e: { code?: string; message?: string }) => (e.code === 'ConnectionRefused' || e.code === 'ECONNREFUSED' ? 'refused' : `dropped: ${e.code ?? e.message}`),
    );

  for (const script of ['start', 'start:node', 'start:deno']) {
    test(`npm ${script === 'start' ? 'start' : `run ${script}`}: drains, then the whole tree exits and the port closes`, async () => {
      const port = await freePort();
      const npm = run('npm', ['run', '--silent', script], { PORT: String(port) });
      await waitReady(npm, port);
      const tree = descendants(npm.proc.pid!);
      for (const pid of tree) seen.add(pid);
      expect(tree.length).toBeGreaterThan(0);
      const inflight = Array.from({ length: 8 }, () => detect(port));
      await Bun.sleep(5);
      npm.proc.kill('SIGTERM'); // the top process only, as `docker stop` or systemd would
      const statuses = await Promise.all(inflight);
      expect(
        statuses.filter((s) => s !== '200' && s !== '503' && s !== 'refused'),
        npm.output(),
      ).toEqual([]);
      expect(statuses, npm.output()).toContain('200');
      await exitWithin(npm, 20_000);
      const end = Date.now() + 10_000;
      while (tree.some(alive) && Date.now() < end) await Bun.sleep(50);
      expect(
        tree.filter(alive).map((p) => `${p} ${cmdline(p)}`),
        npm.output(),
      ).toEqual([]);
      expect(await portOpen(port)).toBe(false);
      expect(npm.output()).toMatch(/INFO: stopped|"msg":"stopped"/);
    }, 90_000);
  }
});
