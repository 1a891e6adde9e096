// For `npm start` only (packaging uses electron-builder's own rebuild: npmRebuild in
// electron-builder.yml, driven by bin/dist.mjs).
//
// better-sqlite3 is compiled for Node (npm test, the CLI, browser mode). Electron's main
// process needs a build for Electron's ABI. The standard tools (`electron-builder
// install-app-deps`, @electron/rebuild) rebuild in place, in node_modules/better-sqlite3,
// which would leave `npm test` and browser mode with a module Node cannot load; one checkout
// needs both builds at once. So the Electron build is made in a copy beside the Node one and
// its path reaches the store through BATCHSCOPE_SQLITE_BINDING (better-sqlite3's
// `nativeBinding` option). Getting it needs the network once: a prebuilt binary from the
// better-sqlite3 releases (prebuild-install), else a compile against Electron's headers (node-gyp).
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** @returns {{ binding: string } | { reason: string }} */
export function electronSqliteBinding(repoRoot) {
  let electronVersion;
  let sqliteDir;
  try {
    electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
    sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
  } catch (error) {
    return { reason: `cannot find electron or better-sqlite3: ${error.message}` };
  }
  const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;
  const target = join(repoRoot, 'node_modules', '.cache', 'batchscope', `better-sqlite3-${sqliteVersion}-electron-${electronVersion}-${process.platform}-${process.arch}`);
  const binding = join(target, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(binding)) return { binding };
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  cpSync(sqliteDir, target, { recursive: true, filter: (src) => !src.startsWith(join(sqliteDir, 'build')) });
  const attempts = [
    ['prebuild-install/bin.js', ['--runtime', 'electron', '--target', electronVersion, '--arch', process.arch]],
    ['node-gyp/bin/node-gyp.js', ['rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers']],
  ];
  const failures = [];
  for (const [script, args] of attempts) {
    let entry;
    try {
      entry = require.resolve(script);
    } catch {
      failures.push(`${script} is not installed`);
      continue;
    }
    const result = spawnSync(process.execPath, [entry, ...args], { cwd: target, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    if (result.status === 0 && existsSync(binding)) return { binding };
    failures.push(String(result.stderr ?? result.error ?? '').trim().split('\n').at(-1));
  }
  return { reason: `better-sqlite3 could not be built for Electron ${electronVersion} (${failures.filter(Boolean).join('; ') || 'no network?'})` };
}
