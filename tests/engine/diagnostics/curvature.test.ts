import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import type { CurvatureEstimator } from '../../../common/spec';
import {
  createCurvatureOracle,
  estimateLayerCurvature,
  hutchinsonDiagonal,
  secantCurvature,
  type LossFn,
} from '../../../main/engine/diagnostics/curvature';
import type { LayerGroup } from '../../../main/engine/models/layer-group';
import type { CurvatureOracle } from '../../../main/engine/optimizers/optimizer';
import {
  LAYER_OFFSETS,
  LAYER_SIZES,
  createTinyMlp,
  initialParams,
  referenceCurvature,
  referenceGradient,
  referenceLoss,
  type TinyMlp,
} from './tiny-mlp';

const ESTIMATORS: CurvatureEstimator[] = ['gradient-difference', 'loss-difference', 'hutchinson', 'all-layers', 'lars-proxy'];
const relative = (estimate: number, exact: number): number => Math.abs(estimate - exact) / Math.abs(exact);
const exact = [referenceCurvature(initialParams, 0), referenceCurvature(initialParams, 1)];

beforeAll(async () => {
  // selectBackend also registers tfjs's gradient functions
  await selectBackend('cpu');
});

const kappaOf = async (...args: Parameters<typeof estimateLayerCurvature>): Promise<number[]> => (await estimateLayerCurvature(...args)).kappa;
const diagonalOf = async (...args: Parameters<typeof hutchinsonDiagonal>): Promise<Float32Array> => (await hutchinsonDiagonal(...args)).diagonal;
const oracleKappa = async (oracle: CurvatureOracle, estimator: CurvatureEstimator): Promise<number[]> => (await oracle.layerCurvature(estimator)).kappa;

/** lossFn wrapped to count its calls: one call is one gradient (or forward) pass */
function counted(lossFn: LossFn): { lossFn: LossFn; calls: () => number } {
  let calls = 0;
  return {
    lossFn: () => {
      calls += 1;
      return lossFn();
    },
    calls: () => calls,
  };
}

function gradsOf(groups: LayerGroup[], lossFn: LossFn): tf.Tensor[][] {
  const { value, grads } = tf.variableGrads(lossFn, groups.flatMap((g) => g.params));
  value.dispose();
  return groups.map((g) => g.params.map((p) => grads[p.name]!));
}

describe('tiny MLP reference', () => {
  it('agrees with the tfjs model on the loss and the gradient', async () => {
    const mlp = createTinyMlp();
    try {
      expect(mlp.lossFn().dataSync()[0]).toBeCloseTo(referenceLoss(initialParams), 6);
      const grads = gradsOf(mlp.groups, mlp.lossFn);
      const flat = grads.flat().flatMap((g) => Array.from(g.dataSync()));
      const reference = referenceGradient(initialParams);
      flat.forEach((v, i) => expect(v).toBeCloseTo(reference[i]!, 6));
      tf.dispose(grads);
    } finally {
      mlp.dispose();
    }
  });

  it('has an analytic gradient that matches central differences of the loss', async () => {
    const g = referenceGradient(initialParams);
    const eps = 1e-6;
    for (let i = 0; i < initialParams.length; i++) {
      const plus = [...initialParams];
      const minus = [...initialParams];
      plus[i]! += eps;
      minus[i]! -= eps;
      expect((referenceLoss(plus) - referenceLoss(minus)) / (2 * eps)).toBeCloseTo(g[i]!, 8);
    }
  });

  it('has curvatures large enough for relative errors to mean something', async () => {
    for (const e of exact) expect(e.kappa).toBeGreaterThan(0.1);
  });
});

describe('per-layer curvature against the exact Hessian of a tiny MLP', () => {
  let mlp: TinyMlp;
  beforeEach(() => {
    mlp = createTinyMlp();
  });
  afterEach(() => mlp.dispose());

  it('gradient-difference is within 5% of ĝᵀH_llĝ', async () => {
    const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'gradient-difference');
    kappa.forEach((k, l) => expect(relative(k, exact[l]!.kappa)).toBeLessThan(0.05));
  });

  it('loss-difference is within 5% of ĝᵀH_llĝ', async () => {
    const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'loss-difference');
    kappa.forEach((k, l) => expect(relative(k, exact[l]!.kappa)).toBeLessThan(0.05));
  });

  it('all-layers is within 5% once the sign draws cancel the cross-layer terms', async () => {
    for (const signDraws of [2, 4]) {
      for (const seed of [1, 2, 3]) {
        const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'all-layers', { signDraws, seed });
        kappa.forEach((k, l) => expect(relative(k, exact[l]!.kappa)).toBeLessThan(0.05));
      }
    }
  });

  it('all-layers with a single draw still carries the cross-layer terms (they are real on this net)', async () => {
    const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'all-layers', { signDraws: 1, seed: 1 });
    expect(kappa.some((k, l) => relative(k, exact[l]!.kappa) > 0.5)).toBe(true);
  });

  it('hutchinson recovers diag(H_ll) within 5% with a full probe design', async () => {
    for (const layer of [0, 1] as const) {
      const diag = await diagonalOf(mlp.groups, layer, mlp.lossFn, { samples: 16, seed: 3 });
      const reference = exact[layer]!.diagonal;
      expect(diag.length).toBe(LAYER_SIZES[layer]);
      const scale = Math.max(...reference.map(Math.abs));
      reference.forEach((d, i) => expect(Math.abs(diag[i]! - d)).toBeLessThan(0.05 * scale));
      const errorNorm = Math.hypot(...reference.map((d, i) => diag[i]! - d));
      expect(errorNorm / Math.hypot(...reference)).toBeLessThan(0.05);
    }
  });

  it("hutchinson's κ is ĝᵀ diag(H_ll) ĝ within 5%", async () => {
    const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'hutchinson', { hutchinsonSamples: 16 });
    kappa.forEach((k, l) => expect(relative(k, exact[l]!.diagonalKappa)).toBeLessThan(0.05));
  });

  it('lars-proxy is ‖g_l‖ / ‖w_l‖', async () => {
    const kappa = await kappaOf(mlp.groups, mlp.lossFn, 'lars-proxy');
    const g = referenceGradient(initialParams);
    kappa.forEach((k, l) => {
      const at = LAYER_OFFSETS[l as 0 | 1];
      const n = LAYER_SIZES[l as 0 | 1];
      const expected = Math.hypot(...g.slice(at, at + n)) / Math.hypot(...initialParams.slice(at, at + n));
      expect(relative(k, expected)).toBeLessThan(1e-5);
    });
  });

  it('uses given gradients as the direction and leaves them alive', async () => {
    const grads = gradsOf(mlp.groups, mlp.lossFn);
    try {
      const withGiven = await kappaOf(mlp.groups, mlp.lossFn, 'gradient-difference', { grads });
      const computed = await kappaOf(mlp.groups, mlp.lossFn, 'gradient-difference');
      withGiven.forEach((k, l) => expect(relative(k, computed[l]!)).toBeLessThan(1e-5));
      expect(grads.flat().every((g) => !g.isDisposed)).toBe(true);
    } finally {
      tf.dispose(grads);
    }
  });

  it('rejects gradients that do not match the layers', async () => {
    const grads = gradsOf(mlp.groups, mlp.lossFn);
    try {
      await expect(kappaOf(mlp.groups, mlp.lossFn, 'gradient-difference', { grads: grads.slice(1) })).rejects.toThrow(/1 layers, the model has 2/);
    } finally {
      tf.dispose(grads);
    }
  });

  it.each(ESTIMATORS)('%s restores the variables bit-exactly and leaks no tensors', async (estimator) => {
    const before = mlp.read();
    const options = { hutchinsonSamples: 2, signDraws: 2 };
    await kappaOf(mlp.groups, mlp.lossFn, estimator, options);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await kappaOf(mlp.groups, mlp.lossFn, estimator, options);
    expect(tf.memory().numTensors).toBe(tensors);
    const after = mlp.read();
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it('restores the variables when the loss throws half-way', async () => {
    const before = mlp.read();
    const tensors = tf.memory().numTensors;
    for (const estimator of ESTIMATORS.filter((e) => e !== 'lars-proxy')) {
      let calls = 0;
      const failing: LossFn = () => {
        calls += 1;
        if (calls === 3) throw new Error('loss failed');
        return mlp.lossFn();
      };
      await expect(kappaOf(mlp.groups, failing, estimator, { hutchinsonSamples: 2 })).rejects.toThrow('loss failed');
      expect(Array.from(mlp.read())).toEqual(Array.from(before));
    }
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('costs the documented number of passes', async () => {
    const L = mlp.groups.length;
    const passes = async (estimator: CurvatureEstimator, options = {}): Promise<number> => {
      const c = counted(mlp.lossFn);
      await kappaOf(mlp.groups, c.lossFn, estimator, options);
      return c.calls();
    };
    // each count includes the one pass for g, which given grads would save, and the
    // forward pass that records the activation pattern (and gives L(w))
    expect(await passes('gradient-difference')).toBe(1 + 1 + 2 * L);
    expect(await passes('loss-difference')).toBe(1 + 1 + 4 * L);
    expect(await passes('all-layers', { signDraws: 2 })).toBe(1 + 1 + 2 * 2);
    expect(await passes('all-layers', { signDraws: 8 })).toBe(1 + 1 + 2 * 2); // only 2 distinct sign patterns for 2 layers
    expect(await passes('hutchinson', { hutchinsonSamples: 3 })).toBe(1 + 1 + 2 * 3 * L);
    expect(await passes('lars-proxy')).toBe(1);
  });
});

describe('curvature oracle', () => {
  let mlp: TinyMlp;
  beforeEach(() => {
    mlp = createTinyMlp();
  });
  afterEach(() => mlp.dispose());

  it('caches within a step and shares Hutchinson diagonals with the hutchinson κ', async () => {
    const c = counted(mlp.lossFn);
    const oracle = createCurvatureOracle(mlp.groups, c.lossFn, { hutchinsonSamples: 16, seed: 3 });
    const first = await oracleKappa(oracle, 'gradient-difference');
    const afterFirst = c.calls();
    expect(await oracleKappa(oracle, 'gradient-difference')).toEqual(first);
    expect(c.calls()).toBe(afterFirst);
    first.forEach((k, l) => expect(relative(k, exact[l]!.kappa)).toBeLessThan(0.05));

    const diag = await oracle.diagonalCurvature(0);
    const afterDiag = c.calls();
    await oracle.diagonalCurvature(0);
    expect(c.calls()).toBe(afterDiag);
    const kappa = await oracleKappa(oracle, 'hutchinson');
    // layer 1's diagonal (2 · 16 passes): layer 0's diagonal, g and the activation pattern are reused
    expect(c.calls()).toBe(afterDiag + 2 * 16);
    kappa.forEach((k, l) => expect(relative(k, exact[l]!.diagonalKappa)).toBeLessThan(0.05));

    const reference = exact[0]!.diagonal;
    reference.forEach((d, i) => expect(diag[i]).toBeCloseTo(Math.abs(d), 3));
    expect(Array.from(diag).every((d) => d >= 0)).toBe(true);
    oracle.dispose();
  });

  it('returns copies, rejects a bad layer and leaks nothing', async () => {
    const tensors = tf.memory().numTensors;
    const before = mlp.read();
    const oracle = createCurvatureOracle(mlp.groups, mlp.lossFn, { hutchinsonSamples: 2 });
    for (const estimator of ESTIMATORS) await oracleKappa(oracle, estimator);
    const kappa = await oracleKappa(oracle, 'lars-proxy');
    kappa[0] = -1;
    expect((await oracleKappa(oracle, 'lars-proxy'))[0]).not.toBe(-1);
    await expect(oracle.diagonalCurvature(2)).rejects.toThrow(RangeError);
    oracle.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Array.from(mlp.read())).toEqual(Array.from(before));
  });
});

/** 0.5 · wᵀ A w over the layers' flattened params: every finite difference is exact up to float32 */
function quadraticModel(sizes: number[], matrix: (i: number, j: number) => number) {
  const n = sizes.reduce((a, b) => a + b, 0);
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.fround(matrix(i, j))));
  const w0 = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(1.7 * i + 0.3)));
  let at = 0;
  const groups: LayerGroup[] = sizes.map((size, l) => {
    const bias = Math.min(2, size - 1);
    const weight = w0.slice(at, at + size - bias);
    const b = w0.slice(at + size - bias, at + size);
    at += size;
    return {
      name: `q${l}`,
      kind: 'dense',
      params: [tf.variable(tf.tensor2d(weight, [1, size - bias])), tf.variable(tf.tensor1d(b))],
      roles: ['weight', 'bias'],
    };
  });
  const matrixTensor = tf.tensor2d(a.flat(), [n, n]);
  const lossFn: LossFn = () =>
    tf.tidy(() => {
      const w = tf.reshape(tf.concat(groups.flatMap((g) => g.params.map((p) => tf.reshape(p, [-1])))), [n, 1]);
      return tf.mul(0.5, tf.sum(tf.mul(w, tf.matMul(matrixTensor, w))));
    });
  const g = a.map((row) => row.reduce((s, v, j) => s + v * w0[j]!, 0));
  let off = 0;
  const kappa = sizes.map((size) => {
    const gl = g.slice(off, off + size);
    const norm = Math.hypot(...gl);
    let k = 0;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) k += (gl[i]! / norm) * a[off + i]![off + j]! * (gl[j]! / norm);
    off += size;
    return k;
  });
  const dispose = (): void => tf.dispose([matrixTensor, ...groups.flatMap((grp) => grp.params)]);
  return { groups, lossFn, kappa, a, dispose };
}

describe('known curvature of quadratic losses', () => {
  it('0.5 Σ a_i w_i²: every estimator gives Σ ĝ_i² a_i and Hutchinson gives a exactly', async () => {
    const diagonal = (i: number): number => 0.5 + i * 0.25;
    const q = quadraticModel([5, 4], (i, j) => (i === j ? diagonal(i) : 0));
    try {
      for (const estimator of ['gradient-difference', 'loss-difference', 'hutchinson', 'all-layers'] as const) {
        const kappa = await kappaOf(q.groups, q.lossFn, estimator, { hutchinsonSamples: 1, signDraws: 1 });
        kappa.forEach((k, l) => expect(relative(k, q.kappa[l]!)).toBeLessThan(estimator === 'loss-difference' ? 1e-2 : 1e-3));
      }
      const diag = await diagonalOf(q.groups, 1, q.lossFn, { samples: 1 });
      Array.from(diag).forEach((d, i) => expect(d).toBeCloseTo(diagonal(5 + i), 3));
    } finally {
      q.dispose();
    }
  });

  it('all-layers cancels cross-layer coupling exactly with a full sign design (3 layers, 4 draws)', async () => {
    const q = quadraticModel([4, 3, 3], (i, j) => (i === j ? 2 + (i % 3) : 0.6 * Math.cos(i * 1.3 + j * 1.3)));
    try {
      for (const seed of [1, 2]) {
        const kappa = await kappaOf(q.groups, q.lossFn, 'all-layers', { signDraws: 4, seed });
        kappa.forEach((k, l) => expect(relative(k, q.kappa[l]!)).toBeLessThan(1e-3));
      }
      const single = await kappaOf(q.groups, q.lossFn, 'all-layers', { signDraws: 1, seed: 1 });
      expect(single.some((k, l) => relative(k, q.kappa[l]!) > 0.1)).toBe(true);
    } finally {
      q.dispose();
    }
  });

  it('secant curvature of 0.5 Σ a_i w_i² is a_i, NaN where the step is ~0', async () => {
    const a = [0.5, 2, 3, 7, 1e-3];
    const w0 = [1, -0.5, 0.25, 2, 1].map(Math.fround);
    const w1 = [0.9, -0.45, 0.3, 1.5, 1].map(Math.fround); // the last weight did not move
    const gradOf = (w: number[]): Float32Array => Float32Array.from(w, (v, i) => a[i]! * v);
    const c = secantCurvature(gradOf(w0), gradOf(w1), w0, w1);
    a.slice(0, 4).forEach((ai, i) => expect(relative(c[i]!, ai)).toBeLessThan(1e-5));
    expect(Number.isNaN(c[4])).toBe(true);
    const tiny = secantCurvature([0], [1], [1], [1 + 1e-9]);
    expect(Number.isNaN(tiny[0])).toBe(true);
    expect(() => secantCurvature([0, 1], [1], [1], [1])).toThrow(/equal lengths/);
  });
});
