/**
 * LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg 2017, Algorithm 1).
 * For each layer l, over its adapted parameters (its weights when bias and
 * batch-norm parameters are excluded, else the whole group):
 *   trust_l = τ·‖w_l‖ / (‖g_l‖ + λ·‖w_l‖ + ε)     (1 where ‖w_l‖ or ‖g_l‖ is 0)
 *   local_l = η·trust_l,   or with LARC clipping η·min(trust_l, 1)
 *   v ← μ·v + local_l·(g + λ·w),   w ← w − v
 * Momentum accumulates the scaled update, as in the paper. Excluded parameters
 * (bias, batch-norm gamma/beta, by default) take plain momentum SGD at η with no
 * weight decay, the convention of the reference implementations (MLPerf LARS).
 * Effective LR reported per layer: local_l; η for a layer with nothing adapted.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import { isBiasOrNorm, type LayerGroup } from '../models/layer-group';
import { groupNorms } from './group-norms';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { assertStepInput } from './step-input';
import { MomentumUpdate, runUpdate, updateKernelRegistered, type UpdateAttrs } from '../kernels/update-kernels';

export type LarsSpec = Extract<OptimizerSpec, { name: 'lars' }>;

/** Which params of each layer take the layer-wise rate (the rest are excluded). */
export function adaptedParams(groups: readonly LayerGroup[], excludeBiasAndNorm: boolean): boolean[][] {
  return groups.map((group) => group.params.map((_, p) => !excludeBiasAndNorm || !isBiasOrNorm(group, p)));
}

export class LarsOptimizer implements LayerOptimizer {
  readonly name = 'lars';
  readonly needsCurvature = false;
  private readonly buffers: Slots;
  private readonly adapted: boolean[][];

  constructor(
    private readonly spec: LarsSpec,
    private readonly groups: readonly LayerGroup[],
  ) {
    this.buffers = new Slots(groups);
    this.adapted = adaptedParams(groups, spec.excludeBiasAndNorm);
  }

  /** The local rate of each layer's adapted params, from one batched read of the norms. */
  private async localRates(input: OptimizerStepInput): Promise<number[]> {
    const { trustCoefficient, weightDecay, epsilon, clip } = this.spec;
    const lists: tf.Tensor[][] = [];
    input.groups.forEach((group, l) => {
      const keep = this.adapted[l]!;
      lists.push(group.params.filter((_, p) => keep[p]));
      lists.push(input.grads[l]!.filter((_, p) => keep[p]));
    });
    const norms = await groupNorms(lists);
    return input.groups.map((_, l) => {
      if (!this.adapted[l]!.some(Boolean)) return input.lr;
      const wNorm = norms[2 * l]!;
      const gNorm = norms[2 * l + 1]!;
      const trust = wNorm > 0 && gNorm > 0 ? (trustCoefficient * wNorm) / (gNorm + weightDecay * wNorm + epsilon) : 1;
      return input.lr * (clip ? Math.min(trust, 1) : trust);
    });
  }

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const local = await this.localRates(input);
    const { momentum, weightDecay } = this.spec;
    // one pass per parameter where the backend has the kernel (wasm), the same float32 operations otherwise
    const fused = updateKernelRegistered(MomentumUpdate);
    tf.tidy(() => {
      input.groups.forEach((group, l) => {
        group.params.forEach((w, p) => {
          const g = input.grads[l]![p]!;
          const adapted = this.adapted[l]![p]!;
          const rate = adapted ? local[l]! : input.lr;
          const buffer = this.buffers.get(l, p);
          if (fused) {
            const attrs: UpdateAttrs = { lr: rate, decay: adapted ? weightDecay : 0, momentum, form: 'lars' };
            const [next, velocity] = runUpdate(MomentumUpdate, { w, g, v: buffer }, attrs);
            buffer.assign(velocity!);
            w.assign(next!);
            return;
          }
          const d = adapted && weightDecay > 0 ? tf.add(g, tf.mul(w, weightDecay)) : g;
          const v = tf.add(tf.mul(buffer, momentum), tf.mul(d, rate));
          buffer.assign(v);
          w.assign(tf.sub(w, v));
        });
      });
    });
    return local;
  }

  dispose(): void {
    this.buffers.dispose();
  }
}
