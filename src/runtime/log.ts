// The server's logger on Bun, Node, Deno and in the compiled binary: pino, writing synchronously
// to stderr (a crash or exit loses no line). LOG_FORMAT=json gives pino's JSON lines; text gives
// pino-pretty's one-line layout (coloured when stderr is a terminal). Which of the two, and
// which levels, follows the LogControl, so /v2/logging switches them while the server runs.
// Cloudflare Workers use consoleLogger() (src/observability/logger.ts) instead: pino's Node
// build needs fs, which workerd does not have here.

import pino from 'pino';
import pretty from 'pino-pretty';
import { type LogControl as Control, type LogFields, type LogLevel, LogControl, type Logger } from '../observability/logger.ts';

export type { Logger, LogLevel } from '../observability/logger.ts';

const OPTIONS: pino.LoggerOptions = {
  // Filtering is LogControl's (Triton's per-level switches); pino writes what it is given.
  level: 'debug',
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};

/** `fd` 2 (stderr) unless a test passes a writable stream to read back. */
export function createLogger(
  level: LogLevel = 'info',
  json = false,
  o: { stream?: NodeJS.WritableStream; color?: boolean } = {},
): Logger & { control: Control } {
  const control = new LogControl(level, json ? 'json' : 'text');
  const dest = o.stream ?? pino.destination({ fd: 2, sync: true });
  let jsonLogger: pino.Logger | undefined;
  let textLogger: pino.Logger | undefined;
  const target = () =>
    control.settings.log_format === 'json'
      ? (jsonLogger ??= pino(OPTIONS, dest as pino.DestinationStream))
      : (textLogger ??= pino(
          OPTIONS,
          pretty({
            sync: true,
            destination: dest,
            singleLine: true,
            colorize: o.color ?? (o.stream ? false : Boolean(process.stderr.isTTY)),
            translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
            ignore: 'pid,hostname',
            // `error` is a message string here, kept on the line like the other fields.
            errorLikeObjectKeys: [],
          }),
        ));
  const log = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (!control.enabled(lvl)) return;
    if (fields) target()[lvl](fields, msg);
    else target()[lvl](msg);
  };
  return Object.assign(log, { control });
}
