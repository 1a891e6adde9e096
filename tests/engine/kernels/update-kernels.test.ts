/**
 * SgdUpdate, MomentumUpdate and AdamUpdate on wasm (LAMB's halves included): an optimizer's step of one parameter in one SIMD
 * pass must give the weights (and momentum buffers) of the stock route bit for bit, on every
 * size (four lanes and the rest), on special values, in the scalar fallback, and through the
 * optimizers that use them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optimizerSpecSchema } from '../../../common/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastKernels, unregisterFastKernels } from '../../../main/engine/kernels/register';
import { AdamUpdate, MomentumUpdate, SgdUpdate, updateKernelRegistered, type AdamUpdateAttrs, type UpdateAttrs } from '../../../main/engine/kernels/update-kernels';
import { adamScalar, adamVariant, forceScalarUpdates, updateScalar, updateVariant } from '../../../main/engine/kernels/wasm-update-kernels';
import { AdamOptimizer, type AdamSpec } from '../../../main/engine/optimizers/adam';
import { LambOptimizer, type LambSpec } from '../../../main/engine/optimizers/lamb';
import { LarsOptimizer, type LarsSpec } from '../../../main/engine/optimizers/lars';
import { MomentumOptimizer } from '../../../main/engine/optimizers/momentum';
import type { LayerOptimizer } from '../../../main/engine/optimizers/optimizer';
import { SgdOptimizer } from '../../../main/engine/optimizers/sgd';
import type { LayerGroup } from '../../../main/engine/models/layer-group';
import { seededValues, useBackend } from './backends';
import { disposeGroups, makeGroups, twoLayers } from '../optimizers/tiny-problem';

const larsSpec = optimizerSpecSchema.parse({ name: 'lars', weightDecay: 5e-4 }) as LarsSpec;

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38, -3.4e38, 1e-30, 65504, 1];
const SIZES = [1, 3, 4, 7, 1031, 784 * 256];

/** seeded values in [-1, 1) scaled over many binades, with the special ones sprinkled in */
function values(size: number, seed: number): Float32Array {
  const v = seededValues(size, seed).map((x, i) => x * 2 ** ((i % 41) - 20));
  for (let i = 0; i < size; i += 7) v[i] = SPECIAL[(i / 7 + seed) % SPECIAL.length]!;
  return v;
}

/** every value the same, -0 apart from 0 and any NaN equal to any NaN */
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  const differing = [...expected.keys()].filter((i) => !Object.is(actual[i], expected[i]));
  const first = differing[0];
  expect(differing.length, first === undefined ? '' : `${what}, first at ${first}: fused ${actual[first]}, stock ${expected[first]}`).toBe(0);
}

interface Case {
  kernel: typeof SgdUpdate | typeof MomentumUpdate;
  attrs: UpdateAttrs;
}

const CASES: Case[] = [
  { kernel: SgdUpdate, attrs: { lr: 0.15, decay: 0 } },
  { kernel: SgdUpdate, attrs: { lr: 7.3, decay: 0.05 } },
  { kernel: MomentumUpdate, attrs: { lr: 0.15, decay: 0, momentum: 0.9, form: 'heavy-ball' } },
  { kernel: MomentumUpdate, attrs: { lr: 0.05, decay: 5e-4, momentum: 0.9 } },
  { kernel: MomentumUpdate, attrs: { lr: 0.15, decay: 0, momentum: 0.95, form: 'nesterov' } },
  { kernel: MomentumUpdate, attrs: { lr: 0.05, decay: 0.05, momentum: 0.5, form: 'nesterov' } },
  { kernel: MomentumUpdate, attrs: { lr: 0.37, decay: 0, momentum: 0.9, form: 'lars' } },
  { kernel: MomentumUpdate, attrs: { lr: 0.0123, decay: 5e-4, momentum: 0.9, form: 'lars' } },
];

const describeCase = (c: Case): string => `${c.kernel === SgdUpdate ? 'SGD' : (c.attrs.form ?? 'heavy-ball')}, decay ${c.attrs.decay}`;

/** The stock route's [w after, v after] (momentum.ts's and sgd.ts's tf ops). */
function stock(c: Case, w: tf.Tensor, g: tf.Tensor, v: tf.Tensor): tf.Tensor[] {
  return tf.tidy(() => {
    const { lr, decay } = c.attrs;
    const d = decay > 0 ? tf.add(g, tf.mul(w, decay)) : g;
    if (c.kernel === SgdUpdate) return [tf.sub(w, tf.mul(d, lr))];
    const mu = c.attrs.momentum!;
    if (c.attrs.form === 'lars') {
      const velocity = tf.add(tf.mul(v, mu), tf.mul(d, lr));
      return [tf.sub(w, velocity), velocity];
    }
    const velocity = tf.add(tf.mul(v, mu), d);
    const direction = c.attrs.form === 'nesterov' ? tf.add(d, tf.mul(velocity, mu)) : velocity;
    return [tf.sub(w, tf.mul(direction, lr)), velocity];
  });
}

function fused(c: Case, w: tf.Tensor, g: tf.Tensor, v: tf.Tensor): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = c.kernel === SgdUpdate ? { w, g } : { w, g, v };
  const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}

beforeAll(async () => {
  await useBackend('wasm');
});

afterAll(() => {
  registerFastKernels('wasm');
});

describe('optimizer update kernels on wasm', () => {
  it('are registered with the fast kernels on wasm, and nowhere else', async () => {
    const kernels = [SgdUpdate, MomentumUpdate, AdamUpdate] as const;
    expect(kernels.every(updateKernelRegistered)).toBe(true);
    unregisterFastKernels('wasm');
    expect(kernels.some(updateKernelRegistered)).toBe(false);
    registerFastKernels('wasm');
    await useBackend('cpu');
    expect(kernels.some(updateKernelRegistered)).toBe(false);
    await useBackend('wasm');
  });

  for (const c of CASES) {
    it(`give the stock route's values bit for bit: ${describeCase(c)}, sizes 1 to 784×256, SIMD and scalar fallback`, () => {
      for (const [k, size] of SIZES.entries()) {
        const [w, g, v] = [0, 100, 200].map((offset) => tf.tensor1d(values(size, k + offset)));
        const want = stock(c, w!, g!, v!).map((t) => t.dataSync() as Float32Array);
        const got = fused(c, w!, g!, v!);
        got.forEach((t, i) => expectSameBits(t.dataSync() as Float32Array, want[i]!, `${i === 0 ? 'w' : 'v'} of ${size}`));
        const momentum = c.kernel === MomentumUpdate;
        const scalar = [new Float32Array(size), momentum ? new Float32Array(size) : null];
        const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
        updateScalar(updateVariant(c.kernel, c.attrs), read(w!), read(g!), momentum ? read(v!) : null, scalar[0]!, scalar[1]!, c.attrs);
        want.forEach((values, i) => expectSameBits(scalar[i]!, values, `scalar ${i === 0 ? 'w' : 'v'} of ${size}`));
        tf.dispose([w!, g!, v!, ...got]);
      }
    });
  }

  const adamCases: AdamUpdateAttrs[] = [
    { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, correction1: 1 - 0.9, correction2: 1 - 0.999, decay: 0, decoupled: false },
    { lr: 3e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, correction1: 1 - 0.9 ** 7, correction2: 1 - 0.999 ** 7, decay: 5e-4, decoupled: false },
    { lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, correction1: 1 - 0.8 ** 3, correction2: 1 - 0.99 ** 3, decay: 0.01, decoupled: true },
    // LAMB's first half: the step u, with and without its decoupled decay
    { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, correction1: 1 - 0.9 ** 2, correction2: 1 - 0.999 ** 2, decay: 0.01, decoupled: true, direction: true },
    { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, correction1: 1 - 0.9 ** 2, correction2: 1 - 0.999 ** 2, decay: 0, decoupled: true, direction: true },
  ];
  /** adam.ts's tf ops: [w, m, v] after the step */
  const adamStock = (a: AdamUpdateAttrs, w: tf.Tensor, raw: tf.Tensor, m: tf.Tensor, v: tf.Tensor): tf.Tensor[] =>
    tf.tidy(() => {
      const g = !a.decoupled && a.decay > 0 ? tf.add(raw, tf.mul(w, a.decay)) : raw;
      const mNext = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
      const vNext = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
      const adaptive = tf.div(tf.div(mNext, a.correction1), tf.add(tf.sqrt(tf.div(vNext, a.correction2)), a.epsilon));
      const update = a.decoupled && a.decay > 0 ? tf.add(adaptive, tf.mul(w, a.decay)) : adaptive;
      return [a.direction ? update : tf.sub(w, tf.mul(update, a.lr)), mNext, vNext];
    });
  for (const a of adamCases) {
    it(`give Adam's values bit for bit: decay ${a.decay}${a.decoupled ? ' (decoupled)' : ''}${a.direction ? ', the step itself (LAMB)' : ''}, sizes 1 to 784×256, SIMD and scalar fallback`, () => {
      for (const [k, size] of SIZES.entries()) {
        const w = tf.tensor1d(values(size, k));
        const g = tf.tensor1d(values(size, k + 100));
        const m = tf.tensor1d(values(size, k + 200));
        // the second moment is never negative
        const v = tf.tensor1d(values(size, k + 300).map(Math.abs));
        const want = adamStock(a, w, g, m, v).map((t) => t.dataSync() as Float32Array);
        const got = tf.engine().runKernel(AdamUpdate, { w, g, m, v }, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const names = ['w', 'm', 'v'];
        got.forEach((t, i) => expectSameBits(t.dataSync() as Float32Array, want[i]!, `${names[i]} of ${size}`));
        const scalar = [0, 1, 2].map(() => new Float32Array(size));
        adamScalar(adamVariant(a), [w, g, m, v].map((t) => t.dataSync() as Float32Array), scalar, a);
        want.forEach((values, i) => expectSameBits(scalar[i]!, values, `scalar ${names[i]} of ${size}`));
        tf.dispose([w, g, m, v, ...got]);
      }
    });
  }

  it('give the same values through their scalar fallback, outputs in the same order', () => {
    forceScalarUpdates(true);
    try {
      for (const c of CASES) {
        const [w, g, v] = [0, 100, 200].map((offset) => tf.tensor1d(values(1031, offset + 3)));
        const want = stock(c, w!, g!, v!).map((t) => t.dataSync() as Float32Array);
        const got = fused(c, w!, g!, v!);
        got.forEach((t, i) => expectSameBits(t.dataSync() as Float32Array, want[i]!, `${describeCase(c)}: output ${i}`));
        tf.dispose([w!, g!, v!, ...got]);
      }
      for (const a of adamCases) {
        const [w, g, m] = [0, 100, 200].map((offset) => tf.tensor1d(values(1031, offset + 5)));
        const v = tf.tensor1d(values(1031, 305).map(Math.abs));
        const want = adamStock(a, w!, g!, m!, v).map((t) => t.dataSync() as Float32Array);
        const got = tf.engine().runKernel(AdamUpdate, { w: w!, g: g!, m: m!, v }, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
        got.forEach((t, i) => expectSameBits(t.dataSync() as Float32Array, want[i]!, `Adam decay ${a.decay}: output ${i}`));
        tf.dispose([w!, g!, m!, v, ...got]);
      }
    } finally {
      forceScalarUpdates(false);
    }
  });

  it('keep their inputs and make only their outputs', () => {
    const [w, g, v] = [7, 8, 9].map((seed) => tf.tensor2d(values(12, seed), [3, 4]));
    const before = tf.memory().numTensors;
    const out = fused(CASES[3]!, w!, g!, v!);
    expect(out.map((t) => t.shape)).toEqual([[3, 4], [3, 4]]);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(Array.from(w!.dataSync())).toEqual(Array.from(values(12, 7)));
    expect(Array.from(v!.dataSync())).toEqual(Array.from(values(12, 9)));
    tf.dispose([w!, g!, v!, ...out]);
  });

  it('refuse inputs of different sizes, naming them', () => {
    const [w, g, v] = [tf.zeros([4]), tf.zeros([4]), tf.zeros([5])];
    expect(() => fused(CASES[2]!, w, g, v)).toThrow(/BatchscopeMomentumUpdate: inputs must be float32 of one size, got float32 \[4\], float32 \[4\], float32 \[5\]/);
    expect(() => fused(CASES[0]!, w, v, v)).toThrow(/BatchscopeSgdUpdate: inputs must be float32 of one size/);
    tf.dispose([w, g, v]);
  });

  const optimizers: [string, typeof SgdUpdate | typeof MomentumUpdate | typeof AdamUpdate, (groups: LayerGroup[]) => LayerOptimizer][] = [
    ['SGD with weight decay', SgdUpdate, (groups) => new SgdOptimizer({ name: 'sgd', weightDecay: 0.05 }, groups)],
    ['momentum (heavy ball)', MomentumUpdate, (groups) => new MomentumOptimizer({ name: 'momentum', momentum: 0.9, nesterov: false, weightDecay: 0 }, groups)],
    ['momentum (Nesterov) with weight decay', MomentumUpdate, (groups) => new MomentumOptimizer({ name: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, groups)],
    ['LARS (bias excluded, weight decay)', MomentumUpdate, (groups) => new LarsOptimizer(larsSpec, groups)],
    ['Adam with weight decay', AdamUpdate, (groups) => new AdamOptimizer(optimizerSpecSchema.parse({ name: 'adam', weightDecay: 5e-4 }) as AdamSpec, groups)],
    ['AdamW', AdamUpdate, (groups) => new AdamOptimizer(optimizerSpecSchema.parse({ name: 'adamw', weightDecay: 0.01 }) as AdamSpec, groups)],
    ['LAMB (bias excluded, weight decay)', AdamUpdate, (groups) => new LambOptimizer(optimizerSpecSchema.parse({ name: 'lamb', weightDecay: 0.01 }) as LambSpec, groups)],
  ];
  for (const [label, kernel, make] of optimizers) {
    it(`make the steps of ${label} bit for bit the stock route's`, async () => {
      const trace = async (useFused: boolean): Promise<Float32Array[]> => {
        if (useFused) registerFastKernels('wasm');
        else unregisterFastKernels('wasm');
        const groups = makeGroups(twoLayers);
        const optimizer = make(groups);
        for (let step = 0; step < 3; step++) {
          const grads = groups.map((group, l) => group.params.map((p, i) => tf.tensor(values(p.size, 10 * step + 3 * l + i), p.shape)));
          const profile = await tf.profile(() => optimizer.apply({ groups, grads, lr: 0.1 + 0.05 * step, step }));
          expect(profile.kernelNames.includes(kernel)).toBe(useFused);
          tf.dispose(grads.flat());
        }
        const weights = groups.flatMap((group) => group.params.map((p) => p.dataSync() as Float32Array));
        optimizer.dispose();
        disposeGroups(groups);
        return weights;
      };
      const stockWeights = await trace(false);
      const fusedWeights = await trace(true);
      fusedWeights.forEach((w, i) => expectSameBits(w, stockWeights[i]!, `parameter ${i}`));
    });
  }
});
