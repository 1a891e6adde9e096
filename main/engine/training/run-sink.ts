import type { EvalMetrics, LayerMetrics, Progress, RunEvent, RunStarted, StepMetrics } from '../../../common/metrics';

/** Where a training run reports to: the worker forwards to its parent, the CLI prints. */
export interface RunSink {
  started(info: RunStarted): void;
  step(metrics: StepMetrics): void;
  layers(metrics: LayerMetrics[]): void;
  eval(metrics: EvalMetrics): void;
  event(event: RunEvent): void;
  progress(progress: Progress): void;
}

export interface RunControl {
  /** polled between steps; true ends the run as `cancelled` */
  cancelled(): boolean;
}

export const neverCancelled: RunControl = { cancelled: () => false };
