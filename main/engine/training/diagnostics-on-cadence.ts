/**
 * Diagnostics on cadence: the per-layer measurements taken around one optimizer update
 * when the spec's cadence calls for them — gradient, weight and update norms, ΔL and
 * each layer's share of it every `diagnostics.every` steps, the gradient noise scale and
 * the trajectory (distance from initialization, update cosine) every
 * `diagnostics.studyEvery` steps, κ_l every `diagnostics.curvatureEvery` steps, sharpness
 * every `diagnostics.sharpnessEvery` steps — returned as the step's layer records.
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
import type { LossFn } from '../diagnostics/perturbation';
import type { SharpnessResult, SharpnessShards } from '../diagnostics/sharpness';
import type { LayerTrajectory } from '../diagnostics/trajectory';
import type { CurvatureOracle, LayerCurvature } from '../optimizers/optimizer';
import { batchLoss, type BatchGradients, type GradientShards } from './batch-gradients';
import type { Batch } from './batch-source';
import type { NoiseScaleValues, StudyDiagnostics } from './study-diagnostics';

/** A layer's record of one step, before the loop stamps the step on it. */
export type LayerRecord = Omit<LayerMetrics, 'step'>;

/** Which diagnostics the cadence asks of a step. */
export interface DiagnosticsDue {
  /** norms, ΔL and its per-layer shares (and the layer records that carry every per-layer value) */
  layerStats: boolean;
  /** κ_l with the spec's estimator */
  curvature: boolean;
  /** λ_max of the network and of each layer block */
  sharpness: boolean;
  /** the gradient noise scale from the batch's parts */
  noiseScale: boolean;
  /** distance from initialization and update cosine */
  trajectory: boolean;
  /** the next step measures the trajectory, so this update is kept for its cosine */
  keepUpdate: boolean;
}

/**
 * `step` is the 0-based optimizer step the update is about to make; `last` whether it is
 * the run's last. Sharpness is also measured at the last step, so every run has it at
 * the end of training (the value compared across batch sizes), however short the run.
 */
export function diagnosticsDue(diag: DiagnosticsSpec, step: number, last = false): DiagnosticsDue {
  const sharpness = diag.sharpnessEvery > 0 && (step % diag.sharpnessEvery === 0 || last);
  const onStudy = step % diag.studyEvery === 0;
  const noiseScale = onStudy && diag.noiseScale;
  const trajectory = onStudy && diag.geometry;
  return {
    // the noise scale reads the step's gradient norms and the trajectory lands in its layer record
    layerStats: step % diag.every === 0 || sharpness || noiseScale || trajectory,
    curvature: diag.curvatureEvery > 0 && step % diag.curvatureEvery === 0,
    sharpness,
    noiseScale,
    trajectory,
    keepUpdate: diag.geometry && (step + 1) % diag.studyEvery === 0,
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
  /** the run's study diagnostics (noise scale, sharpness, trajectory) */
  study: StudyDiagnostics;
  /** the curvature sub-batch's loss, when sharpness is due */
  sharpnessLoss: LossFn | null;
  /** the run's replica threads as sharpness sees them, if the run has any */
  sharpnessShards?: SharpnessShards;
  /** 0-based step of this update */
  step: number;
}

export interface CadenceResult {
  /** one record per layer when the layer statistics were due, else null */
  layers: LayerRecord[] | null;
  /** L(w after) − L(w before) on the same batch, when measured */
  lossUpdate: number | null;
  /** the network's noise scale and sharpness when measured at this step */
  noiseScale: number | null;
  sharpness: number | null;
}

/**
 * Runs `update` (the optimizer step, returning its per-layer rates) with the diagnostics
 * that are due measured before and after it.
 */
export async function diagnosticsOnCadence(input: CadenceInput, update: () => Promise<number[]>): Promise<CadenceResult> {
  const { diag, due, model, study } = input;
  // before the update: κ_l and λ_max at the weights the gradients were taken at
  const curvature = input.curvature ? await input.curvature.layerCurvature(diag.curvatureEstimator) : null;
  const sharpness = due.sharpness && input.sharpnessLoss ? await study.measureSharpness(input.sharpnessLoss, input.sharpnessShards) : null;
  const before = due.layerStats ? snapshotWeights(model.groups) : null;
  study.beginUpdate(input.step, due.trajectory, due.keepUpdate);
  let effectiveLr: number[];
  try {
    effectiveLr = await update();
  } catch (error) {
    before?.forEach((group) => group.forEach((t) => t.dispose()));
    throw error;
  }
  // after the update
  const trajectory = await study.endUpdate();
  if (!before) return { layers: null, lossUpdate: null, noiseScale: null, sharpness: sharpness?.network ?? null };
  let stats: LayerStats[] = [];
  let lossUpdate: number | null = null;
  try {
    const measureStats = async (): Promise<void> => void (stats = await layerStats(model.groups, input.gradients.grads, before));
    // ΔL's forward pass is split like the gradient's: the statistics are measured while the replicas compute their shares
    if (diag.lossUpdate) lossUpdate = (await batchLoss(model, input.batch, input.microBatch, input.shards, measureStats)) - input.gradients.loss;
    else await measureStats();
  } finally {
    before.forEach((group) => group.forEach((t) => t.dispose()));
  }
  // |G_B|² per layer: the batch's mean gradient is what layerStats measured as ‖g_l‖
  const noise = due.noiseScale ? study.addNoiseSample(input.gradients.parts, stats.map((s) => s.gradNorm ** 2)) : null;
  return {
    layers: layerRecords({ stats, effectiveLr, lr: input.lr, curvature, noise, sharpness, trajectory }),
    lossUpdate,
    noiseScale: noise?.network ?? null,
    sharpness: sharpness?.network ?? null,
  };
}

interface LayerValues {
  stats: LayerStats[];
  effectiveLr: number[];
  lr: number;
  curvature: LayerCurvature | null;
  noise: NoiseScaleValues | null;
  sharpness: SharpnessResult | null;
  trajectory: LayerTrajectory | null;
}

function layerRecords(v: LayerValues): LayerRecord[] {
  return v.stats.map((s, l) => ({
    layer: l,
    gradNorm: s.gradNorm,
    weightNorm: s.weightNorm,
    updateNorm: s.updateNorm,
    effectiveLr: v.effectiveLr[l] ?? v.lr,
    lossUpdateShare: s.lossUpdateShare,
    curvature: v.curvature ? (v.curvature.kappa[l] ?? null) : null,
    curvatureError: v.curvature ? (v.curvature.error[l] ?? null) : null,
    noiseScale: v.noise ? (v.noise.layers[l] ?? null) : null,
    sharpness: v.sharpness ? (v.sharpness.layers[l] ?? null) : null,
    distanceFromInit: v.trajectory ? (v.trajectory.distanceFromInit[l] ?? null) : null,
    updateCosine: v.trajectory ? (v.trajectory.updateCosine[l] ?? null) : null,
  }));
}
