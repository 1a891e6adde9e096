import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, type BatchscopeBackend } from '../../main/api/create-api';
import type { ApiEvent } from '../../common/api-contract';

const base = { dataset: { kind: 'spirals', samples: 1000 }, model: { kind: 'mlp', hidden: [16] }, batch: { size: 32 } };
let api: BatchscopeBackend | null = null;

async function open(concurrency: number, cores?: number): Promise<BatchscopeBackend> {
  api = await createApi({ dbPath: join(mkdtempSync(join(tmpdir(), 'batchscope-runner-')), 'runs.db'), concurrency, ...(cores ? { cores } : {}) });
  return api;
}

async function until(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  await api?.close({ kill: true });
  api = null;
});

describe('job runner with real worker processes', () => {
  it('runs a sweep with at most `concurrency` runs at once and stores everything', async () => {
    const backend = await open(2);
    const events: ApiEvent[] = [];
    backend.subscribe((e) => events.push(e));
    let maxRunning = 0;
    backend.subscribe(() => {
      maxRunning = Math.max(maxRunning, backend.runner.activeRunIds.length);
    });
    const { runs } = await backend.createExperiment({ spec: { ...base, name: 'sweep', training: { epochs: 1 }, sweep: { seed: [1, 2, 3] } } });
    expect(runs.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    await until(() => events.filter((e) => e.type === 'run-updated' && e.run.status === 'completed').length === 3, 'three runs completed');
    expect(maxRunning).toBe(2);
    for (const run of runs) {
      const stored = await backend.getRun({ id: run.id });
      expect(stored.status).toBe('completed');
      expect(stored.backend?.name).toBe('wasm');
      expect(stored.summary?.steps).toBe(25);
      expect((await backend.stepSeries({ runIds: [run.id], field: 'loss', maxPoints: 1000 }))[0]!.step).toHaveLength(25);
      expect((await backend.layerSeries({ runId: run.id, field: 'gradNorm', maxPoints: 1000 })).layers.map((l) => l.name)).toEqual(['dense_1', 'output']);
    }
    // progress events are throttled: far fewer than steps
    const progressEvents = events.filter((e) => e.type === 'run-updated' && e.run.status === 'running' && e.run.progress);
    expect(progressEvents.length).toBeLessThan(3 * 25);
  });

  it('drained() resolves once every queued run has ended, not when the executing ones have', async () => {
    const backend = await open(1);
    const { runs } = await backend.createExperiment({ spec: { ...base, name: 'drain', training: { epochs: 1 }, sweep: { seed: [1, 2, 3] } } });
    await backend.drained();
    expect(backend.runner.activeRunIds).toEqual([]);
    expect((await backend.listRuns({})).map((r) => [r.id, r.status]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(runs.map((r) => [r.id, 'completed']));
  });
  it('keeps at most as many threads busy as cores: a sweep of 4 runs on 2 cores', async () => {
    const backend = await open(4, 2);
    let maxBusy = 0;
    let maxRunning = 0;
    const probe = (): void => {
      maxBusy = Math.max(maxBusy, backend.runner.busyThreads);
      maxRunning = Math.max(maxRunning, backend.runner.activeRunIds.length);
    };
    backend.subscribe(probe);
    // B=600 fills 2 shards of ≥ minSamplesPerShard: alone, a run would take both cores
    const spec = { ...base, name: 'budget', batch: { size: 600 }, training: { steps: 4 }, diagnostics: { curvatureEvery: 0 } };
    const { runs } = await backend.createExperiment({ spec: { ...spec, sweep: { seed: [1, 2, 3, 4] } } });
    probe();
    await backend.idle();
    expect(maxBusy).toBe(2);
    expect(maxRunning).toBe(2);
    const stored = await Promise.all(runs.map((r) => backend.getRun({ id: r.id })));
    expect(stored.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // four runs share two cores: the first two get one thread each (the others wait for a core)
    expect(stored.slice(0, 2).map((r) => r.threads)).toEqual([1, 1]);
    // a run alone gets both cores under "auto"
    const { runs: single } = await backend.createExperiment({ spec: { ...spec, name: 'alone' } });
    probe();
    await backend.idle();
    expect((await backend.getRun({ id: single[0]!.id })).threads).toBe(2);
    expect(maxBusy).toBe(2);
  }, 240_000);

  it('cancels queued and running runs', async () => {
    const backend = await open(1);
    const { runs } = await backend.createExperiment({ spec: { ...base, name: 'cancel', training: { epochs: 200 }, sweep: { seed: [1, 2] } } });
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    await until(async () => ((await backend.getRun({ id: first.id })).progress?.step ?? 0) > 3, 'first run training');
    expect((await backend.cancelRun({ id: second.id })).status).toBe('cancelled');
    await backend.cancelRun({ id: first.id });
    await backend.idle();
    const stopped = await backend.getRun({ id: first.id });
    expect(stopped.status).toBe('cancelled');
    expect(stopped.summary!.steps).toBeGreaterThan(3);
    expect((await backend.stepSeries({ runIds: [first.id], field: 'loss', maxPoints: 100_000 }))[0]!.step.length).toBe(stopped.summary!.steps);
  });

  it('a worker killed mid-run (as by the OOM killer) is a failed run with its metrics kept', async () => {
    const backend = await open(1);
    const { runs } = await backend.createExperiment({ spec: { ...base, name: 'crash', training: { epochs: 200 } } });
    const id = runs[0]!.id;
    await until(async () => ((await backend.getRun({ id })).progress?.step ?? 0) > 10, 'run training');
    const workerPid = backend.store.runs.get(id)!.workerPid!;
    process.kill(workerPid, 'SIGKILL');
    await until(async () => (await backend.getRun({ id })).status === 'failed', 'run marked failed');
    const failed = await backend.getRun({ id });
    expect(failed.error).toMatch(/WorkerCrashed: the training process was killed by SIGKILL/);
    expect((await backend.stepSeries({ runIds: [id], field: 'loss', maxPoints: 100_000 }))[0]!.step.length).toBeGreaterThan(10);
  });

  it('an exception in the worker (its data file gone since the run was queued) is a failed run naming the problem', async () => {
    const backend = await open(1);
    // createExperiment refuses a missing file up front; a run queued earlier can still meet one
    const spec = { ...base, name: 'bad file', dataset: { kind: 'csv', path: '/nonexistent/data.csv' }, training: { epochs: 1 } };
    const experiment = backend.store.experiments.create({ name: spec.name, spec: spec as never });
    const runs = [backend.store.runs.create({ experimentId: experiment.id, config: spec as never, sweepIndex: 0 })];
    backend.runner.wake();
    await backend.drained();
    await until(async () => (await backend.getRun({ id: runs[0]!.id })).status === 'failed', 'failed');
    expect((await backend.getRun({ id: runs[0]!.id })).error).toMatch(/nonexistent\/data\.csv/);
  });

  it('rejects a bad experiment with field paths and stores nothing', async () => {
    const backend = await open(1);
    await expect(backend.createExperiment({ spec: { ...base, batch: { size: -1 }, training: { epochs: 1 } } })).rejects.toThrow(/batch\.size/);
    expect(await backend.listExperiments({})).toEqual([]);
    const plan = await backend.planExperiment({ spec: { ...base, training: { epochs: 1 }, sweep: { batchSize: [16, 32], seed: [1, 2] } } });
    expect(plan).toMatchObject({ ok: true, paramCount: 2 * 16 + 16 + 16 * 2 + 2 });
    expect(plan.runs.map((r) => r.label)).toEqual(['B=16 · seed=1', 'B=16 · seed=2', 'B=32 · seed=1', 'B=32 · seed=2']);
  });

  it('two app instances on one database each run a queued run at most once', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'batchscope-two-apis-')), 'runs.db');
    const first = await createApi({ dbPath, concurrency: 2 });
    const second = await createApi({ dbPath, concurrency: 2 });
    try {
      const starts = new Map<number, number>();
      for (const backend of [first, second]) {
        backend.subscribe((e) => {
          if (e.type === 'run-updated' && e.run.status === 'running' && !e.run.progress) starts.set(e.run.id, (starts.get(e.run.id) ?? 0) + 1);
        });
      }
      const { runs } = await first.createExperiment({ spec: { ...base, name: 'shared', training: { epochs: 1 }, sweep: { seed: [1, 2, 3, 4] } } });
      second.runner.wake();
      await until(async () => (await first.listRuns({})).every((r) => r.status === 'completed'), 'all four runs completed');
      expect([...starts.values()]).toEqual([1, 1, 1, 1]);
      expect([...starts.keys()].sort()).toEqual(runs.map((r) => r.id).sort());
      for (const run of runs) {
        const stored = first.store.runs.get(run.id)!;
        expect(first.store.metrics.stepMetrics(run.id)).toHaveLength(stored.summary!.steps);
      }
      expect(first.store.checkIntegrity()).toBe('ok');
    } finally {
      await second.close({ kill: true });
      await first.close({ kill: true });
    }
  });
});
