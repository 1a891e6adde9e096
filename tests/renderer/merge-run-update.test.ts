import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../common/api-contract';
import { mergeRunUpdate } from '../../renderer/src/runs/merge-run-update';

const progress = (step: number) => ({ step, totalSteps: 100, epoch: step / 50, loss: 1, accuracy: 0.5, samplesPerSec: 1000, etaMs: 5000 });

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: 1,
    experimentId: 1,
    experimentName: 'e',
    index: 0,
    label: 'sgd · B=128',
    point: {},
    spec: {} as RunRecord['spec'],
    status: 'running',
    error: null,
    backend: null,
    gpuAdapter: null,
    layers: [],
    createdAt: '',
    startedAt: null,
    endedAt: null,
    totalSteps: null,
    threads: null,
    progress: null,
    summary: null,
    ...overrides,
  };
}

describe('mergeRunUpdate', () => {
  it('takes the new status, progress and total steps', () => {
    const merged = mergeRunUpdate(run({ status: 'queued' }), { id: 1, experimentId: 1, status: 'running', progress: progress(10), error: null, summary: null });
    expect(merged.status).toBe('running');
    expect(merged.progress?.step).toBe(10);
    expect(merged.totalSteps).toBe(100);
  });

  it('does not take a finished run back to running, nor a running one back in steps', () => {
    const done = run({ status: 'completed', progress: progress(100) });
    expect(mergeRunUpdate(done, { id: 1, experimentId: 1, status: 'running', progress: progress(90), error: null, summary: null })).toBe(done);
    const later = run({ progress: progress(50) });
    expect(mergeRunUpdate(later, { id: 1, experimentId: 1, status: 'running', progress: progress(40), error: null, summary: null })).toBe(later);
  });

  it('keeps the last progress when a finishing update carries none', () => {
    const merged = mergeRunUpdate(run({ progress: progress(99) }), { id: 1, experimentId: 1, status: 'failed', progress: null, error: 'worker crashed', summary: null });
    expect(merged.status).toBe('failed');
    expect(merged.progress?.step).toBe(99);
    expect(merged.error).toBe('worker crashed');
  });

  it('takes the thread count once an update carries it, and keeps it when later ones do not', () => {
    const started = mergeRunUpdate(run({ threads: null }), { id: 1, experimentId: 1, status: 'running', progress: progress(1), error: null, summary: null, threads: 2 });
    expect(started.threads).toBe(2);
    expect(mergeRunUpdate(started, { id: 1, experimentId: 1, status: 'completed', progress: progress(9), error: null, summary: null }).threads).toBe(2);
  });
});
