#!/usr/bin/env node
// `npm start`: the desktop app when Electron can start here, browser mode otherwise.
//   node bin/start.mjs [--browser] [--port N] [--open | --no-open]
// Environment: BATCHSCOPE_DB (database file), BATCHSCOPE_PORT, BATCHSCOPE_BROWSER=1,
// BATCHSCOPE_ELECTRON_DOWNLOAD_TIMEOUT_S (default 600); Electron's installer reads ELECTRON_MIRROR,
// ELECTRON_CUSTOM_DIR, electron_config_cache and the rest of @electron/get's settings.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildState, electronViteBin, outDir, repoRoot } from './build-freshness.mjs';
import { electronPackage, fetchElectron, installedElectronBinary } from './electron-fetch.mjs';
import { electronSqliteBinding } from './electron-sqlite.mjs';
import { minimumWorkingNode, nodeSupport, supportedNode } from './node-support.mjs';

const { values: flags } = parseArgs({
  options: {
    browser: { type: 'boolean', default: process.env.BATCHSCOPE_BROWSER === '1' },
    port: { type: 'string', default: process.env.BATCHSCOPE_PORT ?? '0' },
    open: { type: 'boolean' },
    'no-open': { type: 'boolean' },
  },
});

function build() {
  const state = buildState();
  if (state === 'fresh') return;
  console.log(state === 'missing' ? 'Building Batchscope (first start)…' : 'Sources changed since the last build; rebuilding…');
  const result = spawnSync(process.execPath, [electronViteBin, 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error('The build failed (see above); fix it or run `npm run build` for the full log.');
    process.exit(1);
  }
}

const downloadTimeoutMs = Number(process.env.BATCHSCOPE_ELECTRON_DOWNLOAD_TIMEOUT_S ?? 600) * 1000;

/** The Electron binary's path (fetched through Electron's own installer when missing), or why there is none. */
async function electronBinary() {
  const pkg = electronPackage(repoRoot);
  if ('reason' in pkg) return pkg;
  const electron = installedElectronBinary(pkg) ? { binary: installedElectronBinary(pkg) } : await fetchElectron(pkg, { timeoutMs: downloadTimeoutMs });
  if ('reason' in electron) return electron;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return electron;
}

/** Resolves with null once Electron has run and exited, or with a reason when it could not start. */
function runElectron(binary) {
  const sqlite = electronSqliteBinding(repoRoot);
  if ('reason' in sqlite) return Promise.resolve(sqlite.reason);
  const env = { ...process.env, BATCHSCOPE_SQLITE_BINDING: sqlite.binding };
  delete env.ELECTRON_RUN_AS_NODE;
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = spawn(binary, ['.'], { cwd: repoRoot, env, stdio: 'inherit' });
    child.on('error', (error) => resolve(`Electron failed to start: ${error.message}`));
    child.on('exit', (code, signal) => {
      // a quick failure means it never came up (missing libraries, native-module ABI, …); a later exit is the user's
      if (code !== 0 && !signal && Date.now() - startedAt < 15_000) resolve(`Electron exited with code ${code} while starting`);
      else {
        process.exitCode = code ?? 0;
        resolve(null);
      }
    });
  });
}

async function serveInBrowser() {
  const { register } = await import('tsx/esm/api');
  register();
  const { serve } = await import(pathToFileURL(join(repoRoot, 'main/server/serve.ts')).href);
  // BATCHSCOPE_DB, else $XDG_DATA_HOME/batchscope (~/.local/share/batchscope): the database the CLI and Electron use
  const { defaultDbPath } = await import(pathToFileURL(join(repoRoot, 'main/api/data-dir.ts')).href);
  const dbPath = defaultDbPath();
  const hasDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  const open = flags['no-open'] ? false : (flags.open ?? hasDisplay);
  const redisUrl = process.env.BATCHSCOPE_REDIS_URL || undefined;
  const server = await serve({ dbPath, port: Number(flags.port), open, staticDir: join(outDir, 'renderer'), ...(redisUrl ? { redisUrl } : {}) });
  console.log(`Batchscope is running in browser mode. Open:\n\n  ${server.url}\n\ndata: ${dbPath}\nCtrl+C stops it.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const support = nodeSupport();
if (support === 'too-old') {
  console.error(`Node ${process.versions.node} is too old for Batchscope: it needs Node ${supportedNode} (${minimumWorkingNode} or newer also works, with npm warnings).`);
  process.exit(1);
}
if (support === 'works') {
  console.log(`Node ${process.versions.node} is outside Batchscope's supported range (${supportedNode}): it runs, but Electron's installer and packaging tools declare Node 22.12 or newer.`);
}
build();
if (!flags.browser) {
  const electron = await electronBinary();
  const reason = 'binary' in electron ? await runElectron(electron.binary) : electron.reason;
  if (reason === null) process.exit();
  console.log(`Electron cannot start here: ${reason}. Serving browser mode instead.`);
}
await serveInBrowser();
