/**
 * Plain stochastic gradient descent (Robbins & Monro 1951) with coupled L2
 * weight decay λ on every parameter:  w ← w − η·(g + λ·w).
 * Effective LR reported per layer: η.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '../../../common/spec';
import type { LayerGroup } from '../models/layer-group';
import type { LayerOptimizer, OptimizerStepInput } from './optimizer';
import { assertStepInput } from './step-input';
import { SgdUpdate, runUpdate, updateKernelRegistered, type UpdateAttrs } from '../kernels/update-kernels';

export type SgdSpec = Extract<OptimizerSpec, { name: 'sgd' }>;

export class SgdOptimizer implements LayerOptimizer {
  readonly name = 'sgd';
  readonly needsCurvature = false;

  constructor(
    private readonly spec: SgdSpec,
    private readonly groups: readonly LayerGroup[],
  ) {}

  async apply(input: OptimizerStepInput): Promise<number[]> {
    assertStepInput(this.name, this.groups, input);
    const { lr } = input;
    const weightDecay = this.spec.weightDecay;
    // one pass per parameter where the backend has the kernel (wasm), the same float32 operations otherwise
    const fused = updateKernelRegistered(SgdUpdate);
    tf.tidy(() => {
      input.groups.forEach((group, l) => {
        group.params.forEach((w, p) => {
          const g = input.grads[l]![p]!;
          if (fused) {
            const attrs: UpdateAttrs = { lr, decay: weightDecay };
            w.assign(runUpdate(SgdUpdate, { w, g }, attrs)[0]!);
            return;
          }
          const d = weightDecay > 0 ? tf.add(g, tf.mul(w, weightDecay)) : g;
          w.assign(tf.sub(w, tf.mul(d, lr)));
        });
      });
    });
    return this.groups.map(() => lr);
  }

  dispose(): void {}
}
