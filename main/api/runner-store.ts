/** The job runner's view of the SQLite store: lifecycle changes and a batched metric writer. */
import type { Store } from '../store/open-store';
import type { RunnerStore } from '../runner/job-runner';
import { StoreError } from '../store/store-error';

export function createRunnerStore(store: Store, onWriteError: (error: Error) => void): RunnerStore {
  const writer = store.openMetricWriter({ flushEveryMs: 250, onError: onWriteError });
  return {
    queuedRuns: (limit) =>
      store.runs
        .list({ status: 'queued' })
        .sort((a, b) => a.id - b.id)
        .slice(0, limit)
        .map((r) => ({ id: r.id, spec: r.config })),
    claim: (runId) => {
      try {
        // the claiming process stands in as the run's worker until its own is recorded: another
        // process's start-up check (markDeadRunsInterrupted) spares a run whose recorded pid is
        // alive, and would otherwise take a run claimed a moment ago for an orphan
        store.runs.updateStatus(runId, { status: 'running', workerPid: process.pid });
        return true;
      } catch (error) {
        if (error instanceof StoreError && error.code === 'invalid-transition') return false;
        throw error;
      }
    },
    recordWorker: (runId, workerPid) => {
      if (workerPid !== null) store.runs.setWorkerPid(runId, workerPid);
    },
    recordQueue: (runId, queueName) => store.runs.setQueue(runId, queueName),
    recordRemoteWorker: (runId, worker) => store.runs.setRemoteWorker(runId, worker),
    restartRun: (runId) => {
      // rows of the lost attempt still buffered go in first, then everything of the run goes
      writer.flush();
      store.runs.clearMetrics(runId);
    },
    recordStarted: (runId, info) => void store.runs.recordStarted(runId, info),
    pushStep: (runId, metrics) => writer.pushStep(runId, metrics),
    pushLayers: (runId, metrics) => writer.pushLayers(runId, metrics),
    pushEval: (runId, metrics) => writer.pushEval(runId, metrics),
    pushEvent: (runId, event, seq) => writer.pushEvent(runId, event, seq),
    recordProgress: (runId) => store.runs.heartbeat(runId),
    flush: () => void writer.flush(),
    finishRun: (runId, status, details) => {
      if (details.summary) store.runs.updateStatus(runId, { status, summary: details.summary, ...(details.error ? { error: details.error } : {}) });
      else store.runs.updateStatus(runId, { status, ...(details.error ? { error: details.error } : {}) });
    },
    cancelQueued: (runId) => {
      if (store.runs.get(runId)?.status !== 'queued') return false;
      store.runs.updateStatus(runId, { status: 'cancelled' });
      return true;
    },
  };
}
