// Structured one-line logs to stderr: `time level msg`. JSON when LOG_FORMAT=json so log
// shippers can parse them.

export type LogLevel = 'error' | 'warn' | 'info';
export type Logger = (level: LogLevel, msg: string) => void;

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2 };

export function createLogger(min: LogLevel, json = false, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  return (level, msg) => {
    if (RANK[level] > RANK[min]) return;
    const time = new Date().toISOString();
    write(json ? `${JSON.stringify({ time, level, msg })}\n` : `${time} ${level.padEnd(5)} ${msg}\n`);
  };
}
