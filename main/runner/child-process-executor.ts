import type { RunSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import { TrainingProcessPool } from '../worker/training-process-pool';
import type { Execution, RunExecutor } from './executor';

export interface ChildProcessExecutorOptions {
  /** runner slots: up to this many finished training processes wait for the next runs (main/worker/training-process-pool.ts; default 1) */
  slots?: number;
}

/** Runs each training run in a forked Node process (main/worker/training-worker), fresh or kept from an earlier run. */
export function createChildProcessExecutor(env: NodeJS.ProcessEnv = {}, options: ChildProcessExecutorOptions = {}): RunExecutor {
  // BATCHSCOPE_FRESH_PROCESSES=1 makes the pool start a fresh process for every run
  const pool = new TrainingProcessPool({ env, maxIdle: options.slots ?? 1 });
  return {
    start(spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
      const handle = pool.start(spec, onMessage);
      return {
        pid: handle.child.pid ?? null,
        cancel: () => handle.cancel(),
        kill: () => handle.kill('SIGKILL'),
        exited: handle.exited.then(({ code, signal }) => ({ code, signal, stderrTail: handle.stderrTail() })),
      };
    },
    close: () => pool.close(),
  };
}
