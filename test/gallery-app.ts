// The in-memory app with the real face models and a face gallery over the given database
// (bun:sqlite in a temp folder unless another GalleryDb is given): what the gallery route tests
// run against. Also builds the test faces: the fixtures' two people and a cat, variants of them
// (flips, crops, re-encodes), and a drawn face nobody enrolled.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { nodeBackend } from '../src/engine/onnxruntime-node.ts';
import { type GalleryDb, KyselyGalleryStore } from '../src/gallery/db/kysely-store.ts';
import { FaceServiceAnalyzer } from '../src/gallery/face-adapter.ts';
import { GalleryIndexes } from '../src/gallery/index-cache.ts';
import { GalleryService, type Thumbnailer } from '../src/gallery/service.ts';
import { mountFaces } from '../src/http/routes/faces.ts';
import { mountGalleries } from '../src/http/routes/galleries.ts';
import { openBunSqlite } from '../src/runtime/gallery-db/bun.ts';
import { canvasThumbnails } from '../src/runtime/gallery-db/thumbnails.ts';
import { nativeTensorizer } from '../src/runtime/native-image.ts';
import { FaceService } from '../src/tasks/faces/service.ts';
import { LocalLoader } from '../src/engine/local-loader.ts';
import { assemble } from '../src/runtime/assemble.ts';
import { fsDocsAssets } from '../src/runtime/docs-assets.ts';
import { FsRepository } from '../src/runtime/fs-repository.ts';
import { facePlatforms } from '../src/tasks/faces/pipeline-loader.ts';
import { FIXTURES, tempRepository } from './helpers.ts';

const FACE_MODELS = ['face', 'face_detect', 'face_embed', 'face_landmark', 'face_liveness', 'face_pose', 'face_eye'];

export interface GalleryAppOptions {
  /** Default: bun:sqlite in a temp folder. */
  db?: GalleryDb;
  /** Default: the canvas thumbnailer (as Bun/Node/Deno serve); null: none (as a runtime without an encoder). */
  thumbnails?: Thumbnailer | null;
  /** May change the copied model repository (e.g. the face job's quality gate) before it loads. */
  edit?: (repo: string) => void;
}

export async function galleryApp(o: GalleryAppOptions = {}) {
  const db = o.db;
  const thumbnails = o.thumbnails === null ? undefined : (o.thumbnails ?? canvasThumbnails({ maxPixels: 50_000_000 }));
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-gallery-'));
  const handle = db ?? (await openBunSqlite(join(dir, 'gallery.sqlite')));
  const store = new KyselyGalleryStore(handle);
  await store.migrate();
  const repo = tempRepository(FACE_MODELS);
  o.edit?.(repo);
  let service: GalleryService | undefined;
  const tensorizer = nativeTensorizer({ maxPixels: 50_000_000 });
  const backend = nodeBackend();
  const built = assemble({
    repository: new FsRepository(repo),
    loader: new LocalLoader({
      backend: () => backend,
      defaultInstances: 1,
      intraOpThreads: 1,
      tensorizer,
      platforms: facePlatforms({ tensorizer: async () => tensorizer, maxPixels: 50_000_000, defaultInstances: 1 }),
    }),
    docs: fsDocsAssets,
    log: () => {},
    maxBodyBytes: 8 * 1024 * 1024,
    maxQueueSize: 64,
    defaultInstances: 1,
    mount: [
      (app, dp) => mountFaces(app, new FaceService(dp), { maxBodyBytes: 8 * 1024 * 1024 }),
      (app, dp) => {
        service = new GalleryService(store, new FaceServiceAnalyzer(dp), new GalleryIndexes(store, { maxBytes: 256 * 2 ** 20 }), { thumbnails });
        mountGalleries(app, service, { maxBodyBytes: 8 * 1024 * 1024 });
      },
    ],
  });
  await built.load();
  return {
    ...built,
    store,
    service: service!,
    close: async () => {
      await built.dataPlane.shutdown();
      await store.close();
      rmSync(repo, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const fixture = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));

type Draw = (g: ReturnType<ReturnType<typeof createCanvas>['getContext']>, w: number, h: number, img: Awaited<ReturnType<typeof loadImage>>) => void;

/** A JPEG re-drawn from a fixture (flip, crop, brightness...) at quality q. */
export async function variant(file: string, draw: Draw, size?: [number, number], q = 85): Promise<Uint8Array> {
  const img = await loadImage(Buffer.from(fixture(file)));
  const c = createCanvas(size?.[0] ?? img.width, size?.[1] ?? img.height);
  draw(c.getContext('2d'), img.width, img.height, img);
  return new Uint8Array(await c.encode('jpeg', q));
}

export const flipped = (file: string) =>
  variant(file, (g, w, _h, img) => {
    g.translate(w, 0);
    g.scale(-1, 1);
    g.drawImage(img, 0, 0);
  });

/** A drawn face (the detector finds it at 0.999): a face that belongs to no enrolled subject. */
export async function drawnFace(): Promise<Uint8Array> {
  const c = createCanvas(400, 400);
  const g = c.getContext('2d');
  g.fillStyle = '#8a9bb0';
  g.fillRect(0, 0, 400, 400);
  g.fillStyle = '#e0b090';
  g.beginPath();
  g.ellipse(200, 210, 110, 145, 0, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = '#3a2a1a';
  g.beginPath();
  g.ellipse(200, 95, 115, 55, 0, Math.PI, 0);
  g.fill();
  g.fillStyle = '#fff';
  for (const x of [155, 245]) {
    g.beginPath();
    g.ellipse(x, 185, 22, 12, 0, 0, Math.PI * 2);
    g.fill();
  }
  g.fillStyle = '#224';
  for (const x of [155, 245]) {
    g.beginPath();
    g.arc(x, 185, 8, 0, Math.PI * 2);
    g.fill();
  }
  g.strokeStyle = '#532';
  g.lineWidth = 5;
  for (const x of [155, 245]) {
    g.beginPath();
    g.moveTo(x - 25, 160);
    g.lineTo(x + 25, 158);
    g.stroke();
  }
  g.strokeStyle = '#a07050';
  g.lineWidth = 4;
  g.beginPath();
  g.moveTo(200, 200);
  g.lineTo(190, 255);
  g.lineTo(210, 258);
  g.stroke();
  g.fillStyle = '#a33';
  g.beginPath();
  g.ellipse(200, 295, 40, 12, 0, 0, Math.PI * 2);
  g.fill();
  return new Uint8Array(await c.encode('jpeg', 90));
}

/** multipart/form-data with an image part and text fields. */
export function form(image: Uint8Array, fields: Record<string, string> = {}, type = 'image/jpeg'): FormData {
  const f = new FormData();
  f.append('image', new Blob([image as BlobPart], { type }), 'photo');
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}
