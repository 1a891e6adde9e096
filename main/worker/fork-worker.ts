/**
 * Starts a training worker process and turns its messages into callbacks.
 * Under plain Node the TypeScript entry is loaded through tsx; in a built app the
 * bundled worker file is forked directly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSpecInput } from '../../common/spec';
import { openEnvelope, type ParentMessage, type WorkerMessage } from '../../common/worker-protocol';

export interface WorkerHandle {
  child: ChildProcess;
  cancel(): void;
  kill(signal?: NodeJS.Signals): void;
  /** resolves with the exit code / signal once the process is gone */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the last few KiB the worker wrote to stderr (for crash reports) */
  stderrTail(): string;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, 'training-worker.js');
  if (existsSync(built)) return { file: built, execArgv: [] };
  return { file: join(here, 'training-worker.ts'), execArgv: ['--import', 'tsx'] };
}

/** A training process started but not yet given a run: messages go to whoever listens now. */
export interface TrainingProcess {
  child: ChildProcess;
  post(message: ParentMessage): void;
  /** replaces the listener of the process's messages */
  listen(onMessage: (message: WorkerMessage) => void): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderrTail(): string;
}

export function forkTrainingProcess(env: NodeJS.ProcessEnv = {}): TrainingProcess {
  const entry = workerEntry();
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv,
    env: { ...process.env, BATCHSCOPE_QUIET: '1', ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
  });
  let listener: (message: WorkerMessage) => void = () => undefined;
  child.on('message', (envelope) => {
    for (const message of openEnvelope(envelope)) listener(message);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    post: (message) => {
      // A process that died with its `ready` (or anything else) still on the way is connected
      // until that reaches us, and a write to it fails: its exit, which follows, ends the run.
      // A channel broken under a live process is no use either: the kill makes its exit follow.
      // Without the callback the failure would be an 'error' event, uncaught, on the parent.
      if (child.connected) {
        child.send(message, undefined, undefined, (error) => {
          if (error) child.kill('SIGKILL');
        });
      }
    },
    listen: (onMessage) => {
      listener = onMessage;
    },
    exited,
    stderrTail: () => stderrTail,
  };
}

/** The handle of one run in `training`, which ends (for the run) when `exited` settles. */
export function runHandle(training: TrainingProcess, exited: WorkerHandle['exited'] = training.exited): WorkerHandle {
  return {
    child: training.child,
    cancel: () => training.post({ type: 'cancel' }),
    kill: (signal = 'SIGKILL') => void training.child.kill(signal),
    exited,
    stderrTail: training.stderrTail,
  };
}

/** One run in a fresh process, which ends with it. */
export function forkWorker(spec: RunSpecInput, onMessage: (message: WorkerMessage) => void, env: NodeJS.ProcessEnv = {}): WorkerHandle {
  const training = forkTrainingProcess(env);
  training.listen((message) => {
    if (message.type === 'ready') training.post({ type: 'start', spec });
    onMessage(message);
  });
  return runHandle(training);
}
