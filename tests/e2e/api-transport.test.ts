/**
 * renderer/src/api.ts in real Chromium against the real browser-mode server
 * (only the API object behind it is a stand-in): the token from the address,
 * calls, field errors, live events over EventSource, all under the CSP; and
 * the Electron bridge taking precedence when the preload provides one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../main/server/start-server';
import { createStandInApi, type StandInApi } from '../server/stand-in-api';
import { launchBrowser } from './chromium';
import { repoRoot } from './ensure-built';

let browser: Browser;
let server: RunningServer;
let standIn: StandInApi;
let staticDir: string;

/** A page whose only script is renderer/src/api.ts, bundled the way the renderer is. */
async function buildProbePage(dir: string): Promise<void> {
  const entry = join(dir, 'probe.ts');
  writeFileSync(
    entry,
    `import { api, subscribe } from ${JSON.stringify(join(repoRoot, 'renderer/src/api.ts'))};\n` +
      `Object.assign(window, { probe: { api, subscribe } });\n`,
  );
  await build({
    configFile: false,
    logLevel: 'silent',
    root: dir,
    build: { outDir: join(dir, 'site'), emptyOutDir: true, minify: false, lib: { entry, formats: ['es'], fileName: () => 'probe.js' } },
  });
  writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><meta charset="utf-8"><title>probe</title><script type="module" src="./probe.js"></script>');
}

async function openProbe(url: string): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => 'probe' in window);
  return { page, violations };
}

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'batchscope-probe-'));
  await buildProbePage(staticDir);
  standIn = createStandInApi();
  server = await startServer({ api: standIn.api, staticDir: join(staticDir, 'site') });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(staticDir, { recursive: true, force: true });
});

describe('renderer api over HTTP in Chromium', () => {
  it('calls the API with the token from the address and reports field errors', async () => {
    const { page, violations } = await openProbe(server.url);
    const datasets = await page.evaluate(() => (window as any).probe.api.listDatasets({}));
    expect(datasets).toEqual([expect.objectContaining({ kind: 'synthetic' })]);
    const failure = await page.evaluate(() =>
      (window as any).probe.api.listRuns({ status: 'sleeping' }).then(
        () => null,
        (e: any) => ({ name: e.name, status: e.status, issues: e.issues, isError: e instanceof Error }),
      ),
    );
    expect(failure).toMatchObject({ name: 'ValidationError', status: 400, isError: true, issues: [{ path: 'status' }] });
    const specFailure = await page.evaluate(() => (window as any).probe.api.createExperiment({ spec: {} }).catch((e: any) => e.issues));
    expect(specFailure).toEqual([{ path: 'batch.microBatch', message: 'must divide batch.size' }]);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('delivers live events through EventSource and stops when unsubscribed', async () => {
    const { page } = await openProbe(server.url);
    await page.evaluate(() => {
      const w = window as any;
      w.seen = [];
      w.unsubscribe = w.probe.subscribe((event: unknown) => w.seen.push(event));
    });
    await expect.poll(() => standIn.listenerCount()).toBeGreaterThan(0);
    standIn.emit({ type: 'run-metrics', runId: 4, step: 100 });
    await page.waitForFunction(() => (window as any).seen.length > 0);
    expect(await page.evaluate(() => (window as any).seen)).toEqual([{ type: 'run-metrics', runId: 4, step: 100 }]);
    await page.evaluate(() => (window as any).unsubscribe());
    await expect.poll(() => standIn.listenerCount()).toBe(0);
    await page.close();
  });

  it('without the token in the address, every call is refused', async () => {
    const { page } = await openProbe(server.origin + '/');
    const failure = await page.evaluate(() => (window as any).probe.api.listDatasets({}).catch((e: any) => ({ name: e.name, status: e.status })));
    expect(failure).toEqual({ name: 'Unauthorized', status: 401 });
    await page.close();
  });

  it('prefers the Electron preload bridge when window.batchscope exists', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const reply = (value: unknown) => Promise.resolve({ ok: true, value });
      (window as any).batchscope = {
        listDatasets: () => reply([{ kind: 'from-bridge' }]),
        getRun: () => Promise.resolve({ ok: false, error: { name: 'ValidationError', message: 'bad id', issues: [{ path: 'id', message: 'bad' }] } }),
        subscribe: () => () => undefined,
      };
    });
    await page.goto(server.origin + '/');
    await page.waitForFunction(() => 'probe' in window);
    expect(await page.evaluate(() => (window as any).probe.api.listDatasets({}))).toEqual([{ kind: 'from-bridge' }]);
    const failure = await page.evaluate(() => (window as any).probe.api.getRun({ id: 0 }).catch((e: any) => ({ name: e.name, issues: e.issues })));
    expect(failure).toEqual({ name: 'ValidationError', issues: [{ path: 'id', message: 'bad' }] });
    await page.close();
  });
});
