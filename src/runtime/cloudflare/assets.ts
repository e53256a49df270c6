// The Worker's bindings and what edgeserve reads through the Static Assets binding: model weights
// and Swagger UI's files. wrangler.toml sets `run_worker_first = true`, so no asset is served to
// the public by Cloudflare; the Worker answers every request and reads assets only for itself
// (the weights stay private; /docs/assets/... are served by the docs routes as elsewhere).
// The asset tree is staged by stage-assets.ts:
//   models/<name>/<version>/model.onnx
//   docs/swagger-ui.css, docs/swagger-ui-bundle.js

import type { DocsAssets } from '../../http/docs.ts';
import type { D1Database } from '../gallery-db/d1.ts';
import type { WeightsReader } from './bundled-repository.ts';

/** The part of workerd's Fetcher that we use (kept local: no @cloudflare/workers-types). */
export interface AssetsFetcher {
  fetch(input: Request | string): Promise<Response>;
}

export interface Env {
  ASSETS: AssetsFetcher;
  /** Optional overrides from [vars] or secrets. */
  LOG_LEVEL?: string;
  MAX_BODY_BYTES?: string;
  /** Secret: the API key store's JSON (hashes only), as `edgeserve keys create` writes it. */
  API_KEYS?: string;
  /** The face gallery's D1 database (wrangler.toml [[d1_databases]]); no gallery without it. */
  GALLERY_DB?: D1Database;
}

// The binding resolves paths only; the host is never contacted.
const url = (path: string) => `https://assets.invalid/${path}`;

async function get(assets: AssetsFetcher, path: string): Promise<Response> {
  const r = await assets.fetch(url(path));
  if (!r.ok) {
    throw new Error(`asset ${path}: HTTP ${r.status}${r.status === 404 ? ' (run `edgeserve pull`, then wrangler dev/deploy again)' : ''}`);
  }
  return r;
}

export function assetWeights(assets: AssetsFetcher): WeightsReader {
  return async (name, version) => new Uint8Array(await (await get(assets, `models/${name}/${version}/model.onnx`)).arrayBuffer());
}

export function assetDocs(assets: AssetsFetcher): DocsAssets {
  return {
    async load() {
      const [css, js] = await Promise.all(['swagger-ui.css', 'swagger-ui-bundle.js'].map(async (f) => (await get(assets, `docs/${f}`)).text()));
      return { css, js };
    },
  };
}
