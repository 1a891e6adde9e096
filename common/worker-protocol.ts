/** Messages between a parent and one training worker process (child_process.fork IPC). */
import type { RunSpecInput } from './spec';
import type { EvalMetrics, LayerMetrics, Progress, RunEvent, RunStarted, RunSummary, StepMetrics } from './metrics';

export type ParentMessage =
  | { type: 'start'; spec: RunSpecInput }
  | { type: 'cancel' };

export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started'; info: RunStarted }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'layers'; metrics: LayerMetrics[] }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'event'; event: RunEvent }
  | { type: 'progress'; progress: Progress }
  | { type: 'finished'; summary: RunSummary }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
