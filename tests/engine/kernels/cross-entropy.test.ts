/**
 * The softmax cross-entropy kernels (wasm-cross-entropy.ts): the per-sample loss and its
 * logits gradient as perSampleCrossEntropy takes them on wasm, against the stock composite
 * (log-softmax, one-hot product, sum) and its tape on cpu, and against a float64
 * reference. Also: large logits (the max shift), label weights that are not one-hot,
 * NaN and ±∞ as the composite has them, no tensor or buffer left behind with or without
 * a tape, the route really taken, and a clear error on wrong shapes.
 */
import '@tensorflow/tfjs'; // the gradients of the composite's stock ops
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { crossEntropyKernelsRegistered, runCrossEntropy, SoftmaxCrossEntropy } from '../../../main/engine/kernels/cross-entropy-kernels';
import { crossEntropyGradRows, crossEntropyRows } from '../../../main/engine/kernels/wasm-cross-entropy';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';
import { computeOn, expectClose, liveCounts, seededValues, useBackend, type Computed } from './backends';

const ROWS = 37;
const CLASSES = 10;

function oneHotOf(rows: number, classes: number): Float32Array {
  const t = new Float32Array(rows * classes);
  for (let i = 0; i < rows; i++) t[i * classes + ((i * 7) % classes)] = 1;
  return t;
}

/** logits spread over [-scale, scale) */
function logitsOf(rows: number, classes: number, scale: number, seed = 1): Float32Array {
  return seededValues(rows * classes, seed).map((v) => v * scale);
}

/** float64 reference: loss_i = Σ_j t_ij (log Σ_k e^x_ik − x_ij), grad_ij = dy_i (Σ_k t_ik p_ij − t_ij) */
function reference(x: Float32Array, t: Float32Array, dy: Float32Array, rows: number, classes: number): { loss: number[]; grad: number[] } {
  const loss: number[] = [];
  const grad: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from(x.subarray(i * classes, (i + 1) * classes));
    const labels = Array.from(t.subarray(i * classes, (i + 1) * classes));
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    const logSum = m + Math.log(s);
    const labelSum = labels.reduce((a, v) => a + v, 0);
    loss.push(labels.reduce((a, tj, j) => a + tj * (logSum - row[j]!), 0));
    row.forEach((v, j) => grad.push(dy[i]! * ((labelSum * Math.exp(v - m)) / s - labels[j]!)));
  }
  return { loss, grad };
}

/** the loss and d(Σ_i dy_i · loss_i)/dlogits through perSampleCrossEntropy on the current backend */
function lossAndGradient(x: Float32Array, t: Float32Array, dy: Float32Array, rows: number, classes: number): tf.Tensor {
  const logits = tf.tensor2d(x, [rows, classes]);
  const labels = tf.tensor2d(t, [rows, classes]);
  const weights = tf.tensor1d(dy);
  const loss = perSampleCrossEntropy(logits, labels);
  const grad = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(perSampleCrossEntropy(l as tf.Tensor2D, labels), weights)))(logits);
  return tf.concat([loss.flatten(), grad.flatten()]);
}

function maxRelativeError(actual: ArrayLike<number>, expected: number[]): number {
  const scale = Math.max(1, ...expected.map(Math.abs));
  let worst = 0;
  expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(actual[i]! - e))));
  return worst / scale;
}

describe('softmax cross-entropy kernels', () => {
  it('the row loops match a float64 reference, one-hot or weighted labels, logits up to ±1000', () => {
    for (const [scale, labels] of [
      [3, oneHotOf(ROWS, CLASSES)],
      [1000, oneHotOf(ROWS, CLASSES)],
      [5, seededValues(ROWS * CLASSES, 9).map((v) => (v + 1) / 2)],
    ] as const) {
      const x = logitsOf(ROWS, CLASSES, scale);
      const dy = seededValues(ROWS, 4);
      const loss = new Float32Array(ROWS);
      const softmax = new Float32Array(ROWS * CLASSES);
      const grad = new Float32Array(ROWS * CLASSES);
      crossEntropyRows(x, labels, loss, softmax, ROWS, CLASSES);
      crossEntropyGradRows(softmax, labels, dy, grad, ROWS, CLASSES);
      const expected = reference(x, labels, dy, ROWS, CLASSES);
      expect(maxRelativeError(loss, expected.loss), `loss at scale ${scale}`).toBeLessThan(1e-6);
      expect(maxRelativeError(grad, expected.grad), `gradient at scale ${scale}`).toBeLessThan(1e-6);
      expect(loss.every(Number.isFinite)).toBe(true);
    }
  });

  it('on wasm the loss and its gradient match the composite on cpu, through the kernels', async () => {
    await useBackend('wasm');
    expect(crossEntropyKernelsRegistered()).toBe(true);
    await useBackend('cpu');
    expect(crossEntropyKernelsRegistered()).toBe(false);
    for (const scale of [1, 30]) {
      const x = logitsOf(ROWS, CLASSES, scale, 2);
      const t = oneHotOf(ROWS, CLASSES);
      const dy = seededValues(ROWS, 5);
      const expected = await computeOn('cpu', () => lossAndGradient(x, t, dy, ROWS, CLASSES));
      const actual = await computeOn('wasm', () => lossAndGradient(x, t, dy, ROWS, CLASSES));
      expectClose(actual, expected, 1e-6);
    }
    // the route taken on wasm: the two kernels, none of the composite's
    await useBackend('wasm');
    const x = logitsOf(ROWS, CLASSES, 1, 3);
    const t = oneHotOf(ROWS, CLASSES);
    const profile = await tf.profile(() => tf.tidy(() => void lossAndGradient(x, t, new Float32Array(ROWS).fill(1), ROWS, CLASSES)));
    expect(profile.kernelNames).toEqual(expect.arrayContaining(['BatchscopeSoftmaxCrossEntropy', 'BatchscopeSoftmaxCrossEntropyGrad']));
    expect(profile.kernelNames).not.toContain('Exp');
  });

  it('NaN and ±∞ logits give the rows the composite gives them', async () => {
    const x = logitsOf(6, 4, 2, 7);
    const t = oneHotOf(6, 4);
    x[0 * 4 + 1] = NaN; // row 0: NaN anywhere
    x[1 * 4 + 2] = Infinity; // row 1: +∞
    x[2 * 4 + ((2 * 7) % 4)] = -Infinity; // row 2: −∞ at the label: +∞ loss
    x[3 * 4 + ((3 * 7 + 1) % 4)] = -Infinity; // row 3: −∞ where the label weight is 0
    const compute = () => perSampleCrossEntropy(tf.tensor2d(x, [6, 4]), tf.tensor2d(t, [6, 4]));
    const expected: Computed = await computeOn('cpu', compute);
    const actual: Computed = await computeOn('wasm', compute);
    for (let i = 0; i < 6; i++) {
      const [a, e] = [actual.values[i]!, expected.values[i]!];
      expect(Number.isNaN(a) ? 'NaN' : a === e || Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `row ${i}: wasm ${a}, cpu ${e}`).toBe(Number.isNaN(e) ? 'NaN' : true);
    }
    expect(Number.isNaN(actual.values[0]!) && Number.isNaN(actual.values[1]!)).toBe(true);
  });

  it('leaves no tensor or buffer behind, with a tape and without', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d(logitsOf(ROWS, CLASSES, 1), [ROWS, CLASSES]);
    const t = tf.tensor2d(oneHotOf(ROWS, CLASSES), [ROWS, CLASSES]);
    const before = liveCounts();
    // no tidy around it: a softmax the op failed to free would stay
    perSampleCrossEntropy(x, t).dispose();
    tf.grad((l: tf.Tensor) => tf.sum(perSampleCrossEntropy(l as tf.Tensor2D, t)))(x).dispose();
    expect(liveCounts()).toEqual(before);
    tf.dispose([x, t]);
  });

  it('refuses logits and labels of different shapes, naming the kernel', async () => {
    await useBackend('wasm');
    const x = tf.zeros([4, 3]);
    const t = tf.zeros([4, 2]);
    expect(() => runCrossEntropy(x, t)).toThrow(new RegExp(`${SoftmaxCrossEntropy}: expected float32 \\[B, C\\].*got float32 \\[4,3\\], float32 \\[4,2\\]`));
    tf.dispose([x, t]);
  });
});
