/**
 * bin/electron-fetch.mjs runs the electron package's real installer (install.js,
 * @electron/get, its zip extractor) against a local mirror: the settings a user
 * relies on (ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, the download cache) are
 * honoured, and failures come back as the reason, not a stack.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronPackage, fetchElectron, installedElectronBinary, type ElectronPackage } from '../../bin/electron-fetch.mjs';
import { repoRoot } from '../../bin/build-freshness.mjs';
import { storedZip } from './stored-zip';

function installedPackage(): ElectronPackage {
  const pkg = electronPackage(repoRoot);
  if ('reason' in pkg) throw new Error(pkg.reason);
  return pkg;
}
const real = installedPackage();
const version = real.version;
const executable = { darwin: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' }[process.platform as string] ?? 'electron';
const zipName = `electron-v${version}-${process.platform}-${process.arch}.zip`;

let scratch: string;
let packageDir: string;

/** A copy of the electron package's files in a scratch node_modules, so the installer writes its dist/ there. */
function copyElectronPackage(): string {
  const modules = join(scratch, 'project', 'node_modules');
  const dir = join(modules, 'electron');
  mkdirSync(dir, { recursive: true });
  for (const file of ['install.js', 'index.js', 'package.json', 'checksums.json']) copyFileSync(join(real.dir, file), join(dir, file));
  // the installer's own dependencies, as installed here
  for (const scope of ['@electron', '@electron-internal']) symlinkSync(join(repoRoot, 'node_modules', scope), join(modules, scope), 'dir');
  return dir;
}

/** The environment without the caller's Electron settings (an .npmrc mirror would win over ours). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/electron/i.test(key)));
  return { ...env, electron_config_cache: join(scratch, 'cache'), ...extra };
}

function serveMirror(files: Map<string, Buffer>, requests: string[]): Promise<Server> {
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const body = files.get(request.url ?? '');
    response.writeHead(body ? 200 : 404, { 'content-length': body?.length ?? 0 });
    response.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const port = (server: Server) => (server.address() as AddressInfo).port;
const closeServer = (server: Server) => new Promise((resolve) => server.close(resolve));

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'batchscope-electron-fetch-'));
  packageDir = copyElectronPackage();
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe("fetching Electron's binary through its installer", () => {
  it('downloads from ELECTRON_MIRROR under ELECTRON_CUSTOM_DIR, then reuses the cache when offline', async () => {
    const zip = storedZip([
      { name: executable, data: Buffer.from('#!/bin/sh\necho "fake electron $*"\n'), mode: 0o755 },
      { name: 'version', data: Buffer.from(`v${version}`) },
    ]);
    const sha = createHash('sha256').update(zip).digest('hex');
    const dir = `/batchscope-${version}`;
    const files = new Map([[`${dir}/${zipName}`, zip]]);
    // the fixture is not Electron's real zip: the package copy's checksums.json vouches for it instead
    writeFileSync(join(packageDir, 'checksums.json'), JSON.stringify({ [zipName]: sha }));
    const requests: string[] = [];
    const mirror = await serveMirror(files, requests);
    const mirrorUrl = `http://127.0.0.1:${port(mirror)}`;
    const env = cleanEnv({ ELECTRON_MIRROR: `${mirrorUrl}/`, ELECTRON_CUSTOM_DIR: 'batchscope-{{ version }}' });
    const log: string[] = [];
    const pkg = { dir: packageDir, version };
    expect(installedElectronBinary(pkg)).toBeNull();

    const fetched = await fetchElectron(pkg, { timeoutMs: 60_000, log: (line: string) => log.push(line), env });
    await closeServer(mirror);
    expect(fetched).toEqual({ binary: join(packageDir, 'dist', executable) });
    expect(requests).toContain(`${dir}/${zipName}`);
    expect(log.join('\n')).toContain(`downloading ${mirrorUrl}${dir}/${zipName}`);
    if (process.platform !== 'win32') expect(execFileSync(join(packageDir, 'dist', executable), ['--version'], { encoding: 'utf8' })).toBe('fake electron --version\n');

    // a fresh install with the mirror gone: the installer finds the zip in electron_config_cache
    rmSync(join(packageDir, 'dist'), { recursive: true });
    rmSync(join(packageDir, 'path.txt'));
    const again: string[] = [];
    const cached = await fetchElectron(pkg, { timeoutMs: 60_000, log: (line: string) => again.push(line), env });
    expect(cached).toEqual({ binary: join(packageDir, 'dist', executable) });
    expect(again.join('\n')).toContain('found in the cache');
    expect(again.join('\n')).not.toContain('downloading');
  });

  it('reports why the download failed: the URL and the network error behind "fetch failed"', async () => {
    const closed = await serveMirror(new Map(), []);
    const unreachable = port(closed);
    await closeServer(closed);
    const result = await fetchElectron({ dir: packageDir, version }, { timeoutMs: 60_000, log: () => {}, env: cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${unreachable}/` }) });
    expect(result).toEqual({ reason: expect.stringContaining(`(http://127.0.0.1:${unreachable}/v${version}/${zipName}): TypeError: fetch failed: connect ECONNREFUSED`) });
    expect(existsSync(join(packageDir, 'dist'))).toBe(false);
  });

  it('names the HTTP status when the mirror lacks the file', async () => {
    const requests: string[] = [];
    const mirror = await serveMirror(new Map(), requests);
    const result = await fetchElectron({ dir: packageDir, version }, { timeoutMs: 60_000, log: () => {}, env: cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port(mirror)}/` }) });
    await closeServer(mirror);
    expect(result).toEqual({ reason: expect.stringMatching(/HTTPError: Response code 404/) });
  });

  it('gives up at the time limit and says so', async () => {
    // accepts the request and never answers
    let requested = false;
    const stalled = createServer(() => void (requested = true));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const result = await fetchElectron({ dir: packageDir, version }, { timeoutMs: 5_000, log: () => {}, env: cleanEnv({ ELECTRON_MIRROR: `http://127.0.0.1:${port(stalled)}/` }) });
    stalled.closeAllConnections();
    await closeServer(stalled);
    expect(result).toEqual({ reason: expect.stringMatching(/^the download did not finish within 5 s.*; set BATCHSCOPE_ELECTRON_DOWNLOAD_TIMEOUT_S for more$/) });
    // on a loaded machine the installer may not have reached the request in time; when it did, the reason names the URL
    if (requested) expect(result).toEqual({ reason: expect.stringMatching(/within 5 s \(http:\/\/127\.0\.0\.1:\d+\/v[\d.]+\/electron-v.*\.zip\)/) });
  });
});
