/**
 * Training worker: runs one spec in this (child) process and reports over the
 * fork IPC channel with the typed protocol of common/worker-protocol.ts.
 */
import type { ParentMessage, WorkerMessage } from '../../common/worker-protocol';
import { trainRun } from '../engine/training/train-run';
import type { RunSink } from '../engine/training/run-sink';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

const sink: RunSink = {
  started: (info) => void send({ type: 'started', info }),
  step: (metrics) => void send({ type: 'step', metrics }),
  layers: (metrics) => void send({ type: 'layers', metrics }),
  eval: (metrics) => void send({ type: 'eval', metrics }),
  event: (event) => void send({ type: 'event', event }),
  progress: (progress) => void send({ type: 'progress', progress }),
};

let cancelled = false;
let running = false;

async function run(spec: unknown): Promise<void> {
  running = true;
  try {
    const summary = await trainRun(spec, sink, { cancelled: () => cancelled });
    await send({ type: 'finished', summary });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    await send({ type: 'failed', error: { name: e.name, message: e.message, stack: e.stack } });
  }
  process.disconnect?.();
}

if (!process.send) {
  console.error('training-worker: must be started with child_process.fork (no IPC channel)');
  process.exit(2);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') cancelled = true;
  else if (message.type === 'start' && !running) void run(message.spec);
});
process.on('disconnect', () => {
  // the parent went away: stop at the next step boundary
  cancelled = true;
});
process.env.BATCHSCOPE_QUIET ??= '1';
void send({ type: 'ready', pid: process.pid });
