/**
 * Electron main: one window onto the renderer, the API behind IPC, the
 * store in the database browser mode and the CLI share (`defaultDbPath`).
 * Everything else lives in main/api.
 */
import { app, BrowserWindow, ipcMain, Menu, screen, session, shell, type IpcMainInvokeEvent } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createApi } from '../api/create-api';
import { defaultDbPath } from '../api/data-dir';
import { appMenuTemplate } from './app-menu';
import { hardenAllContents, hardenSession } from './hardening';
import { ipcChannels } from '../../common/ipc-channels';
import { registerIpcBridge } from './ipc-bridge';
import { readSpecFile, specFileFromArgv } from './spec-file';
import { createUtilityProcessExecutor } from './utility-process-executor';
import { openElectronGpuWindow } from './gpu-window-host';
import { createGpuWindowExecutor } from '../runner/gpu-window-executor';
import { routeByBackend } from '../runner/backend-routed-executor';
import { gpuWindowPage } from '../transport/content-security-policy';
import { windowOptions, windowSizeLimits } from './window-options';
import { loadWindowState, restoredBounds, saveWindowState } from './window-state';
import { isTrustedFrame } from './trusted-sender';

const here = dirname(fileURLToPath(import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const rendererFile = join(here, '../renderer/index.html');
/** bundled beside this file (electron.vite.config.ts); inside app.asar when packaged */
const workerFile = join(here, 'training-worker.js');
/** set by `electron-vite dev` */
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
/** the hidden GPU window's page and preload (docs/webgpu.md) */
const gpuWindowPreloadPath = join(here, '../preload/gpu-window.cjs');
const gpuWindowFile = join(dirname(rendererFile), gpuWindowPage);
/** in memory (no 'persist:'): the GPU window keeps nothing between launches */
const gpuWindowPartition = 'batchscope-gpu-window';

let mainWindow: BrowserWindow | null = null;
/** a spec file given before the window could show it (launch argument, macOS open-file before ready) */
let pendingSpecFile: string | null = specFileFromArgv(process.argv, process.cwd(), app.isPackaged);

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const prefix = devServerUrl ? `${new URL(devServerUrl).origin}/` : `${pathToFileURL(dirname(rendererFile)).href}/`;
  return isTrustedFrame(event.senderFrame, prefix);
}

/** Sends a spec file to the designer, or keeps it until the window has loaded. */
function openSpecFile(path: string): void {
  const window = mainWindow;
  if (!window || window.webContents.isLoading()) {
    pendingSpecFile = path;
    return;
  }
  void readSpecFile(path).then((event) => {
    if (!window.isDestroyed()) window.webContents.send(ipcChannels.event, event);
  });
}

function createWindow(): BrowserWindow {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const bounds = restoredBounds(
    loadWindowState(stateFile),
    screen.getAllDisplays().map((display) => display.workArea),
    windowSizeLimits,
  );
  const window = new BrowserWindow(windowOptions(preloadPath, bounds));
  if (bounds.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  window.webContents.on('did-finish-load', () => {
    const file = pendingSpecFile;
    pendingSpecFile = null;
    if (file) openSpecFile(file);
  });
  window.on('close', () => saveWindowState(stateFile, { ...window.getNormalBounds(), maximized: window.isMaximized() }));
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

/**
 * Runs train in utility processes, except forced WebGPU runs: Electron's memory cage keeps
 * dawn.node out of the worker, so those go to a hidden window on Chromium's own WebGPU.
 */
function localExecutor() {
  const gpuWindow = createGpuWindowExecutor({
    openWindow: () =>
      openElectronGpuWindow({
        preloadPath: gpuWindowPreloadPath,
        page: devServerUrl ? { url: new URL(gpuWindowPage, devServerUrl).href } : { file: gpuWindowFile },
        partition: gpuWindowPartition,
      }),
  });
  return routeByBackend({ webgpu: gpuWindow, other: createUtilityProcessExecutor(workerFile) });
}

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession, devServerUrl);
  const gpuSession = session.fromPartition(gpuWindowPartition);
  hardenSession(gpuSession, devServerUrl, 'gpu-window');
  const dbPath = defaultDbPath();
  // a database this user cannot write is still browsable; BATCHSCOPE_REDIS_URL hands runs to remote workers (docs/distributed.md)
  const redisUrl = process.env.BATCHSCOPE_REDIS_URL || undefined;
  const api = await createApi({
    dbPath,
    readOnly: 'auto',
    executor: redisUrl ? undefined : localExecutor(),
    ...(redisUrl ? { redisUrl } : {}),
    ...(process.env.BATCHSCOPE_REDIS_QUEUE ? { queue: process.env.BATCHSCOPE_REDIS_QUEUE } : {}),
  });
  const stopBridge = registerIpcBridge({ ipcMain, api, isTrustedSender, windows: () => BrowserWindow.getAllWindows() });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate({
        isMac: process.platform === 'darwin',
        isPackaged: app.isPackaged,
        openDataFolder: () => void shell.openPath(dirname(dbPath)),
      }),
    ),
  );
  mainWindow = createWindow();

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  // close the store (and stop running workers) before the process goes
  let closed = false;
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    closed = true;
    stopBridge();
    api
      .close()
      .catch((error: unknown) => console.error('closing the API failed:', error))
      .finally(() => app.quit());
  });
}

hardenAllContents(app, shell);
// Chromium's blocklist hides WebGPU on some working GPUs; a user who knows theirs works can lift it
if (process.env['BATCHSCOPE_UNSAFE_WEBGPU'] === '1') app.commandLine.appendSwitch('enable-unsafe-webgpu');
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // macOS hands files over as events, possibly before 'ready'
  app.on('open-file', (event, path) => {
    event.preventDefault();
    openSpecFile(path);
  });
  // a second launch (say, a spec file opened from the file manager) passes its arguments here and quits
  app.on('second-instance', (_event, argv, workingDirectory) => {
    const file = specFileFromArgv(argv, workingDirectory, app.isPackaged);
    if (file) openSpecFile(file);
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  start().catch((error: unknown) => {
    console.error('Batchscope could not start:', error);
    app.exit(1);
  });
}
