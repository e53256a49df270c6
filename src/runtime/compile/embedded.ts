// Files built into the compiled binary: scripts/build-binary.sh passes them to `bun build
// --compile` as extra entrypoints with --asset-naming='[dir]/[name].[ext]', so each keeps its
// path from the repository root, both in Bun.embeddedFiles and under the virtual $bunfs root directory. Also the
// one archive of text assets (models and Swagger UI), read once into memory.

import { TarReader } from '../pull/tar.ts';

/** Where the build stages the archive: models/<name>/… and docs/swagger-ui.{css,js} inside. */
export const ASSETS_TAR = 'dist/.build/assets.tar';

type Named = Blob & { name: string };

/** The embedded file whose path (from the repository root) ends with `suffix`. */
export function embeddedFile(suffix: string): Named | undefined {
  return (Bun.embeddedFiles as Named[]).find((f) => f.name === suffix || f.name.endsWith(`/${suffix}`));
}

/** An embedded entrypoint or file by its path from the repository root, as a URL to import. */
export function embeddedUrl(path: string): URL {
  // The main entry is <$bunfs root>/<binary name>; every other entrypoint sits under its source path.
  return new URL(`./${path}`, import.meta.url);
}

let assets: Promise<Map<string, Uint8Array>> | undefined;

/** The archive's files by path; empty when the binary carries none. */
export function builtInAssets(): Promise<Map<string, Uint8Array>> {
  return (assets ??= (async () => {
    const files = new Map<string, Uint8Array>();
    const blob = embeddedFile(ASSETS_TAR);
    if (!blob) return files;
    const reader = new TarReader(
      (e) => e.type === 'file',
      (e, data) => void files.set(e.name.replace(/^\.\//, ''), data),
    );
    reader.write(new Uint8Array(await blob.arrayBuffer()));
    reader.finish();
    return files;
  })());
}
