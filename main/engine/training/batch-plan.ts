/**
 * How many samples each step takes and how many steps each epoch has, following
 * the batch-size schedule. Pure: the loop, the progress ETA and the sweep
 * preview all read the same plan.
 */
import type { RunSpec } from '../../../common/spec';

export interface EpochPlan {
  epoch: number;
  batchSize: number;
  steps: number;
}

export interface BatchPlan {
  epochs: EpochPlan[];
  totalSteps: number;
  /** fractional epochs the run covers */
  totalEpochs: number;
}

/** Batch size in effect during epoch `epochIndex` (0-based). */
export function batchSizeAt(spec: Pick<RunSpec, 'batch'>, epochIndex: number): number {
  let size = spec.batch.size;
  for (const change of spec.batch.schedule) if (change.epoch <= epochIndex) size = change.size;
  return size;
}

/** Full batches only (a partial last batch would change B mid-epoch); at least one step. */
export function stepsPerEpoch(trainSamples: number, batchSize: number): number {
  return Math.max(1, Math.floor(trainSamples / Math.min(batchSize, trainSamples)));
}

export function planBatches(spec: Pick<RunSpec, 'batch' | 'training'>, trainSamples: number): BatchPlan {
  const epochs: EpochPlan[] = [];
  const { epochs: epochBudget, steps: stepBudget } = spec.training;
  let totalSteps = 0;
  let totalEpochs = 0;
  for (let e = 0; ; e++) {
    const batchSize = Math.min(batchSizeAt(spec, e), trainSamples);
    const full = stepsPerEpoch(trainSamples, batchSize);
    let steps = full;
    if (epochBudget !== undefined) {
      if (e >= epochBudget) break;
      if (epochBudget - e < 1) steps = Math.max(1, Math.round((epochBudget - e) * full));
    } else if (stepBudget !== undefined) {
      if (totalSteps >= stepBudget) break;
      steps = Math.min(full, stepBudget - totalSteps);
    }
    epochs.push({ epoch: e, batchSize, steps });
    totalSteps += steps;
    totalEpochs += steps / full;
    if (e > 1_000_000) throw new Error('training: the run never ends');
  }
  return { epochs, totalSteps, totalEpochs };
}
