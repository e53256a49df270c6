// Swagger UI's Authorize button with edgeserve API keys, in headless Chromium (Debian's, driven
// by playwright-core, network cut as in browser.test.ts), against a server that has keys:
// "Try it out" is refused (401) before authorizing; with a metrics key in the X-API-Key scheme
// /metrics answers 200 and detect 403 (scope); with an infer key as a Bearer token detect
// answers 200 and finds the face.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchOffline } from './browser-launch.ts';
import { generateKey } from '../src/auth/keys.ts';
import { updateKeys } from '../src/runtime/auth-store.ts';
import { FIXTURES } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

let srv: ServerProcess;
let browser: Browser;
let page: Page;
const offsite: string[] = [];
const keys: Record<string, string> = {};

describe('Swagger UI Authorize with API keys', () => {
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'edgeserve-browser-keys-')), 'keys.json');
    const made = await Promise.all([generateKey({ scopes: ['metrics'] }), generateKey({ scopes: ['infer'] })]);
    [keys.metrics, keys.infer] = made.map((m) => m.key);
    updateKeys(file, () => made.map((m) => m.record));
    srv = await startServer({ API_KEYS_FILE: file, GRPC_PORT: 'off' });
    let ctx: BrowserContext;
    ({ browser, ctx } = await launchOffline(offsite));
    page = await ctx.newPage();
    await page.goto(`${srv.url}/docs`);
    await page.waitForSelector('#operations-Metrics-get_metrics', { timeout: 30_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  /** Execute an opened operation; the status shown and the request's auth headers. */
  async function execute(op: Locator, path: string) {
    const sent = page.waitForRequest((r) => r.url().includes(path) && r.method() !== 'OPTIONS');
    await op.locator('button.execute').click();
    const req = await sent;
    const status = op.locator('.live-responses-table .response .response-col_status');
    await status.waitFor({ timeout: 20_000 });
    const text = (await status.textContent())?.trim().split(/\s/)[0];
    const body = await op.locator('.live-responses-table .response .response-col_description pre').first().textContent();
    const h = await req.allHeaders();
    await op
      .locator('button.btn-clear')
      .click()
      .catch(() => {});
    return { status: text, body: body ?? '', apiKey: h['x-api-key'], authorization: h.authorization };
  }

  async function authorize(scheme: 'ApiKeyHeader' | 'Bearer', key: string | undefined) {
    await page.locator('.scheme-container button.authorize').click();
    const box = page.locator('.modal-ux .auth-container').filter({ has: page.locator(`h4:has-text("${scheme}")`) });
    await box.waitFor({ timeout: 10_000 });
    const logout = box.locator('button', { hasText: 'Logout' });
    if (await logout.count()) await logout.click();
    if (key) {
      await box.locator('input').first().fill(key);
      await box.locator('button.authorize').click();
    }
    await page.locator('.modal-ux button.btn-done, .modal-ux button.close-modal').first().click();
  }

  test('the Authorize button lists both schemes', async () => {
    await page.locator('.scheme-container button.authorize').click();
    const names = await page.locator('.modal-ux .auth-container h4').allTextContents();
    expect(names.join(' ')).toContain('ApiKeyHeader');
    expect(names.join(' ')).toContain('Bearer');
    await page.locator('.modal-ux button.close-modal').first().click();
  }, 30_000);

  test('401 before, 200 with a metrics key in X-API-Key, 403 on detect (scope)', async () => {
    const metrics = page.locator('#operations-Metrics-get_metrics');
    await metrics.locator('.opblock-summary').click();
    await metrics.locator('.try-out__btn').click();
    const before = await execute(metrics, '/metrics');
    expect(before.status).toBe('401');
    expect(before.apiKey).toBeUndefined();
    await authorize('ApiKeyHeader', keys.metrics);
    const after = await execute(metrics, '/metrics');
    expect(after.status).toBe('200');
    expect(after.apiKey).toBe(keys.metrics);
    expect(after.body).toContain('edgeserve_auth_requests_total');

    const detect = page.locator('#operations-Faces-post_v1_faces_detect');
    await detect.locator('.opblock-summary').click();
    await detect.locator('.try-out__btn').click();
    await detect.locator('input[type=file]').first().setInputFiles(join(FIXTURES, 'astronaut.jpg'));
    const denied = await execute(detect, '/v1/faces/detect');
    expect(denied.status).toBe('403');
    expect(denied.body).toContain("lacks scope 'infer'");
  }, 60_000);

  test('200 on detect with an infer key as a Bearer token', async () => {
    await authorize('ApiKeyHeader', undefined); // logged out of the metrics key
    await authorize('Bearer', keys.infer);
    const detect = page.locator('#operations-Faces-post_v1_faces_detect');
    const ok = await execute(detect, '/v1/faces/detect');
    expect(`${ok.status} ${ok.status === '200' ? '' : ok.body}`).toBe('200 ');
    expect(ok.authorization).toBe(`Bearer ${keys.infer}`);
    expect(ok.apiKey).toBeUndefined();
    expect(JSON.parse(ok.body).faces).toHaveLength(1);
    expect(offsite).toEqual([]);
  }, 60_000);
});
