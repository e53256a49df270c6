// Headless Debian Chromium for the browser tests, cut off from the network: every request not
// served by edgeserve on loopback is recorded in `offsite` and refused, so a page that needs the
// internet (a CDN script, a font) fails its test instead of passing here and breaking offline.

import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export async function launchOffline(offsite: string[]): Promise<{ browser: Browser; ctx: BrowserContext }> {
  // A skipped browser test would pass CI with a broken page: fail instead.
  if (!CHROMIUM) throw new Error('Debian chromium is not installed (/usr/bin/chromium): apt-get install chromium (npm test does it as root)');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As the machine's own probe starts it: no sandbox as root, no background connections.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const ctx = await browser.newContext();
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'blob:' || u.protocol === 'data:') return route.continue();
    offsite.push(u.href);
    return route.abort('internetdisconnected');
  });
  return { browser, ctx };
}
