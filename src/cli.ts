#!/usr/bin/env bun
// edgeserve's command line: serve | pull | bench | keys. Flags override the environment variables
// listed in the README's config reference.

import { parseArgs } from 'node:util';
import { ENV_NAMES, ServerConfig, loadServerConfig } from './config/server-config.ts';

const HELP = `edgeserve — ONNX image-inference server (KServe v2 / Open Inference Protocol)

Usage:
  edgeserve serve [options]     serve the model repository over HTTP (pulls missing weights first)
  edgeserve pull [model...]     download and sha256-check model weights (all models by default)
  edgeserve bench [options]     measure the face detector in-process and over HTTP (see README)
  edgeserve keys create|list|revoke   API keys with scopes and tenants (edgeserve keys --help)
  edgeserve --help              this text

Options (each also settable by the environment variable shown):
${Object.entries(ENV_NAMES).map(([env, field]) => {
  const desc = (ServerConfig.shape[field] as { description?: string }).description ?? '';
  const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return `  ${flag.padEnd(22)} ${env.padEnd(18)} ${desc.replace(/^[A-Z_]+: /, '')}`;
}).join('\n')}
`;

const flagNames = Object.values(ENV_NAMES).map((f) => f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));

async function main(argv: string[]): Promise<number> {
  // keys has its own flags (--scopes, --tenant, --expires): runtime/keys-cli.ts.
  if (argv[0] === 'keys') {
    const { runKeys } = await import('./runtime/keys-cli.ts');
    return runKeys(argv.slice(1), process.env);
  }
  // bench has its own flags (--duration, --phases, …): it parses them itself.
  if (argv[0] === 'bench') {
    const { runBench } = await import('./bench/bench.ts');
    await runBench(loadServerConfig(process.env), argv.slice(argv[1] === '--' ? 2 : 1));
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quiet: { type: 'boolean', short: 'q' },
      ...Object.fromEntries(flagNames.map((f) => [f, { type: 'string' as const }])),
    },
  });
  const [cmd, ...rest] = positionals;
  if (values.help || !cmd || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd || values.help ? 0 : 1;
  }
  const overrides = Object.fromEntries(flagNames.map((f) => [f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), (values as Record<string, unknown>)[f]]));
  const cfg = loadServerConfig(process.env, overrides);
  switch (cmd) {
    case 'serve': {
      // The one runtime switch: Deno (deno.json) and Node (a bundle, npm run build:node) run
      // this same CLI; Bun is the reference.
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
      return -1; // keep running
    }
    case 'pull': {
      const { pullRepository } = await import('./runtime/pull-repository.ts');
      const { createLogger } = await import('./runtime/log.ts');
      const ok = await pullRepository(cfg.models, { log: createLogger(cfg.logLevel), quiet: Boolean(values.quiet), only: rest });
      return ok ? 0 : 1;
    }
    case 'bench': {
      const { runBench } = await import('./bench/bench.ts');
      await runBench(cfg, rest);
      return 0;
    }
    default:
      process.stderr.write(`unknown command '${cmd}'\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exit(code); },
  (e: Error) => {
    process.stderr.write(`edgeserve: ${e.message}\n`);
    process.exit(1);
  },
);
