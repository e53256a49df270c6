// The parts Bun, Deno (with FFI) and Node share when running from source: the filesystem
// repository, docs from swagger-ui-dist, native engine and decoder (in workers, or in-process),
// PNG rendering and gallery thumbnails with @napi-rs/canvas.

import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { webBackend } from '../engine/onnxruntime-web.ts';
import { fsDocsAssets } from './docs-assets.ts';
import { FsRepository } from './fs-repository.ts';
import { canvasThumbnails } from './gallery-db/thumbnails.ts';
import type { EngineParts, StackParts } from './stack.ts';

export async function nativeParts(models: string, workers: EngineParts['workers'] = {}): Promise<StackParts> {
  const { renderFaces } = await import('./render-faces.ts');
  return {
    repository: new FsRepository(models),
    docs: fsDocsAssets,
    render: renderFaces,
    thumbnails: canvasThumbnails,
    engines: {
      workers,
      inProcess: {
        backends: () => ({ 'onnxruntime-node': nodeBackend(), 'onnxruntime-web': webBackend() }),
        tensorizer: async (maxPixels) => (await import('./native-image.ts')).nativeTensorizer({ maxPixels }),
      },
    },
  };
}
