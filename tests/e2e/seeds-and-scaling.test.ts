/**
 * A batch-size sweep repeated over three seeds, in Chromium against browser
 * mode: Compare defaults to samples seen on the x axis (the runs differ in
 * batch size), draws each batch size as a mean with a band, lists the groups
 * with mean ± half-width, and draws steps to target against batch size; the
 * single-runs toggle brings the separate lines back. The report draws the
 * steps-to-target chart too. Screenshots go to tests/artifacts/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Serving } from '../../main/server/serve';
import { callApi, launchBrowser, openView, startApp } from './harness';
import { canvasPixels, expectChartDrawn, screenshot, screenshotDir } from './page-checks';

/** bands are translucent: count faint, less saturated pixels too */
const bandPixels = { minAlpha: 20, minChroma: 40 };


let browser: Browser;
let context: BrowserContext;
let app: Serving;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'batchscope-seeds-'));
  mkdirSync(screenshotDir, { recursive: true });
  app = await startApp(join(dataDir, 'seeds.db'), { concurrency: 2 });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});



it('draws seeds as bands and steps to target for a batch-size sweep', async () => {
  const { experiment } = await callApi<{ experiment: { id: number } }>(app, 'createExperiment', {
    spec: {
      name: 'seeds × batch size',
      dataset: { kind: 'spirals', samples: 800 },
      model: { kind: 'mlp', hidden: [32, 32] },
      optimizer: { name: 'momentum' },
      lr: { base: 0.1, baseBatchSize: 16, scaling: 'sqrt' },
      batch: { size: 16 },
      training: { epochs: 4, evalEveryEpochs: 0.5, trainEvalSamples: 400 },
      diagnostics: { every: 5, curvatureEvery: 0 },
      sweep: { batchSize: [16, 128], seed: [0, 1, 2] },
    },
  });
  let runIds: number[] = [];
  await expect
    .poll(
      async () => {
        const { runs } = await callApi<{ runs: { id: number; status: string }[] }>(app, 'getExperiment', { id: experiment.id });
        runIds = runs.map((r) => r.id);
        return runs.filter((r) => r.status === 'completed').length;
      },
      { timeout: 240_000, interval: 1000 },
    )
    .toBe(6);

  const errors: string[] = [];
  const page = await openView(context, app, 'compare', { runs: runIds.join(',') }, errors);
  await page.getByTestId('compare-chart-0').waitFor();

  // batch sizes differ, so samples seen is the default x axis
  await expect.poll(() => page.getByTestId('compare-x-axis').inputValue()).toBe('samples');
  const banded = await expectChartDrawn(page, 'compare-chart-0', bandPixels);
  // two groups of three seeds, each as mean ± half-width
  const groupRows = page.getByTestId('compare-seed-groups').locator('tbody tr');
  await expect.poll(() => groupRows.count()).toBe(2);
  await expect.poll(async () => (await groupRows.first().innerText()).includes('±')).toBe(true);
  expect(await groupRows.first().innerText()).toMatch(/3 seeds/);
  await expectChartDrawn(page, 'compare-chart-steps-to-target', bandPixels);
  await screenshot(page, 'compare-seed-bands');

  // single runs: six lines and no band
  await page.getByTestId('compare-single-runs').check();
  await expect.poll(async () => (await canvasPixels(page, 'compare-chart-0', bandPixels)).coloured).not.toBe(banded);

  const report = await openView(context, app, 'report', { experiment: String(experiment.id) }, errors);
  await expectChartDrawn(report, 'report-accuracy', bandPixels);
  await expectChartDrawn(report, 'report-steps-to-target', bandPixels);
  await screenshot(report, 'report-seed-bands');
  expect(errors).toEqual([]);
}, 400_000);
