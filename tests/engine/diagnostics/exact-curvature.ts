/**
 * Test fixture: the project's own models (buildMlp, buildCnn, buildResnet) on a fixed
 * batch, with an exact float64 reference for κ_l = ĝ_lᵀ H_ll ĝ_l from jets.ts. The
 * reference copies the model's weights out and runs its own forward pass in float64;
 * it shares nothing with the estimators but ĝ_l, the tfjs (float32) gradient, which
 * only picks the direction (its rounding moves κ_l by ~1e-7 relative).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossFn } from '../../../main/engine/diagnostics/perturbation';
import { buildCnn, type ConvBlock } from '../../../main/engine/models/cnn';
import { buildMlp } from '../../../main/engine/models/mlp';
import type { Model } from '../../../main/engine/models/model';
import { buildResnet } from '../../../main/engine/models/resnet';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';
import * as J from './jets';
import { symmetricEigen } from '../../../main/engine/diagnostics/small-symmetric-eigen';

export type Architecture =
  | { kind: 'mlp'; hidden: number[]; activation: 'relu' | 'tanh' }
  | { kind: 'cnn'; conv: ConvBlock[]; dense: number[]; activation: 'relu' | 'tanh' }
  | { kind: 'resnet'; stages: number[]; width: number };

export interface NetworkSpec {
  name: string;
  architecture: Architecture;
  inputShape: number[];
  classes: number;
  batch: number;
  seed: number;
}

export interface Network {
  spec: NetworkSpec;
  model: Model;
  /** mean cross-entropy of the batch; passes the estimators' frozen pattern to the model */
  lossFn: LossFn;
  labels: number[];
  /** the current weights, float64, per group and param */
  weights(): Float64Array[][];
  /** float64 loss jet along the line w + t·direction (direction[l][p], null: off the line) */
  lossJet(weights: Float64Array[][], direction: (Float64Array | null)[][]): { v: number; d: number; dd: number };
  /** tfjs gradient at the current weights, float64, per group and param */
  gradient(): Float64Array[][];
  dispose(): void;
}

/** deterministic values in [-scale, scale] (a linear congruential generator) */
export function fixedValues(count: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return ((state / 4294967296) * 2 - 1) * scale;
  });
}

const BN_EPSILON = 1e-5;

function buildModel(spec: NetworkSpec): Model {
  const a = spec.architecture;
  switch (a.kind) {
    case 'mlp':
      return buildMlp({ inputShape: spec.inputShape, numClasses: spec.classes, hidden: a.hidden, activation: a.activation, seed: spec.seed });
    case 'cnn':
      return buildCnn({ inputShape: spec.inputShape, numClasses: spec.classes, conv: a.conv, dense: a.dense, activation: a.activation, seed: spec.seed });
    case 'resnet':
      return buildResnet({ inputShape: spec.inputShape, numClasses: spec.classes, stages: a.stages, width: a.width, seed: spec.seed });
  }
}

function activate(x: J.Jet, activation: 'relu' | 'tanh'): J.Jet {
  return activation === 'relu' ? J.relu(x) : J.tanh(x);
}

/** The model's forward pass in float64 jets, following its group order. */
function forward(spec: NetworkSpec, model: Model, input: J.Jet, params: J.Jet[][]): J.Jet {
  const a = spec.architecture;
  const byName = new Map(model.groups.map((g, l) => [g.name, params[l]!]));
  const group = (name: string): J.Jet[] => {
    const found = byName.get(name);
    if (!found) throw new Error(`reference: the model has no group ${name}`);
    return found;
  };
  if (a.kind === 'mlp') {
    let h: J.Jet = { ...input, shape: [spec.batch, J.sizeOf(spec.inputShape)] };
    params.forEach(([w, b], i) => {
      h = J.dense(h, w!, b!);
      if (i + 1 < params.length) h = activate(h, a.activation);
    });
    return h;
  }
  if (a.kind === 'cnn') {
    let t: J.Jet = { ...input, shape: [spec.batch, ...spec.inputShape] };
    a.conv.forEach((block, i) => {
      const [kernel, bias] = group(`conv_${i + 1}`);
      const z = J.conv2d(t, kernel!, block.stride, block.padding);
      t = activate(J.sum(z, J.broadcastLast(bias!, z.shape)), a.activation);
      if (block.pool > 1) t = J.maxPool(t, block.pool);
    });
    let d: J.Jet = { ...t, shape: [spec.batch, J.sizeOf(t.shape) / spec.batch] };
    const denses = params.slice(a.conv.length);
    denses.forEach(([w, b], i) => {
      d = J.dense(d, w!, b!);
      if (i + 1 < denses.length) d = activate(d, a.activation);
    });
    return d;
  }
  const conv = (name: string, x: J.Jet, stride: number): J.Jet => J.conv2d(x, group(name)[0]!, stride, 'same');
  const bn = (name: string, x: J.Jet): J.Jet => {
    const [gamma, beta] = group(name);
    return J.batchNorm(x, gamma!, beta!, BN_EPSILON);
  };
  let t: J.Jet = { ...input, shape: [spec.batch, ...spec.inputShape] };
  t = J.relu(bn('stem_bn', conv('stem_conv', t, 1)));
  let cin = a.width;
  a.stages.forEach((count, s) => {
    const cout = a.width * 2 ** s;
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const id = `s${s + 1}b${b + 1}`;
      const x = t;
      const h = J.relu(bn(`${id}_bn_a`, conv(`${id}_conv_a`, x, stride)));
      const y = bn(`${id}_bn_b`, conv(`${id}_conv_b`, h, 1));
      const shortcut = stride !== 1 || cin !== cout ? bn(`${id}_shortcut_bn`, conv(`${id}_shortcut_conv`, x, stride)) : x;
      t = J.relu(J.sum(y, shortcut));
      cin = cout;
    }
  });
  const [w, b] = group('output');
  return J.dense(J.spatialMean(t), w!, b!);
}

export function createNetwork(spec: NetworkSpec): Network {
  const model = buildModel(spec);
  const inputSize = J.sizeOf(spec.inputShape);
  const inputs = fixedValues(spec.batch * inputSize, spec.seed * 31 + 7, 1.5);
  const labels = Array.from(fixedValues(spec.batch, spec.seed * 17 + 3, 1), (v) => Math.min(Math.floor(((v + 1) / 2) * spec.classes), spec.classes - 1));
  const x = tf.tensor(inputs, [spec.batch, ...spec.inputShape]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes) as tf.Tensor2D;
  const lossFn: LossFn = (frozen) =>
    tf.tidy(() => tf.mean(perSampleCrossEntropy(model.apply(x, { training: true, updateStats: false, frozen }), oneHot)) as tf.Scalar);
  const input = J.constant(inputs, [spec.batch, ...spec.inputShape]);
  return {
    spec,
    model,
    lossFn,
    labels,
    weights: () => model.groups.map((g) => g.params.map((p) => Float64Array.from(p.dataSync()))),
    lossJet(weights, direction) {
      const params = model.groups.map((g, l) => g.params.map((p, i) => J.parameter(weights[l]![i]!, p.shape, direction[l]![i] ?? null)));
      return J.crossEntropy(forward(spec, model, input, params), labels);
    },
    gradient() {
      const vars = model.groups.flatMap((g) => g.params);
      const { value, grads } = tf.variableGrads(() => lossFn(), vars);
      value.dispose();
      const out = model.groups.map((g) => g.params.map((p) => Float64Array.from(grads[p.name]!.dataSync())));
      tf.dispose(Object.values(grads));
      return out;
    },
    dispose() {
      model.dispose();
      tf.dispose([x, oneHot]);
    },
  };
}

/** ĝ_l, float64: layer l's gradient normalised, every other layer off the line */
export function layerDirection(gradient: Float64Array[][], layer: number): (Float64Array | null)[][] {
  const norm = Math.sqrt(gradient[layer]!.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
  return gradient.map((params, l) => params.map((g) => (l === layer ? g.map((v) => v / norm) : null)));
}

/** exact κ_l = ĝ_lᵀ H_ll ĝ_l for every layer at the network's current weights */
export function exactCurvature(network: Network): number[] {
  const weights = network.weights();
  const gradient = network.gradient();
  return network.model.groups.map((_, l) => network.lossJet(weights, layerDirection(gradient, l)).dd);
}

/** Networks the curvature tests use. */
export const NETWORKS = {
  reluMlp64: { name: 'ReLU MLP 8-16-8-4, B=64', architecture: { kind: 'mlp', hidden: [16, 8], activation: 'relu' }, inputShape: [8], classes: 4, batch: 64, seed: 5 },
  reluMlp1024: { name: 'ReLU MLP 8-16-8-4, B=1024', architecture: { kind: 'mlp', hidden: [16, 8], activation: 'relu' }, inputShape: [8], classes: 4, batch: 1024, seed: 5 },
  tanhMlp64: { name: 'tanh MLP 8-16-8-4, B=64', architecture: { kind: 'mlp', hidden: [16, 8], activation: 'tanh' }, inputShape: [8], classes: 4, batch: 64, seed: 5 },
  reluCnn: {
    name: 'ReLU CNN (conv-pool ×2, dense), 8×8, B=64',
    architecture: {
      kind: 'cnn',
      conv: [
        { filters: 4, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
        { filters: 8, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
      ],
      dense: [16],
      activation: 'relu',
    },
    inputShape: [8, 8, 1],
    classes: 4,
    batch: 64,
    seed: 9,
  },
  tanhCnn: {
    name: 'tanh CNN (conv-pool ×2, dense), 8×8, B=16',
    architecture: {
      kind: 'cnn',
      conv: [
        { filters: 4, kernelSize: 3, stride: 1, padding: 'same', pool: 2 },
        { filters: 4, kernelSize: 3, stride: 2, padding: 'valid', pool: 1 },
      ],
      dense: [8],
      activation: 'tanh',
    },
    inputShape: [8, 8, 1],
    classes: 3,
    batch: 16,
    seed: 4,
  },
  tinyReluMlp: { name: 'ReLU MLP 4-6-3, B=16', architecture: { kind: 'mlp', hidden: [6], activation: 'relu' }, inputShape: [4], classes: 3, batch: 16, seed: 2 },
  /** 155 parameters: small enough for exactHessian (the sharpness reference) */
  tinyReluCnn: {
    name: 'ReLU CNN conv(2)-pool-dense(6)-3, 6×6, B=16',
    architecture: { kind: 'cnn', conv: [{ filters: 2, kernelSize: 3, stride: 1, padding: 'same', pool: 2 }], dense: [6], activation: 'relu' },
    inputShape: [6, 6, 1],
    classes: 3,
    batch: 16,
    seed: 21,
  },
  /** 111 parameters, 3 batch-norm layers: small enough for exactHessian */
  tinyResnet: { name: 'ResNet (BN, stages [1], width 2), 4×4, B=16', architecture: { kind: 'resnet', stages: [1], width: 2 }, inputShape: [4, 4, 1], classes: 3, batch: 16, seed: 23 },
  resnet: { name: 'ResNet (BN, stages [1, 1], width 4), 8×8, B=32', architecture: { kind: 'resnet', stages: [1, 1], width: 4 }, inputShape: [8, 8, 1], classes: 4, batch: 32, seed: 3 },
} satisfies Record<string, NetworkSpec>;

/** exact diag(H_ll), flat over the layer's params, from one jet per coordinate */
export function exactDiagonal(network: Network, layer: number): Float64Array {
  const weights = network.weights();
  const shapes = weights.map((params) => params.map((p) => p.length));
  const size = shapes[layer]!.reduce((a, b) => a + b, 0);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let at = i;
    const direction = shapes.map((params, l) =>
      params.map((n) => {
        if (l !== layer) return null;
        const e = new Float64Array(n);
        if (at >= 0 && at < n) e[at] = 1;
        at -= n;
        return e;
      }),
    );
    out[i] = network.lossJet(weights, direction).dd;
  }
  return out;
}

/**
 * The full Hessian over all parameters (flat, in group/param order) by polarization of
 * the jets' quadratic form: H_ij = (q(e_i + e_j) − q(e_i) − q(e_j)) / 2, q(d) = dᵀHd.
 * n(n + 1)/2 jet passes: for tiny networks only (the sharpness reference).
 */
export function exactHessian(network: Network): number[][] {
  const weights = network.weights();
  const sizes = weights.map((params) => params.map((p) => p.length));
  const n = sizes.flat().reduce((a, b) => a + b, 0);
  const q = (entries: [number, number][]): number => {
    const flat = new Float64Array(n);
    for (const [i, v] of entries) flat[i]! += v;
    let at = 0;
    // params off the line get no direction: layers before the first one on it carry no derivatives
    const direction = sizes.map((params) =>
      params.map((size) => {
        const from = at;
        at += size;
        return entries.some(([i]) => i >= from && i < at) ? flat.slice(from, at) : null;
      }),
    );
    return network.lossJet(weights, direction).dd;
  };
  const diagonal = Array.from({ length: n }, (_, i) => q([[i, 1]]));
  const h = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    h[i]![i] = diagonal[i]!;
    for (let j = i + 1; j < n; j++) {
      const v = (q([[i, 1], [j, 1]]) - diagonal[i]! - diagonal[j]!) / 2;
      h[i]![j] = v;
      h[j]![i] = v;
    }
  }
  return h;
}

/**
 * eigenvalues of a symmetric matrix, descending: the engine's Jacobi solver, itself checked against a
 * closed-form spectrum (small-symmetric-eigen.test.ts), in float64 on the exact Hessian
 */
export function symmetricEigenvalues(matrix: readonly (readonly number[])[]): number[] {
  return symmetricEigen(matrix).values;
}
