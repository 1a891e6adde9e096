/**
 * Curvature for one step, built lazily: only when the diagnostics cadence or a
 * curvature-based optimizer asks does it slice the curvature sub-batch (the
 * first `curvatureBatch` samples) and pay for gradient passes.
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

export function createStepCurvature(model: Model, batch: Batch, diag: DiagnosticsSpec, seed: number): StepCurvature {
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
    inner ??= createCurvatureOracle(model.groups, subBatchLoss(), { relativeStep: diag.relativeStep, seed });
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
