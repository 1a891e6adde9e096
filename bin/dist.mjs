#!/usr/bin/env node
// `npm run dist [-- electron-builder options]`: installers for this platform (electron-builder.yml).
//
// electron-builder rebuilds better-sqlite3 for Electron's ABI itself (@electron/rebuild,
// npmRebuild in electron-builder.yml), but it does so in node_modules, where the Node build
// is what `npm test`, the CLI and browser mode load. That Node build is set aside before and
// put back after, so packaging leaves the checkout as it was. (The same reason keeps
// `electron-builder install-app-deps` out of postinstall.)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { electronViteBin, repoRoot } from './build-freshness.mjs';

const require = createRequire(import.meta.url);
const builderCli = require.resolve('electron-builder/cli.js');
const nodeBinding = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  return result.status ?? 1;
}

if (run([electronViteBin, 'build']) !== 0) process.exit(1);
const keep = mkdtempSync(join(tmpdir(), 'batchscope-dist-'));
const kept = join(keep, 'better_sqlite3.node');
if (existsSync(nodeBinding)) copyFileSync(nodeBinding, kept);
let status;
try {
  status = run([builderCli, ...process.argv.slice(2)]);
} finally {
  if (existsSync(kept)) copyFileSync(kept, nodeBinding);
  rmSync(keep, { recursive: true, force: true });
}
process.exit(status);
