/**
 * Training worker: runs a spec in this (child) process and reports over the fork IPC
 * channel or Electron's parentPort (parent-channel.ts) with the typed protocol of
 * common/worker-protocol.ts.
 *
 * One run, then the process ends — unless the parent started the run with `keepAlive`
 * (main/worker/training-process-pool.ts): then, after a clean `finished`, the process says
 * `ready` again and waits for the next run, keeping the backend, V8's compiled code and the
 * last dataset. It does so only while it is fit for it (see fitForAnotherRun); otherwise it
 * ends as usual and the pool starts a fresh one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunSpecInput } from '../../common/spec';
import type { WorkerMessage } from '../../common/worker-protocol';
import { lastDatasetCache } from '../engine/data/last-dataset-cache';
import { trainRun } from '../engine/training/train-run';
import type { RunSink } from '../engine/training/run-sink';
import { MessageCoalescer } from './message-coalescer';
import { parentChannel } from './parent-channel';

/** A process past this resident size (its wasm heap never shrinks) is not reused. */
const maxReuseRssBytes = Number(process.env.BATCHSCOPE_REUSE_MAX_RSS_MB ?? 1536) * 2 ** 20;

function noParent(): never {
  console.error('training-worker: must be started with child_process.fork or utilityProcess.fork (no channel to a parent)');
  process.exit(2);
}
const channel = parentChannel() ?? noParent();
const outgoing = new MessageCoalescer((envelope) => channel.send(envelope));
const send = (message: WorkerMessage): Promise<void> => outgoing.push(message);

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
let parentGone = false;
const loadDataset = lastDatasetCache();
/** tensors alive before the first run: a run that leaves more behind leaks, and the process is not reused */
let baselineTensors: number | null = null;

/** live tensors, read from the engine's own count (tf.memory() would initialize a backend before the run picks one) */
const liveTensors = (): number => tf.engine().state.numTensors;

function fitForAnotherRun(): boolean {
  return !cancelled && !parentGone && liveTensors() <= (baselineTensors ?? 0) && process.memoryUsage().rss <= maxReuseRssBytes;
}

async function run(spec: RunSpecInput, keepAlive: boolean): Promise<void> {
  running = true;
  baselineTensors ??= liveTensors();
  let again = false;
  try {
    const summary = await trainRun(spec, sink, { cancelled: () => cancelled }, keepAlive ? { loadDataset } : {});
    await send({ type: 'finished', summary });
    again = keepAlive && summary.status !== 'cancelled' && fitForAnotherRun();
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    await send({ type: 'failed', error: { name: e.name, message: e.message, stack: e.stack } });
  }
  running = false;
  if (again) await send({ type: 'ready', pid: process.pid });
  else channel.close();
}

channel.onMessage((message) => {
  if (message.type === 'cancel') cancelled = true;
  else if (message.type === 'start' && !running) void run(message.spec, message.keepAlive === true);
});
channel.onDisconnect(() => {
  // the parent went away: stop at the next step boundary, or now when waiting for a run
  parentGone = true;
  cancelled = true;
  if (!running) process.exit(0);
});
process.env.BATCHSCOPE_QUIET ??= '1';
void send({ type: 'ready', pid: process.pid });
