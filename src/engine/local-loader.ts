// The loader chain as it runs in one thread (inside each pool worker, on Cloudflare Workers, and
// when the server runs models in-process): image input → platform → engine.
//
//   ImageInputLoader       config `image`: decode + preprocess encoded images (image-input.ts)
//     platform dispatch    `platform`/`backend` (platforms.ts) → that platform's loader:
//       onnxruntime_onnx   BatchableLoader (`make_batchable`) → RewriteLoader (`rewrite_prelu`)
//                          → OnnxLoader (sessions, calibration)
//       identity           IdentityLoader
//       …                  pipelines passed in `platforms` (they reach their components through
//                          `directory`)
//
// Placement (which thread the chain runs in) is the layer above: the worker pool's WorkerLoader,
// or this chain directly for in-process serving. Both are chosen in the composition root.

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import type { Tensor } from '../core/tensor.ts';
import type { OpenSession, VerifyTensor } from '../onnx/verify.ts';
import type { Backend } from './backend.ts';
import { BatchableLoader } from './batchable-loader.ts';
import { IdentityLoader } from './identity-loader.ts';
import { ImageInputLoader, type ImageTensorizer } from './image-input.ts';
import { LocalDirectory } from './local-directory.ts';
import { OnnxLoader } from './onnx-loader.ts';
import { platformOf } from './platforms.ts';
import { RewriteLoader } from './rewrite-loader.ts';

export interface LocalLoaderOptions {
  backend: (config: ModelConfig) => Backend;
  /** Instances for a model whose instance_group does not say. */
  defaultInstances: number;
  intraOpThreads: number;
  tensorizer?: ImageTensorizer;
  /** Time batch sizes at load and cap engine calls at the efficient one (default true). */
  calibrateBatches?: boolean;
  /** Loaders of further platforms (pipelines), by platform name; they get this thread's
   *  directory of loaded models. */
  platforms?: Record<string, (directory: LocalDirectory) => ModelLoader>;
}

export class LocalLoader implements ModelLoader {
  readonly directory = new LocalDirectory();
  private readonly chain: ModelLoader;

  constructor(opts: LocalLoaderOptions) {
    const onnx = new BatchableLoader(new RewriteLoader(new OnnxLoader(opts), (config) => opts.backend(config).name), (config) =>
      verifyOpener(opts.backend(config)),
    );
    const byPlatform: Record<string, ModelLoader> = {
      onnxruntime_onnx: onnx,
      identity: new IdentityLoader(opts.defaultInstances),
      ...Object.fromEntries(Object.entries(opts.platforms ?? {}).map(([k, make]) => [k, make(this.directory)])),
    };
    const dispatch: ModelLoader = {
      load: async (name, version, config, bytes) => {
        const platform = platformOf(config).name;
        const loader = byPlatform[platform];
        if (!loader) throw new Error(`platform '${platform}' cannot be loaded on this runtime`);
        const loaded = await loader.load(name, version, config, bytes);
        return this.listed(name, version, config, loaded);
      },
    };
    this.chain = new ImageInputLoader(dispatch, opts.tensorizer);
  }

  load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    return this.chain.load(name, version, config, bytes);
  }

  modelFile(config: ModelConfig): string | undefined {
    return platformOf(config).modelFile;
  }

  /** Lists the version in this thread's directory until one of its instances is disposed. */
  private listed(name: string, version: string, config: ModelConfig, loaded: LoadedModel): LoadedModel {
    const remove = this.directory.add({
      name,
      version,
      config: loaded.config ?? config,
      instances: loaded.instances,
      inputs: loaded.inputs,
      outputs: loaded.outputs,
    });
    return {
      ...loaded,
      instances: loaded.instances.map((i) => ({
        execute: (items) => i.execute(items),
        dispose: () => {
          remove();
          return i.dispose();
        },
        ...('maxItemsPerCall' in i
          ? {
              get maxItemsPerCall() {
                return (i as { maxItemsPerCall?: number }).maxItemsPerCall;
              },
            }
          : {}),
      })),
    };
  }
}

/** A session of the model's own engine, as the make_batchable check wants it. */
function verifyOpener(backend: Backend): OpenSession {
  return async (model) => {
    const s = await backend.createSession(model, { intraOpThreads: 1 });
    return {
      async run(feeds) {
        const tensors = Object.entries(feeds).map(([name, t]) => ({ name, datatype: t.datatype, shape: t.dims, data: t.data }) as Tensor);
        const outs = await s.run(
          tensors,
          s.outputs.map((o) => o.name),
        );
        return Object.fromEntries(outs.map((o) => [o.name, { datatype: o.datatype, data: o.data, dims: o.shape } as VerifyTensor]));
      },
      release: () => s.release(),
    };
  };
}
