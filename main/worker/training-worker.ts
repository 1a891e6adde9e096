/**
 * Training worker: runs one spec in this (child) process and reports over the
 * fork IPC channel or Electron's parentPort (parent-channel.ts) with the typed
 * protocol of common/worker-protocol.ts.
 */
import type { WorkerMessage } from '../../common/worker-protocol';
import { trainRun } from '../engine/training/train-run';
import type { RunSink } from '../engine/training/run-sink';
import { parentChannel } from './parent-channel';

function noParent(): never {
  console.error('training-worker: must be started with child_process.fork or utilityProcess.fork (no channel to a parent)');
  process.exit(2);
}
const channel = parentChannel() ?? noParent();
const send = (message: WorkerMessage): Promise<void> => channel.send(message);

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
  channel.close();
}

channel.onMessage((message) => {
  if (message.type === 'cancel') cancelled = true;
  else if (message.type === 'start' && !running) void run(message.spec);
});
channel.onDisconnect(() => {
  // the parent went away: stop at the next step boundary
  cancelled = true;
});
process.env.BATCHSCOPE_QUIET ??= '1';
void send({ type: 'ready', pid: process.pid });
