// Triton's poll mode: every few seconds the repository is compared with what is loaded. A new
// model directory is loaded; a changed config or a new, changed or removed version directory
// reloads that model (load-then-swap: only the versions that changed are rebuilt, and a broken
// one leaves the previous one serving); a removed directory is unloaded. One pass at a time.

import type { ModelRegistry } from './registry.ts';

export interface PollerOptions {
  intervalMs: number;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export class RepositoryPoller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly opts: PollerOptions,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Stops polling; waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One comparison of the repository with the books (also what the timer runs). */
  async poll(): Promise<void> {
    const repo = this.registry.repo;
    if (!repo.fingerprint) return;
    const names = await repo.list();
    for (const name of names) {
      if (this.stopped) return;
      const m = this.registry.get(name);
      if (!m) {
        this.opts.log('info', `poll: new model '${name}'`);
        this.registry.expect(name);
        await this.registry.load(name, { onlyChanged: true });
        continue;
      }
      const file = m.config && this.registry.modelFile(m.config);
      const now = await repo.fingerprint(name, file).catch(() => undefined);
      if (!now) continue;
      if (sameFingerprint(now, m.fingerprint)) continue;
      this.opts.log('info', `poll: model '${name}' changed on disk; reloading what changed`);
      await this.registry.load(name, { onlyChanged: true });
    }
    for (const m of this.registry.list()) {
      if (this.stopped) return;
      if (!names.includes(m.name)) {
        this.opts.log('info', `poll: model '${m.name}' was removed from the repository; unloading it`);
        await this.registry.unload(m.name).catch(() => {});
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll()
        .catch((e: Error) => this.opts.log('error', `poll: ${e.message}`))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.opts.intervalMs);
  }
}

function sameFingerprint(a: { config: string; versions: Record<string, string> }, b?: { config: string; versions: Record<string, string> }): boolean {
  if (!b || a.config !== b.config) return false;
  const ka = Object.keys(a.versions).sort();
  const kb = Object.keys(b.versions).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.versions[k] === b.versions[k]);
}
