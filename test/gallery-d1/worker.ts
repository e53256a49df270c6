// A test Worker that runs the GalleryStore contract (../gallery-store.contract.ts) inside
// workerd against a real (local) D1 database, through the same opener the edgeserve Worker uses
// (src/runtime/gallery-db/d1.ts). Started by test/gallery-d1.test.ts with `wrangler dev --local
// -c test/gallery-d1/wrangler.toml`. GET /cases lists the cases; GET /run?case=N runs one and
// answers {"ok": true} or {"ok": false, "error": "..."}. nodejs_compat only for node:assert,
// which the contract uses on every runtime; the edgeserve Worker itself runs without it.

import { KyselyGalleryStore } from '../../src/gallery/db/kysely-store.ts';
import { type D1Database, openD1 } from '../../src/runtime/gallery-db/d1.ts';
import { CONTRACT } from '../gallery-store.contract.ts';

let stores: Promise<{ store: KyselyGalleryStore; second: KyselyGalleryStore }> | undefined;

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/cases') return Response.json(CONTRACT.map((c) => c.name));
    if (url.pathname !== '/run') return new Response('not found', { status: 404 });
    const c = CONTRACT[Number(url.searchParams.get('case'))];
    if (!c) return Response.json({ ok: false, error: `no case ${url.searchParams.get('case')}` }, { status: 400 });
    stores ??= (async () => {
      // Two stores over the binding: D1 has no connections, so "another process" is another
      // store (and its own index) reading the same database.
      const store = new KyselyGalleryStore(openD1(env.DB, 'DB'));
      await store.migrate();
      return { store, second: new KyselyGalleryStore(openD1(env.DB, 'DB')) };
    })();
    try {
      const { store, second } = await stores;
      await c.run(store, second);
      return Response.json({ ok: true });
    } catch (e) {
      return Response.json({ ok: false, error: (e as Error).stack ?? String(e) });
    }
  },
};
