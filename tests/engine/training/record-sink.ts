import type { EvalMetrics, LayerMetrics, Progress, RunEvent, RunStarted, StepMetrics } from '../../../common/metrics';
import type { RunSink } from '../../../main/engine/training/run-sink';

/** A sink that keeps everything a run reports, for assertions. */
export class RecordingSink implements RunSink {
  info: RunStarted | null = null;
  steps: StepMetrics[] = [];
  layerRows: LayerMetrics[] = [];
  evals: EvalMetrics[] = [];
  events: RunEvent[] = [];
  progressUpdates: Progress[] = [];
  started(info: RunStarted): void {
    this.info = info;
  }
  step(metrics: StepMetrics): void {
    this.steps.push(metrics);
  }
  layers(metrics: LayerMetrics[]): void {
    this.layerRows.push(...metrics);
  }
  eval(metrics: EvalMetrics): void {
    this.evals.push(metrics);
  }
  event(event: RunEvent): void {
    this.events.push(event);
  }
  progress(progress: Progress): void {
    this.progressUpdates.push(progress);
  }
}
