/**
 * MCLR, median-curvature learning rate (Gao & Zhong 2020, arXiv 2012.08795): CBLR's
 * rate (curvature-lr.ts) with κ_l = median over the layer's parameters of |c_i|,
 * an element-wise curvature estimate:
 *   secant:      c_i = (g_i(t) − g_i(t−1)) / (w_i(t) − w_i(t−1)), skipping entries with
 *                |Δw_i| ≤ 1e-6·max(|w_i|, 1e-6) (below float32 resolution). Free: it
 *                only keeps the previous step's weights and gradients.
 *   hutchinson:  c_i = the oracle's Hutchinson estimate of diag(H_ll).
 * Before the secant has two consecutive steps it uses the oracle's Hutchinson
 * diagonal if an oracle is given, else ratio 1, and measures again next step.
 * Effective LR reported per layer: η_l.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import { CurvatureScaledSgd, type CurvatureMeasurement, type CurvatureSource } from './curvature-lr';
import { medianAbs } from './median';
import type { CurvatureOracle, LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { readValues } from '../training/read-back';

export type MclrSpec = Extract<OptimizerSpec, { name: 'mclr' }>;

/** Relative size below which a weight change is float32 rounding, not a step. */
const minRelativeStep = 1e-6;

async function hutchinsonMedians(oracle: CurvatureOracle, groups: readonly LayerGroup[]): Promise<number[]> {
  const medians: number[] = [];
  // one layer at a time: each diagonal costs gradient passes, and they share the variables
  for (const [l, group] of groups.entries()) {
    const diagonal = await oracle.diagonalCurvature(l);
    const size = group.params.reduce((n, w) => n + w.size, 0);
    if (diagonal.length !== size) {
      throw new Error(`mclr: the Hutchinson diagonal of layer ${group.name} has ${diagonal.length} entries, expected ${size}`);
    }
    medians.push(medianAbs(diagonal));
  }
  return medians;
}

class HutchinsonMedian implements CurvatureSource {
  constructor(private readonly spec: MclrSpec) {}

  async measure(input: OptimizerStepInput): Promise<CurvatureMeasurement> {
    if (!input.curvature) {
      throw new Error(
        `mclr: step ${input.step} refreshes the Hutchinson curvature (refreshEvery ${this.spec.refreshEvery}) but the step has no curvature oracle`,
      );
    }
    return { kappas: await hutchinsonMedians(input.curvature, input.groups), provisional: false };
  }

  dispose(): void {}
}

class SecantMedian implements CurvatureSource {
  private readonly previousWeights: Slots;
  private readonly previousGrads: Slots;
  /** the step whose weights and gradients the slots hold, if any */
  private snapshotStep: number | null = null;

  constructor(groups: readonly LayerGroup[]) {
    this.previousWeights = new Slots(groups);
    this.previousGrads = new Slots(groups);
  }

  async measure(input: OptimizerStepInput): Promise<CurvatureMeasurement> {
    if (this.snapshotStep === null || this.snapshotStep !== input.step - 1) {
      const kappas = input.curvature
        ? await hutchinsonMedians(input.curvature, input.groups)
        : input.groups.map(() => Number.NaN);
      return { kappas, provisional: true };
    }
    const secants = tf.tidy(() =>
      tf.concat(
        input.groups.flatMap((group, l) =>
          group.params.map((w, p) => {
            const dw = tf.sub(w, this.previousWeights.get(l, p));
            const dg = tf.sub(input.grads[l]![p]!, this.previousGrads.get(l, p));
            const floor = tf.mul(tf.maximum(tf.abs(w), minRelativeStep), minRelativeStep);
            // an entry whose gradient did not change at all (a dead ReLU unit's weights) says
            // nothing about curvature; counted as 0 it would drag the median to 0 and send the
            // layer's rate to ratioMax
            const informative = tf.logicalAnd(tf.greater(tf.abs(dw), floor), tf.notEqual(dg, 0));
            const c = tf.div(dg, tf.where(informative, dw, tf.onesLike(dw)));
            return tf.reshape(tf.where(informative, c, tf.fill(c.shape, Number.NaN)), [-1]);
          }),
        ),
      ),
    );
    let values: Float32Array;
    try {
      values = (await readValues(secants)) as Float32Array;
    } finally {
      secants.dispose();
    }
    let offset = 0;
    const kappas = input.groups.map((group) => {
      const size = group.params.reduce((n, w) => n + w.size, 0);
      const median = medianAbs(values.subarray(offset, offset + size));
      offset += size;
      return median;
    });
    return { kappas, provisional: false };
  }

  observe(input: OptimizerStepInput, nextRefreshes: boolean): void {
    if (!nextRefreshes) {
      this.snapshotStep = null;
      return;
    }
    // assign shares the tensor's storage (no copy); it outlives the caller's disposal of the gradient.
    input.groups.forEach((group, l) => {
      group.params.forEach((w, p) => {
        this.previousWeights.get(l, p).assign(w);
        this.previousGrads.get(l, p).assign(input.grads[l]![p]!);
      });
    });
    this.snapshotStep = input.step;
  }

  dispose(): void {
    this.previousWeights.dispose();
    this.previousGrads.dispose();
  }
}

export function createMclr(spec: MclrSpec, groups: readonly LayerGroup[]): LayerOptimizer {
  const source = spec.elementCurvature === 'secant' ? new SecantMedian(groups) : new HutchinsonMedian(spec);
  return new CurvatureScaledSgd('mclr', spec, groups, source);
}
