/**
 * The harness itself: the built renderer, served by `serve` over the real API,
 * comes up in Chromium with its token, talks to the API, and keeps to the CSP.
 * Then one forced-WebGPU run (a worker process on Dawn, lavapipe in CI): the adapter it
 * ran on is stored with it and named in the Runs list and the report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunRecord } from '../../common/api-contract';
import type { Serving } from '../../main/server/serve';
import { describeWebgpu, webgpuAvailability } from '../engine/webgpu/webgpu-suite';
import { callApi, launchBrowser, openView, startApp } from './harness';

let browser: Browser;
let app: Serving;
let dataDir: string;

// probed in this process; the run itself trains in a worker process the app forks
const availability = await webgpuAvailability();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'batchscope-e2e-'));
  app = await startApp(join(dataDir, 'e2e.db'), { concurrency: 1 });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('serves the built app, which reaches the API with its token and breaks no policy', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  const apiStatuses: number[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/api/')) apiStatuses.push(response.status());
  });
  await page.goto(app.url);
  await page.waitForFunction(() => (document.querySelector('#app')?.children.length ?? 0) > 0);
  await expect.poll(() => apiStatuses.length).toBeGreaterThan(0);
  expect(apiStatuses.every((status) => status === 200)).toBe(true);
  expect(problems).toEqual([]);
  await page.close();
});

describeWebgpu('a forced WebGPU run in browser mode', availability, () => {
  it('stores the adapter it trained on and names it in the Runs list and the report', async () => {
    const { experiment } = await callApi<{ experiment: { id: number } }>(app, 'createExperiment', {
      spec: {
        name: 'webgpu adapter',
        backend: 'webgpu',
        dataset: { kind: 'blobs', samples: 256, classes: 3, features: 8 },
        model: { kind: 'mlp', hidden: [8] },
        batch: { size: 32 },
        training: { steps: 4 },
        diagnostics: { curvatureEvery: 0 },
      },
    });
    let run: RunRecord | undefined;
    await expect
      .poll(
        async () => {
          ({ runs: [run] } = await callApi<{ runs: RunRecord[] }>(app, 'getExperiment', { id: experiment.id }));
          return run?.status;
        },
        { timeout: 240_000, interval: 1000 },
      )
      .toMatch(/^(completed|failed|diverged|cancelled|interrupted)$/);
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'completed' });
    const label = availability.available ? availability.label : '';
    // the same adapter the test process sees, vendor and architecture
    expect(run!.gpuAdapter?.vendor).toBeTruthy();

    const errors: string[] = [];
    const context = await browser.newContext();
    try {
      const runs = await openView(context, app, 'runs', {}, errors);
      await expect.poll(() => runs.getByTestId(`run-adapter-${run!.id}`).textContent(), { timeout: 30_000 }).toBe(`WebGPU · ${label}`);
      const report = await openView(context, app, 'report', { experiment: String(experiment.id) }, errors);
      await expect.poll(() => report.getByTestId('report-adapter').textContent(), { timeout: 30_000 }).toBe(label);
    } finally {
      await context.close();
    }
    expect(errors).toEqual([]);
  }, 300_000);
});
