/**
 * SGD with momentum: Polyak's heavy ball (1964) and Nesterov momentum in the form
 * of Sutskever et al. (2013) as PyTorch's SGD writes it, with coupled L2 weight
 * decay λ:
 *   d = g + λ·w,   v ← μ·v + d,
 *   heavy ball:  w ← w − η·v
 *   Nesterov:    w ← w − η·(d + μ·v)
 * The buffer accumulates gradients, not steps, so η may change between steps
 * (warmup, decay) without rescaling it. Effective LR reported per layer: η.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { Slots } from './slots';
import { assertStepInput } from './step-input';
import { MomentumUpdate, runUpdate, updateKernelRegistered, type UpdateAttrs } from '../kernels/update-kernels';

export type MomentumSpec = Extract<OptimizerSpec, { name: 'momentum' }>;

export interface MomentumSettings {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * One momentum step on one parameter with rate `lr`; call inside a tf.tidy. In one pass where
 * the backend has MomentumUpdate (wasm), with the same float32 operations otherwise.
 */
export function momentumStep(w: tf.Variable, g: tf.Tensor, buffer: tf.Variable, lr: number, s: MomentumSettings): void {
  if (updateKernelRegistered(MomentumUpdate)) {
    const attrs: UpdateAttrs = { lr, decay: s.weightDecay, momentum: s.momentum, form: s.nesterov ? 'nesterov' : 'heavy-ball' };
    const [next, velocity] = runUpdate(MomentumUpdate, { w, g, v: buffer }, attrs);
    buffer.assign(velocity!);
    w.assign(next!);
    return;
  }
  const d = s.weightDecay > 0 ? tf.add(g, tf.mul(w, s.weightDecay)) : g;
  const v = tf.add(tf.mul(buffer, s.momentum), d);
  buffer.assign(v);
  const direction = s.nesterov ? tf.add(d, tf.mul(v, s.momentum)) : v;
  w.assign(tf.sub(w, tf.mul(direction, lr)));
}

export class MomentumOptimizer implements LayerOptimizer {
  readonly name = 'momentum';
  readonly needsCurvature = false;
  private readonly buffers: Slots;

  constructor(
    private readonly spec: MomentumSpec,
    private readonly groups: readonly LayerGroup[],
  ) {
    this.buffers = new Slots(groups);
  }

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const { lr } = input;
    tf.tidy(() => {
      input.groups.forEach((group, l) => {
        group.params.forEach((w, p) => momentumStep(w, input.grads[l]![p]!, this.buffers.get(l, p), lr, this.spec));
      });
    });
    return this.groups.map(() => lr);
  }

  dispose(): void {
    this.buffers.dispose();
  }
}
