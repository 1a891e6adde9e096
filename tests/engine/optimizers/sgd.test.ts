import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, it } from 'vitest';
import { SgdOptimizer } from '../../../main/engine/optimizers/sgd';
import { disposeGroups, expectSameTrace, makeGroups, runOptimizer, runReference, twoLayers, type Run } from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** w ← w − η(g + λw), element by element */
function sgdReference(weightDecay: number) {
  return (w: number[][][], g: number[][][], lr: number): number[] => {
    w.forEach((layer, l) => layer.forEach((param, p) => param.forEach((wi, i) => (param[i] = wi - lr * (g[l]![p]![i]! + weightDecay * wi)))));
    return w.map(() => lr);
  };
}

describe('sgd', () => {
  const run: Run = { steps: 4, lr: (t) => 0.1 + 0.05 * t };

  for (const weightDecay of [0, 0.05]) {
    it(`matches w ← w − η(g + λw) with λ = ${weightDecay}`, async () => {
      const groups = makeGroups(twoLayers);
      const optimizer = new SgdOptimizer({ name: 'sgd', weightDecay }, groups);
      const actual = await runOptimizer(optimizer, groups, run);
      expectSameTrace(actual, runReference(twoLayers, run, sgdReference(weightDecay)));
      optimizer.dispose();
      disposeGroups(groups);
    });
  }
});
