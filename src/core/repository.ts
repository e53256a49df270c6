// The ModelRepository port: where model configs and weights live. A filesystem implementation
// serves Bun/Deno/Node; bundled ones serve Cloudflare Workers and the compiled binary.

export interface ModelRepository {
  /** Model directory names (with or without a config.json). */
  list(): Promise<string[]>;
  /** Raw config.json text (undefined when the directory has none), and a label (the path) for
   *  error messages. */
  readConfig(name: string): Promise<{ text?: string; source: string }>;
  /** Numeric version directories of the model that hold `file` (all of them when `file` is
   *  undefined: a platform that needs no file). */
  listVersions(name: string, file: string | undefined): Promise<string[]>;
  /** `<name>/<version>/<file>`'s bytes, and a label for error messages. */
  readModel(name: string, version: string, file: string): Promise<{ bytes: Uint8Array; source: string }>;
  /** A file of the model directory outside the versions (e.g. `warmup/<file>`); absent where the
   *  repository cannot hold such files. */
  readAsset?(name: string, path: string): Promise<{ bytes: Uint8Array; source: string }>;
  /** A string that changes whenever the model's config or a version's file changes, per version
   *  (`config` for the config); absent where the repository cannot change at run time. */
  fingerprint?(name: string, file: string | undefined): Promise<RepositoryFingerprint>;
}

export interface RepositoryFingerprint {
  config: string;
  versions: Record<string, string>;
}
