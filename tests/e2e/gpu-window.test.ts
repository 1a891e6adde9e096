/**
 * The Electron GPU host's window script (main/gpu-window) in headless Chromium: the
 * engine bundle trains a few steps on Chromium's own WebGPU and reports with the
 * worker protocol; without an adapter it falls back to cpu and says why. What this
 * cannot cover (Electron's hidden window, its preload and MessagePort) is listed in
 * docs/webgpu.md.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerMessage } from '../../common/worker-protocol';
import { makeBlobs } from '../../main/engine/data/synthetic';
import { createRng } from '../../main/engine/rng';
import { parseRunSpec } from '../../common/spec';
import { windowRunFor, type WindowRun } from '../../main/gpu-window/window-run';
import { chromiumArgs, chromiumPath } from './chromium';

const dir = mkdtempSync(join(tmpdir(), 'batchscope-gpu-window-'));
let server: Server;
let url = '';
const browsers: Browser[] = [];

const PAGE = `<!doctype html><meta charset="utf-8"><title>gpu window</title>
<script>window.__messages = []; addEventListener('message', (e) => { if (e.data && e.data.batchscope === 'gpu-window') window.__messages.push(e.data.message); });</script>
<script type="module" src="/gpu-window.js"></script>`;

beforeAll(async () => {
  await build({ entryPoints: ['main/gpu-window/entry.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'gpu-window.js'), logLevel: 'error' });
  server = createServer((req, res) => {
    if (req.url === '/gpu-window.js') {
      void readFile(join(dir, 'gpu-window.js')).then((js) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(js));
    } else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  // 127.0.0.1 is a secure context, which navigator.gpu requires
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
}, 120_000);

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const train = makeBlobs({ samples: 192, classes: 3, features: 6, spread: 2 }, createRng(5));
const test = makeBlobs({ samples: 60, classes: 3, features: 6, spread: 2 }, createRng(6));
const dataset = { name: 'blobs', inputShape: [6], numClasses: 3, classNames: ['0', '1', '2'], train, test, source: 'test blobs' };
const runFor = (backend: WindowRun['backend']): WindowRun =>
  windowRunFor(
    parseRunSpec({
      dataset: { kind: 'blobs', samples: 252 },
      model: { kind: 'mlp', hidden: [16], activation: 'relu' },
      optimizer: { name: 'momentum', momentum: 0.9 },
      lr: { base: 0.05 },
      batch: { size: 32 },
      training: { steps: 4, seed: 3 },
      backend,
    }),
    dataset,
  ).run;

/** Opens the window script in a fresh page, starts a run and waits for its last message. */
async function runInWindow(browser: Browser, backend: WindowRun['backend']): Promise<WorkerMessage[]> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __messages: { type: string }[] }).__messages.some((m) => m.type === 'ready'));
    await page.evaluate((run) => window.postMessage({ type: 'start', run }, '/'), runFor(backend));
    await page.waitForFunction(() => (window as unknown as { __messages: { type: string }[] }).__messages.some((m) => m.type === 'finished' || m.type === 'failed'), undefined, { timeout: 240_000 });
    return (await page.evaluate(() => (window as unknown as { __messages: WorkerMessage[] }).__messages)) as WorkerMessage[];
  } finally {
    await page.close();
  }
}

const started = (messages: WorkerMessage[]) => messages.find((m): m is Extract<WorkerMessage, { type: 'started' }> => m.type === 'started')!.info.backend;
const losses = (messages: WorkerMessage[]) => messages.flatMap((m) => (m.type === 'step' ? [m.metrics.loss] : []));

describe('the GPU window script in headless Chromium', () => {
  let cpuLosses: number[] = [];

  it('with the GPU disabled it has no adapter, falls back to cpu saying why, and trains', async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    browsers.push(browser);
    const messages = await runInWindow(browser, 'auto');
    expect(messages.map((m) => m.type).filter((t) => t !== 'progress')).toEqual(['ready', 'started', 'step', 'step', 'step', 'step', 'eval', 'finished']);
    const backend = started(messages);
    expect(backend.name).toBe('cpu');
    expect(backend.fallbacks[0]?.name).toBe('webgpu');
    expect(backend.fallbacks[0]?.error).toMatch(/no WebGPU adapter|no navigator\.gpu/);
    cpuLosses = losses(messages);
    expect(cpuLosses.every(Number.isFinite)).toBe(true);
  }, 300_000);

  it("with WebGPU enabled it trains on Chromium's adapter (forced: a software one here) with the cpu losses; auto refuses a software adapter", async () => {
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [...chromiumArgs.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu'],
      headless: true,
    });
    browsers.push(browser);
    const forced = await runInWindow(browser, 'webgpu');
    const failed = forced.find((m) => m.type === 'failed');
    expect(failed, JSON.stringify(failed)).toBeUndefined();
    const backend = started(forced);
    expect(backend.name).toBe('webgpu');
    expect(backend.adapter?.vendor).toBeTruthy();
    const gpuLosses = losses(forced);
    expect(gpuLosses).toHaveLength(cpuLosses.length);
    gpuLosses.forEach((l, i) => expect(Math.abs(l - cpuLosses[i]!) / Math.abs(cpuLosses[i]!), `step ${i + 1}`).toBeLessThan(1e-3));

    if (backend.adapter?.software) {
      const auto = started(await runInWindow(browser, 'auto'));
      expect(auto.name).toBe('cpu');
      expect(auto.fallbacks[0]?.error).toMatch(/only a software WebGPU adapter/);
    }
  }, 300_000);
});
