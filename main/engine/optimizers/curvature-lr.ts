/**
 * The layer-wise rate CBLR and MCLR share (Gao & Zhong 2020, arXiv 2012.08795;
 * Batchscope's operational form, see docs/methods.md):
 *   η_l = η·clip(c / max(κ_l, κ_min), r_min, r_max)
 * with c = 1 (absolute: η ≤ 1 damps a Newton step along the layer gradient) or
 * c = the geometric mean over layers of max(κ_l, κ_min) (relative: η keeps its
 * usual meaning, only the ratio between layers changes). κ_l is refreshed when
 * step % K == 0, and the step itself is SGD-momentum (heavy ball, coupled weight
 * decay) at η_l. Effective LR reported per layer: η_l.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import { momentumStep } from './momentum';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { assertStepInput } from './step-input';

type CurvatureLrSpec = Extract<OptimizerSpec, { name: 'cblr' | 'mclr' }>;
export type CurvatureLrSettings = Pick<
  CurvatureLrSpec,
  'mode' | 'refreshEvery' | 'kappaMin' | 'ratioMin' | 'ratioMax' | 'momentum' | 'weightDecay'
>;

/**
 * ratio_l = clip(c / max(|κ_l|, κ_min), r_min, r_max). A κ_l that is not finite
 * means "unknown": its ratio is 1 and it is left out of the geometric mean.
 * A negative κ_l (a non-convex direction, or estimator noise) counts by its size,
 * as in saddle-free Newton: flooring it at κ_min sent such layers to r_max and
 * made CBLR diverge on Fashion-MNIST at B=4096.
 */
export function curvatureRatios(
  kappas: readonly number[],
  s: Pick<CurvatureLrSettings, 'mode' | 'kappaMin' | 'ratioMin' | 'ratioMax'>,
): number[] {
  const floored = kappas.map((k) => (Number.isFinite(k) ? Math.max(Math.abs(k), s.kappaMin) : Number.NaN));
  let c = 1;
  if (s.mode === 'relative') {
    const known = floored.filter((k) => !Number.isNaN(k));
    if (known.length > 0) c = Math.exp(known.reduce((sum, k) => sum + Math.log(k), 0) / known.length);
  }
  return floored.map((k) => (Number.isNaN(k) ? 1 : Math.min(Math.max(c / k, s.ratioMin), s.ratioMax)));
}

export interface CurvatureMeasurement {
  /** κ_l per layer; NaN where unknown */
  kappas: number[];
  /** a stand-in until the real estimate is available: measure again next step */
  provisional: boolean;
}

/** Where a curvature-scaled optimizer gets κ_l from. */
export interface CurvatureSource {
  measure(input: OptimizerStepInput): Promise<CurvatureMeasurement>;
  /** sees every step before its update; `nextRefreshes` says whether the next step will measure */
  observe?(input: OptimizerStepInput, nextRefreshes: boolean): void;
  dispose(): void;
}

export class CurvatureScaledSgd implements LayerOptimizer {
  /** κ_l comes from the step's curvature oracle (CBLR; MCLR's Hutchinson and its first secant steps) */
  readonly needsCurvature = true;
  private readonly buffers: Slots;
  private kappas: number[] | null = null;
  private ratios: number[] = [];
  private remeasure = false;

  constructor(
    readonly name: string,
    private readonly spec: CurvatureLrSettings,
    private readonly groups: readonly LayerGroup[],
    private readonly source: CurvatureSource,
  ) {
    this.buffers = new Slots(groups);
  }

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const every = this.spec.refreshEvery;
    if (this.kappas === null || this.remeasure || input.step % every === 0) {
      const measured = await this.source.measure(input);
      if (measured.kappas.length !== this.groups.length) {
        throw new Error(`${this.name}: curvature has ${measured.kappas.length} values for ${this.groups.length} layers`);
      }
      this.kappas = measured.kappas;
      this.ratios = curvatureRatios(measured.kappas, this.spec);
      this.remeasure = measured.provisional;
    }
    this.source.observe?.(input, this.remeasure || (input.step + 1) % every === 0);
    const rates = this.ratios.map((r) => input.lr * r);
    const settings = { momentum: this.spec.momentum, nesterov: false, weightDecay: this.spec.weightDecay };
    tf.tidy(() => {
      input.groups.forEach((group, l) => {
        group.params.forEach((w, p) => momentumStep(w, input.grads[l]![p]!, this.buffers.get(l, p), rates[l]!, settings));
      });
    });
    return rates;
  }

  lastCurvature(): number[] | null {
    return this.kappas ? [...this.kappas] : null;
  }

  dispose(): void {
    this.buffers.dispose();
    this.source.dispose();
  }
}
