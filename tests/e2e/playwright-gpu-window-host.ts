/**
 * The GPU window in plain headless Chromium, for the tests: the built page
 * (out/renderer/gpu-window.html, with its meta CSP) served from 127.0.0.1 (a secure
 * context, as file: is in Electron), and the preload's real bridge
 * (preload/gpu-window-bridge.ts) joined to a MessageChannel whose other end stands in for
 * main's MessagePortMain. What differs from Electron: the bridge runs in the page's world
 * (Electron runs it isolated, in the preload) and the host's end lives in the page, reached
 * through Playwright.
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { GpuWindowHost, WindowGone } from '../../main/runner/gpu-window-executor';

const contentTypes: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves a built renderer folder on 127.0.0.1; resolves with its base URL. */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path.includes('..')) return void res.writeHead(400).end();
    readFile(join(dir, path)).then(
      (body) => res.writeHead(200, { 'content-type': contentTypes[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The bridge module as a script that defines `window.__gpuWindowBridge`, then a channel standing in for main's. */
export async function bridgeInitScript(): Promise<string> {
  const result = await build({ entryPoints: ['preload/gpu-window-bridge.ts'], bundle: true, format: 'iife', globalName: '__gpuWindowBridge', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
  return `${result.outputFiles[0]!.text}
(() => {
  const bridge = __gpuWindowBridge.bridgeWindow(window);
  // like main, connect once the page is up: what the page posted before waits in the bridge
  window.__connectHost = () => {
    const channel = new MessageChannel();
    channel.port2.onmessage = (event) => window.__toHost(event.data);
    channel.port2.start();
    window.__hostPort = channel.port2;
    bridge.connect(channel.port1);
  };
})();`;
}

export interface PlaywrightGpuWindow extends GpuWindowHost {
  /** the page, once it is open (for tests that crash it or post as a rogue page would) */
  page(): Promise<Page>;
}

export function openPlaywrightGpuWindow(browser: Browser, pageUrl: string, initScript: string): PlaywrightGpuWindow {
  const messageListeners: ((message: unknown) => void)[] = [];
  const goneListeners: ((gone: WindowGone) => void)[] = [];
  let gone: WindowGone | null = null;
  let log = '';
  const markGone = (how: WindowGone): void => {
    if (gone) return;
    gone = how;
    for (const listener of goneListeners) listener(how);
  };
  const opened = (async () => {
    const page = await browser.newPage();
    page.on('crash', () => markGone({ reason: 'crashed', exitCode: null }));
    page.on('close', () => markGone({ reason: 'closed', exitCode: null }));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') log = `${log}${message.text()}\n`.slice(-4000);
    });
    page.on('pageerror', (error) => void (log = `${log}${error.message}\n`.slice(-4000)));
    await page.exposeBinding('__toHost', (_source, message: unknown) => messageListeners.forEach((listener) => listener(message)));
    await page.addInitScript(initScript);
    await page.goto(pageUrl);
    await page.evaluate(() => (window as unknown as { __connectHost(): void }).__connectHost());
    return page;
  })();
  opened.catch((error: unknown) => {
    log = `${log}${String(error)}\n`;
    markGone({ reason: 'launch-failed', exitCode: null });
  });
  return {
    pid: null,
    post: (message) => {
      void opened.then((page) => page.evaluate((m) => (window as unknown as { __hostPort: MessagePort }).__hostPort.postMessage(m), message)).catch(() => undefined);
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onGone: (listener) => {
      if (gone) listener(gone);
      else goneListeners.push(listener);
    },
    logTail: () => log,
    destroy: () => void opened.then((page) => page.close()).catch(() => undefined),
    page: () => opened,
  };
}
