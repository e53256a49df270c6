// The gallery service over a database that opens on first use: routes are mounted before the
// database is open, and each store call waits for it (open + migrate once; a failed open is
// retried by the next call). Shared by the server roots (open.ts) and the Worker (cloudflare.ts,
// D1), so it imports no node: module.

import type { DataPlane } from '../../core/dataplane.ts';
import { type GalleryDb, KyselyGalleryStore } from '../../gallery/db/kysely-store.ts';
import { FaceServiceAnalyzer } from '../../gallery/face-adapter.ts';
import { GalleryIndexes } from '../../gallery/index-cache.ts';
import { GalleryService, type Thumbnailer } from '../../gallery/service.ts';
import type { GalleryStore } from '../../gallery/store.ts';
import type { Logger } from '../log.ts';

export interface GalleryHandle {
  service: GalleryService;
  describe: string;
  /** Opens the database and applies migrations. */
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface DeferredGalleryOptions {
  /** Opens the database (called once, again only after a failure). */
  openDb: () => Promise<GalleryDb> | GalleryDb;
  /** For logs before the database is open. */
  describe: string;
  dataPlane: DataPlane;
  indexBytes: number;
  thumbnails?: Thumbnailer;
  /** How many times a failed migration is run again (D1: isolates starting together race). */
  migrateRetries?: number;
  log: Logger;
}

export function deferredGallery(o: DeferredGalleryOptions): GalleryHandle {
  let store: KyselyGalleryStore | undefined;
  let opening: Promise<KyselyGalleryStore> | undefined;
  const open = () =>
    (opening ??= (async () => {
      const s = new KyselyGalleryStore(await o.openDb());
      for (let attempt = 0; ; attempt++) {
        try {
          await s.migrate();
          break;
        } catch (e) {
          if (attempt >= (o.migrateRetries ?? 0)) {
            await s.close().catch(() => {});
            throw e;
          }
        }
      }
      store = s;
      o.log('info', `face gallery: ${s.describe}`);
      return s;
    })().catch((e) => {
      opening = undefined; // the next request tries again
      throw e;
    }));
  const deferred = new Proxy({} as GalleryStore, {
    get: (_, k) =>
      k === 'describe'
        ? (store?.describe ?? 'opening')
        : async (...a: unknown[]) => {
            const s = await open();
            return (s[k as keyof GalleryStore] as (...x: unknown[]) => unknown).apply(s, a);
          },
  });
  const indexes = new GalleryIndexes(deferred, { maxBytes: o.indexBytes });
  const service = new GalleryService(deferred, new FaceServiceAnalyzer(o.dataPlane), indexes, { thumbnails: o.thumbnails });
  return {
    service,
    describe: o.describe,
    open: async () => {
      await open();
    },
    close: async () => {
      if (!opening) return;
      const s = await opening.catch(() => undefined);
      await s?.close();
    },
  };
}
