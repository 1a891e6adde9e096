/**
 * The app build (`npx electron-vite build` → out/):
 *   out/main/index.js              Electron main (ESM), from main/electron/index.ts
 *   out/main/window-options.js     its window options, importable without Electron (tests)
 *   out/main/training-worker.js    the training worker, forked by main/worker/fork-worker.ts
 *   out/main/shard-worker.js       a run's replica thread, started by main/engine/shards/shard-pool.ts
 *   out/preload/index.cjs          the preload; CommonJS because sandboxed preloads cannot be ESM
 *   out/preload/gpu-window.cjs     the GPU window's preload: a MessagePort bridge, nothing exposed (docs/webgpu.md)
 *   out/renderer/                  the Vue app (root renderer/), also served in browser mode
 *   out/renderer/gpu-window.html   the hidden GPU window: the engine on Chromium's WebGPU (main/gpu-window/)
 */
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { cspMetaPlugin } from './main/transport/content-security-policy';

// electron-vite runs from the repository root (npm scripts, tests); it bundles this file
// elsewhere first, so import.meta paths would point at the bundle, not here
const root = process.cwd();

/**
 * The GPU window's page loads its script from outside the renderer root (main/gpu-window/);
 * the build resolves that relative path itself, the dev server serves such files only
 * under /@fs/.
 */
function gpuWindowDevScript() {
  const entry = resolve(root, 'main/gpu-window/entry.ts').replaceAll('\\', '/').replace(/^\//, '');
  return {
    name: 'batchscope-gpu-window-dev',
    apply: 'serve' as const,
    // before Vite's own HTML pass, which would otherwise try the relative path first
    transformIndexHtml: { order: 'pre' as const, handler: (html: string) => html.replace('src="../main/gpu-window/entry.ts"', `src="/@fs/${entry}"`) },
  };
}

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          index: resolve(root, 'main/electron/index.ts'),
          'window-options': resolve(root, 'main/electron/window-options.ts'),
          'training-worker': resolve(root, 'main/worker/training-worker.ts'),
          'shard-worker': resolve(root, 'main/engine/shards/shard-worker.ts'),
        },
        // native or backend-selecting modules load from node_modules at run time (dependencies are external
        // by default; this also covers the optional tfjs-node backends, which are not in `dependencies`)
        external: ['better-sqlite3', 'webgpu', /^@tensorflow\//],
        output: {
          entryFileNames: '[name].js',
          // shared chunks beside the entries: fork-worker.ts looks for training-worker.js next to itself,
          // shard-pool.ts for shard-worker.js
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      // a sandboxed preload can require only 'electron': bundle everything else (zod, the contract)
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'preload/index.ts'), 'gpu-window': resolve(root, 'preload/gpu-window.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    // the CSP meta tag comes from the same source as the header (main/transport/content-security-policy.ts)
    plugins: [vue(), cspMetaPlugin(), gpuWindowDevScript()],
    build: {
      // electron-vite leaves the renderer unminified by default; minified it loads faster in both modes
      minify: true,
      rolldownOptions: { input: { index: resolve(root, 'renderer/index.html'), 'gpu-window': resolve(root, 'renderer/gpu-window.html') } },
    },
  },
});
