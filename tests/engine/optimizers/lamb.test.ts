import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambOptimizer, type LambSpec } from '../../../main/engine/optimizers/lamb';
import {
  disposeGroups,
  expectSameTrace,
  makeGroups,
  norm,
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
 * You et al. 2019, Algorithm 2, per element: bias-corrected Adam moments,
 * r = m̂/(√v̂ + ε), u = r + λw, ratio = min(‖w‖/‖u‖, clip) over the adapted
 * params, w ← w − η·ratio·u; excluded params: w ← w − η·r.
 */
function lambReference(defs: LayerDef[], s: LambSpec) {
  const adapted = defs.map((d) => d.params.map((p) => !s.excludeBiasAndNorm || (d.kind !== 'batchnorm' && p.role === 'weight')));
  let m: Weights | null = null;
  let v: Weights | null = null;
  return (w: Weights, g: Weights, lr: number, t: number): number[] => {
    m ??= zerosLike(w);
    v ??= zerosLike(w);
    const [mm, vv] = [m, v];
    const n = t + 1;
    return w.map((layer, l) => {
      const keep = adapted[l]!;
      const u = layer.map((param, p) =>
        param.map((wi, i) => {
          const gi = g[l]![p]![i]!;
          const mi = s.beta1 * mm[l]![p]![i]! + (1 - s.beta1) * gi;
          const vi = s.beta2 * vv[l]![p]![i]! + (1 - s.beta2) * gi * gi;
          mm[l]![p]![i] = mi;
          vv[l]![p]![i] = vi;
          const r = mi / (1 - s.beta1 ** n) / (Math.sqrt(vi / (1 - s.beta2 ** n)) + s.epsilon);
          return keep[p] ? r + s.weightDecay * wi : r;
        }),
      );
      const wNorm = norm(layer.filter((_, p) => keep[p]));
      const uNorm = norm(u.filter((_, p) => keep[p]));
      let ratio = wNorm > 0 && uNorm > 0 ? wNorm / uNorm : 1;
      if (s.trustClip > 0) ratio = Math.min(ratio, s.trustClip);
      const rate = keep.some((k) => k) ? lr * ratio : lr;
      layer.forEach((param, p) => param.forEach((wi, i) => (param[i] = wi - (keep[p] ? rate : lr) * u[p]![i]!)));
      return rate;
    });
  };
}

async function compare(defs: LayerDef[], spec: LambSpec, run: Run) {
  const groups = makeGroups(defs);
  const optimizer = new LambOptimizer(spec, groups);
  const actual = await runOptimizer(optimizer, groups, run);
  expectSameTrace(actual, runReference(defs, run, lambReference(defs, spec)));
  optimizer.dispose();
  disposeGroups(groups);
  return actual;
}

const base: LambSpec = {
  name: 'lamb',
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-6,
  weightDecay: 0.01,
  excludeBiasAndNorm: true,
  trustClip: 10,
};

describe('lamb', () => {
  const run: Run = { steps: 5, lr: (t) => 0.02 * (1 + t) };

  it('matches Algorithm 2 with bias and batch-norm params excluded (ratio 1, no decay)', async () => {
    const trace = await compare(withBatchNorm, base, run);
    trace.rates.forEach((rates, t) => expect(rates[2]).toBeCloseTo(run.lr(t), 12));
  });

  it('uses the whole group when exclusion is off', async () => {
    await compare(twoLayers, { ...base, excludeBiasAndNorm: false, weightDecay: 0.1 }, run);
  });

  it('caps the trust ratio at trustClip', async () => {
    const trace = await compare(twoLayers, { ...base, trustClip: 0.3 }, run);
    // ‖w‖/‖u‖ is about 0.5 for both layers here, so the cap binds
    trace.rates.forEach((rates, t) => rates.forEach((r) => expect(r).toBeCloseTo(run.lr(t) * 0.3, 12)));
    const open = await compare(twoLayers, { ...base, trustClip: 0 }, run);
    expect(open.rates[0]![0]).toBeGreaterThan(run.lr(0) * 0.3);
  });
});
