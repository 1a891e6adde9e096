#!/usr/bin/env node
// `npm run dist [-- electron-builder options]`: installers for this platform (electron-builder.yml).
//
// electron-builder rebuilds better-sqlite3 for Electron's ABI itself (@electron/rebuild,
// npmRebuild in electron-builder.yml), but it does so in node_modules, where the Node build
// is what `npm test`, the CLI and browser mode load. That Node build is set aside before and
// put back after, so packaging leaves the checkout as it was. (The same reason keeps
// `electron-builder install-app-deps` out of postinstall.)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { electronViteBin, repoRoot } from './build-freshness.mjs';

const require = createRequire(import.meta.url);
const builderCli = require.resolve('electron-builder/cli.js');
const nodeBinding = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

if (spawnSync(process.execPath, [electronViteBin, 'build'], { cwd: repoRoot, stdio: 'inherit' }).status !== 0) process.exit(1);

const keep = mkdtempSync(join(tmpdir(), 'batchscope-dist-'));
const kept = join(keep, 'better_sqlite3.node');
if (existsSync(nodeBinding)) copyFileSync(nodeBinding, kept);
function restoreNodeBuild() {
  if (existsSync(kept)) {
    // the rebuild may have removed build/ altogether before failing
    mkdirSync(dirname(nodeBinding), { recursive: true });
    copyFileSync(kept, nodeBinding);
  }
  rmSync(keep, { recursive: true, force: true });
}

// asynchronous, so Ctrl+C or a CI timeout still puts the Node build back once electron-builder has stopped
const builder = spawn(process.execPath, [builderCli, ...process.argv.slice(2)], { cwd: repoRoot, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => builder.kill(signal));
builder.on('exit', (code, signal) => {
  restoreNodeBuild();
  process.exit(code ?? (signal ? 1 : 0));
});
