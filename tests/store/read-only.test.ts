/**
 * Read-only databases must fail with a StoreError that names the file and says what to do.
 * Two routes, both exercised on every machine: a read-only connection (SQLite itself refuses
 * the write), and file permissions. Tests often run as root, for whom chmod does not block
 * writes; there the permissions case runs in a child process dropped to the `nobody` user.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../main/store/migrations';
import { openStore } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { forkStoreChild } from './fixtures/fork-store-child';
import { createRun, sampleSpec, sampleStep } from './fixtures/sample-metrics';
import { tempDir, trackedStore } from './fixtures/temp-store';

const NOBODY = 65534;

function populatedFile(): { path: string; runId: number } {
  const path = join(tempDir(), 'runs.db');
  const store = openStore(path);
  const { runId } = createRun(store);
  const writer = store.openMetricWriter();
  writer.pushStep(runId, sampleStep(0));
  store.close();
  return { path, runId };
}

function caught(work: () => unknown): StoreError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
}

describe('read-only databases', () => {
  it('reads through a read-only connection and refuses writes with a StoreError naming the file', () => {
    const { path, runId } = populatedFile();
    const store = trackedStore(path, { readonly: true });
    expect(store.readonly).toBe(true);
    expect(store.metrics.stepMetrics(runId)).toEqual([sampleStep(0)]);

    const error = caught(() => store.experiments.create({ spec: sampleSpec() }));
    expect(error).toMatchObject({ code: 'read-only', file: path });
    expect(error.sqliteCode).toMatch(/^SQLITE_READONLY/);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/permissions|writable location/);

    const writer = store.openMetricWriter({ flushEveryMs: 60_000 });
    writer.pushStep(runId, sampleStep(1));
    expect(caught(() => writer.flush())).toMatchObject({ code: 'read-only' });
    expect(writer.bufferedRows).toBe(1);
    expect(caught(() => store.runs.updateStatus(runId, { status: 'running' }))).toMatchObject({ code: 'read-only' });
  });

  it('refuses to open a missing file read-only, and an old one that would need upgrading', () => {
    const missing = join(tempDir(), 'missing.db');
    expect(caught(() => openStore(missing, { readonly: true }))).toMatchObject({ code: 'cannot-open', message: expect.stringContaining(missing) });

    const old = join(tempDir(), 'old.db');
    openStore(old, { migrations: MIGRATIONS.slice(0, 1) }).close();
    const error = caught(() => openStore(old, { readonly: true }));
    expect(error.code).toBe('read-only');
    expect(error.message).toMatch(/needs upgrading/);
  });

  it('refuses a file its user may not write (chmod 444 in a read-only folder), before touching it', async () => {
    const { path } = populatedFile();
    const dir = join(path, '..');
    chmodSync(path, 0o444);
    chmodSync(dir, 0o555);
    try {
      if (process.getuid?.() === 0) {
        // root ignores permissions: ask an unprivileged process
        const child = forkStoreChild(['open-and-write', path], { uid: NOBODY, gid: NOBODY });
        const reply = await child.waitFor((m): m is { ok?: true; error?: { name: string; code: string; message: string } } => typeof m === 'object' && m !== null);
        const { code } = await child.exited;
        expect(code).toBe(0);
        expect(reply.error).toMatchObject({ name: 'StoreError', code: 'read-only' });
        expect(reply.error!.message).toContain(path);
        expect(reply.error!.message).toMatch(/read-only for this user/);
      } else {
        const error = caught(() => openStore(path));
        expect(error.code).toBe('read-only');
        expect(error.message).toContain(path);
      }
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
    }
    // nothing was written: the file still opens and holds one experiment
    const store = trackedStore(path);
    expect(store.experiments.list()).toHaveLength(1);
  });
});
