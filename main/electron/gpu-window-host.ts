/**
 * The GPU window in Electron (docs/webgpu.md): a hidden BrowserWindow in its own hardened
 * session, showing the bundled gpu-window.html, joined to main by one MessageChannelMain
 * whose other end the preload (preload/gpu-window.ts) bridges to the page.
 *
 * MessagePortMain moves only ports, not ArrayBuffers: the dataset is copied once (structured
 * clone) from main to the preload, which moves it on into the page.
 */
import { BrowserWindow, MessageChannelMain } from 'electron';
import { gpuWindowPortChannel } from '../../common/worker-protocol';
import type { GpuWindowHost, WindowGone } from '../runner/gpu-window-executor';
import { gpuWindowOptions } from './window-options';

export interface ElectronGpuWindowOptions {
  preloadPath: string;
  /** file: path of the built page, or (electron-vite dev) its URL */
  page: { file: string } | { url: string };
  /** the window's session, hardened by the caller (hardenSession with the GPU window's CSP) */
  partition: string;
}

export function openElectronGpuWindow(options: ElectronGpuWindowOptions): GpuWindowHost {
  const window = new BrowserWindow(gpuWindowOptions(options.preloadPath, options.partition));
  const contents = window.webContents;
  const { port1, port2 } = new MessageChannelMain();
  const messageListeners: ((message: unknown) => void)[] = [];
  const goneListeners: ((gone: WindowGone) => void)[] = [];
  let log = '';
  let gone: WindowGone | null = null;
  const markGone = (how: WindowGone): void => {
    if (gone) return;
    gone = how;
    port1.close();
    for (const listener of goneListeners) listener(how);
  };

  port1.on('message', (event) => messageListeners.forEach((listener) => listener(event.data)));
  port1.start();
  // the page is up (its preload already listens, and keeps what the page posted before this)
  contents.once('dom-ready', () => contents.postMessage(gpuWindowPortChannel, null, [port2]));
  contents.on('console-message', (event) => {
    if (event.level === 'error' || event.level === 'warning') log = `${log}${event.message}\n`.slice(-4000);
  });
  contents.on('render-process-gone', (_event, details) => {
    markGone({ reason: details.reason, exitCode: details.exitCode });
    if (!window.isDestroyed()) window.destroy();
  });
  contents.on('did-fail-load', (_event, code, description, url) => {
    log = `${log}could not load ${url}: ${description} (${code})\n`;
    if (!window.isDestroyed()) window.destroy();
  });
  window.on('closed', () => markGone({ reason: 'closed', exitCode: null }));
  if ('file' in options.page) void window.loadFile(options.page.file);
  else void window.loadURL(options.page.url);

  return {
    get pid() {
      return window.isDestroyed() ? null : contents.getOSProcessId() || null;
    },
    post: (message) => {
      if (!gone) port1.postMessage(message);
    },
    onMessage: (listener) => void messageListeners.push(listener),
    onGone: (listener) => {
      if (gone) listener(gone);
      else goneListeners.push(listener);
    },
    logTail: () => log,
    destroy: () => {
      if (!window.isDestroyed()) window.destroy();
    },
  };
}
