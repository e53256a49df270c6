// The options part of a command's --help: one line per setting with its flag, its environment
// variable, what it does and its default, straight from the zod schema, so help, README and
// behaviour cannot drift apart. Used by the CLI and by the compiled binary.

import { ENV_NAMES, type ServerConfig, ServerConfig as Schema, flagOf, settingDefault } from './server-config.ts';

const envOf = (field: keyof ServerConfig) => Object.entries(ENV_NAMES).find(([, f]) => f === field)?.[0] ?? '';

/** The option lines for `fields`, then `extra` [flags, description] pairs (e.g. `-q, --quiet`), then the rules. */
export function optionsHelp(fields: ReadonlyArray<keyof ServerConfig>, extra: Array<[string, string]> = []): string {
  const rows: Array<[string, string, string]> = fields.map((f) => {
    const desc = ((Schema.shape[f] as { description?: string }).description ?? '').replace(/^[A-Z_]+: /, '');
    const d = settingDefault(f);
    return [`${flagOf(f)} <value>`, envOf(f), `${desc}${d === undefined ? '' : ` (default ${d})`}`];
  });
  for (const [flags, desc] of [...extra, ['-h, --help', 'this text'] as [string, string]]) rows.push([flags, '', desc]);
  // Columns as wide as their longest entry, so a long flag never pushes its line out of step.
  const wFlags = Math.max(...rows.map((r) => r[0].length));
  const wEnv = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([flags, env, desc]) => `  ${flags.padEnd(wFlags)}  ${env.padEnd(wEnv)}  ${desc}`.trimEnd());
  return `Options (each also settable by the environment variable shown; a flag wins over it):
${lines.join('\n')}

An empty or malformed value is an error, never the default: unset a variable to get its default.
`;
}
