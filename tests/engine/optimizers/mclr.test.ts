import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMclr, type MclrSpec } from '../../../main/engine/optimizers/mclr';
import type { CurvatureOracle } from '../../../main/engine/optimizers/optimizer';
import { referenceMedianAbs, referenceMomentum, referenceRatios } from './curvature-reference';
import {
  disposeGroups,
  expectClose,
  expectSameTrace,
  makeGroups,
  quadraticGradient,
  runOptimizer,
  runReference,
  twoLayers,
  type Run,
  type Weights,
} from './tiny-problem';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base: MclrSpec = {
  name: 'mclr',
  elementCurvature: 'secant',
  mode: 'absolute',
  refreshEvery: 1,
  kappaMin: 1e-6,
  ratioMin: 1e-3,
  ratioMax: 1e3,
  momentum: 0.5,
  weightDecay: 0,
};

/**
 * MCLR by the definition: at refresh steps κ_l = median |Δg_i/Δw_i| over the layer's
 * entries that moved (secant), or median |diag_i| (Hutchinson). Without a previous
 * step the secant falls back (diag if given, else unknown → ratio 1) and measures
 * again on the next step.
 */
function mclrReference(spec: MclrSpec, diagonal?: (l: number) => number[]) {
  const momentum = referenceMomentum(spec);
  let previous: { w: Weights; g: Weights } | null = null;
  let ratios: number[] = [];
  let measuredOnce = false;
  let again = false;
  const kappas: number[][] = [];
  const step = (w: Weights, g: Weights, lr: number, t: number): number[] => {
    if (!measuredOnce || again || t % spec.refreshEvery === 0) {
      let k: number[];
      if (spec.elementCurvature === 'hutchinson') {
        k = w.map((_, l) => referenceMedianAbs(diagonal!(l)));
        again = false;
      } else if (previous) {
        const prev = previous;
        k = w.map((layer, l) => {
          const secants: number[] = [];
          layer.forEach((param, p) =>
            param.forEach((wi, i) => {
              const dw = wi - prev.w[l]![p]![i]!;
              const dg = g[l]![p]![i]! - prev.g[l]![p]![i]!;
              // entries whose gradient did not change carry no curvature information
              if (Math.abs(dw) > 1e-6 * Math.max(Math.abs(wi), 1e-6) && dg !== 0) secants.push(dg / dw);
            }),
          );
          return referenceMedianAbs(secants);
        });
        again = false;
      } else {
        k = diagonal ? w.map((_, l) => referenceMedianAbs(diagonal(l))) : w.map(() => Number.NaN);
        again = true;
      }
      measuredOnce = true;
      kappas.push(k);
      ratios = referenceRatios(k, spec);
    }
    previous = { w: w.map((layer) => layer.map((param) => [...param])), g };
    const rates = ratios.map((r) => lr * r);
    momentum(w, g, rates);
    return rates;
  };
  return { step, kappas };
}

/** diagonal curvature of the test quadratic, with zeros (never move) and negative entries; 8 and 7 moving entries */
const a: Weights = [
  [
    [2.0, -1.5, 0.5, 3.0, 0, 1.0],
    [0.8, -2.5, 1.2],
  ],
  [
    [1.1, 0.6, -0.9, 1.7, 2.2, 0],
    [1.3, -0.7],
  ],
];
const quadratic = (w: Weights): Weights => w.map((layer, l) => layer.map((param, p) => param.map((wi, i) => a[l]![p]![i]! * wi)));

function diagonalOracle(diagonals: number[][]) {
  const calls: number[] = [];
  const oracle: CurvatureOracle = {
    layerCurvature() {
      throw new Error('mclr must not ask for layer curvature');
    },
    diagonalCurvature(layer) {
      calls.push(layer);
      return Promise.resolve(Float32Array.from(diagonals[layer]!));
    },
  };
  return { oracle, calls };
}

describe('mclr', () => {
  it('secant: on a quadratic the median of |Δg/Δw| is the median of the true |curvature|', async () => {
    const run: Run = { steps: 4, lr: (t) => 0.3 + 0.05 * t, grad: quadratic };
    const groups = makeGroups(twoLayers);
    const optimizer = createMclr(base, groups);
    const seen: (number[] | null)[] = [];
    const trace = await runOptimizer(optimizer, groups, {
      ...run,
      oracle: () => {
        seen.push(optimizer.lastCurvature?.() ?? null);
        return undefined;
      },
    });
    seen.push(optimizer.lastCurvature?.() ?? null);
    const reference = mclrReference(base);
    expectSameTrace(trace, runReference(twoLayers, run, reference.step));
    // elements with a = 0 never move and are and is left out of the median
    const truth = a.map((layer) => referenceMedianAbs(layer.flat().filter((x) => x !== 0)));
    expect(truth).toEqual([1.35, 1.1]);
    expect(seen[1]!.every(Number.isNaN)).toBe(true); // step 0 had no history
    for (const k of seen.slice(2)) expectClose(k!, truth, 1e-4 * 1.35, 'κ from the secant');
    // step 0 ran at the global rate; later steps at η/κ_l
    expectClose(trace.rates[0]!, [0.3, 0.3], 1e-12, 'rates at step 0');
    expectClose(trace.rates[1]!, truth.map((k) => 0.35 / k), 1e-4, 'rates at step 1');
    optimizer.dispose();
    disposeGroups(groups);
  });

  it('secant: entries that move (weight decay) but whose gradient never changes (dead units) stay out of the median', async () => {
    const spec: MclrSpec = { ...base, weightDecay: 0.1 };
    const run: Run = { steps: 4, lr: (t) => 0.3 + 0.05 * t, grad: quadratic };
    const groups = makeGroups(twoLayers);
    const optimizer = createMclr(spec, groups);
    const seen: (number[] | null)[] = [];
    await runOptimizer(optimizer, groups, {
      ...run,
      oracle: () => {
        seen.push(optimizer.lastCurvature?.() ?? null);
        return undefined;
      },
    });
    seen.push(optimizer.lastCurvature?.() ?? null);
    // the a = 0 entries decay (they move) with a constant zero gradient: as zeros they would halve the median
    const truth = a.map((layer) => referenceMedianAbs(layer.flat().filter((x) => x !== 0)));
    for (const k of seen.slice(2)) expectClose(k!, truth, 1e-3, 'κ without the dead entries');
    optimizer.dispose();
    disposeGroups(groups);
  });

  it('secant with refresh every 3 steps, relative mode, momentum and weight decay', async () => {
    const spec: MclrSpec = { ...base, refreshEvery: 3, mode: 'relative', momentum: 0.9, weightDecay: 0.01 };
    const run: Run = { steps: 7, lr: (t) => 0.1 + 0.02 * t, grad: quadraticGradient };
    const groups = makeGroups(twoLayers);
    const optimizer = createMclr(spec, groups);
    const reference = mclrReference(spec);
    expectSameTrace(await runOptimizer(optimizer, groups, run), runReference(twoLayers, run, reference.step));
    expect(reference.kappas).toHaveLength(4); // steps 0 (no history), 1 (first secant), 3, 6
    expect(optimizer.lastCurvature?.()).not.toBeNull();
    expectClose(optimizer.lastCurvature!()!, reference.kappas[3]!, 1e-3, 'last κ');
    optimizer.dispose();
    disposeGroups(groups);
  });

  it("secant falls back to the oracle's Hutchinson diagonal before it has history", async () => {
    const diagonals = [
      [0.5, -1, 2, 4, 0.1, 3, 1, 1, 2],
      [2, 2, -3, 0.5, 1, 6, 0.2, 0.7],
    ];
    const spec: MclrSpec = { ...base, mode: 'relative', refreshEvery: 2 };
    const run: Run = { steps: 5, lr: () => 0.2 };
    const groups = makeGroups(twoLayers);
    const optimizer = createMclr(spec, groups);
    const { oracle, calls } = diagonalOracle(diagonals);
    const trace = await runOptimizer(optimizer, groups, { ...run, oracle: () => oracle });
    expect(calls).toEqual([0, 1]); // step 0 only; the secant takes over from step 1
    const reference = mclrReference(spec, (l) => diagonals[l]!);
    expectSameTrace(trace, runReference(twoLayers, run, reference.step));
    optimizer.dispose();
    disposeGroups(groups);
  });

  it('hutchinson: median |diag| per layer, oracle asked only every refreshEvery steps', async () => {
    const diagonals = [
      [0.5, -1, 2, 4, 0.1, 3, 1, 1, 2],
      [2, 2, -3, 0.5, 1, 6, 0.2, 0.7],
    ];
    const spec: MclrSpec = { ...base, elementCurvature: 'hutchinson', refreshEvery: 2, mode: 'relative', momentum: 0.9, weightDecay: 0.01 };
    const run: Run = { steps: 5, lr: (t) => 0.1 * (1 + t) };
    const groups = makeGroups(twoLayers);
    const optimizer = createMclr(spec, groups);
    const { oracle, calls } = diagonalOracle(diagonals);
    const trace = await runOptimizer(optimizer, groups, { ...run, oracle: () => oracle });
    expect(calls).toEqual([0, 1, 0, 1, 0, 1]); // steps 0, 2, 4
    expect(optimizer.lastCurvature?.()).toEqual([1, 1.5]); // odd and even counts
    expectSameTrace(trace, runReference(twoLayers, run, mclrReference(spec, (l) => diagonals[l]!).step));
    optimizer.dispose();
    disposeGroups(groups);
  });
});
