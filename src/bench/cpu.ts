// CPU use during a run, from /proc (Linux): how many cores the server process used (all its
// threads) and how busy the whole box was. Tells "the server is the bottleneck" apart from
// "the box is full" (the load generator shares the cores) and "something is idle".

import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ: 100 on every Linux this runs on

function procTicks(pid: number): number {
  try {
    // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

function boxTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total }; // minus idle and iowait
  } catch {
    return { busy: NaN, total: NaN };
  }
}

export interface CpuUse {
  /** Cores the server process kept busy on average (2.0 = two full cores). */
  serverCores: number;
  /** Share of all cores that were busy (0-100). */
  boxPct: number;
  /** Cores kept busy by neither the server nor this process (other tenants of the box): when
   *  this is not near 0 the run measured a shared machine and should be repeated. */
  otherCores: number;
}

const selfCores = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** `pid` = the server (absent for in-process runs); this process is counted separately. */
export function cpuSampler(pid?: number): { stop(): CpuUse } {
  const t0 = performance.now();
  const p0 = pid ? procTicks(pid) : 0;
  const b0 = boxTicks();
  const s0 = selfCores();
  return {
    stop() {
      const secs = (performance.now() - t0) / 1000;
      const b1 = boxTicks();
      const serverCores = pid ? (procTicks(pid) - p0) / TICKS_PER_S / secs : 0;
      const boxCores = (b1.busy - b0.busy) / TICKS_PER_S / secs;
      return {
        serverCores,
        boxPct: (100 * (b1.busy - b0.busy)) / (b1.total - b0.total),
        otherCores: Math.max(0, boxCores - serverCores - (selfCores() - s0) / secs),
      };
    },
  };
}

/** Waits (up to `maxMs`) until the box has been nearly idle for `windowMs`: other tenants'
 *  jobs (test suites, builds) would otherwise take cores from the run about to start. */
export async function waitForQuiet(maxMs = 30_000, windowMs = 500, maxBusyCores = 0.15): Promise<boolean> {
  const end = performance.now() + maxMs;
  while (performance.now() < end) {
    const b0 = boxTicks();
    const t = performance.now();
    await Bun.sleep(windowMs);
    const b1 = boxTicks();
    if ((b1.busy - b0.busy) / TICKS_PER_S / ((performance.now() - t) / 1000) <= maxBusyCores) return true;
  }
  return false;
}
