import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';

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
  // odd sizes, overlapping windows, padding
  { x: [2, 7, 9, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [2, 7, 9, 3], filterSize: 3, strides: 2, pad: 'same' },
  { x: [2, 7, 9, 3], filterSize: 3, strides: 1, pad: 'same' },
  { x: [2, 7, 9, 3], filterSize: [3, 2], strides: [1, 2], pad: 'valid' },
  { x: [2, 8, 8, 2], filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  { x: [1, 5, 5, 1], filterSize: 5, strides: 1, pad: 'valid' },
];

const label = (c: PoolCase) => `x [${c.x}] window ${JSON.stringify(c.filterSize)} strides ${JSON.stringify(c.strides)} pad ${c.pad}`;

/** max pool gradient of `x` for a seeded dy; `ties` rounds x so windows hold equal maxima. */
function poolGradient(c: PoolCase, ties: boolean): tf.Tensor {
  const raw = seededTensor(c.x, 1);
  // relu'd and rounded: whole windows of zeros and repeated maxima, where only the first may win
  const x = ties ? tf.relu(tf.round(tf.mul(raw, 2))) : raw;
  const y = tf.maxPool(x as tf.Tensor4D, c.filterSize, c.strides, c.pad, c.dimRoundingMode);
  const dy = seededTensor(y.shape, 2);
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, {
    filterSize: c.filterSize,
    strides: c.strides,
    pad: c.pad,
    dimRoundingMode: c.dimRoundingMode,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('wasm MaxPoolGrad', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(cases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => poolGradient(c, false));
  });

  it.each(cases.map((c) => [label(c), c] as const))('with tied maxima: %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => poolGradient(c, true));
  });

  it('routes nothing from NaN and -Infinity, like cpu', async () => {
    const c: PoolCase = { x: [1, 4, 4, 2], filterSize: 2, strides: 2, pad: 'valid' };
    await expectWasmMatchesCpu(() => {
      const values = Array.from(seededTensor(c.x, 5).dataSync());
      [0, 1, 3, 8, 9].forEach((i) => (values[i] = Number.NaN));
      [16, 17, 18, 19, 20, 21, 22, 23].forEach((i) => (values[i] = Number.NEGATIVE_INFINITY));
      const x = tf.tensor(values, c.x);
      const dy = seededTensor([1, 2, 2, 2], 6);
      return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') }, {
        filterSize: 2,
        strides: 2,
        pad: 'valid',
      }) as tf.Tensor;
    });
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    tf.tidy(() => void poolGradient(cases[3]!, false));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void poolGradient(cases[3]!, false));
    expect(liveCounts()).toEqual(before);
  });
});
