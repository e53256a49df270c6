// Entry point of the compiled binary (`npm run build:binary` → dist/edgeserve). It only serves:
// `edgeserve [serve] [options]`, with the same options and environment variables as the CLI.
// Models, docs assets and both engines are built in (see parts.ts); --models <dir> (or
// MODEL_REPOSITORY) serves a repository on disk instead, pulling missing weights unless
// --pull=false.

import { parseArgs } from 'node:util';
import { ENV_NAMES, ServerConfig, loadServerConfig } from '../../config/server-config.ts';
import { exitOnSignals, serveBun } from '../bun.ts';
import { VERSION } from '../version.ts';
import { compiledParts } from './parts.ts';

const flag = (field: string) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const HELP = `edgeserve ${VERSION} — ONNX image-inference server, single binary (models built in)

Usage: edgeserve [serve] [options]

Options (each also settable by the environment variable shown):
${Object.entries(ENV_NAMES)
  .map(([env, field]) => {
    const desc = (ServerConfig.shape[field] as { description?: string }).description ?? '';
    return `  --${flag(field).padEnd(20)} ${env.padEnd(18)} ${desc.replace(/^[A-Z_]+: /, '')}`;
  })
  .join('\n')}

Without --models / MODEL_REPOSITORY the built-in models are served. EDGESERVE_NATIVE=0 skips the
native engine and decoder (WASM only).
`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      ...Object.fromEntries(Object.values(ENV_NAMES).map((f) => [flag(f), { type: 'string' as const }])),
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  const cmd = positionals[0] ?? 'serve';
  if (cmd !== 'serve' || positionals.length > 1) throw new Error(`this binary only serves (got '${positionals.join(' ')}'); see --help`);
  const raw = values as Record<string, unknown>;
  const overrides = Object.fromEntries(Object.values(ENV_NAMES).map((f) => [f, raw[flag(f)]]));
  const cfg = loadServerConfig(process.env, overrides);
  const repositoryDir = raw.models !== undefined || process.env.MODEL_REPOSITORY ? cfg.models : undefined;
  const server = await serveBun(cfg, {
    parts: (c, log) => compiledParts(c, log, { repositoryDir }),
    // Built-in models need no pulling; a repository on disk is pulled like the CLI does.
    pull: repositoryDir !== undefined && cfg.pull,
  });
  exitOnSignals(server);
}

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`edgeserve: ${e.message}\n`);
  process.exit(1);
});
