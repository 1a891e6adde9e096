import type { RunSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import { forkWorker } from '../worker/fork-worker';
import { TrainingProcessPool } from '../worker/training-process-pool';
import type { Execution, RunExecutor } from './executor';

export interface ChildProcessExecutorOptions {
  /**
   * keep up to this many finished training processes for the next runs (main/worker/training-process-pool.ts;
   * default 0: a fresh process per run)
   */
  reuse?: number;
}

/** Runs each training run in a forked Node process (main/worker/training-worker), fresh or kept from an earlier run. */
export function createChildProcessExecutor(env: NodeJS.ProcessEnv = {}, options: ChildProcessExecutorOptions = {}): RunExecutor {
  const pool = options.reuse ? new TrainingProcessPool({ env, maxIdle: options.reuse }) : null;
  return {
    start(spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
      const handle = pool ? pool.start(spec, onMessage) : forkWorker(spec, onMessage, env);
      return {
        pid: handle.child.pid ?? null,
        cancel: () => handle.cancel(),
        kill: () => handle.kill('SIGKILL'),
        exited: handle.exited.then(({ code, signal }) => ({ code, signal, stderrTail: handle.stderrTail() })),
      };
    },
    close: async () => {
      await pool?.close();
    },
  };
}
