#!/usr/bin/env bun
// edgeserve's command line: one table of subcommands, each with its own help. `serve` and `pull`
// take the settings of src/config/server-config.ts as flags (over the environment variables of
// the same name); keys, quantize and bench parse their own flags. A new subcommand is one entry
// in COMMANDS.

import { parseArgs } from 'node:util';
import { ENV_NAMES, type ServerConfig, flagOf, loadServerConfig, loadSettings } from './config/server-config.ts';
import { optionsHelp } from './config/help.ts';
import { VERSION } from './runtime/version.ts';

interface Command {
  /** `edgeserve <name> …` as the overview shows it. */
  usage: string;
  summary: string;
  /** Runs with the arguments after the command name; returns the exit code (-1: keep running). */
  run(argv: string[]): Promise<number>;
}

/** Settings `pull` reads; the server's other variables (PORT, …) do not concern it. */
const PULL_FIELDS = ['models', 'logLevel', 'logFormat'] as const satisfies ReadonlyArray<keyof ServerConfig>;
const ALL_FIELDS = Object.values(ENV_NAMES);

const COMMANDS: Record<string, Command> = {
  serve: {
    usage: 'edgeserve serve [options]',
    summary: 'serve the model repository over HTTP (pulls missing weights first)',
    async run(argv) {
      const parsed = parseOptions('serve', argv, ALL_FIELDS, { positionals: false });
      if (parsed.help)
        return help(`edgeserve serve [options]

Serves the model repository over HTTP: KServe v2, the face routes, /docs, /metrics. Missing
weights are pulled first (PULL). Stops on SIGTERM/SIGINT after the requests in flight.

${optionsHelp(ALL_FIELDS)}`);
      const cfg = loadServerConfig(process.env, parsed.settings);
      // The one runtime switch: Deno (deno.json) and Node (a bundle, npm run build:node) run this
      // same CLI; Bun is the reference.
      if ('Deno' in globalThis) {
        const { serveDeno, exitOnSignals } = await import('./runtime/deno.ts');
        exitOnSignals(await serveDeno(cfg));
      } else if (!('Bun' in globalThis)) {
        const { serveNode, exitOnSignals } = await import('./runtime/node.ts');
        exitOnSignals(await serveNode(cfg));
      } else {
        const { serveBun, exitOnSignals } = await import('./runtime/bun.ts');
        exitOnSignals(await serveBun(cfg));
      }
      return -1;
    },
  },
  pull: {
    usage: 'edgeserve pull [model...]',
    summary: 'download and sha256-check model weights (all models by default)',
    async run(argv) {
      const parsed = parseOptions('pull', argv, PULL_FIELDS, { positionals: true, quiet: true });
      if (parsed.help)
        return help(`edgeserve pull [options] [model...]

Puts each model's weights in place from its config.json "source" (npm package through npm
itself where npm is installed, https URL, local file, or a built-in generator), sha256-checked
and written atomically. Models whose weights are already right are left alone.

${optionsHelp(PULL_FIELDS, [['-q, --quiet', 'only errors: no progress, no summary']])}`);
      const cfg = loadSettings(PULL_FIELDS, process.env, parsed.settings);
      const { pullRepository } = await import('./runtime/pull-repository.ts');
      const { createLogger } = await import('./runtime/log.ts');
      const log = createLogger(cfg.logLevel, cfg.logFormat === 'json');
      const ok = await pullRepository(cfg.models, { log, quiet: parsed.quiet, only: parsed.positionals });
      return ok ? 0 : 1;
    },
  },
  bench: {
    usage: 'edgeserve bench [options]',
    summary: 'measure the face detector in-process and over HTTP (edgeserve bench --help)',
    async run(argv) {
      const { runBench } = await import('./bench/bench.ts');
      await runBench(loadServerConfig(process.env), argv[0] === '--' ? argv.slice(1) : argv);
      return 0;
    },
  },
  keys: {
    usage: 'edgeserve keys create|list|revoke',
    summary: 'API keys with scopes and tenants (edgeserve keys --help)',
    async run(argv) {
      const { runKeys } = await import('./runtime/keys-cli.ts');
      return runKeys(argv, process.env);
    },
  },
  quantize: {
    usage: 'edgeserve quantize MODEL [options]',
    summary: 'derive and gate an INT8 model (edgeserve quantize --help)',
    async run(argv) {
      const { runQuantize } = await import('./runtime/quantize-cli.ts');
      return runQuantize(argv, process.env);
    },
  },
};

const OVERVIEW = `edgeserve ${VERSION} — ONNX image-inference server (KServe v2 / Open Inference Protocol)

Usage:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage.padEnd(36)} ${c.summary}`)
  .join('\n')}
  ${'edgeserve <command> --help'.padEnd(36)} the command's options, with their defaults
  ${'edgeserve --version'.padEnd(36)} the version
`;

function help(text: string): number {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

/** A usage mistake: message and a pointer to the help, exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly helpFor = '',
  ) {
    super(message);
  }
}

interface Parsed {
  help: boolean;
  quiet: boolean;
  positionals: string[];
  settings: Partial<Record<keyof ServerConfig, string>>;
}

/**
 * Flags of one command: every setting in `fields` as `--kebab-name value` or `--kebab-name=value`.
 * A flag given twice is an error (which one was meant?), as is an unknown flag or a missing value;
 * the messages are ours (node's unknown-option text ends in an unbalanced quote).
 */
function parseOptions(cmd: string, argv: string[], fields: ReadonlyArray<keyof ServerConfig>, o: { positionals: boolean; quiet?: boolean }): Parsed {
  const byFlag = new Map(fields.map((f) => [flagOf(f).slice(2), f]));
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  if (o.quiet) options.quiet = { type: 'boolean', short: 'q' };
  for (const f of byFlag.keys()) options[f] = { type: 'string' };
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'(-[^' ]+)/.exec(err.message)?.[1] ?? '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option '${flag}' for edgeserve ${cmd}`, cmd);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${flag} needs a value (${flag} VALUE or ${flag}=VALUE)`, cmd);
    throw new UsageError(err.message, cmd);
  }
  const seen = new Set<string>();
  for (const t of r.tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice (give it once)`, cmd);
    seen.add(t.name);
  }
  if (!o.positionals && r.positionals.length) throw new UsageError(`edgeserve ${cmd} takes no arguments, got '${r.positionals.join(' ')}'`, cmd);
  const values = r.values as Record<string, string | boolean | undefined>;
  const settings: Parsed['settings'] = {};
  for (const [flag, field] of byFlag) if (typeof values[flag] === 'string') settings[field] = values[flag] as string;
  return { help: values.help === true, quiet: values.quiet === true, positionals: r.positionals, settings };
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') return help(VERSION);
  if (first === undefined || first === '--help' || first === '-h') {
    if (first === undefined) {
      process.stderr.write(OVERVIEW);
      return 2;
    }
    return help(OVERVIEW);
  }
  if (first === 'help') {
    if (rest[0] === undefined) return help(OVERVIEW);
    return main([rest[0], '--help']);
  }
  const cmd = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!cmd) throw new UsageError(first.startsWith('-') ? `options go after a command: edgeserve serve ${first}` : `unknown command '${first}'`);
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: Error) => {
    if (e instanceof UsageError) {
      process.stderr.write(`edgeserve: ${e.message}; see edgeserve ${e.helpFor ? `${e.helpFor} ` : ''}--help\n`);
      process.exit(2);
    }
    process.stderr.write(`edgeserve: ${e.message}\n`);
    process.exit(1);
  },
);
