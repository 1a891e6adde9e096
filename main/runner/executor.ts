/**
 * Where runs execute. The job runner only sees this interface, so a distributed
 * queue (e.g. BullMQ on Redis with workers on GPU machines) can replace local
 * child processes without touching the store or the app.
 */
import type { RunSpec } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';

export interface ExecutionExit {
  /** a clean exit after `finished`/`failed`, or how the process died */
  code: number | null;
  signal: string | null;
  /** last lines the execution wrote to stderr, for crash reports */
  stderrTail: string;
}

export interface Execution {
  /** process id (or remote job id) for the record */
  pid: number | null;
  /** ask the run to stop at its next step boundary */
  cancel(): void;
  /** stop it now */
  kill(): void;
  exited: Promise<ExecutionExit>;
}

export interface RunExecutor {
  start(spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution;
}
