/**
 * Browsing a database this user cannot write: list/show/export/report and serve fall back to a
 * read-only connection (saying so on stderr), --read-only forces one, and anything that would
 * write is refused with a StoreError naming the file. Root ignores permissions, so as root the
 * CLI runs as `nobody` on a file only root may write; as anyone else it runs as this user on a
 * file and folder chmodded unwritable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi } from '../../main/api/create-api';
import { openStore } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { ensureBuilt } from '../e2e/ensure-built';
import { createRun, sampleStep } from '../store/fixtures/sample-metrics';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
/** the user the CLI runs as: nobody under root, else this user (undefined: no uid switch) */
const user = asRoot ? NOBODY : undefined;
const cli = join(__dirname, '..', '..', 'bin', 'batchscope.mjs');
const made: string[] = [];

afterAll(() => {
  for (const dir of made) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

function readOnlyDatabase(): { dir: string; path: string; runId: number } {
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-ro-'));
  made.push(dir);
  const path = join(dir, 'browse.db');
  const store = openStore(path);
  const { runId } = createRun(store);
  store.openMetricWriter().pushStep(runId, sampleStep(0));
  store.close();
  // the CLI's user may write neither the file nor the folder (no -wal/-shm may be made): as
  // root, only root may (nobody runs the CLI); otherwise not even this user
  chmodSync(path, asRoot ? 0o644 : 0o444);
  chmodSync(dir, asRoot ? 0o755 : 0o555);
  return { dir, path, runId };
}

/** a folder the CLI's user can write its output to */
function writableFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-ro-out-'));
  made.push(dir);
  chmodSync(dir, 0o777);
  return dir;
}

const asUser = (cwd?: string) => ({ ...(user !== undefined ? { uid: user, gid: user, env: { ...process.env, HOME: tmpdir() } } : {}), ...(cwd ? { cwd } : {}) });

function batchscope(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, ...asUser(cwd) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const fellBack = (path: string) => `${path} is not writable: opened read-only`;

describe('read-only mode', () => {
  it('list, show, export and report a database this user cannot write, and refuse to run into it', () => {
    const { path, runId } = readOnlyDatabase();
    const before = readFileSync(path);
    const list = batchscope(['list', '--db', path]);
    expect(list.stderr).toContain(fellBack(path));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/experiment #1 /);
    const show = batchscope(['show', String(runId), '--db', path]);
    expect(show.stderr).toContain(fellBack(path));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^#${runId} [\\s\\S]*\\nexperiment #1 `));
    const out = writableFolder();
    const csv = join(out, 'export.csv');
    const exported = batchscope(['export', String(runId), '--db', path, '--out', csv]);
    expect(exported.stderr).toContain(fellBack(path));
    expect(exported.code).toBe(0);
    expect(readFileSync(csv, 'utf8')).toMatch(/^run_id,step/);
    // without --out the report goes to batchscope-report-<id>.html in the working folder
    const report = batchscope(['report', '1', '--db', path], out);
    expect(report.stderr).toContain(fellBack(path));
    expect(report.stderr).toContain('wrote batchscope-report-1.html');
    expect(report.code).toBe(0);
    expect(readFileSync(join(out, 'batchscope-report-1.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    const spec = join(out, 'spec.json');
    writeFileSync(spec, JSON.stringify({ dataset: { kind: 'blobs' }, model: { kind: 'mlp' } }));
    chmodSync(spec, 0o644);
    const run = batchscope(['run', spec, '--db', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot be written: .*browse it read-only \(batchscope list\/show\/export\/report\/serve --read-only\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
  }, 300_000);

  it('serve on a database this user cannot write: listRuns answers over HTTP, createExperiment is refused naming the file', async () => {
    await ensureBuilt();
    const { path, runId } = readOnlyDatabase();
    const before = readFileSync(path);
    const server = spawn(process.execPath, [cli, 'serve', '--db', path, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], ...asUser() });
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let gone = false;
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve)).finally(() => (gone = true));
    try {
      // the URL (with its token) is printed once the server listens; an early exit ends the wait
      while (!gone && !/running at http:\/\/\S+#token=\S+/.test(stdout)) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(gone, `${stdout}\n${stderr}`).toBe(false);
      expect(stderr).toContain(fellBack(path));
      const url = new URL(/running at (http:\/\/\S+#token=\S+)/.exec(stdout)![1]!);
      const token = url.hash.replace('#token=', '');
      const post = async (method: string, input: unknown) => {
        const response = await fetch(new URL(`/api/${method}`, url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-batchscope-token': token }, body: JSON.stringify(input) });
        return { ok: response.ok, body: (await response.json()) as unknown };
      };
      const runs = await post('listRuns', {});
      expect(runs.ok).toBe(true);
      expect((runs.body as { id: number }[]).map((r) => r.id)).toEqual([runId]);
      const created = await post('createExperiment', { spec: { dataset: { kind: 'blobs' }, model: { kind: 'mlp' } } });
      expect(created.ok).toBe(false);
      expect((created.body as { error: unknown }).error).toEqual({ name: 'StoreError', message: expect.stringContaining(`${path} is open read-only (browse mode)`) });
    } finally {
      server.kill('SIGINT');
      await exited;
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
  }, 300_000);

  it('--read-only opens without writing, and the API refuses every change with a StoreError naming the file', async () => {
    const { path, runId } = readOnlyDatabase();
    const before = readFileSync(path);
    const list = spawnSync(process.execPath, [cli, 'list', '--read-only', '--db', path], { encoding: 'utf8', timeout: 120_000 });
    expect(list.stderr).not.toContain('not writable');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/experiment #1 /);
    const api = await createApi({ dbPath: path, readOnly: true });
    try {
      expect(api.store.readonly).toBe(true);
      expect((await api.getRun({ id: runId })).id).toBe(runId);
      for (const attempt of [api.deleteRun({ id: runId }), api.cancelRun({ id: runId }), api.deleteExperiment({ id: 1 }), api.createExperiment({ spec: {} })]) {
        const error = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).message).toContain(`${path} is open read-only (browse mode)`);
      }
    } finally {
      await api.close();
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
