/**
 * Diagnostics on cadence: the per-layer measurements taken around one optimizer update
 * when the spec's cadence calls for them — gradient, weight and update norms, ΔL and
 * each layer's share of it every `diagnostics.every` steps, κ_l every
 * `diagnostics.curvatureEvery` steps — returned as the step's layer records.
 *
 * This is the seam for further per-layer diagnostics: measure what needs the weights
 * before the update where κ_l is measured, what needs them after where the layer
 * statistics are, give the quantity a field in LayerMetrics (common/metrics.ts) and
 * fill it in `layerRecords`. Its cadence belongs in `diagnosticsDue`.
 */
import type { LayerMetrics } from '../../../common/metrics';
import type { DiagnosticsSpec } from '../../../common/spec';
import { layerStats, snapshotWeights, type LayerStats } from '../diagnostics/layer-stats';
import type { Model } from '../models/model';
import type { CurvatureOracle, LayerCurvature } from '../optimizers/optimizer';
import { batchLoss, type BatchGradients, type GradientShards } from './batch-gradients';
import type { Batch } from './batch-source';

/** A layer's record of one step, before the loop stamps the step on it. */
export type LayerRecord = Omit<LayerMetrics, 'step'>;

/** Which diagnostics the cadence asks of a step. */
export interface DiagnosticsDue {
  /** norms, ΔL and its per-layer shares */
  layerStats: boolean;
  /** κ_l with the spec's estimator */
  curvature: boolean;
}

/** `step` is the 0-based optimizer step the update is about to make. */
export function diagnosticsDue(diag: DiagnosticsSpec, step: number): DiagnosticsDue {
  return {
    layerStats: step % diag.every === 0,
    curvature: diag.curvatureEvery > 0 && step % diag.curvatureEvery === 0,
  };
}

export interface CadenceInput {
  diag: DiagnosticsSpec;
  due: DiagnosticsDue;
  model: Model;
  batch: Batch;
  microBatch: number | undefined;
  shards: GradientShards | null;
  /** the batch's loss and gradients at the weights before the update */
  gradients: BatchGradients;
  /** the step's curvature oracle (shared with the optimizer) when κ_l is due, else null */
  curvature: CurvatureOracle | null;
  /** the scheduled rate, reported for layers the optimizer gives no rate of their own */
  lr: number;
}

export interface CadenceResult {
  /** one record per layer when the layer statistics were due, else null */
  layers: LayerRecord[] | null;
  /** L(w after) − L(w before) on the same batch, when measured */
  lossUpdate: number | null;
}

/**
 * Runs `update` (the optimizer step, returning its per-layer rates) with the diagnostics
 * that are due measured before and after it.
 */
export async function diagnosticsOnCadence(input: CadenceInput, update: () => Promise<number[]>): Promise<CadenceResult> {
  const { diag, due, model } = input;
  // before the update: κ_l at the weights the gradients were taken at
  const curvature = input.curvature ? await input.curvature.layerCurvature(diag.curvatureEstimator) : null;
  const before = due.layerStats ? snapshotWeights(model.groups) : null;
  let effectiveLr: number[];
  try {
    effectiveLr = await update();
  } catch (error) {
    before?.forEach((group) => group.forEach((t) => t.dispose()));
    throw error;
  }
  if (!before) return { layers: null, lossUpdate: null };
  // after the update
  const stats = await layerStats(model.groups, input.gradients.grads, before).finally(() => before.forEach((group) => group.forEach((t) => t.dispose())));
  const lossUpdate = diag.lossUpdate ? (await batchLoss(model, input.batch, input.microBatch, input.shards)) - input.gradients.loss : null;
  return { layers: layerRecords(stats, effectiveLr, input.lr, curvature), lossUpdate };
}

function layerRecords(stats: LayerStats[], effectiveLr: number[], lr: number, curvature: LayerCurvature | null): LayerRecord[] {
  return stats.map((s, l) => ({
    layer: l,
    gradNorm: s.gradNorm,
    weightNorm: s.weightNorm,
    updateNorm: s.updateNorm,
    effectiveLr: effectiveLr[l] ?? lr,
    lossUpdateShare: s.lossUpdateShare,
    curvature: curvature ? (curvature.kappa[l] ?? null) : null,
    curvatureError: curvature ? (curvature.error[l] ?? null) : null,
  }));
}
