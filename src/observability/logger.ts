// The one Logger type every part of the server logs through, and LogControl: the settings it
// obeys, changeable at run time through Triton's logging extension (GET/POST /v2/logging,
// gRPC LogSettings). The logger itself is built by the composition root: pino on Bun, Node and
// Deno (src/runtime/log.ts), consoleLogger() below on Cloudflare Workers.
//
// Levels are Triton's: info, warnings and errors are switched on and off one by one
// (log_info, log_warnings, log_errors) and verbose messages ('debug' here) are shown when
// log_verbose_level >= 1. LOG_LEVEL=error|warn|info|debug sets them at start.

import { invalid } from '../core/errors.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/** Structured fields beside the message (JSON keys; key=value in text). */
export type LogFields = Record<string, unknown>;

/**
 * A plain function, so any `(level, msg) => …` (tests, core's narrower `log` options) fits.
 * A logger built by a root carries its `control`; the logging routes are mounted only then.
 */
export interface Logger {
  (level: LogLevel, msg: string, fields?: LogFields): void;
  readonly control?: LogControl;
}

export type LogFormat = 'text' | 'json';

/** Triton's log settings (extension_logging.md), names as the protocol spells them. */
export interface LogSettings {
  /** Always "": logs go to stderr (a file is refused: redirect stderr instead). */
  log_file: string;
  log_info: boolean;
  log_warnings: boolean;
  log_errors: boolean;
  /** 0 = no verbose messages; >= 1 = verbose (debug) messages too. */
  log_verbose_level: number;
  /** edgeserve's formats (LOG_FORMAT); Triton's "default"/"ISO8601" layouts are refused. */
  log_format: LogFormat;
}

const FORMATS: readonly LogFormat[] = ['text', 'json'];
const MAX_VERBOSE = 2 ** 32 - 1;

export class LogControl {
  private s: LogSettings;

  constructor(level: 'error' | 'warn' | 'info' | 'debug' = 'info', format: LogFormat = 'text') {
    this.s = {
      log_file: '',
      log_info: level === 'info' || level === 'debug',
      log_warnings: level !== 'error',
      log_errors: true,
      log_verbose_level: level === 'debug' ? 1 : 0,
      log_format: format,
    };
  }

  get settings(): Readonly<LogSettings> {
    return this.s;
  }

  enabled(level: LogLevel): boolean {
    switch (level) {
      case 'error':
        return this.s.log_errors;
      case 'warn':
        return this.s.log_warnings;
      case 'info':
        return this.s.log_info;
      case 'debug':
        return this.s.log_verbose_level > 0;
    }
  }

  /**
   * Applies a Triton log-settings request: only the settings named change, and nothing changes
   * unless every one is valid. Unknown names, wrong types and what this server cannot honour
   * (a log file, Triton's own line layouts) are a 400 naming the setting and quoting the value.
   */
  update(body: unknown): Readonly<LogSettings> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid(`log settings: expected a JSON object of settings, got ${JSON.stringify(body)}`);
    }
    const next = { ...this.s };
    for (const [k, v] of Object.entries(body)) {
      const got = JSON.stringify(v);
      switch (k) {
        case 'log_info':
        case 'log_warnings':
        case 'log_errors':
          if (typeof v !== 'boolean') throw invalid(`${k}: expected true or false, got ${got}`);
          next[k] = v;
          break;
        case 'log_verbose_level':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_VERBOSE)
            throw invalid(`log_verbose_level: expected an integer >= 0, got ${got}`);
          next.log_verbose_level = v;
          break;
        case 'log_format':
          if (typeof v !== 'string' || !FORMATS.includes(v as LogFormat)) {
            throw invalid(`log_format: expected "text" or "json" (Triton's "default" and "ISO8601" layouts are not available), got ${got}`);
          }
          next.log_format = v as LogFormat;
          break;
        case 'log_file':
          // "" is what Triton means by "the console": that is honoured; a file is not.
          if (v !== '') throw invalid(`log_file: logs go to stderr only (redirect it to keep a file); expected "", got ${got}`);
          break;
        default:
          throw invalid(`log settings: unknown setting '${k}' (known: log_file, log_info, log_warnings, log_errors, log_verbose_level, log_format)`);
      }
    }
    this.s = next;
    return this.s;
  }
}

/** Text layout of a field value: strings bare unless they need quoting, the rest as JSON. */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** `time level msg k=v …`: the text layout of consoleLogger. */
export function formatText(time: string, level: LogLevel, msg: string, fields?: LogFields): string {
  let line = `${time} ${level.padEnd(5)} ${msg}`;
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${fieldText(v)}`;
  return line;
}

/**
 * A logger over a line writer, for where pino cannot run: Cloudflare Workers (no Node streams
 * or fs without nodejs_compat, which this deployment does not enable), and tests. Same
 * settings, same JSON keys as the pino logger (level, time, msg, then the fields).
 */
export function consoleLogger(control: LogControl, write: (line: string) => void): Logger {
  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (!control.enabled(level)) return;
    const time = new Date().toISOString();
    write(control.settings.log_format === 'json' ? JSON.stringify({ level, time, ...fields, msg }) : formatText(time, level, msg, fields));
  };
  return Object.assign(log, { control });
}
