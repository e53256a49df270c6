// Swagger UI's assets read from the installed swagger-ui-dist package (Bun, Deno, Node).

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DocsAssets } from '../http/docs.ts';

export const fsDocsAssets: DocsAssets = {
  async load() {
    const path = (f: string) => fileURLToPath(import.meta.resolve(`swagger-ui-dist/${f}`));
    const [css, js] = await Promise.all([readFile(path('swagger-ui.css'), 'utf8'), readFile(path('swagger-ui-bundle.js'), 'utf8')]);
    return { css, js };
  },
};
