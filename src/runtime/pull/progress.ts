// What a person sees while models are pulled: on a terminal, a bar on stderr redrawn in place
// with \r (bytes, total, percent, speed); elsewhere (CI logs, pipes) no redraws, only one summary
// line per model, e.g. "pulled face_detect 1.2 MB from faceplugin-face-recognition-js@0.0.1
// (sha256 ok) in 0.8 s".

import type { PullResult } from './pull.ts';

/** The bits of process.stderr used here, so tests can pass a fake. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface PullProgress {
  /** Pass as PullOptions.progress. */
  update: (done: number, total: number) => void;
  /** Clear the bar and print the summary line. */
  finish(result: PullResult): void;
  /** Clear the bar (the caller prints the error). */
  fail(): void;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Force bar (true) or summary-only (false) mode; default: stream.isTTY. */
  tty?: boolean;
  now?: () => number;
  /** Minimum time between redraws (default 100 ms). */
  intervalMs?: number;
}

export function createPullProgress(model: string, opts: ProgressOptions = {}): PullProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const now = opts.now ?? (() => performance.now());
  const interval = opts.intervalMs ?? 100;
  const started = now();
  let lastDraw = -Infinity;
  let drawn = false;
  let downloaded = 0;

  const clear = () => {
    if (drawn) stream.write(`\r${' '.repeat(width(stream) - 1)}\r`);
    drawn = false;
  };
  return {
    update(done, total) {
      downloaded = done;
      if (!tty) return;
      const t = now();
      if (t - lastDraw < interval && done !== total) return;
      lastDraw = t;
      stream.write(`\r${barLine(model, done, total, (t - started) / 1000, width(stream))}`);
      drawn = true;
    },
    finish(result) {
      clear();
      stream.write(`${summaryLine(model, result, (now() - started) / 1000, downloaded)}\n`);
    },
    fail: clear,
  };
}

/** "face_detect [=====>     ]  12.3/41.1 MB  30%  8.2 MB/s", fitted to `columns`. */
export function barLine(model: string, done: number, total: number, seconds: number, columns = 80): string {
  const speed = seconds > 0 ? `${formatBytes(done / seconds)}/s` : '';
  if (!total) return fit(`${model} ${formatBytes(done)}  ${speed}`, columns);
  const pct = Math.min(100, Math.floor((done / total) * 100));
  const tail = ` ${formatBytes(done)} / ${formatBytes(total)}  ${String(pct).padStart(3)}%  ${speed}`;
  const room = columns - 1 - model.length - tail.length - 3;
  if (room < 10) return fit(`${model}${tail}`, columns);
  const barWidth = Math.min(40, room);
  const filled = Math.round((barWidth * pct) / 100);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled ? (pct === 100 ? '=' : '>') : '') + ' '.repeat(barWidth - filled);
  return `${model} [${bar}]${tail}`;
}

export function summaryLine(model: string, r: PullResult, seconds: number, downloadedBytes = 0): string {
  const size = formatBytes(r.bytes);
  const took = `in ${seconds.toFixed(1)} s`;
  const fetched = downloadedBytes && downloadedBytes !== r.bytes ? `downloaded ${formatBytes(downloadedBytes)}, ` : '';
  switch (r.status) {
    case 'present':
      return `${model} is up to date (${size}, sha256 ok)`;
    case 'cached':
      return `pulled ${model} ${size} from ${r.from} (cached tarball, sha256 ok) ${took}`;
    case 'downloaded':
      return `pulled ${model} ${size} from ${r.from} (${fetched}sha256 ok) ${took}`;
    case 'copied':
      return `copied ${model} ${size} from ${r.from} (sha256 ok) ${took}`;
    case 'generated':
      return `generated ${model} ${size} with ${r.from} ${took}`;
    case 'derived':
      return `derived ${model} ${size} from ${r.from} (sha256 ok) ${took}`;
  }
}

/** Decimal units, one decimal: 1217758 → "1.2 MB". */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[i]}`;
}

function width(stream: ProgressStream): number {
  return stream.columns && stream.columns > 20 ? stream.columns : 80;
}

function fit(s: string, columns: number): string {
  return s.length < columns ? s : `${s.slice(0, columns - 2)}…`;
}
