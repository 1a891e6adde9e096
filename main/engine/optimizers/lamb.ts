/**
 * LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2),
 * with t the 1-based count of applied steps:
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  m̂ = m/(1−β1^t),  v̂ = v/(1−β2^t)
 *   r = m̂/(√v̂ + ε),  u = r + λ·w                 (decoupled weight decay)
 *   ratio_l = φ(‖w_l‖)/‖u_l‖, φ(z) = z, capped at trustClip when trustClip > 0
 *             (1 where ‖w_l‖ or ‖u_l‖ is 0)
 *   w ← w − η·ratio_l·u
 * Norms are over the layer's adapted params (its weights when bias and batch-norm
 * params are excluded, else the whole group). Excluded params use ratio 1 and no
 * weight decay, as in the reference BERT implementation.
 * Effective LR reported per layer: η·ratio_l; η for a layer with nothing adapted.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import { groupNorms } from './group-norms';
import { adaptedParams } from './lars';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { assertStepInput } from './step-input';
import { AdamUpdate, SgdUpdate, runUpdate, updateKernelRegistered, type AdamUpdateAttrs, type UpdateAttrs } from '../kernels/update-kernels';

export type LambSpec = Extract<OptimizerSpec, { name: 'lamb' }>;

export class LambOptimizer implements LayerOptimizer {
  readonly name = 'lamb';
  readonly needsCurvature = false;
  private readonly m: Slots;
  private readonly v: Slots;
  private readonly adapted: boolean[][];
  private t = 0;

  constructor(
    private readonly spec: LambSpec,
    private readonly groups: readonly LayerGroup[],
  ) {
    this.m = new Slots(groups);
    this.v = new Slots(groups);
    this.adapted = adaptedParams(groups, spec.excludeBiasAndNorm);
  }

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const { beta1, beta2, epsilon, weightDecay, trustClip } = this.spec;
    const { lr } = input;
    this.t += 1;
    const correction1 = 1 - beta1 ** this.t;
    const correction2 = 1 - beta2 ** this.t;

    // one pass per parameter for each half where the backend has the kernels (wasm), the same float32 operations otherwise
    const fused = updateKernelRegistered(AdamUpdate) && updateKernelRegistered(SgdUpdate);
    // Moments and the unscaled update u, kept until the trust ratios are read.
    const updates = tf.tidy(() =>
      input.groups.map((group, l) =>
        group.params.map((w, p) => {
          const g = input.grads[l]![p]!;
          const m = this.m.get(l, p);
          const v = this.v.get(l, p);
          if (fused) {
            const decay = this.adapted[l]![p]! ? weightDecay : 0;
            const attrs: AdamUpdateAttrs = { lr, beta1, beta2, epsilon, correction1, correction2, decay, decoupled: true, direction: true };
            const [u, mNext, vNext] = runUpdate(AdamUpdate, { w, g, m, v }, attrs);
            m.assign(mNext!);
            v.assign(vNext!);
            return u!;
          }
          const mNext = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
          const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
          m.assign(mNext);
          v.assign(vNext);
          const r = tf.div(tf.div(mNext, correction1), tf.add(tf.sqrt(tf.div(vNext, correction2)), epsilon));
          return this.adapted[l]![p]! && weightDecay > 0 ? tf.add(r, tf.mul(w, weightDecay)) : r;
        }),
      ),
    );

    try {
      const lists: tf.Tensor[][] = [];
      input.groups.forEach((group, l) => {
        const keep = this.adapted[l]!;
        lists.push(group.params.filter((_, p) => keep[p]));
        lists.push(updates[l]!.filter((_, p) => keep[p]));
      });
      const norms = await groupNorms(lists);
      const rates = input.groups.map((_, l) => {
        if (!this.adapted[l]!.some(Boolean)) return lr;
        const wNorm = norms[2 * l]!;
        const uNorm = norms[2 * l + 1]!;
        let ratio = wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1;
        if (trustClip > 0) ratio = Math.min(ratio, trustClip);
        return lr * ratio;
      });

      tf.tidy(() => {
        input.groups.forEach((group, l) => {
          group.params.forEach((w, p) => {
            const rate = this.adapted[l]![p]! ? rates[l]! : lr;
            const u = updates[l]![p]!;
            if (fused) {
              const attrs: UpdateAttrs = { lr: rate, decay: 0 };
              w.assign(runUpdate(SgdUpdate, { w, g: u }, attrs)[0]!);
              return;
            }
            w.assign(tf.sub(w, tf.mul(u, rate)));
          });
        });
      });
      return rates;
    } finally {
      tf.dispose(updates);
    }
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
