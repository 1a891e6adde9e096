/**
 * End-to-end harness: the system Chromium and the app in browser mode (the
 * BUILT renderer served by `serve` over the real API and a fresh database).
 *
 *   const browser = await launchBrowser();
 *   const app = await startApp(join(tmp, 'e2e.db'));
 *   const page = await browser.newPage();
 *   await page.goto(app.url);            // the URL carries the token
 *   …
 *   await app.close(); await browser.close();
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { serve, type Serving } from '../../main/server/serve';
import { ensureBuilt, outDir } from './ensure-built';

export { chromiumArgs, chromiumPath, launchBrowser } from './chromium';

/** Builds out/ if needed, then serves the built renderer and a real API on a free port. */
export async function startApp(dbPath: string, options: { concurrency?: number; redisUrl?: string } = {}): Promise<Serving> {
  await ensureBuilt();
  return serve({ dbPath, staticDir: join(outDir, 'renderer'), ...options });
}

/** Calls the app's HTTP API as the renderer does (token header); throws with the method and the server's message. */
export async function callApi<T>(app: Serving, method: string, input: unknown): Promise<T> {
  const response = await fetch(`${app.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-batchscope-token': app.token },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(`${method}: ${body.error?.message}`);
  return body;
}

/**
 * A new page on a view of the app: the app restores its view from session storage (the address
 * carries only the token). Page errors are collected into `errors`.
 */
export async function openView(context: BrowserContext, app: Serving, view: string, query: Record<string, string>, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript((route) => sessionStorage.setItem('batchscope.route', JSON.stringify(route)), { view, query });
  await page.goto(app.url);
  return page;
}
