/**
 * A disk that fills up: at experiment creation the API throws the store's StoreError naming the
 * file, and nothing is stored; while runs train, the runner stops: children are killed, runs are
 * recorded failed (or interrupted, when even that write cannot be made) and never left running,
 * and the CLI exits 2 with the StoreError's message instead of a stack trace. The disk is a real
 * tmpfs filled with a real file (tests/fixtures/small-disk.ts). Without mount permission the
 * store's connection is capped at its size instead (SQLite's max_page_count), which SQLite
 * answers with the SQLITE_FULL of a full disk: set on the API's store in process, and in the
 * CLI's process by a preloaded module on SIGUSR2 (tests/fixtures/sqlite-page-cap.mjs).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createApi } from '../../main/api/create-api';
import { openStore } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { smallDisk } from '../fixtures/small-disk';
import { tempDir } from '../store/fixtures/temp-store';
import { isAlive } from '../fixtures/process-alive';

const disk = smallDisk(8);
afterAll(() => disk?.unmount());

/**
 * What fills the disk under `db`: the tmpfs, or where none could be mounted, the connection
 * capped at its current size (free() lifts the cap again, as deleting the filler frees the disk).
 */
function diskUnder(db: Database.Database): { fill(): void; free(): void } {
  if (disk) return disk;
  const uncapped = db.pragma('max_page_count', { simple: true }) as number;
  return {
    fill: () => void db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`),
    free: () => void (db.open && db.pragma(`max_page_count = ${uncapped}`)),
  };
}

const spec = (epochs: number) => ({ name: 'disk full', notes: 'n'.repeat(20_000), dataset: { kind: 'blobs', samples: 400 }, model: { kind: 'mlp', hidden: [16] }, training: { epochs } });


describe('a full disk', () => {
  it('at experiment creation: a StoreError naming the file, and nothing stored', async () => {
    const dbPath = join(disk?.dir ?? tempDir(), 'create.db');
    const api = await createApi({ dbPath, resumeQueued: false });
    try {
      if (disk) disk.fill();
      else api.store.db.pragma(`max_page_count = ${(api.store.db.pragma('page_count', { simple: true }) as number) + 1}`);
      const error = await api.createExperiment({ spec: spec(1) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('disk-full');
      expect((error as StoreError).message).toContain(`saving the experiment failed: the disk holding ${dbPath} is full`);
      disk?.free();
      expect(api.store.experiments.list({})).toEqual([]);
      expect(api.store.runs.list({})).toEqual([]);
    } finally {
      disk?.free();
      await api.close({ kill: true });
    }
  });

  it('while runs train: children stopped, runs failed or interrupted, the failure kept as the runner’s', async () => {
    const dbPath = join(disk?.dir ?? tempDir(), 'running.db');
    const api = await createApi({ dbPath, resumeQueued: false, concurrency: 2 });
    const full = diskUnder(api.store.db);
    let pids: number[] = [];
    try {
      const started = new Set<number>();
      const bothStarted = new Promise<void>((resolve) =>
        api.subscribe((event) => {
          if (event.type === 'run-updated' && event.run.progress) started.add(event.run.id);
          if (started.size === 2) resolve();
        }),
      );
      const { runs } = await api.createExperiment({ spec: { ...spec(100_000), sweep: { seed: [1, 2] } } });
      await bothStarted;
      pids = runs.map((r) => api.store.runs.get(r.id)!.workerPid!);
      expect(pids.every(isAlive)).toBe(true);
      full.fill();
      await api.drained();
      expect(api.runner.failure).toBeInstanceOf(StoreError);
      expect(api.runner.failure!.message).toContain(`the disk holding ${dbPath} is full`);
      expect(pids.some(isAlive)).toBe(false);
    } finally {
      full.free();
      await api.close({ kill: true }).catch(() => undefined);
    }
    // the next start finds no run left running
    const again = await createApi({ dbPath, resumeQueued: false });
    try {
      for (const run of again.store.runs.list({})) {
        expect(['failed', 'interrupted']).toContain(run.status);
        if (run.status === 'failed') expect(run.error).toMatch(/StoreError: .* is full/);
      }
    } finally {
      await again.close();
    }
  }, 180_000);

  it('the CLI exits 2 with the StoreError, its training children gone', async () => {
    const dbPath = join(disk?.dir ?? tempDir(), 'cli.db');
    const specFile = join(tempDir(), 'long.json');
    await import('node:fs').then((fs) => fs.writeFileSync(specFile, JSON.stringify(spec(100_000))));
    const pageCap = disk ? [] : ['--import', pathToFileURL(join(__dirname, '..', 'fixtures', 'sqlite-page-cap.mjs')).href];
    const cli = spawn(process.execPath, [...pageCap, join(__dirname, '..', '..', 'bin', 'batchscope.mjs'), 'run', specFile, '--db', dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    // the tmpfs is filled from here; the CLI's own connection is capped by the preload on SIGUSR2
    const fill = disk ? () => disk.fill() : () => void cli.kill('SIGUSR2');
    let stderr = '';
    const filled = new Promise<void>((resolve) =>
      cli.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // training has begun once the progress line shows a step
        if (/step \d+\//.test(stderr) && !filledOnce) {
          filledOnce = true;
          fill();
          resolve();
        }
      }),
    );
    let filledOnce = false;
    const code = await new Promise<number | null>((resolve) => cli.on('exit', (c) => resolve(c)));
    await filled;
    const store = openStore(dbPath, { readonly: true });
    try {
      const [run] = store.runs.list({});
      expect(stderr).toMatch(new RegExp(`batchscope: .*the disk holding ${dbPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is full`));
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(code).toBe(2);
      expect(run!.workerPid === null || !isAlive(run!.workerPid)).toBe(true);
      expect(['failed', 'running']).toContain(run!.status);
    } finally {
      store.close();
      disk?.free();
    }
  }, 180_000);
});
