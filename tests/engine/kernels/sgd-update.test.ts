/**
 * SgdUpdate on wasm: the plain-SGD step in one SIMD pass must give the weights of the
 * stock route (Multiply, Sub, and with decay Multiply, Add) bit for bit, on every size
 * (four lanes and the rest), on special values, and through the SGD optimizer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels, unregisterFastKernels } from '../../../main/engine/kernels/register';
import { SgdUpdate, sgdUpdateRegistered } from '../../../main/engine/kernels/sgd-update';
import { sgdUpdateScalar } from '../../../main/engine/kernels/wasm-sgd-update';
import { SgdOptimizer } from '../../../main/engine/optimizers/sgd';
import { seededValues, useBackend } from './backends';
import { disposeGroups, makeGroups, twoLayers } from '../optimizers/tiny-problem';

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-30, 65504, 1];

/** seeded values in [-1, 1) scaled over many binades, with the special ones sprinkled in */
function values(size: number, seed: number): Float32Array {
  const v = seededValues(size, seed).map((x, i) => x * 2 ** ((i % 41) - 20));
  for (let i = 0; i < size; i += 7) v[i] = SPECIAL[(i / 7 + seed) % SPECIAL.length]!;
  return v;
}

/** every value the same, -0 apart from 0 and any NaN equal to any NaN */
function expectSameBits(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const differing = [...expected.keys()].filter((i) => !Object.is(actual[i], expected[i]));
  const first = differing[0];
  expect(differing.length, first === undefined ? '' : `first at ${first}: fused ${actual[first]}, stock ${expected[first]}`).toBe(0);
}

const stock = (w: tf.Tensor, g: tf.Tensor, lr: number, decay: number): tf.Tensor =>
  tf.tidy(() => tf.sub(w, tf.mul(decay > 0 ? tf.add(g, tf.mul(w, decay)) : g, lr)));

const fused = (w: tf.Tensor, g: tf.Tensor, lr: number, decay: number): tf.Tensor => tf.engine().runKernel(SgdUpdate, { w, g }, { lr, decay }) as tf.Tensor;

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(() => {
  registerFastKernels('wasm');
});

describe('SgdUpdate on wasm', () => {
  it('is registered with the fast kernels on wasm, and nowhere else', async () => {
    expect(sgdUpdateRegistered()).toBe(true);
    unregisterFastKernels('wasm');
    expect(sgdUpdateRegistered()).toBe(false);
    registerFastKernels('wasm');
    await useBackend('cpu');
    expect(sgdUpdateRegistered()).toBe(false);
    await useBackend('wasm');
  });

  for (const decay of [0, 0.05]) {
    it(`gives the stock route's weights bit for bit, decay ${decay}, sizes 1 to 784×256`, () => {
      for (const [size, seed] of [[1, 1], [3, 2], [4, 3], [7, 4], [1031, 5], [784 * 256, 6]] as const) {
        for (const lr of [0.05, 0.1 + 0.05 * 3, 7.3]) {
          const w = tf.tensor1d(values(size, seed));
          const g = tf.tensor1d(values(size, seed + 100));
          const want = stock(w, g, lr, decay);
          const got = fused(w, g, lr, decay);
          expectSameBits(got.dataSync() as Float32Array, want.dataSync() as Float32Array);
          tf.dispose([w, g, want, got]);
        }
      }
    });
  }

  for (const decay of [0, 0.05]) {
    it(`as the scalar fallback too, decay ${decay}`, () => {
      for (const [size, seed] of [[7, 4], [1031, 5], [784 * 256, 6]] as const) {
        const w = tf.tensor1d(values(size, seed));
        const g = tf.tensor1d(values(size, seed + 100));
        const want = stock(w, g, 0.15, decay);
        const got = new Float32Array(size);
        sgdUpdateScalar(w.dataSync() as Float32Array, g.dataSync() as Float32Array, got, 0.15, decay);
        expectSameBits(got, want.dataSync() as Float32Array);
        tf.dispose([w, g, want]);
      }
    });
  }

  it('keeps its inputs and frees nothing it does not own', () => {
    const w = tf.tensor2d(values(12, 7), [3, 4]);
    const g = tf.tensor2d(values(12, 8), [3, 4]);
    const before = tf.memory().numTensors;
    const out = fused(w, g, 0.1, 0);
    expect(out.shape).toEqual([3, 4]);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(w.dataSync())).toEqual(Array.from(values(12, 7)));
    tf.dispose([w, g, out]);
  });

  it('refuses a gradient of another size', () => {
    const w = tf.zeros([4]);
    const g = tf.zeros([5]);
    expect(() => fused(w, g, 0.1, 0)).toThrow(/BatchscopeSgdUpdate: w and g must be float32 of one size/);
    tf.dispose([w, g]);
  });

  for (const weightDecay of [0, 0.05]) {
    it(`makes the SGD optimizer's steps bit for bit the stock route's, weight decay ${weightDecay}`, async () => {
      const trace = async (useFused: boolean): Promise<Float32Array[]> => {
        if (useFused) registerFastKernels('wasm');
        else unregisterFastKernels('wasm');
        expect(sgdUpdateRegistered()).toBe(useFused);
        const groups = makeGroups(twoLayers);
        const optimizer = new SgdOptimizer({ name: 'sgd', weightDecay }, groups);
        for (let step = 0; step < 3; step++) {
          const grads = groups.map((group, l) => group.params.map((p, i) => tf.tensor(values(p.size, 10 * step + 3 * l + i), p.shape)));
          const profile = await tf.profile(() => optimizer.apply({ groups, grads, lr: 0.1 + 0.05 * step, step }));
          expect(profile.kernelNames.includes(SgdUpdate)).toBe(useFused);
          tf.dispose(grads.flat());
        }
        const weights = groups.flatMap((group) => group.params.map((p) => p.dataSync() as Float32Array));
        optimizer.dispose();
        disposeGroups(groups);
        return weights;
      };
      const stockWeights = await trace(false);
      const fusedWeights = await trace(true);
      fusedWeights.forEach((w, i) => expectSameBits(w, stockWeights[i]!));
    });
  }
});
