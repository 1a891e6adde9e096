import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamOptimizer } from '../../../main/engine/optimizers/adam';
import { disposeGroups, expectSameTrace, makeGroups, runOptimizer, runReference, twoLayers, zerosLike, type Run } from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface AdamCase {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  decoupled: boolean;
}

/** Kingma & Ba Algorithm 1 (coupled L2), or Loshchilov & Hutter's decoupled decay, per element. */
function adamReference(c: AdamCase) {
  let m: number[][][] | null = null;
  let v: number[][][] | null = null;
  return (w: number[][][], g: number[][][], lr: number, t: number): number[] => {
    m ??= zerosLike(w);
    v ??= zerosLike(w);
    const [mm, vv] = [m, v];
    const n = t + 1;
    w.forEach((layer, l) =>
      layer.forEach((param, p) =>
        param.forEach((wi, i) => {
          const gi = g[l]![p]![i]! + (c.decoupled ? 0 : c.weightDecay * wi);
          const mi = c.beta1 * mm[l]![p]![i]! + (1 - c.beta1) * gi;
          const vi = c.beta2 * vv[l]![p]![i]! + (1 - c.beta2) * gi * gi;
          mm[l]![p]![i] = mi;
          vv[l]![p]![i] = vi;
          const mHat = mi / (1 - c.beta1 ** n);
          const vHat = vi / (1 - c.beta2 ** n);
          param[i] = wi - lr * (mHat / (Math.sqrt(vHat) + c.epsilon) + (c.decoupled ? c.weightDecay * wi : 0));
        }),
      ),
    );
    const stepSize = (lr * Math.sqrt(1 - c.beta2 ** n)) / (1 - c.beta1 ** n);
    return w.map(() => stepSize);
  };
}

describe('adam and adamw', () => {
  const run: Run = { steps: 5, lr: (t) => 0.02 * (1 + 0.5 * t) };
  const cases: (AdamCase & { label: string })[] = [
    { label: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false },
    { label: 'adam with coupled L2', beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.1, decoupled: false },
    { label: 'adamw', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, decoupled: true },
  ];
  for (const c of cases) {
    it(`${c.label} matches the published update and reports η·√(1−β2^t)/(1−β1^t)`, async () => {
      const groups = makeGroups(twoLayers);
      const optimizer = new AdamOptimizer(
        { name: c.decoupled ? 'adamw' : 'adam', beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, weightDecay: c.weightDecay },
        groups,
      );
      const actual = await runOptimizer(optimizer, groups, run);
      expectSameTrace(actual, runReference(twoLayers, run, adamReference(c)));
      expect(actual.rates[0]![0]).toBeCloseTo((0.02 * Math.sqrt(1 - c.beta2)) / (1 - c.beta1), 12);
      optimizer.dispose();
      disposeGroups(groups);
    });
  }
});
