/**
 * Crash safety with real processes: the CLI runner is SIGKILLed mid-training
 * again and again; every step a reader saw committed before the kill must still
 * be there, the database must pass integrity_check, the killed runs must come
 * back as `interrupted`, and the store must keep working.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../main/store/open-store';
import { markDeadRunsInterrupted } from '../../main/api/interrupted-runs';
import { isAlive } from '../fixtures/process-alive';

const kills = Number(process.env.BATCHSCOPE_KILL_ROUNDS ?? 20);
const cli = join(__dirname, '..', '..', 'bin', 'batchscope.mjs');

const spec = {
  name: 'kill target',
  dataset: { kind: 'spirals', samples: 4000 },
  model: { kind: 'mlp', hidden: [32] },
  batch: { size: 16 },
  training: { epochs: 50 },
  diagnostics: { every: 1, curvatureEvery: 10 },
  sweep: { seed: [1, 2] },
};

function startRunner(specFile: string, db: string, parallel = 2): ChildProcess {
  return spawn(process.execPath, [cli, 'run', specFile, '--db', db, '--parallel', String(parallel)], { stdio: ['ignore', 'ignore', 'pipe'] });
}


async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** max committed step per run, read through a separate connection (what a reader saw) */
function committedSteps(db: string): Map<number, number> {
  const reader = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = reader.prepare('SELECT run_id, max(step) AS s FROM step_metrics GROUP BY run_id').all() as { run_id: number; s: number }[];
    return new Map(rows.map((r) => [r.run_id, r.s]));
  } finally {
    reader.close();
  }
}

describe('crash safety of the store under SIGKILL', () => {
  it(`survives ${kills} kills of the runner mid-training`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchscope-kill-'));
    const db = join(dir, 'runs.db');
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    let interruptedTotal = 0;
    for (let round = 0; round < kills; round++) {
      const runner = startRunner(specFile, db);
      const exited = new Promise((resolve) => runner.on('exit', resolve));
      // wait until this round's runs have committed some steps, then a little more
      const before = await waitFor(
        () => {
          try {
            const seen = committedSteps(db);
            const store = new Database(db, { readonly: true });
            const mine = store.prepare("SELECT id, worker_pid FROM runs WHERE status = 'running'").all() as { id: number; worker_pid: number }[];
            store.close();
            return mine.length === 2 && mine.every((r) => (seen.get(r.id) ?? 0) > 5) ? { seen, mine } : null;
          } catch {
            return null;
          }
        },
        60_000,
        `round ${round}: steps committed`,
      );
      await new Promise((r) => setTimeout(r, 40 + ((round * 37) % 300)));
      const seenAtKill = committedSteps(db);
      runner.kill('SIGKILL');
      await exited;
      // the orphaned workers notice the parent is gone and exit
      await waitFor(() => before.mine.every((r) => !isAlive(r.worker_pid)), 30_000, 'workers to exit');

      const store = openStore(db);
      try {
        expect(store.checkIntegrity()).toBe('ok');
        const interrupted = markDeadRunsInterrupted(store);
        expect(interrupted.sort()).toEqual(before.mine.map((r) => r.id).sort());
        interruptedTotal += interrupted.length;
        for (const run of before.mine) {
          expect(store.runs.get(run.id)!.status).toBe('interrupted');
          const steps = store.metrics.stepMetrics(run.id).map((s) => s.step);
          // every step seen committed before the kill is there, with no holes
          expect(steps.length).toBeGreaterThanOrEqual(seenAtKill.get(run.id)!);
          expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
        }
      } finally {
        store.close();
      }
    }
    expect(interruptedTotal).toBe(2 * kills);

    // the store keeps working after all that: a short run completes in the same file
    writeFileSync(specFile, JSON.stringify({ ...spec, training: { epochs: 1 }, sweep: {} }));
    const finalRun = startRunner(specFile, db);
    const code = await new Promise((resolve) => finalRun.on('exit', resolve));
    expect(code).toBe(0);
    const store = openStore(db);
    try {
      expect(store.checkIntegrity()).toBe('ok');
      expect(store.runs.list({ status: 'interrupted' })).toHaveLength(2 * kills);
      expect(store.runs.list({ status: 'completed' })).toHaveLength(1);
    } finally {
      store.close();
    }
  }, 900_000);
});

describe('two processes on one database', () => {
  it('both store their runs and the file stays consistent; each waits for its runs that the other one trains', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batchscope-two-'));
    const db = join(dir, 'runs.db');
    const specFile = join(dir, 'spec.json');
    // three runs each; one process trains one at a time, the other three, so the second one's
    // runner usually claims runs of the first one's experiment (oldest queued first) and the first
    // one is drained while its own runs still train elsewhere: it must wait for them, not exit 3
    writeFileSync(specFile, JSON.stringify({ ...spec, training: { epochs: 2 }, sweep: { seed: [1, 2, 3] } }));
    const stderr = ['', ''];
    const codes = await Promise.all(
      [1, 3].map(
        (parallel, i) =>
          new Promise((resolve) => {
            const child = startRunner(specFile, db, parallel);
            child.stderr!.on('data', (chunk: Buffer) => (stderr[i] += chunk.toString()));
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes, stderr.join('\n----\n')).toEqual([0, 0]);
    const store = openStore(db);
    try {
      expect(store.checkIntegrity()).toBe('ok');
      const runs = store.runs.list({});
      expect(runs).toHaveLength(6);
      expect(runs.every((r) => r.status === 'completed')).toBe(true);
      for (const run of runs) expect(store.metrics.stepMetrics(run.id)).toHaveLength(run.summary!.steps);
    } finally {
      store.close();
    }
  }, 120_000);
});
