/**
 * Training runs inside the desktop app: each in an Electron utilityProcess
 * (a Node process Electron starts and supervises) running the bundled
 * training-worker.js. child_process.fork would re-run the Electron binary as
 * plain Node, which the RunAsNode fuse switches off in packaged builds
 * (electron-builder.yml, electronFuses).
 */
import { utilityProcess } from 'electron';
import type { RunSpec } from '../../common/spec';
import { openEnvelope, type ParentMessage, type WorkerMessage } from '../../common/worker-protocol';
import type { Execution, ExecutionExit, RunExecutor } from '../runner/executor';

export function createUtilityProcessExecutor(workerFile: string, env: NodeJS.ProcessEnv = {}): RunExecutor {
  return {
    start(spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution {
      const child = utilityProcess.fork(workerFile, [], {
        env: { ...process.env, BATCHSCOPE_QUIET: '1', ...env },
        stdio: ['ignore', 'inherit', 'pipe'],
        serviceName: 'Batchscope training',
      });
      const post = (message: ParentMessage): void => void child.postMessage(message);
      let stderrTail = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = (stderrTail + chunk.toString()).slice(-4000);
      });
      child.on('message', (envelope: unknown) => {
        for (const message of openEnvelope(envelope)) {
          if (message.type === 'ready') post({ type: 'start', spec });
          onMessage(message);
        }
      });
      const exited = new Promise<ExecutionExit>((resolve) => {
        // a utility process reports only an exit code; a crash shows as a non-zero one
        child.once('exit', (code) => resolve({ code, signal: null, stderrTail }));
      });
      return {
        // known once the process has spawned; the runner records it from the worker's 'ready' message
        pid: child.pid ?? null,
        cancel: () => post({ type: 'cancel' }),
        kill: () => void child.kill(),
        exited,
      };
    },
  };
}
