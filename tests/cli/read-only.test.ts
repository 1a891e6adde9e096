/**
 * Browsing a database this user cannot write: list/show/export/report (and serve, which opens
 * the API the same way) fall back to a read-only connection, --read-only forces one, and
 * anything that would write is refused with a StoreError naming the file. Tests often run as
 * root, for whom permissions do not block writes, so the CLI runs as `nobody` there.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../main/api/create-api';
import { openStore } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { createRun, sampleStep } from '../store/fixtures/sample-metrics';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const cli = join(__dirname, '..', '..', 'bin', 'batchscope.mjs');

function readOnlyDatabase(): { dir: string; path: string; runId: number } {
  const dir = mkdtempSync(join(tmpdir(), 'batchscope-ro-'));
  const path = join(dir, 'browse.db');
  const store = openStore(path);
  const { runId } = createRun(store);
  store.openMetricWriter().pushStep(runId, sampleStep(0));
  store.close();
  // readable by everyone, writable by its owner only (and the folder too: no -wal/-shm may be made)
  chmodSync(dir, 0o755);
  chmodSync(path, 0o644);
  return { dir, path, runId };
}

function batchscopeAs(uid: number | undefined, ...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...(uid !== undefined ? { uid, gid: uid, env: { ...process.env, HOME: tmpdir() } } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('read-only mode', () => {
  it.skipIf(!asRoot)('list, show and export a database this user cannot write, and refuse to run into it', () => {
    const { path, runId } = readOnlyDatabase();
    const before = readFileSync(path);
    const list = batchscopeAs(NOBODY, 'list', '--db', path);
    expect(list).toMatchObject({ code: 0, stderr: expect.stringContaining('opened read-only') });
    expect(list.stderr).toContain(`${path} is not writable: opened read-only`);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/experiment #1 /);
    expect(batchscopeAs(NOBODY, 'show', String(runId), '--db', path).code).toBe(0);
    const csv = join(tmpdir(), `ro-export-${process.pid}.csv`);
    expect(batchscopeAs(NOBODY, 'export', String(runId), '--db', path, '--out', csv)).toMatchObject({ code: 0 });
    expect(readFileSync(csv, 'utf8')).toMatch(/^run_id,step/);
    const spec = join(tmpdir(), `ro-spec-${process.pid}.json`);
    writeFileSync(spec, JSON.stringify({ dataset: { kind: 'blobs' }, model: { kind: 'mlp' } }));
    chmodSync(spec, 0o644);
    const run = batchscopeAs(NOBODY, 'run', spec, '--db', path);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot be written: .*browse it read-only \(batchscope list\/show\/export\/report\/serve --read-only\)/);
    expect(readFileSync(path).equals(before)).toBe(true);
  }, 240_000);

  it('--read-only opens without writing, and the API refuses every change with a StoreError naming the file', async () => {
    const { path, runId } = readOnlyDatabase();
    const before = readFileSync(path);
    const list = batchscopeAs(undefined, 'list', '--read-only', '--db', path);
    expect(list.code).toBe(0);
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
