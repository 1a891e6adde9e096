/**
 * The Workers panel of the Runs view in Chromium: browser mode with Redis configured (a
 * redis-server of our own) and a real `batchscope worker` process; the panel lists the worker
 * with its concurrency and the run it trains, for as long as it runs. Without Redis the panel is
 * not there.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Serving } from '../../main/server/serve';
import { kill, startWorker, type CliProcess } from '../distributed/processes';
import { startRedis, type TestRedis } from '../distributed/redis-server';
import { callApi, launchBrowser, openView, startApp } from './harness';
import { screenshot, screenshotDir } from './page-checks';

let browser: Browser;
let redis: TestRedis;
let worker: CliProcess | undefined;
const apps: Serving[] = [];
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'batchscope-workers-panel-'));
  mkdirSync(screenshotDir, { recursive: true });
  redis = await startRedis();
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const app of apps) await app.close().catch(() => undefined);
  if (worker) await kill(worker);
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});


async function openRuns(app: Serving, errors: string[]): Promise<Page> {
  const page = await openView(await browser.newContext({ viewport: { width: 1280, height: 800 } }), app, 'runs', {}, errors);
  await page.locator('.runs-view').waitFor();
  return page;
}

it('lists the worker, its concurrency and the run it trains', async () => {
  const app = await startApp(join(dataDir, 'remote.db'), { redisUrl: redis.url });
  apps.push(app);
  worker = startWorker(redis.url, 'panel-worker', 2);
  const errors: string[] = [];
  const page = await openRuns(app, errors);
  const t = (id: string) => page.getByTestId(id);

  await t('worker-panel-worker').waitFor({ timeout: 120_000 });
  expect(await t('worker-load-panel-worker').textContent()).toMatch(/0\s*\/\s*2/);
  await expect.poll(() => t('workers-panel').textContent()).toContain('queue batchscope');

  const { runs } = await callApi<{ runs: { id: number; label: string }[] }>(app, 'createExperiment', {
    spec: { name: 'panel run', dataset: { kind: 'blobs', samples: 300 }, model: { kind: 'mlp', hidden: [8] }, batch: { size: 32 }, training: { steps: 1_000_000 } },
  });
  const runId = runs[0]!.id;
  await t(`worker-run-${runId}`).waitFor({ timeout: 120_000 });
  expect(await t('worker-load-panel-worker').textContent()).toMatch(/1\s*\/\s*2/);
  // still there a few heartbeats later: the run is still training
  await page.waitForTimeout(5000);
  expect(await t(`worker-run-${runId}`).isVisible()).toBe(true);
  await screenshot(page, 'workers-panel');

  // clicking the run opens it live
  await t(`worker-run-${runId}`).click();
  await page.waitForFunction(() => JSON.parse(sessionStorage.getItem('batchscope.route') ?? '{}').view === 'live');
  await callApi(app, 'cancelRun', { id: runId });
  expect(errors).toEqual([]);
  await page.close();
}, 600_000);

it('without Redis the panel is not shown', async () => {
  const app = await startApp(join(dataDir, 'local.db'), { concurrency: 1 });
  apps.push(app);
  const errors: string[] = [];
  const page = await openRuns(app, errors);
  const listing = await callApi<{ distributed: boolean; reason: string }>(app, 'listWorkers', {});
  expect(listing.distributed).toBe(false);
  expect(listing.reason).toMatch(/no Redis configured/);
  await page.getByText('No experiments yet').waitFor();
  expect(await page.getByTestId('workers-panel').count()).toBe(0);
  expect(errors).toEqual([]);
  await page.close();
}, 300_000);
