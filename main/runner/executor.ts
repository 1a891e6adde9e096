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
  /**
   * Set when the run was lost without an outcome and its metrics so far are kept (a remote
   * worker that stopped renewing its lock): the run becomes `interrupted` with this reason.
   */
  interrupted?: string;
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
  start(spec: RunSpec, onMessage: (message: WorkerMessage) => void, context: { runId: number }): Execution;
  /**
   * Follows a run a previous coordinator started and that is still `running` (remote executors
   * only: a local child process does not outlive its parent).
   */
  attach?(runId: number, spec: RunSpec, onMessage: (message: WorkerMessage) => void): Execution;
  /** the queue name, for executors that hand runs to a queue (recorded with the run) */
  readonly queueName?: string;
  /**
   * Remote executors: closing the coordinator leaves runs executing where they are (a restarted
   * coordinator attaches to them) instead of cancelling them.
   */
  readonly runsOutliveCoordinator?: boolean;
  close?(): Promise<void>;
}
