// The server under test as a child process: `bun src/cli.ts serve` on a free loopback port,
// with settings passed as environment variables (the same ones `npm start` reads), started,
// waited for until /v2/health/ready answers 200, sampled for memory (VmRSS of the process,
// which includes its worker threads) and stopped with SIGTERM (SIGKILL if it hangs).

import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  pid: number;
  port: number;
  url: string;
  /** Resident memory in MiB, from /proc/<pid>/status (NaN where /proc is absent). */
  rssMiB(): number;
  stop(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const { port } = s;
  s.stop(true);
  return port;
}

export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function startServer(env: Record<string, string>, logFile?: string, readyTimeoutMs = 90_000): Promise<ServerProcess> {
  const port = await freePort();
  let stdout: number | 'ignore' = 'ignore';
  if (logFile) {
    mkdirSync(logFile.replace(/\/[^/]*$/, ''), { recursive: true });
    stdout = openSync(logFile, 'a');
  }
  const proc = Bun.spawn([process.execPath, CLI, 'serve'], {
    env: { ...process.env, PULL: '0', LOG_LEVEL: 'warn', HOST: '127.0.0.1', GRPC_PORT: 'off', ...env, PORT: String(port) },
    stdout,
    stderr: stdout,
    stdin: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killed = await Promise.race([proc.exited.then(() => false), Bun.sleep(10_000).then(() => true)]);
    if (killed) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  };
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with code ${proc.exitCode} before it was ready${logFile ? ` (log: ${logFile})` : ''}`);
    const ok = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`server not ready after ${readyTimeoutMs} ms`);
    }
    await Bun.sleep(100);
  }
  return { pid: proc.pid, port, url, rssMiB: () => rssMiB(proc.pid), stop };
}
