/**
 * Adam (Kingma & Ba 2015, Algorithm 1) and AdamW (Loshchilov & Hutter 2019,
 * decoupled weight decay), with t the 1-based count of applied steps:
 *   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²,
 *   m̂ = m/(1−β1^t),  v̂ = v/(1−β2^t),
 *   Adam:   g = ∇L + λ·w (coupled L2), w ← w − η·m̂/(√v̂ + ε)
 *   AdamW:  g = ∇L,  w ← w − η·(m̂/(√v̂ + ε) + λ·w)
 * Weight decay applies to every parameter. Effective LR reported per layer: the
 * bias-corrected step size α_t = η·√(1−β2^t)/(1−β1^t) of Kingma & Ba §2 (the same
 * for every layer; it ignores ε, which only matters where √v̂ ≲ ε).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { assertStepInput } from './step-input';
import { AdamUpdate, runUpdate, updateKernelRegistered, type AdamUpdateAttrs } from '../kernels/update-kernels';

export type AdamSpec = Extract<OptimizerSpec, { name: 'adam' | 'adamw' }>;

export class AdamOptimizer implements LayerOptimizer {
  readonly name: 'adam' | 'adamw';
  readonly needsCurvature = false;
  private readonly m: Slots;
  private readonly v: Slots;
  private t = 0;

  constructor(
    private readonly spec: AdamSpec,
    private readonly groups: readonly LayerGroup[],
  ) {
    this.name = spec.name;
    this.m = new Slots(groups);
    this.v = new Slots(groups);
  }

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const { beta1, beta2, epsilon, weightDecay } = this.spec;
    const decoupled = this.spec.name === 'adamw';
    const { lr } = input;
    this.t += 1;
    const correction1 = 1 - beta1 ** this.t;
    const correction2 = 1 - beta2 ** this.t;
    // one pass per parameter where the backend has the kernel (wasm), the same float32 operations otherwise
    const fused = updateKernelRegistered(AdamUpdate);
    const attrs: AdamUpdateAttrs = { lr, beta1, beta2, epsilon, correction1, correction2, decay: weightDecay, decoupled };
    tf.tidy(() => {
      input.groups.forEach((group, l) => {
        group.params.forEach((w, p) => {
          const raw = input.grads[l]![p]!;
          if (fused) {
            const [next, m, v] = runUpdate(AdamUpdate, { w, g: raw, m: this.m.get(l, p), v: this.v.get(l, p) }, attrs);
            this.m.get(l, p).assign(m!);
            this.v.get(l, p).assign(v!);
            w.assign(next!);
            return;
          }
          const g = !decoupled && weightDecay > 0 ? tf.add(raw, tf.mul(w, weightDecay)) : raw;
          const m = this.m.get(l, p);
          const v = this.v.get(l, p);
          const mNext = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
          const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
          m.assign(mNext);
          v.assign(vNext);
          const adaptive = tf.div(tf.div(mNext, correction1), tf.add(tf.sqrt(tf.div(vNext, correction2)), epsilon));
          const update = decoupled && weightDecay > 0 ? tf.add(adaptive, tf.mul(w, weightDecay)) : adaptive;
          w.assign(tf.sub(w, tf.mul(update, lr)));
        });
      });
    });
    const stepSize = (lr * Math.sqrt(correction2)) / correction1;
    return this.groups.map(() => stepSize);
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}
