/**
 * relu's gradient dy · step(y) as one kernel on wasm (wasm-relu-grad.ts), against the stock
 * Step and Multiply it replaces, bit for bit: on wasm itself and on cpu, with NaN, ±∞, ±0 and
 * subnormals in y and dy, over sizes that leave a tail past the last four floats; the layers
 * take it; a clear error on mismatched shapes; nothing left behind.
 */
import '@tensorflow/tfjs'; // the stock ops' gradients, for the layer check
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReluGrad, reluGrad } from '../../../main/engine/kernels/relu-grad-kernel';
import { forceStockReluGrad, reluGradCompiles } from '../../../main/engine/kernels/wasm-relu-grad';
import { dense } from '../../../main/engine/models/dense';
import { computeOn, expectWasmEqualsCpu, liveCounts, seededValues, useBackend } from './backends';

const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-45, -1e-45, 1, -1];

/** seeded values in [-1, 1) with every special value at least once, in seeded places */
function valuesWithSpecials(size: number, seed: number): Float32Array {
  const values = seededValues(size, seed);
  const picks = seededValues(size, seed + 100);
  for (let i = 0; i < size; i++) if (picks[i]! > 0.5 || i < specials.length) values[i] = specials[(i + seed) % specials.length]!;
  return values;
}

const shapes: number[][] = [[1], [3], [4], [7], [2, 5, 5, 3], [4, 28, 28, 16], [256, 128]];

function stock(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.step(y));
}

describe('relu gradient kernel', () => {
  beforeAll(() => useBackend('wasm'));

  it('compiles to wasm SIMD here (not the JS loop it falls back to)', () => {
    expect(reluGradCompiles()).toBe(true);
  });

  it.each(shapes.map((s) => [`[${s}]`, s] as const))('%s: bit for bit the stock Step and Multiply, on wasm and on cpu', async (_, shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const [dyValues, yValues] = [valuesWithSpecials(size, 1), valuesWithSpecials(size, 2)];
    const inputs = (): [tf.Tensor, tf.Tensor] => [tf.tensor(dyValues, shape), tf.tensor(yValues, shape)];
    // against the stock pair on wasm itself
    const viaKernel = await computeOn('wasm', () => reluGrad(...inputs()));
    const viaStock = await computeOn('wasm', () => stock(...inputs()));
    const differing = [...viaStock.values.keys()].filter((i) => !Object.is(viaKernel.values[i], viaStock.values[i]));
    expect(differing.length, `first at ${differing[0]}: dy ${dyValues[differing[0]!]}, y ${yValues[differing[0]!]}`).toBe(0);
    // and against cpu's (where reluGrad takes the stock ops)
    await expectWasmEqualsCpu(() => reluGrad(...inputs()));
  });

  it('every pair of special values, in the four-lane part and in the one-at-a-time tail', async () => {
    // length 5: lanes 0–3 and the tail's one float hold the same pair
    const pairs = specials.flatMap((d) => specials.map((y) => [d, y] as const));
    const dyValues = new Float32Array(pairs.flatMap(([d]) => [d, d, d, d, d]));
    const yValues = new Float32Array(pairs.flatMap(([, y]) => [y, y, y, y, y]));
    await useBackend('wasm');
    for (let p = 0; p < pairs.length; p++) {
      const [dy, y] = [tf.tensor1d(dyValues.subarray(5 * p, 5 * p + 5)), tf.tensor1d(yValues.subarray(5 * p, 5 * p + 5))];
      const [viaKernel, viaStock] = [reluGrad(dy, y), stock(dy, y)];
      const [a, e] = [await viaKernel.data(), await viaStock.data()];
      for (let i = 0; i < 5; i++) expect(Object.is(a[i], e[i]), `dy ${pairs[p]![0]}, y ${pairs[p]![1]}, place ${i}: ${a[i]} where the stock ops give ${e[i]}`).toBe(true);
      tf.dispose([dy, y, viaKernel, viaStock]);
    }
  });

  it('where the module cannot run, the kernel runs the stock pair inside: the same bits, nothing left behind', async () => {
    await useBackend('wasm');
    const shape = [2, 5, 5, 3];
    const size = 150;
    const [dy, y] = [tf.tensor(valuesWithSpecials(size, 3), shape), tf.tensor(valuesWithSpecials(size, 4), shape)];
    const moduleResult = reluGrad(dy, y);
    const viaModule = await moduleResult.data();
    moduleResult.dispose();
    forceStockReluGrad(true);
    try {
      const before = liveCounts();
      const viaStockInside = reluGrad(dy, y);
      const values = await viaStockInside.data();
      viaStockInside.dispose();
      expect(liveCounts()).toEqual(before);
      const differing = [...viaModule.keys()].filter((i) => !Object.is(values[i], viaModule[i]));
      expect(differing).toEqual([]);
    } finally {
      forceStockReluGrad(false);
    }
    tf.dispose([dy, y]);
  });

  it('is what a relu layer\'s gradient runs on wasm, and gives the stock route\'s gradients', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d(seededValues(6 * 5, 3), [6, 5]);
    const w = tf.tensor2d(seededValues(5 * 7, 4), [5, 7]);
    const b = tf.tensor1d(seededValues(7, 5));
    const loss = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(dense(xs as tf.Tensor2D, ws, bs, { activation: 'relu', inputGradient: true }), tf.range(0, 42).reshape([6, 7])));
    const profile = await tf.profile(() => tf.grads(loss)([x, w, b]).forEach((g) => g.dispose()));
    expect(profile.kernelNames).toContain(ReluGrad);
    expect(profile.kernelNames).not.toContain('Step');
    const viaKernel = tf.grads(loss)([x, w, b]);
    const viaStock = tf.grads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.add(tf.matMul(xs as tf.Tensor2D, ws as tf.Tensor2D), bs)), tf.range(0, 42).reshape([6, 7]))))([x, w, b]);
    for (let i = 0; i < 3; i++) {
      const [a, e] = [await viaKernel[i]!.data(), await viaStock[i]!.data()];
      e.forEach((v, j) => expect(Math.abs(a[j]! - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    }
    tf.dispose([x, w, b, ...viaKernel, ...viaStock]);
  });

  it('refuses dy and y of different shapes, naming the kernel', async () => {
    await useBackend('wasm');
    const [dy, y] = [tf.zeros([4, 3]), tf.zeros([3, 4])];
    expect(() => reluGrad(dy, y)).toThrow(/BatchscopeReluGrad: expected float32 dy and y of one shape, got float32 \[4,3\] and float32 \[3,4\]/);
    tf.dispose([dy, y]);
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const [dy, y] = [tf.tensor(seededValues(30, 6), [5, 6]), tf.tensor(seededValues(30, 7), [5, 6])];
    reluGrad(dy, y).dispose();
    const before = liveCounts();
    for (let i = 0; i < 3; i++) reluGrad(dy, y).dispose();
    expect(liveCounts()).toEqual(before);
    tf.dispose([dy, y]);
  });
});
