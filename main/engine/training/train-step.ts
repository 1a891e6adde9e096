/**
 * One optimizer step on one batch: the batch's gradients (accumulated, discarding,
 * sharded as the spec says), a curvature oracle when the optimizer or the diagnostics
 * cadence needs one, and the update with the diagnostics that are due around it.
 */
import type { DiagnosticsSpec } from '../../../common/spec';
import type { Model } from '../models/model';
import type { LayerOptimizer } from '../optimizers/optimizer';
import { batchGradients, type DiscardRule, type GradientShards } from './batch-gradients';
import type { Batch } from './batch-source';
import { diagnosticsDue, diagnosticsOnCadence, type LayerRecord } from './diagnostics-on-cadence';
import { createStepCurvature, stepGradientServes } from './step-curvature';
import type { StudyDiagnostics } from './study-diagnostics';

export interface TrainStepInput {
  model: Model;
  optimizer: LayerOptimizer;
  shards: GradientShards | null;
  diag: DiagnosticsSpec;
  microBatch: number | undefined;
  batch: Batch;
  lr: number;
  /** 0-based optimizer step */
  step: number;
  /** the run's last step (sharpness is measured there too) */
  last?: boolean;
  discard: DiscardRule | null;
  /** seed of this step's curvature probes */
  curvatureSeed: number;
  /** the run's noise scale, sharpness and trajectory state */
  study: StudyDiagnostics;
}

export interface StepOutcome {
  /** mean loss over the batch before the update; not finite when the run diverged (then no update was made) */
  loss: number;
  accuracy: number;
  discarded: number;
  lossUpdate: number | null;
  /** the network's noise scale and sharpness, when measured at this step */
  noiseScale: number | null;
  sharpness: number | null;
  layers: LayerRecord[] | null;
}

export async function trainStep(input: TrainStepInput): Promise<StepOutcome> {
  const { model, optimizer, diag, batch, microBatch, shards, lr, step } = input;
  const due = diagnosticsDue(diag, step, input.last ?? false);
  const gradients = await batchGradients(model, batch, microBatch, input.discard, shards, { parts: due.noiseScale });
  // built lazily: it costs gradient passes only when the optimizer or the cadence calls it
  const stepGrads = stepGradientServes(model, batch, diag, gradients.discarded) ? gradients.grads : undefined;
  const curvature = due.curvature || due.sharpness || optimizer.needsCurvature ? createStepCurvature(model, batch, diag, input.curvatureSeed, stepGrads, shards) : null;
  try {
    const { loss, accuracy, discarded } = gradients;
    if (!Number.isFinite(loss)) return { loss, accuracy, discarded, lossUpdate: null, noiseScale: null, sharpness: null, layers: null };
    const { layers, lossUpdate, noiseScale, sharpness } = await diagnosticsOnCadence(
      {
        diag,
        due,
        model,
        batch,
        microBatch,
        shards,
        gradients,
        lr,
        curvature: due.curvature && curvature ? curvature.oracle : null,
        study: input.study,
        sharpnessLoss: due.sharpness && curvature ? curvature.subBatchLoss() : null,
        ...(due.sharpness && curvature?.sharpnessShards ? { sharpnessShards: curvature.sharpnessShards } : {}),
        step,
      },
      () =>
        optimizer.apply({
          groups: model.groups,
          grads: gradients.grads,
          lr,
          step,
          curvature: optimizer.needsCurvature && curvature ? curvature.oracle : undefined,
        }),
    );
    return { loss, accuracy, discarded, lossUpdate, noiseScale, sharpness, layers };
  } finally {
    gradients.grads.forEach((g) => g.forEach((t) => t.dispose()));
    curvature?.dispose();
  }
}
