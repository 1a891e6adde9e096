/**
 * Messages between a parent and one training worker process (child_process.fork IPC). A remote
 * run (main/distributed) carries the same messages through a Redis Stream, plus `assigned`.
 */
import type { RunSpecInput } from './spec';
import type { EvalMetrics, LayerMetrics, Progress, RunEvent, RunStarted, RunSummary, StepMetrics } from './metrics';

export type ParentMessage =
  /**
   * keepAlive: after a clean `finished` the process offers itself for another run (a second
   * `ready`) instead of exiting — see main/worker/training-process-pool.ts
   */
  | { type: 'start'; spec: RunSpecInput; keepAlive?: boolean }
  | { type: 'cancel' };

export type WorkerMessage =
  /** sent when the process can take a run: once at start, and again after each run it may be reused for (keepAlive) */
  | { type: 'ready'; pid: number }
  | { type: 'started'; info: RunStarted }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'layers'; metrics: LayerMetrics[] }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'event'; event: RunEvent; /** the event's number within its run, set for remote runs so a re-delivered event is stored once */ seq?: number }
  /**
   * a remote worker took the run (never sent by a local training process); attempt > 1: a retry
   * from scratch after the worker of the previous attempt was lost (spec `retries`)
   */
  | { type: 'assigned'; worker: { name: string; host: string; pid: number }; attempt?: number }
  | { type: 'progress'; progress: Progress }
  | { type: 'finished'; summary: RunSummary }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * What a training process sends on its channel: one message, or several in their order (it
 * gathers its per-step messages for a few tens of milliseconds, main/worker/message-coalescer.ts,
 * so a fast run's channel carries tens of sends a second rather than hundreds).
 */
export type WorkerEnvelope = WorkerMessage | { type: 'batch'; messages: WorkerMessage[] };

/** The messages an envelope holds, in order; [] for anything that is not one. */
export function openEnvelope(value: unknown): WorkerMessage[] {
  if (!isWorkerMessage(value)) return [];
  if ((value as { type: string }).type !== 'batch') return [value];
  const messages = (value as { messages?: unknown }).messages;
  return Array.isArray(messages) ? messages.filter(isWorkerMessage) : [];
}

/** The GPU window (docs/webgpu.md) posts each WorkerMessage as `{ batchscope: gpuWindowTag, message }`, so its bridge forwards those and nothing else. */
export const gpuWindowTag = 'gpu-window';

/**
 * main → the GPU window's preload: the one MessagePort that carries the protocol. Here, not in
 * ipc-channels.ts, so the two preloads share no module (a shared one would become a chunk,
 * which a sandboxed preload cannot require).
 */
export const gpuWindowPortChannel = 'batchscope:gpu-window-port';
