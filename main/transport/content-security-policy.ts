/**
 * The renderer's Content-Security-Policy, sent by the browser-mode server and
 * by Electron's session. Scripts only from the app itself; styles may be
 * inline because ECharts writes style attributes into tooltips; data:/blob:
 * images for dataset previews and chart snapshots.
 * renderer/index.html carries the same policy as a meta tag for file:// loads,
 * which get no response headers.
 */
const directives: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'worker-src': "'self' blob:",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

export function contentSecurityPolicy(extra: Partial<Record<string, string>> = {}): string {
  return Object.entries({ ...directives, ...extra })
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}
