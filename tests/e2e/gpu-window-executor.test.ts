/**
 * The GPU window executor (main/runner/gpu-window-executor.ts) behind the real API, job
 * runner and SQLite store, against the BUILT window page (out/renderer/gpu-window.html and
 * its CSP) and the preload's real bridge, in headless Chromium with WebGPU on (SwiftShader
 * here, a software adapter, so the runs force `backend: 'webgpu'`). What stays unverified
 * (Electron's BrowserWindow, MessagePortMain, the isolated preload world) is in docs/webgpu.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import { routeByBackend } from '../../main/runner/backend-routed-executor';
import { createChildProcessExecutor } from '../../main/runner/child-process-executor';
import { createGpuWindowExecutor } from '../../main/runner/gpu-window-executor';
import { chromiumArgs, chromiumPath } from './chromium';
import { ensureBuilt, outDir } from './ensure-built';
import { bridgeInitScript, openPlaywrightGpuWindow, serveFolder, type PlaywrightGpuWindow } from './playwright-gpu-window-host';

const dir = mkdtempSync(join(tmpdir(), 'batchscope-gpu-executor-'));
let browser: Browser;
let served: { url: string; close(): Promise<void> };
let initScript = '';
let api: BatchscopeBackend | null = null;
const windows: PlaywrightGpuWindow[] = [];

beforeAll(async () => {
  await ensureBuilt();
  served = await serveFolder(join(outDir, 'renderer'));
  initScript = await bridgeInitScript();
  browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu'], headless: true });
}, 300_000);

afterEach(async () => {
  await api?.close({ kill: true });
  api = null;
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<BatchscopeBackend> {
  const gpuWindow = createGpuWindowExecutor({
    openWindow: () => {
      const host = openPlaywrightGpuWindow(browser, `${served.url}gpu-window.html`, initScript);
      windows.push(host);
      return host;
    },
  });
  api = await createApi({ dbPath: join(mkdtempSync(join(dir, 'db-')), 'runs.db'), executor: routeByBackend({ webgpu: gpuWindow, other: createChildProcessExecutor() }) });
  return api;
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 240_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const spec = (name: string, steps: number) => ({
  name,
  dataset: { kind: 'spirals', samples: 400 },
  model: { kind: 'mlp', hidden: [16] },
  optimizer: { name: 'adam' },
  batch: { size: 32 },
  training: { steps, seed: 4 },
  backend: 'webgpu',
});

async function startRun(backend: BatchscopeBackend, steps: number): Promise<number> {
  const { runs } = await backend.createExperiment({ spec: spec(`gpu window ${steps}`, steps) });
  return runs[0]!.id;
}

const stepsStored = async (backend: BatchscopeBackend, id: number): Promise<number> => (await backend.stepSeries({ runIds: [id], field: 'loss', maxPoints: 100_000 }))[0]!.step.length;

describe('GpuWindowExecutor: the built GPU window page behind the runner, in headless Chromium', () => {
  it('trains a forced WebGPU run to the end: backend and adapter, every step, the final evaluation, all stored', async () => {
    const backend = await open();
    const id = await startRun(backend, 6);
    await backend.idle();
    const run = await backend.getRun({ id });
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    expect(run.backend?.name).toBe('webgpu');
    expect(run.gpuAdapter?.vendor).toBeTruthy();
    expect(run.summary?.steps).toBe(6);
    expect(await stepsStored(backend, id)).toBe(6);
    const losses = (await backend.stepSeries({ runIds: [id], field: 'loss', maxPoints: 100 }))[0]!.value;
    expect(losses.every((l) => Number.isFinite(l))).toBe(true);
    const evals = (await backend.evalSeries({ runIds: [id] }))[0]!;
    expect(evals.step).toEqual([6]);
    expect(run.summary?.lastEval?.testAccuracy).toBeGreaterThanOrEqual(0);
    // the dataset (spirals, held-out test split) reached the window: it evaluated both splits
    expect(run.summary?.lastEval?.testLoss).toBeGreaterThan(0);
    // the page's own CSP (written by the build) let it do all that
    expect(windows.at(-1)!.logTail()).not.toMatch(/Content Security Policy/i);
  }, 300_000);

  it("cancels at a step boundary through the window's own loop (not a kill)", async () => {
    const backend = await open();
    const id = await startRun(backend, 5000);
    await until(async () => (await stepsStored(backend, id)) >= 1, 'a first step');
    await backend.cancelRun({ id });
    await backend.idle();
    const run = await backend.getRun({ id });
    expect(run.status).toBe('cancelled');
    expect(run.summary?.status).toBe('cancelled');
    expect(run.summary!.steps).toBeLessThan(5000);
  }, 300_000);

  it('a crashed window renderer fails the run as a crashed worker does', async () => {
    const backend = await open();
    const id = await startRun(backend, 5000);
    await until(async () => (await stepsStored(backend, id)) >= 1, 'a first step');
    const page = await windows.at(-1)!.page();
    await page.goto('chrome://crash').catch(() => undefined);
    await backend.idle();
    const run = await backend.getRun({ id });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^WorkerCrashed: /);
    expect(run.error).toContain("the GPU window's renderer is gone (crashed)");
  }, 300_000);

  it('a window that breaks the protocol is closed and its run fails naming the bad field', async () => {
    const backend = await open();
    const id = await startRun(backend, 5000);
    await until(async () => (await stepsStored(backend, id)) >= 1, 'a first step');
    const page = await windows.at(-1)!.page();
    await page.evaluate(() => window.postMessage({ batchscope: 'gpu-window', message: { type: 'step', metrics: { step: 'many' } } }, '/'));
    await backend.idle();
    const run = await backend.getRun({ id });
    expect(run.status).toBe('failed');
    expect(run.error).toContain('the GPU window sent a malformed message (step.metrics.step:');
    expect(await stepsStored(backend, id)).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
