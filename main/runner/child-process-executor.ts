import type { RunSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import { forkWorker } from '../worker/fork-worker';
import type { Execution, RunExecutor } from './executor';

/** Runs each training run in its own forked Node process (main/worker/training-worker). */
export function createChildProcessExecutor(env: NodeJS.ProcessEnv = {}): RunExecutor {
  return {
    start(spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
      const handle = forkWorker(spec, onMessage, env);
      return {
        pid: handle.child.pid ?? null,
        cancel: () => handle.cancel(),
        kill: () => handle.kill('SIGKILL'),
        exited: handle.exited.then(({ code, signal }) => ({ code, signal, stderrTail: handle.stderrTail() })),
      };
    },
  };
}
