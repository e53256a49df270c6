// The face models' own package, run as the package runs it, for the face reference test: the
// faceplugin-face-recognition-js@0.0.1 tarball obtained the way `edgeserve pull` obtains it (the
// pull cache keyed by integrity, else `npm pack` / the configured registry), extracted into a temp
// dir, and its lib/*.js executed under Bun with the opencv.js it bundles (loaded by its own
// lib/load_opencv.js), onnxruntime-web (what it imports) and ndarray / ndarray-ops (its declared
// dependencies, devDependencies here). Shares no code with edgeserve's image/, engine/ or tasks/.
//
// What is provided around it, and why:
// - The browser globals its code touches: window, document.createElement/body.appendChild (the
//   <script> load_opencv.js adds is evaluated from the tarball's js/opencv.js, its wasm handed
//   over as Module.wasmBinary because there is no page URL to fetch it from), and a canvas that
//   cv.imread(canvas_id) reads with getImageData. Its pixels come from Skia (@napi-rs/canvas):
//   loadImage + drawImage at natural size, the path Chrome takes (Chrome's canvas is Skia),
//   EXIF orientation applied as browsers do.
// - One appended export line per lib file, so the test can call the package's internal
//   helpers (convert68pts5pts, alignFeatureImage, alignLivenessImage, the preprocess*
//   functions) on their own. No function body is changed.
// - Sessions created from the tarball's own model/*.onnx (its loaders fetch "../model/…" URLs).

import { createCanvas, loadImage } from '@napi-rs/canvas';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadNpmConfig } from '../src/runtime/pull/npm-config.ts';
import { findNpm } from '../src/runtime/pull/npm-pack.ts';
import { getTarball } from '../src/runtime/pull/npm-package.ts';
import { TarReader } from '../src/runtime/pull/tar.ts';
import { MODELS } from './helpers.ts';

export const PACKAGE = { name: 'faceplugin-face-recognition-js', version: '0.0.1' };

// The package's lib functions work on ndarray / onnxruntime-web objects: loosely typed here.
// biome-ignore lint/suspicious/noExplicitAny: the package is untyped JavaScript
type Any = any;

/** Pixels as cv.imread sees them: RGBA8, row-major. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Obtains the tarball through the pull code (cache first) and extracts it; returns package/. */
export async function extractPackage(): Promise<{ dir: string; root: string; tarball: string; integrity: string }> {
  const cwd = resolve(MODELS);
  const npmPack = findNpm({ cwd });
  const t = await getTarball(PACKAGE, {
    config: loadNpmConfig({ cwd }),
    fetch,
    cacheDir: resolve(MODELS, '..', '.cache', 'edgeserve'),
    ...(npmPack ? { npmPack } : {}),
  });
  const root = mkdtempSync(join(tmpdir(), 'edgeserve-faceplugin-'));
  const reader = new TarReader(
    (e) => e.type === 'file',
    (e, data) => {
      const to = resolve(root, e.name);
      if (!to.startsWith(`${root}/`)) throw new Error(`tar entry ${e.name} leaves the folder`);
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, data);
    },
  );
  reader.write(gunzipSync(readFileSync(t.file)));
  reader.finish();
  const dir = join(root, 'package');
  // Its bare imports (onnxruntime-web, ndarray, ndarray-ops) resolve to this checkout's packages.
  symlinkSync(resolve(MODELS, '..', 'node_modules'), join(dir, 'node_modules'));
  return { dir, root, tarball: t.file, integrity: t.integrity };
}

const INTERNALS: Record<string, string[]> = {
  'fr_detect.js': ['preprocessDetection'],
  'fr_landmark.js': ['alignLandmarkImage', 'preprocessLandmark'],
  'fr_liveness.js': ['alignLivenessImage', 'preprocessLiveness'],
  'fr_feature.js': ['convert68pts5pts', 'alignFeatureImage', 'preprocessFeature', 'REFERENCE_FACIAL_POINTS'],
  'fr_pose.js': ['preprocessPose'],
};

class FakeImageElement {}
class FakeCanvas {
  constructor(
    readonly width: number,
    readonly height: number,
    private readonly data: Uint8ClampedArray,
  ) {}
  getContext() {
    return {
      getImageData: (x: number, y: number, w: number, h: number) => {
        if (x !== 0 || y !== 0 || w !== this.width || h !== this.height) throw new Error('the package reads whole canvases only');
        return { width: w, height: h, data: this.data };
      },
    };
  }
}

export interface FacePackage {
  dir: string;
  cv: Any;
  ort: Any;
  detect: Any;
  landmark: Any;
  liveness: Any;
  pose: Any;
  feature: Any;
  sessions: { detect: Any; landmark: Any; liveness: Any; pose: Any; feature: Any };
  /** Registers pixels under a canvas id for the package's cv.imread(canvas_id). */
  canvas(id: string, p: Pixels): void;
  /** A Mat of the canvas (cv.imread), for the internal helpers; delete() it after use. */
  imread(id: string): Any;
  /** The package's bbox argument (an ndarray [n, 4] of x1, y1, x2, y2). */
  bbox(boxes: number[][]): Any;
  /** Runs fn with console.log silenced (the package logs every liveness result). */
  quiet(fn: () => Promise<Any>): Promise<Any>;
  /** Removes the page's globals and the extracted package. */
  close(): void;
}

let loaded: Promise<FacePackage> | undefined;

/** What the page provides (and opencv.js adds: Module, cv), removed again by close(). */
const PAGE_GLOBALS = ['window', 'document', 'HTMLImageElement', 'HTMLCanvasElement', 'Module', 'cv'];

/** The package, loaded once per process (opencv.js is a global of the page it runs in). */
export function loadFacePackage(): Promise<FacePackage> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<FacePackage> {
  const { dir, root } = await extractPackage();
  for (const [file, names] of Object.entries(INTERNALS)) appendFileSync(join(dir, 'lib', file), `\nexport { ${names.join(', ')} };\n`);
  const g = globalThis as Any;
  // Restored by close(): other test files in this process must not see a browser.
  const saved = PAGE_GLOBALS.map((k) => [k, Object.getOwnPropertyDescriptor(g, k)] as const);
  const canvases = new Map<string, FakeCanvas>();
  g.window = g;
  g.HTMLImageElement = FakeImageElement;
  g.HTMLCanvasElement = FakeCanvas;
  g.document = {
    getElementById: (id: string) => canvases.get(id) ?? null,
    createElement: (tag: string) => ({ tagName: tag.toUpperCase() }),
    body: {
      // A <script src> loads after the code that added it has run (load_opencv.js sets
      // window.Module only after appendChild).
      appendChild(script: { src: string; onload?: () => void }) {
        setTimeout(() => {
          g.Module.wasmBinary = readFileSync(join(dir, 'js', 'opencv_js.wasm'));
          // biome-ignore lint/security/noGlobalEval: a <script>'s code runs in the page's global scope (its UMD wrapper sets window.cv); the code is the tarball's js/opencv.js
          (0, eval)(readFileSync(resolve(dir, 'lib', script.src), 'utf8'));
          script.onload?.();
        }, 0);
      },
    },
  };
  const opencv = await import(join(dir, 'lib', 'load_opencv.js'));
  const log = console.log;
  console.log = () => {};
  try {
    await opencv.load_opencv();
    for (let i = 0; i < 3000 && !opencv.cv; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    console.log = log;
  }
  if (!opencv.cv) throw new Error("the package's opencv.js did not call Module._main within 30 s");
  const ort = await import('onnxruntime-web');
  const session = (f: string) => ort.InferenceSession.create(readFileSync(join(dir, 'model', f)));
  const [detect, landmark, liveness, pose, feature] = await Promise.all(
    ['fr_detect', 'fr_landmark', 'fr_liveness', 'fr_pose', 'fr_feature'].map((f) => import(join(dir, 'lib', `${f}.js`))),
  );
  const sessions = {
    detect: await session('fr_detect.onnx'),
    landmark: await session('fr_landmark.onnx'),
    liveness: await session('fr_liveness.onnx'),
    pose: await session('fr_pose.onnx'),
    feature: await session('fr_feature.onnx'),
  };
  // By name, so the checker does not look for its (absent) type declarations.
  const ndarrayName = 'ndarray';
  const ndarray = (await import(ndarrayName)).default;
  return {
    dir,
    cv: opencv.cv,
    ort,
    detect,
    landmark,
    liveness,
    pose,
    feature,
    sessions,
    canvas: (id, p) => {
      canvases.set(id, new FakeCanvas(p.width, p.height, p.data));
    },
    imread: (id) => opencv.cv.imread(id),
    bbox: (boxes) => ndarray(new Float32Array(boxes.flat()), [boxes.length, 4]),
    async quiet(fn) {
      console.log = () => {};
      try {
        return await fn();
      } finally {
        console.log = log;
      }
    },
    close: () => {
      for (const [k, d] of saved) {
        if (d) Object.defineProperty(g, k, d);
        else delete g[k];
      }
      loaded = undefined;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** An encoded image drawn on a canvas at its natural size, as a page does before cv.imread. */
export async function canvasPixels(bytes: Uint8Array): Promise<Pixels> {
  const img = await loadImage(Buffer.from(bytes));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height);
  return { width: d.width, height: d.height, data: new Uint8ClampedArray(d.data) };
}

/** The same pixels with R and B exchanged: the package's cvtColor(COLOR_BGR2RGB) on them yields
 *  true R, G, B (and its BGR2GRAY true BT.601 luma), as in the Python code it was ported from. */
export function swapRB(p: Pixels): Pixels {
  const d = new Uint8ClampedArray(p.data);
  for (let i = 0; i < d.length; i += 4) {
    d[i] = p.data[i + 2];
    d[i + 2] = p.data[i];
  }
  return { ...p, data: d };
}
