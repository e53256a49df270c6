// The GalleryStore contract (gallery-store.contract.ts, the cases every backend passes) on
// Cloudflare D1: run inside workerd by a test Worker (gallery-d1/worker.ts) under `wrangler dev
// --local`, over the D1 opener the edgeserve Worker uses, on a fresh local database. Fails, never
// skips, when wrangler cannot start.

import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { CONTRACT } from './gallery-store.contract.ts';
import { ROOT } from './helpers.ts';
import { startWrangler } from './wrangler-dev.ts';

const started = await startWrangler({ config: join(ROOT, 'test', 'gallery-d1', 'wrangler.toml') });
const wr = 'ok' in started ? started.ok : undefined;
afterAll(() => wr?.stop());

describe('GalleryStore contract on D1 (workerd, wrangler dev --local)', () => {
  test('the test Worker starts and runs the same cases', async () => {
    if (!wr) throw new Error(`the D1 contract Worker did not start: ${'fail' in started ? started.fail : ''}`);
    expect(await (await fetch(`${wr.url}/cases`)).json()).toEqual(CONTRACT.map((c) => c.name));
  });
  CONTRACT.forEach((c, i) => {
    test(c.name, async () => {
      if (!wr) throw new Error('the D1 contract Worker did not start (see the first test)');
      const r = await fetch(`${wr.url}/run?case=${i}`);
      const j = (await r.json()) as { ok: boolean; error?: string };
      expect(j.error ?? '', wr.output().slice(-2000)).toBe('');
      expect(j.ok).toBe(true);
    }, 60_000);
  });
});
