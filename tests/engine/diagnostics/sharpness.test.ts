/**
 * Sharpness (top Hessian eigenvalue by Lanczos on finite-difference HVPs)
 * against the exact float64 Hessian (exact-curvature.ts) of small ReLU and tanh MLPs,
 * a ReLU CNN (conv, max-pool, dense) and a batch-norm ResNet: the network's λ_max and
 * every layer block's λ_max(H_ll) within 5 %.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../main/engine/backend';
import { estimateSharpness, SharpnessTracker } from '../../../main/engine/diagnostics/sharpness';
import type { LayerGroup } from '../../../main/engine/models/layer-group';
import { createNetwork, exactHessian, fixedValues, NETWORKS, symmetricEigenvalues, type Network, type NetworkSpec } from './exact-curvature';

const relative = (estimate: number, exact: number): number => Math.abs(estimate - exact) / Math.abs(exact);

beforeAll(async () => {
  await selectBackend('cpu');
});

interface Reference {
  network: Network;
  hessian: number[][];
  top: number;
  layerTops: number[];
}

const built: Network[] = [];
afterAll(() => built.forEach((n) => n.dispose()));

/** built once per network: the polarized Hessian is the slow part (seconds for the CNN and the ResNet) */
const references = new Map<string, Reference>();
function reference(spec: NetworkSpec): Reference {
  const cached = references.get(spec.name);
  if (cached) return cached;
  const network = createNetwork(spec);
  built.push(network);
  const hessian = exactHessian(network);
  const sizes = network.model.groups.map((g) => g.params.reduce((n, p) => n + p.size, 0));
  let offset = 0;
  const layerTops = sizes.map((size) => {
    const block = hessian.slice(offset, offset + size).map((row) => row.slice(offset, offset + size));
    offset += size;
    return symmetricEigenvalues(block)[0]!;
  });
  const entry = { network, hessian, top: symmetricEigenvalues(hessian)[0]!, layerTops };
  references.set(spec.name, entry);
  return entry;
}

const worstError = (lambdas: (number | null)[], exact: number[]): number =>
  Math.max(...lambdas.map((lambda, l) => (lambda === null ? 0 : relative(lambda, exact[l]!))));

const TANH_TINY: NetworkSpec = { ...NETWORKS.tinyReluMlp, name: 'tanh MLP 4-6-3, B=16', architecture: { kind: 'mlp', hidden: [6], activation: 'tanh' } };
const RELU_TWO_HIDDEN: NetworkSpec = {
  name: 'ReLU MLP 4-6-5-3, B=32',
  architecture: { kind: 'mlp', hidden: [6, 5], activation: 'relu' },
  inputShape: [4],
  classes: 3,
  batch: 32,
  seed: 11,
};

describe('sharpness against the exact Hessian', () => {
  it.each([NETWORKS.tinyReluMlp, TANH_TINY, RELU_TWO_HIDDEN])('network and per-layer λ_max within 5 %: $name', async (spec) => {
    const ref = reference(spec);
    const before = ref.network.model.groups.flatMap((g) => g.params.map((p) => p.dataSync().slice()));
    // at the defaults a user gets
    const result = await estimateSharpness(ref.network.model.groups, ref.network.lossFn);
    expect(relative(result.network, ref.top)).toBeLessThan(0.05);
    expect(result.layers).toHaveLength(ref.layerTops.length);
    result.layers.forEach((lambda, l) => expect(relative(lambda!, ref.layerTops[l]!), `layer ${l}`).toBeLessThan(0.05));
    // the network's top eigenvalue bounds every block's (Cauchy interlacing)
    expect(Math.max(...ref.layerTops)).toBeLessThanOrEqual(ref.top * (1 + 1e-9));
    // the weights are left bit-exactly as found
    const after = ref.network.model.groups.flatMap((g) => g.params.map((p) => p.dataSync()));
    after.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(before[i]!)));
    if (spec.architecture.kind === 'mlp' && spec.architecture.activation === 'relu') {
      // what freezing the activation pattern buys: the plain differences cross kinks and miss a block by far more
      const crossing = await estimateSharpness(ref.network.model.groups, ref.network.lossFn, { freezeActivations: false, relativeStep: 1e-2 });
      const worst = Math.max(relative(crossing.network, ref.top), ...crossing.layers.map((lambda, l) => relative(lambda!, ref.layerTops[l]!)));
      expect(worst).toBeGreaterThan(0.05);
    }
  });

  describe.each([NETWORKS.tinyReluCnn, NETWORKS.tinyResnet])('$name', (spec) => {
    it('the polarized Hessian reproduces the jets’ dᵀHd along random directions', () => {
      const { network, hessian } = reference(spec);
      const n = hessian.length;
      expect(n).toBe(network.model.groups.reduce((total, g) => total + g.params.reduce((m, p) => m + p.size, 0), 0));
      const weights = network.weights();
      for (let trial = 0; trial < 5; trial++) {
        const d = fixedValues(n, 200 + trial, 1);
        let at = 0;
        const direction = weights.map((params) => params.map((p) => Float64Array.from(d.subarray(at, (at += p.length)))));
        let quadratic = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) quadratic += d[i]! * hessian[i]![j]! * d[j]!;
        expect(relative(quadratic, network.lossJet(weights, direction).dd)).toBeLessThan(1e-9);
      }
    });

    it('network and per-layer λ_max within 5 % at the defaults, with the activation pattern frozen', async () => {
      const ref = reference(spec);
      const groups = ref.network.model.groups;
      const before = groups.flatMap((g) => g.params.map((p) => p.dataSync().slice()));
      const result = await estimateSharpness(groups, ref.network.lossFn);
      expect(relative(result.network, ref.top)).toBeLessThan(0.05);
      expect(result.layers).toHaveLength(groups.length);
      // batch-norm blocks are left out by default; every other block is measured
      groups.forEach((g, l) => {
        const lambda = result.layers[l]!;
        if (g.kind === 'batchnorm') expect(lambda, g.name).toBeNull();
        else expect(relative(lambda, ref.layerTops[l]!), g.name).toBeLessThan(0.05);
      });
      expect(Math.max(...ref.layerTops)).toBeLessThanOrEqual(ref.top * (1 + 1e-9));
      const after = groups.flatMap((g) => g.params.map((p) => p.dataSync()));
      after.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(before[i]!)));
      // without the pattern the differences cross ReLU kinks (and max-pool switches): a block is far off
      const crossing = await estimateSharpness(groups, ref.network.lossFn, { freezeActivations: false, relativeStep: 1e-2 });
      expect(Math.max(relative(crossing.network, ref.top), worstError(crossing.layers, ref.layerTops))).toBeGreaterThan(0.05);
    });
  });

  it('measures batch-norm blocks within 5 % too when asked to, at a tight tolerance', async () => {
    // at the default tolerance (3e-2) the s1b1_bn_b block stops at its second eigenvalue (−17 %):
    // the random start has weight 0.02 on the top eigenvector, and the residual only bounds the
    // distance to the nearest eigenvalue (docs/methods.md, Sharpness)
    const ref = reference(NETWORKS.tinyResnet);
    const groups = ref.network.model.groups;
    const result = await estimateSharpness(groups, ref.network.lossFn, { skipBatchNorm: false, tolerance: 1e-3 });
    expect(groups.filter((g) => g.kind === 'batchnorm')).toHaveLength(3);
    expect(result.layers.every((lambda) => lambda !== null)).toBe(true);
    expect(worstError(result.layers, ref.layerTops)).toBeLessThan(0.05);
  });

  it('a warm start converges in fewer iterations to the same values, and frees its tensors', async () => {
    const ref = reference(NETWORKS.tinyReluMlp);
    const tensorsBefore = tf.memory().numTensors;
    const tracker = new SharpnessTracker({ iterations: 100 });
    const cold = await tracker.measure(ref.network.model.groups, ref.network.lossFn);
    const warm = await tracker.measure(ref.network.model.groups, ref.network.lossFn);
    expect(warm.iterations).toBeLessThan(cold.iterations);
    expect(relative(warm.network, ref.top)).toBeLessThan(0.05);
    tracker.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('finds the top eigenvalue when the dominant one is negative', async () => {
    // L(w) = ½ wᵀ A w with eigenvalues −5, 2, 0.5 in a rotated basis: top is 2, not −5
    const c = Math.cos(0.6);
    const s = Math.sin(0.6);
    const q = [
      [c, -s, 0],
      [s, c, 0],
      [0, 0, 1],
    ];
    const eig = [-5, 2, 0.5];
    const a = q.map((_, i) => q.map((__, j) => eig.reduce((sum, e, k) => sum + q[i]![k]! * e * q[j]![k]!, 0)));
    const w = tf.variable(tf.tensor1d([0.3, -0.2, 0.1]));
    const groups: LayerGroup[] = [{ name: 'quadratic', kind: 'dense', params: [w], roles: ['weight'] }];
    const matrix = tf.tensor2d(a);
    const lossFn = (): tf.Scalar => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(w, tf.squeeze(tf.matMul(matrix, tf.reshape(w, [3, 1]))))))) as tf.Scalar;
    const result = await estimateSharpness(groups, lossFn, { iterations: 200, tolerance: 1e-7 });
    expect(result.network).toBeCloseTo(2, 3);
    expect(result.layers[0]).toBeCloseTo(2, 3);
    tf.dispose([w, matrix]);
  });

  it('finds the top of a cluster of close eigenvalues in 20 products, where power iteration would need hundreds', async () => {
    // L(w) = ½ wᵀ A w, A = Q diag(10, 9.8, 9.6, …, 2.2) Qᵀ with Q a random rotation: the top gap is 2 %,
    // so power iteration's error shrinks by only (9.8/10)² per product
    const n = 40;
    const eig = Array.from({ length: n }, (_, i) => 10 - 0.2 * i);
    const rng = (() => {
      let x = 12345;
      return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    })();
    // Gram–Schmidt on random columns: an orthonormal Q
    const q: number[][] = [];
    for (let k = 0; k < n; k++) {
      let col = Array.from({ length: n }, rng);
      for (const prev of q) {
        const d = col.reduce((s, c, i) => s + c * prev[i]!, 0);
        col = col.map((c, i) => c - d * prev[i]!);
      }
      const norm = Math.hypot(...col);
      q.push(col.map((c) => c / norm));
    }
    const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => eig.reduce((sum, e, k) => sum + q[k]![i]! * e * q[k]![j]!, 0)));
    const w = tf.variable(tf.tensor1d(Array.from({ length: n }, rng)));
    const groups: LayerGroup[] = [{ name: 'quadratic', kind: 'dense', params: [w], roles: ['weight'] }];
    const matrix = tf.tensor2d(a);
    const lossFn = (): tf.Scalar => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(w, tf.squeeze(tf.matMul(matrix, tf.reshape(w, [n, 1]))))))) as tf.Scalar;
    const result = await estimateSharpness(groups, lossFn, { iterations: 20, perLayer: false });
    expect(result.iterations).toBeLessThanOrEqual(20);
    expect(relative(result.network, 10)).toBeLessThan(0.01);
    tf.dispose([w, matrix]);
  });

  it('leaves batch-norm blocks out by default (each block costs as many passes as the network)', async () => {
    const network = createNetwork(NETWORKS.resnet);
    built.push(network);
    const groups = network.model.groups;
    const result = await estimateSharpness(groups, network.lossFn, { iterations: 3 });
    expect(groups.some((g) => g.kind === 'batchnorm')).toBe(true);
    groups.forEach((g, l) => expect(result.layers[l] === null, g.name).toBe(g.kind === 'batchnorm'));
    expect(Number.isFinite(result.network)).toBe(true);
  });

  it('refuses bad settings with the setting named', async () => {
    const ref = reference(NETWORKS.tinyReluMlp);
    await expect(estimateSharpness(ref.network.model.groups, ref.network.lossFn, { iterations: 0 })).rejects.toThrow(/sharpness iterations/);
    await expect(estimateSharpness(ref.network.model.groups, ref.network.lossFn, { relativeStep: -1 })).rejects.toThrow(/sharpness relativeStep/);
  });
});
