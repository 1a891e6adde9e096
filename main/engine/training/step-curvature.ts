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
 *
 * In a run split across threads, gradient-difference deals its layers out to the replica
 * threads (curvature.ts, CurvatureShards), which read the sub-batch from the shared rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DiagnosticsSpec } from '../../../common/spec';
import type { Model } from '../models/model';
import type { CurvatureOracle } from '../optimizers/optimizer';
import { createCurvatureOracle, type CurvatureShards, type DisposableCurvatureOracle, type LossFn } from '../diagnostics/curvature';
import type { SharpnessShards } from '../diagnostics/sharpness';
import type { GradientShards } from './batch-gradients';
import { disposeBatch, rowsOf, type Batch } from './batch-source';
import { perSampleCrossEntropy } from './loss';

export interface StepCurvature {
  oracle: CurvatureOracle;
  /** the mean loss of the curvature sub-batch (passes the frozen pattern on), for sharpness */
  subBatchLoss(): LossFn;
  /** the run's replica threads holding the same sub-batch, for sharpness to deal its blocks out to */
  sharpnessShards?: SharpnessShards;
  dispose(): void;
}

/** Whether the step's gradient is the curvature sub-batch's, so the estimators may take it as g. */
export function stepGradientServes(model: Model, batch: Batch, diag: DiagnosticsSpec, discarded: number): boolean {
  return discarded === 0 && diag.curvatureBatch >= batch.size && !model.groups.some((g) => g.kind === 'batchnorm');
}

/**
 * The mean loss of `rows` (the curvature sub-batch) at the model's current weights, in
 * training mode without touching batch-norm statistics. The estimators record the
 * activation pattern at w and replay it at w ± h·d (frozen-activations.ts).
 */
export function curvatureLoss(model: Model, rows: Batch): LossFn {
  const { x, oneHot } = rows;
  return (frozen) => tf.mean(perSampleCrossEntropy(model.apply(x, { training: true, updateStats: false, frozen }), oneHot as tf.Tensor2D));
}

/** The shard pool as the estimators see it: replicas holding this batch's first `rows` rows at the current weights. */
function curvatureShards(shards: GradientShards, model: Model, batch: Batch, rows: number): CurvatureShards {
  return {
    threads: shards.shardsFor(rows),
    get layerMs() {
      return shards.curvatureLayerMs;
    },
    set layerMs(ms) {
      shards.curvatureLayerMs = ms;
    },
    prepare: (grads) => shards.prepareCurvature(model, batch, grads),
    gradientDifference: (shard, layers, givenGrads, settings) => shards.curvature(shard - 1, rows, layers, givenGrads, settings),
  };
}

/** The shard pool as sharpness sees it: replicas holding this batch's first `rows` rows at the current weights. */
function sharpnessShards(shards: GradientShards, model: Model, batch: Batch, rows: number): SharpnessShards {
  return {
    threads: shards.shardsFor(rows),
    prepare: () => shards.prepare(model, batch),
    measureBlocks: (shard, blocks, evaluation, settings, owner) => shards.sharpness(shard - 1, rows, blocks, evaluation, settings, owner),
  };
}

/**
 * `stepGrads`: the step's gradient (grads[l][p], not owned), given only where
 * stepGradientServes says it is the sub-batch's own. `shards`: the run's replica threads, if any.
 */
export function createStepCurvature(
  model: Model,
  batch: Batch,
  diag: DiagnosticsSpec,
  seed: number,
  stepGrads?: tf.Tensor[][],
  shards: GradientShards | null = null,
): StepCurvature {
  let inner: DisposableCurvatureOracle | null = null;
  let loss: LossFn | null = null;
  let rows: Batch | null = null;
  const size = Math.min(diag.curvatureBatch, batch.size);
  const split = shards !== null && shards.shardsFor(size) > 1;
  const subBatchLoss = (): LossFn => {
    if (loss) return loss;
    rows = rowsOf(batch, 0, size);
    loss = curvatureLoss(model, rows);
    return loss;
  };
  const oracle = (): CurvatureOracle => {
    inner ??= createCurvatureOracle(model.groups, subBatchLoss(), {
      relativeStep: diag.relativeStep,
      seed,
      ...(stepGrads ? { grads: stepGrads } : {}),
      ...(split ? { shards: curvatureShards(shards, model, batch, size) } : {}),
    });
    return inner;
  };
  return {
    ...(split ? { sharpnessShards: sharpnessShards(shards, model, batch, size) } : {}),
    oracle: {
      layerCurvature: (estimator) => oracle().layerCurvature(estimator),
      diagonalCurvature: (layer) => oracle().diagonalCurvature(layer),
    },
    subBatchLoss,
    dispose: () => {
      inner?.dispose();
      if (rows) disposeBatch(rows);
    },
  };
}
