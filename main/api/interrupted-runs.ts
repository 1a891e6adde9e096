/**
 * At start-up, runs left `running` by a process that is gone become `interrupted`.
 * Runs whose worker process is still alive (another app instance, a CLI run) are spared.
 */
import type { Store } from '../store/open-store';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function markDeadRunsInterrupted(store: Store): number[] {
  // liveness is checked inside the store's write transaction: a list of live pids taken
  // before it would miss a run another process claims in between, and interrupt it
  return store.runs.markInterruptedRuns({ isAlive });
}
