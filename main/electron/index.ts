/**
 * Electron main: one window onto the renderer, the API behind IPC, the
 * store in the database browser mode and the CLI share (`defaultDbPath`).
 * Everything else lives in main/api.
 */
import { app, BrowserWindow, ipcMain, Menu, session, shell, type IpcMainInvokeEvent } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createApi } from '../api/create-api';
import { defaultDbPath } from '../api/data-dir';
import { appMenuTemplate } from './app-menu';
import { hardenAllContents, hardenSession } from './hardening';
import { registerIpcBridge } from './ipc-bridge';
import { isTrustedFrame } from './trusted-sender';
import { windowOptions } from './window-options';

const here = dirname(fileURLToPath(import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const rendererFile = join(here, '../renderer/index.html');
/** set by `electron-vite dev` */
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];

let mainWindow: BrowserWindow | null = null;

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const prefix = devServerUrl ? `${new URL(devServerUrl).origin}/` : `${pathToFileURL(dirname(rendererFile)).href}/`;
  return isTrustedFrame(event.senderFrame, prefix);
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(windowOptions(preloadPath));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession(session.defaultSession, devServerUrl);
  const dbPath = defaultDbPath();
  // a database this user cannot write is still browsable
  const api = await createApi({ dbPath, readOnly: 'auto' });
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
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
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
