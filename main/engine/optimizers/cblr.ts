/**
 * CBLR, curvature-based learning rate (Gao & Zhong 2020, arXiv 2012.08795):
 * η_l = η·clip(c / max(κ_l, κ_min), r_min, r_max), κ_l = ĝ_lᵀ H_ll ĝ_l from the
 * training loop's curvature oracle with the chosen estimator, refreshed every K
 * steps (the rate itself lives in curvature-lr.ts). With the `lars-proxy`
 * estimator κ_l = ‖g_l‖/‖w_l‖ and absolute mode this is LARS's rate η·‖w_l‖/‖g_l‖.
 * Effective LR reported per layer: η_l.
 */
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import { CurvatureScaledSgd, type CurvatureMeasurement, type CurvatureSource } from './curvature-lr';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';

export type CblrSpec = Extract<OptimizerSpec, { name: 'cblr' }>;

class OracleCurvature implements CurvatureSource {
  constructor(private readonly spec: CblrSpec) {}

  async measure(input: OptimizerStepInput): Promise<CurvatureMeasurement> {
    if (!input.curvature) {
      throw new Error(
        `cblr: step ${input.step} refreshes the curvature (refreshEvery ${this.spec.refreshEvery}) but the step has no curvature oracle`,
      );
    }
    const { kappa } = await input.curvature.layerCurvature(this.spec.curvature);
    return { kappas: kappa, provisional: false };
  }

  dispose(): void {}
}

export function createCblr(spec: CblrSpec, groups: readonly LayerGroup[]): LayerOptimizer {
  return new CurvatureScaledSgd('cblr', spec, groups, new OracleCurvature(spec));
}
