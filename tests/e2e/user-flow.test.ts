/**
 * A person's first session, end to end in Chromium against browser mode (the
 * built renderer, the real API, real training in worker processes, a fresh
 * database): design a two-run MNIST sweep, trip over a field error and fix it,
 * launch, watch both runs finish, open one live, compare the two, export CSV,
 * and read the experiment's report. Screenshots of every view go to
 * tests/artifacts/screenshots/ (git-ignored) for a person to look at.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Serving } from '../../main/server/serve';
import { launchBrowser, startApp } from './harness';
import { expectChartDrawn, screenshot, screenshotDir } from './page-checks';

const batchSizes = [128, 512] as const;

let browser: Browser;
let context: BrowserContext;
let app: Serving;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'batchscope-user-flow-'));
  mkdirSync(screenshotDir, { recursive: true });
  app = await startApp(join(dataDir, 'flow.db'), { concurrency: 2 });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light', acceptDownloads: true });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [headerLine, ...lines] = text.trimEnd().split('\n');
  const header = headerLine!.split(',');
  return { header, rows: lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [header[i]!, cell]))) };
}

it('designs, launches, watches, compares, exports and reports a two-run sweep', async () => {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  const t = (id: string) => page.getByTestId(id);

  // Design: MNIST slice, a small MLP, two batch sizes
  await page.goto(app.url);
  await t('nav-design').click();
  await t('field-dataset.kind').selectOption('mnist');
  await t('field-name').fill('e2e batch sweep');
  await t('field-dataset.trainLimit').fill('2000');
  await t('field-dataset.testLimit').fill('500');
  await t('field-model.kind-mlp').click();
  await t('field-model.hidden').fill('64');
  await t('field-lr.base').fill('0.1');
  await t('field-diagnostics.curvatureEvery').fill('2');
  await t('field-diagnostics.sharpnessEvery').fill('5');
  // the noise scale and the trajectory are on by default, every 10 steps: every 2 here
  expect(await t('field-diagnostics.noiseScale').isChecked()).toBe(true);
  expect(await t('field-diagnostics.geometry').isChecked()).toBe(true);
  await t('field-diagnostics.studyEvery').fill('2');
  for (const chip of await page.locator('[data-testid^="chip-batch-"]').all()) {
    const size = Number((await chip.getAttribute('data-testid'))!.replace('chip-batch-', ''));
    const on = (await chip.getAttribute('aria-pressed')) === 'true';
    if (on !== batchSizes.includes(size as (typeof batchSizes)[number])) await chip.click();
  }

  // a wrong value: its message shows under that very field and blocks launching, until fixed
  await t('field-training.epochs').fill('0');
  const epochsField = t('field-training.epochs').locator('xpath=ancestor::label[1]');
  const epochsError = epochsField.getByTestId('error-training.epochs');
  await expect.poll(() => epochsError.textContent()).toContain('must be > 0');
  await expect.poll(() => t('launch').isDisabled()).toBe(true);
  await epochsField.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshotDir, 'design-error.png') });
  await t('field-training.epochs').fill('2');
  await t('error-training.epochs').waitFor({ state: 'detached' });
  await expect.poll(() => t('sweep-count').textContent()).toBe('2');
  await expect.poll(() => t('launch').isEnabled()).toBe(true);

  // launch, then watch both runs in Runs until they are done
  await t('launch').click();
  const rows = page.locator('[data-testid^="run-row-"]');
  await expect.poll(() => rows.count()).toBe(2);
  const runIds = (await rows.evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.testid!.replace('run-row-', ''))))).sort((a, b) => a - b);
  const experimentId = Number((await page.locator('[data-testid^="experiment-report-"]').getAttribute('data-testid'))!.replace('experiment-report-', ''));
  const batchOf = new Map<number, number>();
  for (const id of runIds) {
    const label = (await t(`run-open-${id}`).textContent()) ?? '';
    batchOf.set(id, batchSizes.find((b) => new RegExp(`\\b${b}\\b`).test(label))!);
  }
  expect(new Set(batchOf.values())).toEqual(new Set(batchSizes));

  const progressSeen = new Map<number, number[]>(runIds.map((id) => [id, []]));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(
      runIds.map(async (id) => ({ id, status: await t(`run-row-${id}`).getAttribute('data-status'), progress: Number(await t(`run-progress-${id}`).getAttribute('data-progress')) })),
    );
    for (const s of states) progressSeen.get(s.id)!.push(s.progress);
    expect(states.filter((s) => ['failed', 'diverged', 'cancelled', 'interrupted'].includes(s.status ?? ''))).toEqual([]);
    if (states.every((s) => s.status === 'completed')) break;
    if (Date.now() > deadline) throw new Error(`runs not done within 60 s: ${JSON.stringify(states)}`);
    await page.waitForTimeout(200);
  }
  for (const [id, seen] of progressSeen) {
    // progress only moves forward, and a completed run shows a full bar
    expect(seen.every((p, i) => i === 0 || p >= seen[i - 1]! - 1e-9), `run ${id}: ${seen.join(' ')}`).toBe(true);
    expect(seen.at(-1)).toBe(1);
    // the threads each run trained on (how many the runner's core budget gave it depends on the machine)
    await expect.poll(() => t(`run-threads-${id}`).textContent()).toMatch(/^[1-9]\d* thr$/);
  }
  await screenshot(page, 'runs-done');

  // Live: the first run's curves
  await t(`run-open-${runIds[0]}`).click();
  await expect.poll(() => t('live-header').getAttribute('data-status')).toBe('completed');
  await expectChartDrawn(page, 'live-chart-loss');
  await expectChartDrawn(page, 'live-chart-effectiveLr');
  // the large-batch study diagnostics: noise scale and trajectory every 2 steps, sharpness every 5
  for (const field of ['noiseScale', 'sharpness', 'distanceFromInit', 'updateCosine']) await expectChartDrawn(page, `live-chart-${field}`);
  await screenshot(page, 'live');

  // Compare: both runs overlaid, a legend naming each by its batch size
  await t('nav-runs').click();
  for (const id of runIds) await t(`run-select-${id}`).check();
  await t('compare-selected').click();
  await expectChartDrawn(page, 'compare-chart-0');
  await expectChartDrawn(page, 'compare-chart-accuracy-vs-batch');
  // the measured noise scale is marked on the accuracy-vs-batch chart, and named in its note
  await expect.poll(() => t('compare-chart-accuracy-vs-batch').textContent()).toMatch(/noise scale B ≈ \d+/);
  const legendIds = await t('compare-legend')
    .locator('[data-testid^="legend-entry-"]')
    .evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.testid!.replace('legend-entry-', ''))));
  expect(legendIds.sort((a, b) => a - b)).toEqual(runIds);
  for (const id of runIds) expect(await t(`legend-label-${id}`).textContent()).toContain(String(batchOf.get(id)));
  await screenshot(page, 'compare');

  // CSV export: one header, rows of both runs in increasing step order
  const [download] = await Promise.all([page.waitForEvent('download'), t('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
  expect(csv.header.slice(0, 2)).toEqual(['run_id', 'step']);
  expect(csv.header).toContain('eval_test_accuracy');
  for (const id of runIds) {
    const steps = csv.rows.filter((r) => Number(r['run_id']) === id).map((r) => Number(r['step']));
    expect(steps.length, `CSV rows of run ${id}`).toBeGreaterThan(2);
    expect(steps.every((s, i) => i === 0 || s > steps[i - 1]!)).toBe(true);
  }

  // Report: from the experiment in Runs
  await t('nav-runs').click();
  await t(`experiment-report-${experimentId}`).click();
  await expectChartDrawn(page, 'report-headline');
  await expectChartDrawn(page, 'report-accuracy');
  for (const id of runIds) await expectChartDrawn(page, `report-heatmap-${id}`);
  await expect.poll(() => t('report-table').locator('tbody tr').count()).toBe(2);
  await screenshot(page, 'report');
  const [report] = await Promise.all([page.waitForEvent('download'), t('report-download').click()]);
  expect(report.suggestedFilename()).toBe(`batchscope-report-${experimentId}.html`);
  const html = readFileSync(await report.path(), 'utf8');
  expect(html).toContain('e2e batch sweep');
  expect(html).toContain('Test accuracy vs batch size');

  expect(problems).toEqual([]);
  await page.close();
}, 120_000);
