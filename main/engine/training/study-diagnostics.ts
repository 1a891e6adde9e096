/**
 * The run-lasting state of the large-batch study diagnostics (issue #14): the noise
 * scale's moving averages, the sharpness power iteration's warm-start vectors, and the
 * trajectory's w(0) and last update. One per run, created before the first step and
 * disposed with the model; diagnostics-on-cadence.ts calls it around each update.
 */
import type { DiagnosticsSpec } from '../../../common/spec';
import { NoiseScaleMonitor, type GradientPart } from '../diagnostics/noise-scale';
import { SharpnessTracker, type SharpnessResult, type SharpnessShards } from '../diagnostics/sharpness';
import { TrajectoryTracker, type LayerTrajectory } from '../diagnostics/trajectory';
import type { LossFn } from '../diagnostics/perturbation';
import type { Model } from '../models/model';

export interface NoiseScaleValues {
  network: number | null;
  layers: (number | null)[];
}

export class StudyDiagnostics {
  private readonly noise: NoiseScaleMonitor | null;
  private readonly sharpnessTracker: SharpnessTracker | null;
  private readonly trajectory: TrajectoryTracker | null;
  /** the last values measured, for the run summary */
  lastNoiseScale: number | null = null;
  lastSharpness: number | null = null;

  constructor(
    private readonly model: Model,
    diag: DiagnosticsSpec,
    seed: number,
  ) {
    this.noise = diag.noiseScale ? new NoiseScaleMonitor(model.groups.length) : null;
    this.sharpnessTracker =
      diag.sharpnessEvery > 0 ? new SharpnessTracker({ iterations: diag.sharpnessIterations, relativeStep: diag.relativeStep, seed }) : null;
    this.trajectory = diag.geometry ? new TrajectoryTracker(model.groups) : null;
  }

  /** One batch's parts and its mean gradient's squared norms per layer; null values while discarding (no parts). */
  addNoiseSample(parts: GradientPart[] | null, bigSquaredNorms: number[]): NoiseScaleValues | null {
    if (!this.noise || !parts) return null;
    const values = this.noise.add(parts, bigSquaredNorms);
    this.lastNoiseScale = values.network;
    return values;
  }

  /** `shards`: the run's replica threads, which then measure some of the blocks */
  async measureSharpness(lossFn: LossFn, shards?: SharpnessShards): Promise<SharpnessResult | null> {
    if (!this.sharpnessTracker) return null;
    const result = await this.sharpnessTracker.measure(this.model.groups, lossFn, shards);
    this.lastSharpness = result.network;
    return result;
  }

  /** before the optimizer's update of `step` (0-based) */
  beginUpdate(step: number, measured: boolean, nextMeasured: boolean): void {
    this.trajectory?.beginStep(step, measured, nextMeasured);
  }

  /** after the update: the trajectory values when this step was measured */
  endUpdate(): Promise<LayerTrajectory | null> {
    return this.trajectory ? this.trajectory.endStep() : Promise.resolve(null);
  }

  dispose(): void {
    this.sharpnessTracker?.dispose();
    this.trajectory?.dispose();
  }
}
