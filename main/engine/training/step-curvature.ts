/**
 * Curvature for one step, built lazily: only when the diagnostics cadence or a
 * curvature-based optimizer asks does it slice the curvature sub-batch (the
 * first `curvatureBatch` samples) and pay for gradient passes.
 *
 * When that sub-batch is the whole batch, the step's own gradient is the gradient of
 * the same loss at the same weights, so the estimators take it as g instead of a pass
 * of their own: unless samples were discarded (the step's loss is then over the kept
 * ones) or the model has batch norm (the step's statistics come from its micro-batches
 * or shards, the sub-batch's from all of it).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticsSpec } from '../../../common/spec';
import type { Model } from '../models/model';
import type { CurvatureOracle } from '../optimizers/optimizer';
import { createCurvatureOracle, type DisposableCurvatureOracle, type LossFn } from '../diagnostics/curvature';
import { rowsOf, type Batch } from './batch-source';
import { perSampleCrossEntropy } from './loss';

export interface StepCurvature {
  oracle: CurvatureOracle;
  /** the mean loss of the curvature sub-batch (passes the frozen pattern on), for sharpness */
  subBatchLoss(): LossFn;
  dispose(): void;
}

/** Whether the step's gradient is the curvature sub-batch's, so the estimators may take it as g. */
export function stepGradientServes(model: Model, batch: Batch, diag: DiagnosticsSpec, discarded: number): boolean {
  return discarded === 0 && diag.curvatureBatch >= batch.size && !model.groups.some((g) => g.kind === 'batchnorm');
}

/**
 * `stepGrads`: the step's gradient (grads[l][p], not owned), given only where
 * stepGradientServes says it is the sub-batch's own.
 */
export function createStepCurvature(model: Model, batch: Batch, diag: DiagnosticsSpec, seed: number, stepGrads?: tf.Tensor[][]): StepCurvature {
  let inner: DisposableCurvatureOracle | null = null;
  let loss: LossFn | null = null;
  let tensors: tf.Tensor[] = [];
  const subBatchLoss = (): LossFn => {
    if (loss) return loss;
    const size = Math.min(diag.curvatureBatch, batch.size);
    const { x, oneHot, labels } = rowsOf(batch, 0, size);
    tensors = [x, oneHot, labels];
    // the estimators record the activation pattern at w and replay it at w ± h·d (frozen-activations.ts)
    loss = (frozen) => tf.mean(perSampleCrossEntropy(model.apply(x, { training: true, updateStats: false, frozen }), oneHot as tf.Tensor2D));
    return loss;
  };
  const oracle = (): CurvatureOracle => {
    inner ??= createCurvatureOracle(model.groups, subBatchLoss(), { relativeStep: diag.relativeStep, seed, ...(stepGrads ? { grads: stepGrads } : {}) });
    return inner;
  };
  return {
    oracle: {
      layerCurvature: (estimator) => oracle().layerCurvature(estimator),
      diagonalCurvature: (layer) => oracle().diagonalCurvature(layer),
    },
    subBatchLoss,
    dispose: () => {
      inner?.dispose();
      tensors.forEach((t) => t.dispose());
    },
  };
}
