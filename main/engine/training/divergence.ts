/**
 * When a run has diverged: a training or evaluation loss that is no longer finite.
 * Each check returns the reason the run summary carries, or null while all is well.
 */
import type { EvalMetrics } from '../../../common/metrics';

export interface StepPoint {
  /** 0-based step whose batch loss this is (reported 1-based, as the step it would have made) */
  step: number;
  lr: number;
  batchSize: number;
}

/** The batch loss before an update; no update is made once it is not finite. */
export function stepDivergence(loss: number, at: StepPoint): string | null {
  if (Number.isFinite(loss)) return null;
  return `loss became ${loss} at step ${at.step + 1} (lr ${at.lr.toPrecision(3)}, batch ${at.batchSize})`;
}

/** An evaluation after `step` updates. */
export function evaluationDivergence(metrics: EvalMetrics, step: number): string | null {
  const badLoss = [metrics.trainLoss, metrics.testLoss].find((l) => !Number.isFinite(l));
  return badLoss === undefined ? null : `loss became ${badLoss} at step ${step} (evaluation after the update)`;
}
