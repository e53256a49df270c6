// The image-input layer of the loader chain: for a model whose config.json has `image`, its
// instances take encoded images (a BYTES input) and this layer decodes and preprocesses them into
// the model's input tensor before the inner instance runs. Any platform gets it the same way;
// the engine below only ever sees tensors. The next engine call's images are decoded while the
// current call runs, so a gathered batch streams through the thread as single requests do.

import type { FixedData } from '../core/datatypes.ts';
import { invalid } from '../core/errors.ts';
import type { ExecutionBatchResult, ExecutionItem, ExecutionTiming, ModelInstance } from '../core/instance.ts';
import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ImagePreprocessing, ModelConfig } from '../core/model-config.ts';
import type { Parameters, Tensor } from '../core/tensor.ts';
import type { ImageDecoder } from '../image/decoder.ts';
import { chunks, concatData, errorOf } from './engine-instance.ts';

/** Turns one encoded image into the model's input layout (without the batch dim). */
export interface ImageTensorizer {
  toTensor(
    bytes: Uint8Array,
    spec: ImagePreprocessing,
    crop?: [number, number, number, number],
  ): Promise<{
    data: FixedData;
    shape: number[];
    /** Size of the image after EXIF orientation, before any resize. */
    width: number;
    height: number;
  }>;
  /** The decoder behind it, for pipelines that decode an image once and crop it many times. */
  readonly decoder?: ImageDecoder;
}

/** An instance a layer above may feed in calls of at most this many items. */
interface Chunked {
  readonly maxItemsPerCall?: number;
}

export class ImageInputLoader implements ModelLoader {
  constructor(
    private readonly inner: ModelLoader,
    private readonly tensorizer: ImageTensorizer | undefined,
  ) {}

  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    const img = config.image;
    if (img && !this.tensorizer) throw new Error('image preprocessing is configured but this runtime has no image decoder');
    const loaded = await this.inner.load(name, version, config, bytes);
    if (!img) return loaded;
    const input = img.input ?? loaded.inputs[0]?.name;
    if (!loaded.inputs.some((i) => i.name === input)) {
      await Promise.all(loaded.instances.map((i) => i.dispose()));
      throw new Error(`image.input: '${input}' is not an input of the model (inputs: ${loaded.inputs.map((i) => i.name).join(', ')})`);
    }
    const image = { spec: img, input, tensorizer: this.tensorizer! };
    return { ...loaded, instances: loaded.instances.map((i) => new ImageInputInstance(i, image)) };
  }
}

interface ImageInput {
  spec: ImagePreprocessing;
  input: string;
  tensorizer: ImageTensorizer;
}

interface Prepared {
  item: ExecutionItem;
  parameters?: Parameters;
}

const now = () => performance.now();

export class ImageInputInstance implements ModelInstance {
  constructor(
    private readonly inner: ModelInstance & Chunked,
    private readonly image: ImageInput,
  ) {}

  async execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const results: ExecutionBatchResult['results'] = new Array(items.length);
    const timing: ExecutionTiming = { inputUs: 0, inferUs: 0, outputUs: 0 };
    const limit = this.inner.maxItemsPerCall ?? Number.POSITIVE_INFINITY;
    const groups = chunks(
      items.map((_, i) => i),
      (i) => items[i].inputs[0]?.shape[0] ?? 1,
      limit,
    );
    const prepareGroup = async (g: number[]) => {
      const s = now();
      const p = await Promise.all(g.map((i) => this.prepare(items[i]).catch((e: unknown) => ({ error: errorOf(e) }))));
      timing.inputUs += (now() - s) * 1000;
      return p;
    };
    let next = groups.length ? prepareGroup(groups[0]) : undefined;
    for (let g = 0; g < groups.length; g++) {
      const prepared = await next!;
      next = g + 1 < groups.length ? prepareGroup(groups[g + 1]) : undefined;
      const ok: Array<[number, Prepared]> = [];
      groups[g].forEach((i, j) => {
        const p = prepared[j];
        if ('error' in p) results[i] = { error: p.error };
        else ok.push([i, p]);
      });
      if (!ok.length) continue;
      const r = await this.inner.execute(ok.map(([, p]) => p.item));
      timing.inputUs += r.timing.inputUs;
      timing.inferUs += r.timing.inferUs;
      timing.outputUs += r.timing.outputUs;
      ok.forEach(([i, p], j) => {
        const res = r.results[j];
        results[i] = 'error' in res || !p.parameters ? res : { ...res, parameters: { ...res.parameters, ...p.parameters } };
      });
    }
    return { results, timing };
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  private async prepare(item: ExecutionItem): Promise<Prepared> {
    const { spec, input, tensorizer } = this.image;
    let parameters: Parameters | undefined;
    const inputs = await Promise.all(
      item.inputs.map(async (t): Promise<Tensor> => {
        if (t.name !== input || t.datatype !== 'BYTES') return t;
        const crop = parseCrop(t);
        const images = await Promise.all((t.data as Uint8Array[]).map((b) => tensorizer.toTensor(b, spec, crop)));
        parameters =
          images.length === 1
            ? { image_width: images[0].width, image_height: images[0].height }
            : { image_sizes: JSON.stringify(images.map((m) => [m.width, m.height])) };
        const data = images.length === 1 ? images[0].data : concatData(images.map((m) => m.data));
        return { name: t.name, datatype: spec.dtype, shape: [images.length, ...images[0].shape], data };
      }),
    );
    return { item: { ...item, inputs }, parameters };
  }
}

/** Tensor parameter `crop`: "x1,y1,x2,y2" in original-image pixels (used by face embedding). */
function parseCrop(t: Tensor): [number, number, number, number] | undefined {
  const c = t.parameters?.crop;
  if (c === undefined) return undefined;
  const v = String(c)
    .split(',')
    .map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x)) || v[2] <= v[0] || v[3] <= v[1]) {
    throw invalid(`input '${t.name}': parameter crop must be "x1,y1,x2,y2" with x2 > x1 and y2 > y1, got '${c}'`);
  }
  return v as [number, number, number, number];
}
