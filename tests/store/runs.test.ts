import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunStatus, RunSummary } from '../../common/metrics';
import { canTransition, RUN_STATUSES } from '../../main/store/run-status';
import type { Store } from '../../main/store/open-store';
import { StoreError } from '../../main/store/store-error';
import { createRun, sampleLayers, sampleSpec, sampleStarted, sampleStep } from './fixtures/sample-metrics';
import { tempDir, tempStore, trackedStore } from './fixtures/temp-store';

function summary(status: RunSummary['status']): RunSummary {
  return { status, steps: 100, epoch: 1, samplesSeen: 12_800, wallMs: 5_000, samplesPerSec: 2_560, lastEval: null };
}

/** A run driven into `status` the way the runner would. */
function runIn(store: Store, status: RunStatus): number {
  const { runId } = createRun(store);
  if (status === 'queued') return runId;
  if (status === 'cancelled' || status === 'failed') {
    store.runs.updateStatus(runId, { status });
    return runId;
  }
  store.runs.updateStatus(runId, { status: 'running', workerPid: 999_999 });
  if (status === 'interrupted') store.runs.markInterruptedRuns();
  else if (status !== 'running') store.runs.updateStatus(runId, { status });
  return runId;
}

describe('runs', () => {
  it('creates a queued run from a validated config, seeded from it', () => {
    const store = tempStore();
    const experiment = store.experiments.create({ spec: sampleSpec() });
    const run = store.runs.create({ experimentId: experiment.id, config: sampleSpec('seeded', 7), sweepIndex: 3 });
    expect(run).toMatchObject({ experimentId: experiment.id, experimentName: experiment.name, sweepIndex: 3, seed: 7, status: 'queued', error: null, startedAtMs: null, endedAtMs: null, backend: null, layers: null, summary: null });
    expect(run.config.training.seed).toBe(7);
    expect(run.config.lr.base).toBe(0.1);
    expect(() => store.runs.create({ experimentId: 12345, config: sampleSpec() })).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('lists by experiment, status and search, newest first, with limit and offset', () => {
    const store = tempStore();
    const a = createRun(store, 'alpha');
    const b = createRun(store, 'beta');
    const c = store.runs.create({ experimentId: a.experimentId, config: sampleSpec('alpha-2') }).id;
    store.runs.updateStatus(b.runId, { status: 'failed', error: 'out of memory in conv2d' });

    expect(store.runs.list().map((r) => r.id)).toEqual([c, b.runId, a.runId]);
    expect(store.runs.list({ experimentId: a.experimentId }).map((r) => r.id)).toEqual([c, a.runId]);
    expect(store.runs.list({ status: 'failed' }).map((r) => r.id)).toEqual([b.runId]);
    expect(store.runs.list({ status: ['queued', 'failed'] })).toHaveLength(3);
    expect(store.runs.list({ search: 'conv2d' }).map((r) => r.id)).toEqual([b.runId]);
    expect(store.runs.list({ search: 'alpha-2' }).map((r) => r.id)).toEqual([c]);
    expect(store.runs.list({ search: String(c) }).map((r) => r.id)).toContain(c);
    expect(store.runs.list({ limit: 1, offset: 1 }).map((r) => r.id)).toEqual([b.runId]);
  });

  it('allows exactly the transitions of the lifecycle, for every pair of statuses', () => {
    const store = tempStore();
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        const runId = runIn(store, from);
        expect(store.runs.get(runId)?.status).toBe(from);
        const change = () => store.runs.updateStatus(runId, { status: to, ...(['completed', 'diverged'].includes(to) ? { summary: summary(to as 'completed') } : {}) });
        if (canTransition(from, to)) expect(change().status).toBe(to);
        else {
          expect(change).toThrow(expect.objectContaining({ code: 'invalid-transition', message: expect.stringContaining(`is ${from} and cannot become ${to}`) }));
          expect(store.runs.get(runId)?.status).toBe(from);
        }
      }
    }
  });

  it('stamps start and end, keeps the pid, the start info and the final summary', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const before = Date.now();
    const running = store.runs.updateStatus(runId, { status: 'running', workerPid: 31337 });
    expect(running.startedAtMs).toBeGreaterThanOrEqual(before);
    expect(running.heartbeatAtMs).toBe(running.startedAtMs);
    expect(running.workerPid).toBe(31337);
    expect(running.endedAtMs).toBeNull();

    expect(running.threads).toBeNull();
    const started = store.runs.recordStarted(runId, { ...sampleStarted(4, 250), threads: 3 });
    expect(started.threads).toBe(3);
    expect(store.runs.get(runId)?.threads).toBe(3);
    expect(started.backend?.package).toBe('@tensorflow/tfjs-backend-cpu');
    expect(started.layers?.map((l) => l.name)).toEqual(['dense_0', 'dense_1', 'dense_2', 'dense_3']);
    expect(started.totalSteps).toBe(250);
    expect(started.gpuAdapter).toBeNull();

    const done = store.runs.finish(runId, summary('diverged'));
    expect(done.status).toBe('diverged');
    expect(done.summary).toEqual(summary('diverged'));
    expect(done.endedAtMs).toBeGreaterThanOrEqual(running.startedAtMs!);
    expect(() => store.runs.recordStarted(runId, sampleStarted(4))).toThrow(expect.objectContaining({ code: 'invalid-transition' }));
    expect(() => store.runs.updateStatus(runId, { status: 'running' })).toThrow(StoreError);
  });

  it('keeps the WebGPU adapter a run trained on in its own column', () => {
    const store = tempStore();
    const runId = runIn(store, 'running');
    const adapter = { vendor: 'mesa', architecture: 'llvmpipe', device: '', description: 'llvmpipe (LLVM 19.1.7, 256 bits)', software: true };
    const base = sampleStarted(4, 10);
    const started = store.runs.recordStarted(runId, { ...base, backend: { ...base.backend, name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', gpu: true, adapter } });
    expect(started.gpuAdapter).toEqual(adapter);
    expect(store.db.prepare('SELECT json_extract(gpu_adapter, \'$.architecture\') FROM runs WHERE id = ?').pluck().get(runId)).toBe('llvmpipe');
  });

  it('refuses a summary whose status contradicts the new status', () => {
    const store = tempStore();
    const runId = runIn(store, 'running');
    expect(() => store.runs.updateStatus(runId, { status: 'completed', summary: summary('diverged') })).toThrow(RangeError);
    expect(store.runs.get(runId)?.status).toBe('running');
  });

  it('lets only one of two connections start the same queued run', () => {
    const path = join(tempDir(), 'race.db');
    const a = trackedStore(path);
    const b = trackedStore(path);
    const { runId } = createRun(a);
    a.runs.updateStatus(runId, { status: 'running', workerPid: 1 });
    expect(() => b.runs.updateStatus(runId, { status: 'running', workerPid: 2 })).toThrow(expect.objectContaining({ code: 'invalid-transition' }));
    expect(b.runs.get(runId)?.workerPid).toBe(1);
  });

  it('stamps heartbeats of running runs only', () => {
    const store = tempStore();
    const queued = runIn(store, 'queued');
    const running = runIn(store, 'running');
    store.db.prepare('UPDATE runs SET heartbeat_at_ms = 1').run();
    store.runs.heartbeat(queued);
    store.runs.heartbeat(running);
    expect(store.runs.get(queued)?.heartbeatAtMs).toBe(1);
    expect(store.runs.get(running)?.heartbeatAtMs).toBeGreaterThan(1);
  });

  it('marks running runs whose worker is gone as interrupted and leaves queued and live ones alone', () => {
    const store = tempStore();
    const queued = runIn(store, 'queued');
    const completed = runIn(store, 'completed');
    const dead = runIn(store, 'running');
    const live = createRun(store).runId;
    store.runs.updateStatus(live, { status: 'running', workerPid: 4321 });
    const fresh = createRun(store).runId;
    store.runs.updateStatus(fresh, { status: 'running', workerPid: 8765 });
    store.db.prepare('UPDATE runs SET heartbeat_at_ms = ? WHERE id IN (?, ?)').run(Date.now() - 60_000, dead, live);

    expect(store.runs.markInterruptedRuns({ livePids: new Set([4321]), staleAfterMs: 10_000 })).toEqual([dead]);
    const interrupted = store.runs.get(dead)!;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.error).toContain('pid 999999');
    expect(interrupted.endedAtMs).not.toBeNull();
    expect(store.runs.get(queued)?.status).toBe('queued');
    expect(store.runs.get(completed)?.status).toBe('completed');
    expect(store.runs.get(live)?.status).toBe('running');
    expect(store.runs.get(fresh)?.status).toBe('running');

    // at start-up of the only process, every running run is stale
    expect(store.runs.markInterruptedRuns().sort()).toEqual([live, fresh].sort());
    expect(store.runs.get(queued)?.status).toBe('queued');
  });

  it('leaves runs handed to a queue to their coordinator, and records their remote worker', () => {
    const store = tempStore();
    const remote = createRun(store).runId;
    store.runs.updateStatus(remote, { status: 'running' });
    store.runs.setQueue(remote, 'batchscope');
    store.runs.setRemoteWorker(remote, { name: 'gpu-1', host: 'lab-a' });
    const local = runIn(store, 'running');
    expect(store.runs.markInterruptedRuns()).toEqual([local]);
    expect(store.runs.get(remote)).toMatchObject({ status: 'running', queueName: 'batchscope', workerName: 'gpu-1', workerHost: 'lab-a' });
  });

  it('deletes a run with its metrics, but not while it is running', () => {
    const store = tempStore();
    const { runId } = createRun(store);
    const writer = store.openMetricWriter();
    writer.pushStep(runId, sampleStep(0));
    writer.pushLayers(runId, sampleLayers(0, 5));
    writer.flush();
    store.runs.updateStatus(runId, { status: 'running' });
    expect(() => store.runs.delete(runId)).toThrow(expect.objectContaining({ code: 'run-active' }));
    store.runs.updateStatus(runId, { status: 'cancelled' });
    store.runs.delete(runId);
    expect(store.runs.get(runId)).toBeUndefined();
    expect(store.db.prepare('SELECT count(*) FROM layer_metrics').pluck().get()).toBe(0);
    expect(() => store.runs.delete(runId)).toThrow(expect.objectContaining({ code: 'not-found' }));
    // ids are never reused, so a stale id cannot reach a newer run
    expect(createRun(store).runId).toBeGreaterThan(runId);
  });
});
