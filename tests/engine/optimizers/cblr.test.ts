import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCblr, type CblrSpec } from '../../../main/engine/optimizers/cblr';
import { LarsOptimizer } from '../../../main/engine/optimizers/lars';
import type { CurvatureOracle } from '../../../main/engine/optimizers/optimizer';
import { referenceMomentum, referenceRatios } from './curvature-reference';
import {
  disposeGroups,
  expectClose,
  expectSameTrace,
  makeGroups,
  norm,
  readWeights,
  runOptimizer,
  runReference,
  twoLayers,
  type Run,
  type Weights,
} from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Returns the i-th curvature list on its i-th call (the last one after that) and counts calls. */
function fixedOracle(sequence: number[][]) {
  const calls: string[] = [];
  const oracle: CurvatureOracle = {
    layerCurvature(estimator) {
      calls.push(estimator);
      const kappa = [...sequence[Math.min(calls.length - 1, sequence.length - 1)]!];
      return Promise.resolve({ kappa, error: kappa.map(() => 0) });
    },
    diagonalCurvature() {
      throw new Error('cblr must not ask for the diagonal');
    },
  };
  return { oracle, calls };
}

/** CBLR by the paper's formula: κ refreshed when t % K == 0, η_l = η·ratio_l, then SGD-momentum. */
function cblrReference(spec: CblrSpec, sequence: number[][]) {
  const momentum = referenceMomentum(spec);
  let measured = 0;
  let ratios: number[] = [];
  return (w: Weights, g: Weights, lr: number, t: number): number[] => {
    if (t % spec.refreshEvery === 0) ratios = referenceRatios(sequence[Math.min(measured++, sequence.length - 1)]!, spec);
    const rates = ratios.map((r) => lr * r);
    momentum(w, g, rates);
    return rates;
  };
}

const base: CblrSpec = {
  name: 'cblr',
  curvature: 'gradient-difference',
  mode: 'absolute',
  refreshEvery: 1,
  kappaMin: 1e-6,
  ratioMin: 1e-3,
  ratioMax: 1e3,
  momentum: 0.9,
  weightDecay: 0.01,
};

async function compare(spec: CblrSpec, sequence: number[][], run: Run) {
  const groups = makeGroups(twoLayers);
  const optimizer = createCblr(spec, groups);
  const { oracle, calls } = fixedOracle(sequence);
  const actual = await runOptimizer(optimizer, groups, { ...run, oracle: () => oracle });
  expectSameTrace(actual, runReference(twoLayers, run, cblrReference(spec, sequence)));
  const last = optimizer.lastCurvature?.();
  optimizer.dispose();
  disposeGroups(groups);
  return { actual, calls, last };
}

describe('cblr', () => {
  const run: Run = { steps: 5, lr: (t) => 0.1 * (1 + 0.25 * t) };
  const sequence = [
    [0.5, 2],
    [0.8, 1.6],
    [1.2, 0.9],
    [2.5, 0.4],
    [1, 1],
  ];

  it('absolute mode: η_l = η/κ_l, with momentum and weight decay', async () => {
    const { actual, calls, last } = await compare(base, sequence, run);
    expect(calls).toEqual(Array(5).fill('gradient-difference'));
    expectClose(actual.rates[0]!, [0.1 / 0.5, 0.1 / 2], 1e-12, 'rates at step 0');
    expect(last).toEqual([1, 1]);
  });

  it('relative mode: η_l = η·(geometric mean of κ)/κ_l', async () => {
    const { actual } = await compare({ ...base, mode: 'relative', curvature: 'hutchinson' }, sequence, run);
    expectClose(actual.rates[0]!, [0.1 * (1 / 0.5), 0.1 * (1 / 2)], 1e-12, 'rates at step 0');
    expectClose(actual.rates[1]!, [0.125 * (Math.sqrt(0.8 * 1.6) / 0.8), 0.125 * (Math.sqrt(0.8 * 1.6) / 1.6)], 1e-12, 'rates at step 1');
  });

  it('clips the ratio to [ratioMin, ratioMax], floors κ at κ_min and takes a negative κ by its size', async () => {
    const spec: CblrSpec = { ...base, ratioMin: 0.5, ratioMax: 2, momentum: 0 };
    const { actual } = await compare(spec, [[0.1, 10], [-3, 1e-9]], { steps: 3, lr: () => 0.05 });
    expectClose(actual.rates[0]!, [0.05 * 2, 0.05 * 0.5], 1e-12, 'rates at step 0');
    // κ = −3 counts as 3 (ratio 1/3, clipped to 0.5); a tiny κ floors at κ_min and hits ratioMax
    expectClose(actual.rates[1]!, [0.05 * 0.5, 0.05 * 2], 1e-12, 'rates at step 1');
  });

  it(`asks the oracle only every refreshEvery steps and keeps κ in between`, async () => {
    const spec: CblrSpec = { ...base, refreshEvery: 3, mode: 'relative' };
    const { actual, calls, last } = await compare(spec, sequence, { steps: 7, lr: (t) => 0.05 + 0.01 * t });
    expect(calls).toHaveLength(3); // steps 0, 3, 6
    expect(last).toEqual(sequence[2]);
    expect(actual.rates[1]![0]! / actual.rates[0]![0]!).toBeCloseTo(0.06 / 0.05, 12);
  });

  it('says which step needed an oracle when none is given', async () => {
    const groups = makeGroups(twoLayers);
    const optimizer = createCblr(base, groups);
    const grads = groups.map((g) => g.params.map((p) => tf.onesLike(p)));
    await expect(optimizer.apply({ groups, grads, lr: 0.1, step: 0 })).rejects.toThrow(/step 0 .*no curvature oracle/);
    tf.dispose(grads);
    optimizer.dispose();
    disposeGroups(groups);
  });

  it("with the lars-proxy curvature ‖g‖/‖w‖ in absolute mode gives LARS's rate η·‖w‖/‖g‖", async () => {
    // Gao & Zhong: LARS is CBLR with κ_l ≈ ‖g_l‖/‖w_l‖ (trust coefficient η, no weight decay, eps 0)
    const eta = 0.3;
    const cblrGroups = makeGroups(twoLayers);
    const larsGroups = makeGroups(twoLayers);
    const cblr = createCblr(
      { ...base, curvature: 'lars-proxy', ratioMin: 1e-30, ratioMax: 1e30, kappaMin: 1e-30, momentum: 0, weightDecay: 0 },
      cblrGroups,
    );
    const lars = new LarsOptimizer(
      { name: 'lars', momentum: 0, trustCoefficient: eta, weightDecay: 0, epsilon: 0, excludeBiasAndNorm: false, clip: false },
      larsGroups,
    );
    const proxy = (w: Weights, g: Weights): CurvatureOracle => ({
      layerCurvature: (estimator) => {
        expect(estimator).toBe('lars-proxy');
        const kappa = w.map((layer, l) => norm(g[l]!) / norm(layer));
        return Promise.resolve({ kappa, error: kappa.map(() => Number.NaN) });
      },
      diagonalCurvature: () => {
        throw new Error('unused');
      },
    });
    const expectedRates: number[][] = [];
    const cblrTrace = await runOptimizer(cblr, cblrGroups, {
      steps: 4,
      lr: () => eta,
      oracle: (w, g) => {
        expectedRates.push(w.map((layer, l) => (eta * norm(layer)) / norm(g[l]!)));
        return proxy(w, g);
      },
    });
    const larsTrace = await runOptimizer(lars, larsGroups, { steps: 4, lr: () => 1 });
    cblrTrace.rates.forEach((rates, t) => {
      expectClose(rates, expectedRates[t]!, 1e-6, `cblr rates at step ${t}`);
      expectClose(larsTrace.rates[t]!, expectedRates[t]!, 1e-6, `lars rates at step ${t}`);
    });
    readWeights(cblrGroups).forEach((layer, l) =>
      layer.forEach((param, p) => expectClose(param, readWeights(larsGroups)[l]![p]!, 1e-6, `weights of layer ${l} param ${p}`)),
    );
    cblr.dispose();
    lars.dispose();
    disposeGroups(cblrGroups);
    disposeGroups(larsGroups);
  });
});
