import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmEqualsCpu, liveCounts, seededTensor, seededValues, useBackend } from './backends';

interface PoolCase {
  x: [number, number, number, number];
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const cases: PoolCase[] = [
  // the CNN's pools
  { x: [4, 28, 28, 16], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [4, 14, 14, 32], filterSize: 2, strides: 2, pad: 'valid' },
  // disjoint windows: odd sizes ('valid' leaves the last row and column out, 'same' pads them), 3x3, gaps, many channels
  { x: [2, 7, 9, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [3, 7, 9, 5], filterSize: 2, strides: 2, pad: 'same' },
  { x: [2, 10, 11, 4], filterSize: 3, strides: 3, pad: 'valid' },
  { x: [2, 10, 11, 4], filterSize: 3, strides: 3, pad: 'same' },
  { x: [2, 9, 10, 3], filterSize: [2, 3], strides: [2, 3], pad: 'same' },
  { x: [2, 9, 9, 2], filterSize: 2, strides: 3, pad: 'valid' },
  { x: [3, 6, 6, 64], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 7, 3], filterSize: 2, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  // channels a multiple of 4 (the SIMD router): runs of whole 2x2 windows cut by clipped ones at either end, and by gaps
  { x: [3, 7, 9, 8], filterSize: 2, strides: 2, pad: 'same' },
  { x: [2, 7, 7, 4], filterSize: 2, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { x: [2, 9, 9, 4], filterSize: 2, strides: 3, pad: 'valid' },
  { x: [2, 8, 8, 12], filterSize: [2, 3], strides: [2, 3], pad: 'same' },
  // windows clipped to 2x2 by the padding, side by side but not a stride apart (3x3, stride 3, a column of padding each side)
  { x: [2, 4, 4, 4], filterSize: 3, strides: 3, pad: 'same' },
  { x: [2, 4, 7, 8], filterSize: 3, strides: 3, pad: 'same' },
  // overlapping windows, padding
  { x: [2, 7, 9, 3], filterSize: 3, strides: 2, pad: 'same' },
  { x: [2, 7, 9, 3], filterSize: 3, strides: 1, pad: 'same' },
  { x: [2, 7, 9, 3], filterSize: [3, 2], strides: [1, 2], pad: 'valid' },
  { x: [2, 8, 8, 2], filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { x: [1, 5, 5, 1], filterSize: 5, strides: 1, pad: 'valid' },
];

const label = (c: PoolCase) => `x [${c.x}] window ${JSON.stringify(c.filterSize)} strides ${JSON.stringify(c.strides)} pad ${c.pad}`;

function maxPoolGrad(x: tf.Tensor, dy: tf.Tensor, c: PoolCase): tf.Tensor {
  const y = tf.maxPool(x as tf.Tensor4D, c.filterSize, c.strides, c.pad, c.dimRoundingMode);
  expect(dy.shape).toEqual(y.shape);
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, {
    filterSize: c.filterSize,
    strides: c.strides,
    pad: c.pad,
    dimRoundingMode: c.dimRoundingMode,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

const outputShape = (c: PoolCase): number[] => tf.tidy(() => tf.maxPool(tf.zeros(c.x) as tf.Tensor4D, c.filterSize, c.strides, c.pad, c.dimRoundingMode).shape);

/** max pool gradient of `x` for a seeded dy; `ties` rounds x so windows hold equal maxima. */
function poolGradient(c: PoolCase, ties: boolean): tf.Tensor {
  const raw = seededTensor(c.x, 1);
  // relu'd and rounded: whole windows of zeros and repeated maxima, where only the first may win
  const x = ties ? tf.relu(tf.round(tf.mul(raw, 2))) : raw;
  return maxPoolGrad(x, seededTensor(outputShape(c), 2), c);
}

/**
 * x with NaN, ±Infinity, ±0 and subnormals sprinkled in (runs of them fill whole windows), and dy
 * holding -0, NaN and ±Infinity: every value must come out bit for bit as on cpu.
 */
function specialValuesGradient(c: PoolCase): tf.Tensor {
  const specials = [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 0, 1e-45, -1e-45]; // ±1e-45: the float32 subnormals next to 0
  const xValues = seededValues(c.x.reduce((a, b) => a * b, 1), 7);
  const picks = seededValues(xValues.length, 8);
  for (let i = 0; i < xValues.length; i++) {
    const pick = picks[i]!;
    // the first quarter of x: mostly NaN and -Infinity, so some windows hold nothing else
    if (i < xValues.length / 4) xValues[i] = pick < 0 ? Number.NaN : pick < 0.9 ? Number.NEGATIVE_INFINITY : xValues[i]!;
    else if (pick > 0.6) xValues[i] = specials[Math.floor(((pick - 0.6) / 0.4) * specials.length)]!;
  }
  const dyShape = outputShape(c);
  const dyValues = seededValues(dyShape.reduce((a, b) => a * b, 1), 9);
  const dySpecials = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  dyValues.forEach((v, i) => {
    if (v > 0.8) dyValues[i] = dySpecials[i % dySpecials.length]!;
  });
  return maxPoolGrad(tf.tensor(xValues, c.x), tf.tensor(dyValues, dyShape), c);
}

describe('wasm MaxPoolGrad', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(cases.map((c) => [label(c), c] as const))('%s equals cpu', async (_, c) => {
    await expectWasmEqualsCpu(() => poolGradient(c, false));
  });

  it.each(cases.map((c) => [label(c), c] as const))('with tied maxima: %s equals cpu', async (_, c) => {
    await expectWasmEqualsCpu(() => poolGradient(c, true));
  });

  it.each(cases.map((c) => [label(c), c] as const))('with NaN, ±Infinity, ±0 in x and dy: %s equals cpu', async (_, c) => {
    await expectWasmEqualsCpu(() => specialValuesGradient(c));
  });

  it('routes nothing from NaN and -Infinity, like cpu', async () => {
    const c: PoolCase = { x: [1, 4, 4, 2], filterSize: 2, strides: 2, pad: 'valid' };
    await expectWasmEqualsCpu(() => {
      const values = Array.from(seededTensor(c.x, 5).dataSync());
      [0, 1, 3, 8, 9].forEach((i) => (values[i] = Number.NaN));
      [16, 17, 18, 19, 20, 21, 22, 23].forEach((i) => (values[i] = Number.NEGATIVE_INFINITY));
      return maxPoolGrad(tf.tensor(values, c.x), seededTensor([1, 2, 2, 2], 6), c);
    });
  });

  it('writes every place of dx where whole 2x2 windows tile x (dx is not zeroed first then)', async () => {
    await useBackend('wasm');
    const backend = tf.backend() as BackendWasm;
    for (const c of [cases[0]!, cases[1]!]) {
      const x = seededTensor(c.x, 1);
      const y = tf.maxPool(x as tf.Tensor4D, c.filterSize, c.strides, c.pad);
      const dy = seededTensor(y.shape, 2);
      // a block of dx's size full of NaN, freed just before the kernel allocates dx
      const garbage = tf.fill(c.x, Number.NaN);
      const garbageAt = backend.getMemoryOffset(garbage.dataId);
      garbage.dispose();
      const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: c.filterSize, strides: c.strides, pad: c.pad } as unknown as tf.NamedAttrMap) as tf.Tensor;
      // the test only means something if dx took that memory
      expect(backend.getMemoryOffset(dx.dataId)).toBe(garbageAt);
      const actual = await dx.data();
      await useBackend('cpu');
      const expected = tf.tidy(() => maxPoolGrad(tf.tensor(x.dataSync(), c.x), tf.tensor(dy.dataSync(), y.shape), c).dataSync());
      await useBackend('wasm');
      const differing = [...expected.keys()].filter((i) => !Object.is(actual[i], expected[i]));
      expect(differing.length, `first at ${differing[0]}: wasm ${actual[differing[0]!]}, cpu ${expected[differing[0]!]}`).toBe(0);
      tf.dispose([x, y, dy, dx]);
    }
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    for (const c of [cases[3]!, cases[10]!]) {
      tf.tidy(() => void poolGradient(c, false));
      const before = liveCounts();
      for (let i = 0; i < 3; i++) tf.tidy(() => void poolGradient(c, false));
      expect(liveCounts()).toEqual(before);
    }
  });
});
