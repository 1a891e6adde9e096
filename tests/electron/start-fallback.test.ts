/**
 * `npm start` where Electron's binary cannot be had: bin/start.mjs runs
 * Electron's installer (pointed at a mirror that refuses connections, so the
 * outcome is the same with or without network, and with or without a binary
 * already in node_modules/electron/dist), prints why it failed, and serves
 * browser mode, which answers HTTP and the API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from '../e2e/ensure-built';

let scratch: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('tries the download, prints the reason it failed, and serves browser mode', async () => {
  scratch = mkdtempSync(join(tmpdir(), 'batchscope-start-'));
  const emptyDist = join(scratch, 'no-electron');
  mkdirSync(emptyDist);
  const refused = await closedPort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/electron/i.test(key)));
  child = spawn(process.execPath, [join(repoRoot, 'bin', 'start.mjs'), '--no-open', '--port', '0'], {
    cwd: repoRoot,
    env: {
      ...env,
      BATCHSCOPE_DB: join(scratch, 'start.db'),
      ELECTRON_MIRROR: `http://127.0.0.1:${refused}/`,
      // an empty dist: the installer downloads even where node_modules/electron/dist exists
      ELECTRON_OVERRIDE_DIST_PATH: emptyDist,
      electron_config_cache: join(scratch, 'cache'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
  const served = await Promise.race([
    (async () => {
      while (!/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.test(output)) await new Promise((resolve) => setTimeout(resolve, 100));
      return true;
    })(),
    exited.then(() => false),
  ]);
  expect(served, output).toBe(true);

  expect(output).toContain("fetching it with Electron's installer");
  expect(output).toContain(`downloading http://127.0.0.1:${refused}/v`);
  expect(output).toMatch(new RegExp(`Electron cannot start here: the download of Electron's binary failed \\(http://127\\.0\\.0\\.1:${refused}/\\S+\\): TypeError: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${refused}\\. Serving browser mode instead\\.`));

  const url = new URL(/http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(output)![0]);
  const token = url.hash.replace('#token=', '');
  const page = await fetch(new URL('/', url));
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<div id="app"');
  const presets = await fetch(new URL('/api/listPresets', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-batchscope-token': token },
    body: '{}',
  });
  expect(presets.status).toBe(200);
  expect((await presets.json()).length).toBeGreaterThan(0);
});
