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

/** the first launch's size and the smallest the layout works at (window-state.ts keeps later ones) */
export const windowSizeLimits = Object.freeze({ width: 1440, height: 900, minWidth: 960, minHeight: 600 });

export function windowOptions(
  preloadPath: string,
  bounds: { x?: number; y?: number; width: number; height: number } = windowSizeLimits,
): BrowserWindowConstructorOptions {
  return {
    title: 'Batchscope',
    ...(bounds.x !== undefined && bounds.y !== undefined ? { x: bounds.x, y: bounds.y } : {}),
    width: bounds.width,
    height: bounds.height,
    minWidth: windowSizeLimits.minWidth,
    minHeight: windowSizeLimits.minHeight,
    show: false,
    webPreferences: { ...secureWebPreferences, preload: preloadPath },
  };
}

/**
 * The hidden GPU window (docs/webgpu.md): the same locked-down preferences, never shown, in
 * its own in-memory session, and not throttled while hidden (a hidden page's timers would
 * otherwise slow training to a crawl).
 */
export function gpuWindowOptions(preloadPath: string, partition: string): BrowserWindowConstructorOptions {
  return {
    title: 'Batchscope GPU training',
    show: false,
    width: 320,
    height: 240,
    webPreferences: { ...secureWebPreferences, preload: preloadPath, partition, backgroundThrottling: false, spellcheck: false },
  };
}
