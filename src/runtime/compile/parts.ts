// What the compiled binary serves with: the built-in model repository (or MODEL_REPOSITORY /
// --models when given), the built-in Swagger UI, and the best engine that loads here: the
// native engine and decoder in worker threads when the built-in libonnxruntime.so.1 and
// @napi-rs/canvas load, else onnxruntime-web and/or the @jsquash decoder in-process.

import type { ServerConfig } from '../../config/server-config.ts';
import type { Backend, EngineName } from '../../engine/backend.ts';
import { nodeBackend } from '../../engine/onnxruntime-node.ts';
import type { DocsAssets } from '../../http/docs.ts';
import { createJsquashDecoder } from '../../image/decoders/jsquash.ts';
import { createImageTensorizer } from '../../image/tensorizer.ts';
import { FsRepository } from '../fs-repository.ts';
import { canvasThumbnails } from '../gallery-db/thumbnails.ts';
import type { Logger } from '../log.ts';
import type { StackParts } from '../stack.ts';
import { builtInAssets, embeddedUrl } from './embedded.ts';
import { preloadOnnxRuntime } from './native.ts';
import { BuiltInRepository } from './repository.ts';
import { builtInJsquashWasm, builtInWebBackend } from './wasm.ts';

export interface CompiledOptions {
  /** MODEL_REPOSITORY or --models was given: serve that directory instead of the built-in models. */
  repositoryDir?: string;
}

export async function compiledParts(cfg: ServerConfig, log: Logger, o: CompiledOptions): Promise<StackParts> {
  const files = await builtInAssets();
  const builtIn = new BuiltInRepository(files);
  if (!o.repositoryDir && builtIn.empty) throw new Error('this binary was built without models: pass --models <dir>');
  const text = (p: string) => {
    const b = files.get(p);
    if (!b) throw new Error(`${p} is not built into this binary`);
    return new TextDecoder().decode(b);
  };
  const docs: DocsAssets = { load: async () => ({ css: text('docs/swagger-ui.css'), js: text('docs/swagger-ui-bundle.js') }) };

  const { ort, canvas } = await probeNative(log);
  const render = canvas ? (await import('../render-faces.ts')).renderFaces : undefined;
  const backends = (): Partial<Record<EngineName, Backend>> => ({
    ...(ort ? { 'onnxruntime-node': nodeBackend() } : {}),
    'onnxruntime-web': builtInWebBackend(),
  });
  const missing = [ort ? '' : 'onnxruntime-node', canvas ? '' : '@napi-rs/canvas'].filter(Boolean).join(' and ');
  // The pool's worker entry loads onnxruntime-node (or an unconfigured onnxruntime-web) and the
  // canvas decoder itself: only the all-native case can use it.
  const workers = ort && canvas && cfg.engine === 'onnxruntime-node';
  return {
    repository: o.repositoryDir ? new FsRepository(o.repositoryDir) : builtIn,
    repositoryLabel: o.repositoryDir ?? 'the models built into this binary',
    docs,
    render,
    thumbnails: canvas ? canvasThumbnails : undefined,
    engines: {
      workers: workers ? { entry: embeddedUrl('src/workers/worker-entry.ts') } : undefined,
      engine: ort ? undefined : 'onnxruntime-web',
      note: !missing
        ? undefined
        : process.env.EDGESERVE_NATIVE === '0'
          ? 'EDGESERVE_NATIVE=0: WASM engine and decoder in-process'
          : `${missing} unavailable: WASM ${[ort ? '' : 'engine', canvas ? '' : 'decoder'].filter(Boolean).join(' and ')} in-process`,
      inProcess: {
        backends,
        tensorizer: async (maxPixels) =>
          canvas
            ? (await import('../native-image.ts')).nativeTensorizer({ maxPixels })
            : createImageTensorizer(createJsquashDecoder(builtInJsquashWasm()), { maxPixels }),
      },
    },
  };
}

/** Which native parts load here. EDGESERVE_NATIVE=0 skips both (to run the WASM fallback). */
async function probeNative(log: Logger): Promise<{ ort: boolean; canvas: boolean }> {
  if (process.env.EDGESERVE_NATIVE === '0') return { ort: false, canvas: false };
  const [ort, canvas] = await Promise.all([
    preloadOnnxRuntime().then(
      () => true,
      (e: Error) => {
        log('warn', `native engine unavailable (${e.message}); using onnxruntime-web`);
        return false;
      },
    ),
    // Loading the canvas addon on the main thread is safe (render-faces does it anyway); only
    // onnxruntime-node must stay out of the main thread while workers load it.
    import('@napi-rs/canvas').then(
      () => true,
      (e: Error) => {
        log('warn', `native image decoder unavailable (${e.message}); using @jsquash`);
        return false;
      },
    ),
  ]);
  return { ort, canvas };
}
