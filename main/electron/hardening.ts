/**
 * Electron's security checklist, applied once: CSP on every response, no
 * permissions, no navigation away from the app, no new windows or webviews
 * (https links open in the system browser instead).
 */
import type { App, Session, Shell } from 'electron';
import { contentSecurityPolicy } from '../transport/content-security-policy';

export function hardenSession(session: Session, devServerUrl: string | undefined, page: 'renderer' | 'gpu-window' = 'renderer'): void {
  // the dev server's HMR needs its websocket; production loads file:// (meta CSP)
  const csp = devServerUrl
    ? contentSecurityPolicy({ 'connect-src': `'self' ${new URL(devServerUrl).origin.replace(/^http/, 'ws')}` }, { page })
    : contentSecurityPolicy({}, { page });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function hardenAllContents(app: App, shell: Shell): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https:\/\//i.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}
