/**
 * Compare's own controls in Chromium against browser mode, on a two-run sweep over
 * batch size: add a chart, point it at a per-layer metric and another layer (the
 * layer series is fetched for that layer, and the panel keeps it when its metric
 * changes), remove it; the steps-to-target metric and value; smoothing; hiding a run
 * from the charts from the legend; and the specs export.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Serving } from '../../main/server/serve';
import { callApi, launchBrowser, openView, startApp } from './harness';
import { expectChartDrawn } from './page-checks';

let browser: Browser;
let context: BrowserContext;
let app: Serving;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'batchscope-compare-'));
  app = await startApp(join(dataDir, 'compare.db'), { concurrency: 2 });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});


function openCompare(runIds: number[], errors: string[]): Promise<Page> {
  return openView(context, app, 'compare', { runs: runIds.join(',') }, errors);
}

it('adds, retargets and removes charts, sets a target, smooths, hides a run and exports specs', async () => {
  const { experiment } = await callApi<{ experiment: { id: number } }>(app, 'createExperiment', {
    spec: {
      name: 'compare controls',
      dataset: { kind: 'spirals', samples: 400 },
      model: { kind: 'mlp', hidden: [16, 16] },
      optimizer: { name: 'momentum' },
      lr: { base: 0.1 },
      batch: { size: 16 },
      training: { epochs: 2, evalEveryEpochs: 0.5 },
      diagnostics: { every: 2, curvatureEvery: 0 },
      sweep: { batchSize: [16, 64] },
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
      { timeout: 120_000, interval: 1000 },
    )
    .toBe(2);

  const errors: string[] = [];
  const page = await openCompare(runIds, errors);
  const t = (id: string) => page.getByTestId(id);
  await expectChartDrawn(page, 'compare-chart-0');
  const panelCount = () => page.locator('[data-testid^="compare-panel-remove-"]').count();
  await expect.poll(panelCount).toBe(4);

  // a fifth chart, learning rate by default
  await t('compare-add-chart').click();
  await expect.poll(panelCount).toBe(5);
  expect(await t('compare-panel-field-4').inputValue()).toBe('step:lr');
  expect(await t('compare-panel-layer-4').count()).toBe(0);
  await expectChartDrawn(page, 'compare-chart-4');

  // per layer: the layer picker lists the model's layers; another layer is fetched for that layer
  await t('compare-panel-field-4').selectOption('layer:gradNorm');
  await expect.poll(() => t('compare-panel-layer-4').locator('option').allTextContents()).toEqual(['dense_1', 'dense_2', 'output']);
  expect(await t('compare-panel-layer-4').inputValue()).toBe('0');
  const layerRequest = page.waitForRequest((r) => r.url().endsWith('/api/layerSeries') && JSON.parse(r.postData() ?? '{}').layers?.[0] === 2);
  await t('compare-panel-layer-4').selectOption('2');
  const requested = JSON.parse((await layerRequest).postData()!) as { field: string; layers: number[] };
  expect(requested).toMatchObject({ field: 'gradNorm', layers: [2] });
  await expectChartDrawn(page, 'compare-chart-4');
  // another per-layer metric keeps the panel's layer
  await t('compare-panel-field-4').selectOption('layer:weightNorm');
  await expect.poll(() => t('compare-panel-layer-4').inputValue()).toBe('2');

  // removing the fourth chart moves the fifth into its place
  await t('compare-panel-remove-3').click();
  await expect.poll(panelCount).toBe(4);
  expect(await t('compare-panel-field-3').inputValue()).toBe('layer:weightNorm');
  expect(await t('compare-panel-layer-3').inputValue()).toBe('2');

  // steps to target: a proposed accuracy in per cent, a loss once the metric is train loss, a chosen value kept
  await expectChartDrawn(page, 'compare-chart-steps-to-target');
  const proposedAccuracy = Number(await t('compare-target-value').inputValue());
  expect(proposedAccuracy).toBeGreaterThan(1);
  expect(proposedAccuracy).toBeLessThanOrEqual(100);
  await t('compare-target-metric').selectOption('trainLoss');
  await expect.poll(async () => Number(await t('compare-target-value').inputValue())).not.toBe(proposedAccuracy);
  await t('compare-target-value').fill('0.9');
  await t('compare-target-value').press('Tab');
  await expect.poll(() => t('compare-target-value').inputValue()).toBe('0.9');
  await t('compare-target-metric').selectOption('testAccuracy');
  await expect.poll(async () => Number(await t('compare-target-value').inputValue())).toBe(proposedAccuracy);

  // smoothing shows its factor
  await t('compare-smoothing').evaluate((el) => {
    (el as HTMLInputElement).value = '0.5';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await expect.poll(() => page.locator('.smoothing .num').textContent()).toBe('0.50');

  // hiding a run from the legend keeps it in the summary table
  await t(`legend-entry-${runIds[0]}`).click();
  await expect.poll(() => t(`legend-entry-${runIds[0]}`).getAttribute('aria-pressed')).toBe('false');
  expect(await t(`summary-row-${runIds[0]}`).count()).toBe(1);
  await expectChartDrawn(page, 'compare-chart-0');

  // the specs of both runs
  const [download] = await Promise.all([page.waitForEvent('download'), t('export-spec').click()]);
  expect(download.suggestedFilename()).toBe(`batchscope-specs-${runIds.join('-')}.json`);
  const specs = JSON.parse(readFileSync(await download.path(), 'utf8')) as { runId: number; spec: { batch: { size: number } } }[];
  expect(specs.map((s) => s.runId)).toEqual(runIds);
  expect(specs.map((s) => s.spec.batch.size).sort((a, b) => a - b)).toEqual([16, 64]);

  expect(errors).toEqual([]);
  await page.close();
}, 300_000);
