/**
 * Test fixture: a 3 → 4 (tanh) → 3 (softmax) MLP with cross-entropy on a fixed batch
 * of 8 samples (31 parameters), as tfjs variables for the code under test and as a
 * plain float64 reference with an analytic gradient. The reference Hessian blocks are
 * central differences of that analytic gradient (error ~1e-9), so they share no code
 * with the estimators.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerGroup } from '../../../main/engine/models/layer-group';

export const IN = 3;
export const HIDDEN = 4;
export const OUT = 3;
export const BATCH = 8;
/** flat parameter order: W1 [IN, HIDDEN] row-major, b1, W2 [HIDDEN, OUT] row-major, b2 */
export const LAYER_SIZES = [IN * HIDDEN + HIDDEN, HIDDEN * OUT + OUT] as const;
export const LAYER_OFFSETS = [0, LAYER_SIZES[0]] as const;

/** deterministic values in [-scale, scale], exactly representable in float32 */
function fixedValues(count: number, seed: number, scale: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.fround(((state / 2147483648) * 2 - 1) * scale);
  });
}

export const inputs = fixedValues(BATCH * IN, 7, 1.5);
export const labels = [0, 1, 2, 1, 0, 2, 2, 1];
export const initialParams = [
  ...fixedValues(IN * HIDDEN, 11, 1.2),
  ...fixedValues(HIDDEN, 13, 0.3),
  ...fixedValues(HIDDEN * OUT, 17, 1.4),
  ...fixedValues(OUT, 19, 0.3),
];

function forward(theta: ArrayLike<number>): { hidden: number[][]; probs: number[][] } {
  const w2At = IN * HIDDEN + HIDDEN;
  const b2At = w2At + HIDDEN * OUT;
  const hidden: number[][] = [];
  const probs: number[][] = [];
  for (let b = 0; b < BATCH; b++) {
    const a = Array.from({ length: HIDDEN }, (_, j) => {
      let z = theta[IN * HIDDEN + j]!;
      for (let i = 0; i < IN; i++) z += inputs[b * IN + i]! * theta[i * HIDDEN + j]!;
      return Math.tanh(z);
    });
    const logits = Array.from({ length: OUT }, (_, k) => {
      let z = theta[b2At + k]!;
      for (let j = 0; j < HIDDEN; j++) z += a[j]! * theta[w2At + j * OUT + k]!;
      return z;
    });
    const top = Math.max(...logits);
    const exps = logits.map((z) => Math.exp(z - top));
    const total = exps.reduce((s, e) => s + e, 0);
    hidden.push(a);
    probs.push(exps.map((e) => e / total));
  }
  return { hidden, probs };
}

export function referenceLoss(theta: ArrayLike<number>): number {
  const { probs } = forward(theta);
  return probs.reduce((s, p, b) => s - Math.log(p[labels[b]!]!), 0) / BATCH;
}

/** analytic gradient of the mean cross-entropy by backpropagation, float64 */
export function referenceGradient(theta: ArrayLike<number>): number[] {
  const { hidden, probs } = forward(theta);
  const w2At = IN * HIDDEN + HIDDEN;
  const b2At = w2At + HIDDEN * OUT;
  const grad = new Array<number>(theta.length).fill(0);
  for (let b = 0; b < BATCH; b++) {
    const dLogits = probs[b]!.map((p, k) => (p - (k === labels[b] ? 1 : 0)) / BATCH);
    const a = hidden[b]!;
    for (let k = 0; k < OUT; k++) {
      grad[b2At + k]! += dLogits[k]!;
      for (let j = 0; j < HIDDEN; j++) grad[w2At + j * OUT + k]! += a[j]! * dLogits[k]!;
    }
    for (let j = 0; j < HIDDEN; j++) {
      let da = 0;
      for (let k = 0; k < OUT; k++) da += dLogits[k]! * theta[w2At + j * OUT + k]!;
      const dz = da * (1 - a[j]! * a[j]!);
      grad[IN * HIDDEN + j]! += dz;
      for (let i = 0; i < IN; i++) grad[i * HIDDEN + j]! += inputs[b * IN + i]! * dz;
    }
  }
  return grad;
}

/** H_ll, symmetrised, by central differences of the analytic gradient */
export function referenceHessianBlock(theta: ArrayLike<number>, layer: 0 | 1): number[][] {
  const eps = 1e-5;
  const at = LAYER_OFFSETS[layer];
  const n = LAYER_SIZES[layer];
  const columns = Array.from({ length: n }, (_, j) => {
    const plus = Array.from(theta);
    const minus = Array.from(theta);
    plus[at + j]! += eps;
    minus[at + j]! -= eps;
    const gp = referenceGradient(plus);
    const gm = referenceGradient(minus);
    return Array.from({ length: n }, (_, i) => (gp[at + i]! - gm[at + i]!) / (2 * eps));
  });
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (columns[i]![j]! + columns[j]![i]!) / 2));
}

/** exact κ_l = ĝ_lᵀ H_ll ĝ_l and diag(H_ll) from the reference */
export function referenceCurvature(theta: ArrayLike<number>, layer: 0 | 1): { kappa: number; diagonal: number[]; diagonalKappa: number } {
  const at = LAYER_OFFSETS[layer];
  const n = LAYER_SIZES[layer];
  const g = referenceGradient(theta).slice(at, at + n);
  const norm = Math.hypot(...g);
  const u = g.map((v) => v / norm);
  const H = referenceHessianBlock(theta, layer);
  let kappa = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) kappa += u[i]! * H[i]![j]! * u[j]!;
  const diagonal = H.map((row, i) => row[i]!);
  const diagonalKappa = u.reduce((s, ui, i) => s + ui * ui * diagonal[i]!, 0);
  return { kappa, diagonal, diagonalKappa };
}

export interface TinyMlp {
  groups: LayerGroup[];
  lossFn: () => tf.Scalar;
  /** current parameter values, flat in the reference order */
  read(): Float32Array;
  dispose(): void;
}

export function createTinyMlp(theta: ArrayLike<number> = initialParams): TinyMlp {
  const p = Array.from(theta);
  const take = (from: number, shape: number[]): tf.Variable => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(p.slice(from, from + size), shape), true);
  };
  const w1 = take(0, [IN, HIDDEN]);
  const b1 = take(IN * HIDDEN, [HIDDEN]);
  const w2 = take(IN * HIDDEN + HIDDEN, [HIDDEN, OUT]);
  const b2 = take(IN * HIDDEN + HIDDEN + HIDDEN * OUT, [OUT]);
  const x = tf.tensor2d(inputs, [BATCH, IN]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), OUT);
  const groups: LayerGroup[] = [
    { name: 'dense_1', kind: 'dense', params: [w1, b1], roles: ['weight', 'bias'] },
    { name: 'dense_2', kind: 'dense', params: [w2, b2], roles: ['weight', 'bias'] },
  ];
  const lossFn = (): tf.Scalar =>
    tf.tidy(() => {
      const logits = tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2);
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    });
  const read = (): Float32Array => {
    const parts = [w1, b1, w2, b2].map((v) => v.dataSync());
    const out = new Float32Array(parts.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of parts) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  return { groups, lossFn, read, dispose: () => tf.dispose([w1, b1, w2, b2, x, oneHot]) };
}
