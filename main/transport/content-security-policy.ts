/**
 * The renderer's Content-Security-Policy, the one source of it: sent as a header by the
 * browser-mode server and by Electron's session, and written into the built index.html as a
 * meta tag (for file:// loads, which get no headers) by `cspMetaPlugin` at build time.
 * Everything is refused by default ('none'); then scripts only from the app itself; styles
 * may be inline because ECharts writes style attributes into tooltips; data:/blob: images
 * for dataset previews and chart snapshots.
 */
const directives: Record<string, string> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'worker-src': "'self' blob:",
  'manifest-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/**
 * The hidden GPU window (docs/webgpu.md) runs one script and nothing else: no styles,
 * images, fonts, workers or network. WebGPU itself needs no directive.
 */
const gpuWindowDirectives: Record<string, string> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

/** the built page of the GPU window, beside the renderer's index.html */
export const gpuWindowPage = 'gpu-window.html';

/** Directives a <meta> policy may not carry (browsers ignore them there, with a warning). */
const headerOnly = new Set(['frame-ancestors']);

export function contentSecurityPolicy(extra: Partial<Record<string, string>> = {}, options: { meta?: boolean; page?: 'renderer' | 'gpu-window' } = {}): string {
  return Object.entries({ ...(options.page === 'gpu-window' ? gpuWindowDirectives : directives), ...extra })
    .filter(([name]) => !(options.meta && headerOnly.has(name)))
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/**
 * A Vite plugin that writes the policy into the built pages at build time: the renderer's
 * into index.html, the GPU window's (narrower) into gpu-window.html. Not in dev: there the
 * session header (with the HMR websocket allowed) is the policy, and a meta tag would narrow it.
 */
export function cspMetaPlugin(): { name: string; apply: 'build'; transformIndexHtml(html: string, context: { path: string }): string } {
  return {
    name: 'batchscope-csp-meta',
    apply: 'build',
    transformIndexHtml: (html, context) => {
      const page = context.path.endsWith(`/${gpuWindowPage}`) ? 'gpu-window' : 'renderer';
      const policy = contentSecurityPolicy({}, { meta: true, page });
      return html.replace(/<meta charset="UTF-8" \/>/i, (charset) => `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
    },
  };
}
