/**
 * Builds the app once (`electron-vite build`) when out/ is missing or older
 * than the sources. Test files run in parallel processes, so the build runs
 * under a lock directory and the others wait for it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildState, electronViteBin, outDir, repoRoot } from '../../bin/build-freshness.mjs';

export { outDir, repoRoot };

const lockStaleMs = 240_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + lockStaleMs;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch {
      // another test process is building; a lock older than a build could take is stale
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > lockStaleMs) rmdirSync(lock);
      if (Date.now() > deadline) throw new Error(`waited too long for the build lock ${lock}`);
      await sleep(250);
    }
  }
}

export async function ensureBuilt(): Promise<{ rebuilt: boolean }> {
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const lock = join(repoRoot, '.tmp', 'build.lock');
  await acquire(lock);
  try {
    if (buildState() === 'fresh') return { rebuilt: false };
    try {
      await promisify(execFile)(process.execPath, [electronViteBin, 'build'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`electron-vite build failed:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`);
    }
    return { rebuilt: true };
  } finally {
    rmdirSync(lock);
  }
}
