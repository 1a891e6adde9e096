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
  const livePids = new Set(
    store.runs
      .list({ status: 'running' })
      .map((r) => r.workerPid)
      .filter((pid): pid is number => pid !== null && isAlive(pid)),
  );
  return store.runs.markInterruptedRuns({ livePids });
}
