/**
 * The start-up check that marks orphaned runs interrupted, against a run another process
 * claimed a moment ago: claimed (queued → running) but its worker not yet recorded. It
 * used to take such a run for an orphan (a second CLI on the same file interrupted the
 * first one's run: "run 2 is interrupted: its start can only be recorded while it is
 * queued or running").
 */
import { describe, expect, it } from 'vitest';
import { markDeadRunsInterrupted } from '../../main/api/interrupted-runs';
import { createRunnerStore } from '../../main/api/runner-store';
import { createRun } from '../store/fixtures/sample-metrics';
import { tempStore } from '../store/fixtures/temp-store';

describe('orphaned runs at start-up', () => {
  it('spares a run claimed by a live process before its worker is recorded, and interrupts one whose claimer is gone', () => {
    const store = tempStore();
    const runner = createRunnerStore(store, (error) => {
      throw error;
    });
    const { runId: claimedHere } = createRun(store);
    expect(runner.claim(claimedHere)).toBe(true);
    expect(store.runs.get(claimedHere)!.workerPid).toBe(process.pid);
    // a run claimed by a process that died before it recorded its worker
    const { runId: orphan } = createRun(store);
    store.runs.updateStatus(orphan, { status: 'running', workerPid: 2 ** 22 + 12345 });
    expect(markDeadRunsInterrupted(store)).toEqual([orphan]);
    expect(store.runs.get(claimedHere)!.status).toBe('running');
    // the worker recorded afterwards replaces the claimer
    runner.recordWorker(claimedHere, 4242);
    expect(store.runs.get(claimedHere)!.workerPid).toBe(4242);
    store.close();
  });

  it('asks about each running run inside the write transaction, so a run claimed after the check began is judged by its own worker', () => {
    const store = tempStore();
    const { runId: a } = createRun(store);
    const { runId: b } = createRun(store);
    store.runs.updateStatus(a, { status: 'running', workerPid: 777 });
    store.runs.updateStatus(b, { status: 'running', workerPid: 778 });
    const asked: number[] = [];
    const interrupted = store.runs.markInterruptedRuns({
      isAlive: (pid) => {
        asked.push(pid);
        return pid === 777;
      },
    });
    expect(asked.sort()).toEqual([777, 778]);
    expect(interrupted).toEqual([b]);
    expect(store.runs.get(a)!.status).toBe('running');
    store.close();
  });
});
