import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { LarsOptimizer, type LarsSpec } from '../../../main/engine/optimizers/lars';
import {
  disposeGroups,
  expectSameTrace,
  makeGroups,
  norm,
  quadraticGradient,
  runOptimizer,
  runReference,
  twoLayers,
  withBatchNorm,
  zerosLike,
  type LayerDef,
  type Run,
  type Weights,
} from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * You, Gitman & Ginsburg 2017, Algorithm 1, per element: trust = τ‖w‖/(‖g‖ + λ‖w‖ + ε)
 * over the layer's adapted params; v ← μv + η·trust·(g + λw); w ← w − v. Excluded
 * params (bias, batch norm) take v ← μv + η·g. LARC clip: η·min(trust, 1).
 */
function larsReference(defs: LayerDef[], s: LarsSpec) {
  const adapted = defs.map((d) => d.params.map((p) => !s.excludeBiasAndNorm || (d.kind !== 'batchnorm' && p.role === 'weight')));
  let v: Weights | null = null;
  return (w: Weights, g: Weights, lr: number): number[] => {
    v ??= zerosLike(w);
    const buffer = v;
    return w.map((layer, l) => {
      const keep = adapted[l]!;
      const wNorm = norm(layer.filter((_, p) => keep[p]));
      const gNorm = norm(g[l]!.filter((_, p) => keep[p]));
      const trust = wNorm > 0 && gNorm > 0 ? (s.trustCoefficient * wNorm) / (gNorm + s.weightDecay * wNorm + s.epsilon) : 1;
      const local = keep.some((k) => k) ? lr * (s.clip ? Math.min(trust, 1) : trust) : lr;
      layer.forEach((param, p) =>
        param.forEach((wi, i) => {
          const gi = g[l]![p]![i]!;
          const vi = keep[p] ? s.momentum * buffer[l]![p]![i]! + local * (gi + s.weightDecay * wi) : s.momentum * buffer[l]![p]![i]! + lr * gi;
          buffer[l]![p]![i] = vi;
          param[i] = wi - vi;
        }),
      );
      return local;
    });
  };
}

async function compare(defs: LayerDef[], spec: LarsSpec, run: Run) {
  const groups = makeGroups(defs);
  const optimizer = new LarsOptimizer(spec, groups);
  const actual = await runOptimizer(optimizer, groups, run);
  const expected = runReference(defs, run, larsReference(defs, spec));
  expectSameTrace(actual, expected);
  optimizer.dispose();
  disposeGroups(groups);
  return actual;
}

const base: LarsSpec = {
  name: 'lars',
  momentum: 0.9,
  trustCoefficient: 0.5,
  weightDecay: 0.01,
  epsilon: 1e-9,
  excludeBiasAndNorm: true,
  clip: false,
};

describe('lars', () => {
  const run: Run = { steps: 5, lr: (t) => 0.2 + 0.05 * t };

  it('scales the weights by the trust ratio and leaves biases at the global rate (default exclusion)', async () => {
    const trace = await compare(twoLayers, base, run);
    // the layer-wise scaling really happened: the weights' rate is well below the global one
    trace.rates.forEach((rates, t) => rates.forEach((r) => expect(r).toBeLessThan(0.8 * run.lr(t))));
  });

  it('adapts the whole group, bias included, when exclusion is off', async () => {
    await compare(twoLayers, { ...base, excludeBiasAndNorm: false }, run);
  });

  it('leaves a batch-norm group entirely at the global rate', async () => {
    const trace = await compare(withBatchNorm, base, run);
    trace.rates.forEach((rates, t) => expect(rates[2]).toBeCloseTo(run.lr(t), 12));
  });

  it('LARC clip caps the local rate at the global one', async () => {
    // layer 0 gets small gradients (trust > 1, clipped), layer 1 large ones (trust < 1)
    const grad = (w: Weights, t: number) => quadraticGradient(w, t).map((layer, l) => layer.map((param) => param.map((x) => x * (l === 0 ? 0.1 : 3))));
    const clipRun: Run = { steps: 4, lr: () => 0.1, grad };
    const spec: LarsSpec = { ...base, trustCoefficient: 1, weightDecay: 0, clip: true };
    const trace = await compare(twoLayers, spec, clipRun);
    for (const rates of trace.rates) {
      expect(rates[0]).toBe(0.1);
      expect(rates[1]).toBeLessThan(0.1);
    }
    // without the clip the same problem gives layer 0 a rate above the global one
    const unclipped = await compare(twoLayers, { ...spec, clip: false }, clipRun);
    expect(unclipped.rates[0]![0]).toBeGreaterThan(0.1);
  });
});
