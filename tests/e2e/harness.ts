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
import { serve, type Serving } from '../../main/server/serve';
import { ensureBuilt, outDir } from './ensure-built';

export { chromiumArgs, chromiumPath, launchBrowser } from './chromium';

/** Builds out/ if needed, then serves the built renderer and a real API on a free port. */
export async function startApp(dbPath: string, options: { concurrency?: number; redisUrl?: string } = {}): Promise<Serving> {
  await ensureBuilt();
  return serve({ dbPath, staticDir: join(outDir, 'renderer'), ...options });
}
