// Builds the face gallery for a server root: which database GALLERY_DATABASE names (a
// postgres:// URL, or an SQLite file with the runtime's own binding, by default
// DATA_DIR/gallery.sqlite beside the model repository), the GalleryService over it and the
// face pipeline, and its lifecycle (open + migrate with the models' load, close at shutdown).
// Routes can be mounted before the database is open: each store call waits for it.

import { dirname, join, resolve } from 'node:path';
import type { ServerConfig } from '../../config/server-config.ts';
import type { DataPlane } from '../../core/dataplane.ts';
import { type GalleryDb, KyselyGalleryStore } from '../../gallery/db/kysely-store.ts';
import { FaceServiceAnalyzer } from '../../gallery/face-adapter.ts';
import { GalleryIndexes } from '../../gallery/index-cache.ts';
import { GalleryService, type Thumbnailer } from '../../gallery/service.ts';
import type { GalleryStore } from '../../gallery/store.ts';
import type { Logger } from '../log.ts';

/** Opens an SQLite file with this runtime's binding (bun:sqlite, better-sqlite3, node:sqlite). */
export type SqliteOpener = (path: string) => Promise<GalleryDb>;

export interface GalleryParts {
  /** Absent where the runtime has no SQLite binding (then only postgres:// works). */
  gallerySqlite?: SqliteOpener;
  /** Face crops for galleries that keep thumbnails; absent where no image encoder loads. */
  thumbnails?: Thumbnailer;
}

export interface GalleryHandle {
  service: GalleryService;
  describe: string;
  /** Opens the database and applies migrations. */
  open(): Promise<void>;
  close(): Promise<void>;
}

export type GalleryTarget = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string } | { kind: 'off' };

export function galleryTarget(cfg: Pick<ServerConfig, 'galleryDatabase' | 'dataDir' | 'models'>): GalleryTarget {
  const setting = cfg.galleryDatabase;
  if (setting === 'off') return { kind: 'off' };
  if (setting && /^postgres(ql)?:\/\//.test(setting)) return { kind: 'postgres', url: setting };
  if (setting) return { kind: 'sqlite', path: resolve(setting.replace(/^sqlite:/, '')) };
  const dataDir = cfg.dataDir ? resolve(cfg.dataDir) : join(dirname(resolve(cfg.models)), 'data');
  return { kind: 'sqlite', path: join(dataDir, 'gallery.sqlite') };
}

export function createGallery(cfg: ServerConfig, parts: GalleryParts, dataPlane: DataPlane, log: Logger): GalleryHandle | undefined {
  const target = galleryTarget(cfg);
  if (target.kind === 'off') return undefined;
  if (target.kind === 'sqlite' && !parts.gallerySqlite) throw new Error('GALLERY_DATABASE: this runtime has no SQLite binding; give a postgres:// URL, or off');
  let store: KyselyGalleryStore | undefined;
  let opening: Promise<KyselyGalleryStore> | undefined;
  const open = () => (opening ??= (async () => {
    const db = target.kind === 'postgres'
      ? (await import('./postgres.ts')).openPostgres(target.url)
      : await parts.gallerySqlite!(target.path);
    const s = new KyselyGalleryStore(db);
    await s.migrate();
    store = s;
    log('info', `face gallery: ${s.describe}`);
    return s;
  })());
  const deferred = new Proxy({} as GalleryStore, {
    get: (_, k) => (k === 'describe' ? (store?.describe ?? 'opening') : async (...a: unknown[]) => {
      const s = await open();
      return (s[k as keyof GalleryStore] as (...x: unknown[]) => unknown)(...a);
    }),
  });
  const indexes = new GalleryIndexes(deferred, { maxBytes: cfg.galleryIndexMb * 2 ** 20 });
  const service = new GalleryService(deferred, new FaceServiceAnalyzer(dataPlane), indexes, { thumbnails: parts.thumbnails });
  return {
    service,
    describe: target.kind === 'postgres' ? 'PostgreSQL' : target.path,
    open: async () => { await open(); },
    close: async () => {
      if (!opening) return;
      const s = await opening.catch(() => undefined);
      await s?.close();
    },
  };
}
