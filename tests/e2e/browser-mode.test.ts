/**
 * The harness itself: the built renderer, served by `serve` over the real API,
 * comes up in Chromium with its token, talks to the API, and keeps to the CSP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Serving } from '../../main/server/serve';
import { launchBrowser, startApp } from './harness';

let browser: Browser;
let app: Serving;
let dataDir: string;

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
