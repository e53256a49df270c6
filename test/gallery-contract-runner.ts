// Runs the GalleryStore contract outside bun test, on another runtime's SQLite binding:
//   node <bundle>/gallery-contract-runner.js node FILE     (better-sqlite3; bundled by the test)
//   deno run … test/gallery-contract-runner.ts deno FILE   (node:sqlite)
// One JSON line per case: {"name", "ok", "error"?}. Exit status 1 when any case failed.

import { KyselyGalleryStore } from '../src/gallery/db/kysely-store.ts';
import { CONTRACT } from './gallery-store.contract.ts';

const [runtime, file] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const open =
  runtime === 'deno' ? (await import('../src/runtime/gallery-db/deno.ts')).openDenoSqlite : (await import('../src/runtime/gallery-db/node.ts')).openNodeSqlite;
const store = new KyselyGalleryStore(await open(file));
const second = new KyselyGalleryStore(await open(file));
await store.migrate();
let failed = 0;
for (const c of CONTRACT) {
  try {
    await c.run(store, second);
    console.log(JSON.stringify({ name: c.name, ok: true }));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ name: c.name, ok: false, error: (e as Error).stack ?? String(e) }));
  }
}
await store.close();
await second.close();
if (failed) process.exit(1);
