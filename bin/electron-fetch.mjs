// Finds the Electron binary, and when it is missing fetches it through the electron
// package's own installer (node_modules/electron/install.js, also `npx install-electron`).
// Electron 45 has no install script: its binary is downloaded on first use. Running the
// installer itself (rather than calling @electron/get here) keeps everything it honours:
// ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, electron_config_cache and an already-downloaded
// cache, electron_use_remote_checksums, ELECTRON_OVERRIDE_DIST_PATH, proxies.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

/** @returns {{ dir: string, version: string } | { reason: string }} */
export function electronPackage(fromDir) {
  try {
    const manifest = createRequire(join(fromDir, 'package.json')).resolve('electron/package.json');
    return { dir: dirname(manifest), version: JSON.parse(readFileSync(manifest, 'utf8')).version };
  } catch {
    return { reason: 'the electron package is not installed (run `npm install`)' };
  }
}

/** The executable the electron package would run, when it is there (index.js's rules, without its download). */
export function installedElectronBinary(pkg) {
  const pathFile = join(pkg.dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override ? join(override, relative ?? 'electron') : relative && join(pkg.dir, 'dist', relative);
  return binary && existsSync(binary) ? binary : null;
}

const debugLine = /@electron\/get:\S+ /;
const stackFrame = /^\s+at /;

/** The installer prints only `err.stack`; its first line is the error, fetch hides the cause. */
function installerError(stderrLines) {
  const lines = stderrLines.filter((line) => line.trim() && !debugLine.test(line) && !stackFrame.test(line));
  const requireEsm = lines.find((line) => line.includes('ERR_REQUIRE_ESM'));
  if (requireEsm) return `Electron's installer needs Node 20.19 or newer (it requires the ES module @electron/get); this is Node ${process.versions.node}`;
  const error = lines.find((line) => /Error\b/.test(line) && !line.includes('[cause]')) ?? lines.at(-1) ?? 'the installer failed without a message';
  const cause = lines.find((line) => line.includes('[cause]'));
  return cause ? `${error.trim()}: ${cause.replace(/^.*\[cause\]:\s*/, '')}` : error.trim();
}

/** What fetch's "fetch failed" stood for: the same request, made here, with its cause. */
async function networkCause(url) {
  try {
    const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(10_000) });
    return `HTTP ${response.status} ${response.statusText}`.trim();
  } catch (error) {
    const cause = error?.cause;
    return cause?.message ?? error?.message ?? String(error);
  }
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * Runs the electron package's installer with a time limit, printing the URL and a
 * progress line, and resolves with the binary or the reason it could not be had.
 * @param {{ dir: string, version: string }} pkg
 * @param {{ timeoutMs: number, log?: (line: string) => void, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ binary: string } | { reason: string }>}
 */
export function fetchElectron(pkg, { timeoutMs, log = console.log, env = process.env }) {
  const installer = join(pkg.dir, 'install.js');
  if (!existsSync(installer)) return Promise.resolve({ reason: `${installer} is missing (reinstall the electron package)` });
  log(`Electron ${pkg.version}'s binary is not installed yet; fetching it with Electron's installer (${installer}), up to ${Math.round(timeoutMs / 1000)} s…`);
  // the installer's debug lines name the URL and the file being written, which the progress line reads
  const debug = [env.DEBUG, '@electron/get:*'].filter(Boolean).join(',');
  const child = spawn(process.execPath, [installer], {
    cwd: pkg.dir,
    env: { ...env, DEBUG: debug, DEBUG_COLORS: '0', ELECTRON_GET_NO_PROGRESS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrLines = [];
  let pending = '';
  let url = null;
  let downloadFile = null;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      stderrLines.push(line);
      if (stderrLines.length > 200) stderrLines.shift();
      const downloading = /Downloading (\S+) to (\S+) with options/.exec(line);
      if (downloading) {
        [, url, downloadFile] = downloading;
        log(`  downloading ${url}`);
      }
      const cache = /Checking the cache \((.*)\) for/.exec(line);
      if (cache && cache[1] !== 'undefined') log(`  cache: ${cache[1]}`);
      if (/Cache hit/.test(line)) log('  found in the cache');
    }
  });
  child.stdout.resume();
  const startedAt = Date.now();
  const progress = setInterval(() => {
    const bytes = downloadFile ? (statSync(downloadFile, { throwIfNoEntry: false })?.size ?? 0) : 0;
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    log(`  … ${downloadFile ? `${basename(downloadFile)}: ${mib(bytes)}` : 'waiting for the download to start'} after ${seconds} s`);
  }, 5_000);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, timeoutMs);

  return new Promise((resolve) => {
    child.on('error', (error) => {
      clearInterval(progress);
      clearTimeout(timer);
      resolve({ reason: `Electron's installer could not run: ${error.message}` });
    });
    child.on('close', async (code) => {
      clearInterval(progress);
      clearTimeout(timer);
      if (pending) stderrLines.push(pending);
      const where = url ? ` (${url})` : '';
      if (timedOut) return resolve({ reason: `the download did not finish within ${Math.round(timeoutMs / 1000)} s${where}; set BATCHSCOPE_ELECTRON_DOWNLOAD_TIMEOUT_S for more` });
      if (code !== 0) {
        let error = installerError(stderrLines);
        if (/fetch failed$/.test(error) && url) error = `${error}: ${await networkCause(url)}`;
        return resolve({ reason: `the download of Electron's binary failed${where}: ${error}` });
      }
      const binary = installedElectronBinary(pkg);
      resolve(binary ? { binary } : { reason: `Electron's installer finished but ${join(pkg.dir, 'path.txt')} names no executable` });
    });
  });
}
