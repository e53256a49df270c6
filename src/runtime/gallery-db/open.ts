// Builds the face gallery for a server root: which database GALLERY_DATABASE names (a
// postgres:// URL, or an SQLite file with the runtime's own binding, by default
// DATA_DIR/gallery.sqlite beside the model repository), the GalleryService over it and the
// face pipeline, and its lifecycle (open + migrate with the models' load, close at shutdown).
// Routes can be mounted before the database is open: each store call waits for it (deferred.ts).

import { dirname, join, resolve } from 'node:path';
import type { ServerConfig } from '../../config/server-config.ts';
import type { DataPlane } from '../../core/dataplane.ts';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { Logger } from '../log.ts';
import { type GalleryHandle, deferredGallery } from './deferred.ts';
import type { ThumbnailerFactory } from './thumbnails.ts';

export type { GalleryHandle };

/** Opens an SQLite file with this runtime's binding (bun:sqlite, better-sqlite3, node:sqlite). */
export type SqliteOpener = (path: string) => Promise<GalleryDb>;

export interface GalleryParts {
  /** Absent where the runtime has no SQLite binding (then only postgres:// works). */
  gallerySqlite?: SqliteOpener;
  /** Face crops for galleries that keep thumbnails (thumbnails.ts); absent where no image encoder loads. */
  thumbnails?: ThumbnailerFactory;
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
  return deferredGallery({
    openDb: async () => (target.kind === 'postgres' ? (await import('./postgres.ts')).openPostgres(target.url) : parts.gallerySqlite!(target.path)),
    describe: target.kind === 'postgres' ? 'PostgreSQL' : target.path,
    dataPlane,
    indexBytes: cfg.galleryIndexMb * 2 ** 20,
    thumbnails: parts.thumbnails?.({ maxPixels: cfg.maxImagePixels }),
    log,
  });
}
