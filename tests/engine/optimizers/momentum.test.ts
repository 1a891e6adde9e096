import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, it } from 'vitest';
import { MomentumOptimizer } from '../../../main/engine/optimizers/momentum';
import { disposeGroups, expectSameTrace, makeGroups, runOptimizer, runReference, twoLayers, zerosLike, type Run } from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * PyTorch's SGD: d = g + λw; v ← μv + d; w ← w − η·v, or with Nesterov
 * w ← w − η·(d + μv); written per element with the buffer as a plain array.
 */
function momentumReference(momentum: number, nesterov: boolean, weightDecay: number) {
  let v: number[][][] | null = null;
  return (w: number[][][], g: number[][][], lr: number): number[] => {
    v ??= zerosLike(w);
    const buffer = v;
    w.forEach((layer, l) =>
      layer.forEach((param, p) =>
        param.forEach((wi, i) => {
          const d = g[l]![p]![i]! + weightDecay * wi;
          const vi = momentum * buffer[l]![p]![i]! + d;
          buffer[l]![p]![i] = vi;
          param[i] = wi - lr * (nesterov ? d + momentum * vi : vi);
        }),
      ),
    );
    return w.map(() => lr);
  };
}

describe('momentum', () => {
  const run: Run = { steps: 5, lr: (t) => 0.05 * (1 + t) };
  const cases = [
    { nesterov: false, weightDecay: 0, label: 'heavy ball' },
    { nesterov: true, weightDecay: 0, label: 'Nesterov' },
    { nesterov: false, weightDecay: 0.01, label: 'heavy ball with weight decay' },
    { nesterov: true, weightDecay: 0.01, label: 'Nesterov with weight decay' },
  ];
  for (const c of cases) {
    it(`matches the ${c.label} update over ${run.steps} steps with a changing rate`, async () => {
      const groups = makeGroups(twoLayers);
      const optimizer = new MomentumOptimizer({ name: 'momentum', momentum: 0.9, nesterov: c.nesterov, weightDecay: c.weightDecay }, groups);
      const actual = await runOptimizer(optimizer, groups, run);
      expectSameTrace(actual, runReference(twoLayers, run, momentumReference(0.9, c.nesterov, c.weightDecay)));
      optimizer.dispose();
      disposeGroups(groups);
    });
  }
});
