// Which Node runs Batchscope, said once for `npm start` (package.json engines says the same;
// tests/electron/node-support.test.ts holds the two and the lockfile to it).
//
// Supported: every installed package's `engines` admits these, so npm prints no EBADENGINE.
// Electron 45's installer (@electron/get), @electron/rebuild and the zip extractor declare Node >= 22.12;
// vitest excludes 23.x and better-sqlite3 12 stops at 26.x.
export const supportedNode = '^22.13.0 || ^24.0.0 || ^25.0.0 || ^26.0.0';
// Works, with npm's EBADENGINE warnings for Electron's packages: Node 20.19 is where require() of an
// ES module stopped needing a flag, which Electron's installer (CJS requiring the ESM @electron/get)
// and Vite 8 need. Checked on Node 20.20: install, tests, browser mode, the installer against a mirror.
export const minimumWorkingNode = '20.19.0';

function parts(version) {
  return version.replace(/^v/, '').split('.').map(Number);
}
function atLeast(version, minimum) {
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}
function inSupportedRange(version) {
  const [major] = parts(version);
  return major === 22 ? atLeast(version, '22.13.0') : major >= 24 && major <= 26;
}

/** 'supported', 'works' (runs, outside engines) or 'too-old' for a Node version. */
export function nodeSupport(version = process.versions.node) {
  if (inSupportedRange(version)) return 'supported';
  return atLeast(version, minimumWorkingNode) ? 'works' : 'too-old';
}
