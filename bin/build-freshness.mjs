// Whether out/ holds a build of the current sources (used by `npm start` and the tests).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
export const outDir = join(repoRoot, 'out');
export const builtFiles = ['main/index.js', 'main/window-options.js', 'main/training-worker.js', 'preload/index.cjs', 'preload/gpu-window.cjs', 'renderer/index.html', 'renderer/gpu-window.html'].map((file) =>
  join(outDir, file),
);
const sourceRoots = ['common', 'main', 'preload', 'renderer', 'electron.vite.config.ts', 'package.json'];

function newestMtimeMs(path) {
  let info;
  try {
    info = statSync(path);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtimeMs(join(path, name)));
  }
  return newest;
}

/** 'missing' when a built file is absent, 'stale' when a source is newer than the oldest of them. */
export function buildState() {
  let oldestOutput = Infinity;
  for (const file of builtFiles) {
    try {
      oldestOutput = Math.min(oldestOutput, statSync(file).mtimeMs);
    } catch {
      return 'missing';
    }
  }
  const newestSource = Math.max(...sourceRoots.map((root) => newestMtimeMs(join(repoRoot, root))));
  return newestSource <= oldestOutput ? 'fresh' : 'stale';
}

export const electronViteBin = join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
