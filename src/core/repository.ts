// The ModelRepository port: where model configs and weights live. A filesystem implementation
// serves Bun/Deno/Node; a bundled one serves Cloudflare Workers and the compiled binary.

export interface ModelRepository {
  /** Model directory names. */
  list(): Promise<string[]>;
  /** Raw config.json text, and a label (e.g. the file path) for error messages. */
  readConfig(name: string): Promise<{ text: string; source: string }>;
  /** Version directories present for the model (numeric strings). */
  listVersions(name: string): Promise<string[]>;
  /** The model file's bytes, and a label for error messages. */
  readModel(name: string, version: string): Promise<{ bytes: Uint8Array; source: string }>;
}
