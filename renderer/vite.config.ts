/**
 * Stand-alone build of the renderer, for checking it without Electron
 * (`npx vite build --config renderer/vite.config.ts`, run from the repository
 * root). The app itself is built by electron-vite.
 */
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [vue()],
  build: { outDir: '../out/renderer-standalone', emptyOutDir: true },
});
