// The engine port the quantizer, its gates and its reports use: open a session from bytes, run
// FP32 feeds, read named outputs. ortSessions() adapts either onnxruntime package (passed in,
// so importing this file loads no engine): calibration uses onnxruntime-web on one thread,
// whose WebAssembly arithmetic is the same on every CPU, so a derived model's bytes do not
// depend on the machine; the gates and timings use whichever engine serves.

export interface F32 {
  data: Float32Array;
  dims: number[];
}
export type Feeds = Record<string, F32>;

export interface QSession {
  run(feeds: Feeds, outputs?: string[]): Promise<Record<string, F32>>;
  release(): Promise<void>;
  /** Ends profiling and returns the trace file's path (sessions opened with `profile`). */
  endProfiling?(): string;
}

export interface OpenOptions {
  /** ORT writes the graph it will run (after its fusions) to this path. */
  optimizedModelPath?: string;
  /** Collect per-node timings; the trace file name starts with this prefix. */
  profilePrefix?: string;
  intraOpThreads?: number;
  /** 'all' (default) as the server runs models; 'disabled' for calibration runs. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}
export type OpenSession = (model: Uint8Array, o?: OpenOptions) => Promise<QSession>;

type Ort = Pick<typeof import('onnxruntime-common'), 'InferenceSession' | 'Tensor'>;

export function ortSessions(ort: Ort, engine: 'native' | 'wasm'): OpenSession {
  return async (model, o = {}) => {
    const session = await ort.InferenceSession.create(model, {
      ...(engine === 'wasm' ? { executionProviders: ['wasm'] } : { intraOpNumThreads: o.intraOpThreads ?? 1, interOpNumThreads: 1 }),
      executionMode: 'sequential',
      graphOptimizationLevel: o.optimization ?? 'all',
      logSeverityLevel: 3,
      ...(o.optimizedModelPath ? { optimizedModelFilePath: o.optimizedModelPath } : {}),
      ...(o.profilePrefix ? { enableProfiling: true, profileFilePrefix: o.profilePrefix } : {}),
    });
    return {
      async run(feeds, outputs) {
        const ortFeeds: Record<string, InstanceType<Ort['Tensor']>> = {};
        for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
        const res = outputs ? await session.run(ortFeeds, outputs) : await session.run(ortFeeds);
        const out: Record<string, F32> = {};
        for (const [name, v] of Object.entries(res)) {
          const t = v as InstanceType<Ort['Tensor']>;
          if (t.type !== 'float32') throw new Error(`output '${name}' is ${t.type}; the quantizer reads FP32 values only`);
          out[name] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
        }
        return out;
      },
      release: () => session.release(),
      ...(o.profilePrefix ? { endProfiling: () => (session as unknown as { endProfiling(): string }).endProfiling() } : {}),
    };
  };
}
