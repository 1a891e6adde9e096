/**
 * The main window's options, kept free of runtime imports so the security
 * settings can be checked from the built bundle without the Electron binary
 * (tests/electron/build.test.ts).
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/** The renderer gets no Node, no Electron, nothing but what the preload bridges. */
export const secureWebPreferences = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} satisfies WebPreferences);

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    title: 'Batchscope',
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    webPreferences: { ...secureWebPreferences, preload: preloadPath },
  };
}
