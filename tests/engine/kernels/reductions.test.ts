import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';

interface ReductionCase {
  shape: number[];
  axis: number | number[];
  keepDims: boolean;
}

const cases: ReductionCase[] = [
  // bias and batch-norm gradients, batch-norm moments (NHWC over N, H, W)
  { shape: [16, 12, 12, 8], axis: [0, 1, 2], keepDims: false },
  { shape: [16, 12, 12, 8], axis: [0, 1, 2], keepDims: true },
  // a dense layer's bias gradient
  { shape: [64, 10], axis: 0, keepDims: false },
  // global average pooling
  { shape: [4, 8, 8, 16], axis: [1, 2], keepDims: false },
  // a middle block, negative and unsorted axes
  { shape: [3, 4, 5, 6], axis: [2, 1], keepDims: true },
  { shape: [3, 4, 5, 6], axis: [-3, -2], keepDims: false },
  { shape: [3, 4, 5, 6], axis: 1, keepDims: false },
  // the stock kernel keeps: innermost axes, non-contiguous axes, everything, size-1 blocks
  { shape: [3, 4, 5, 6], axis: 3, keepDims: false },
  { shape: [3, 4, 5, 6], axis: [0, 2], keepDims: false },
  { shape: [3, 4, 5, 6], axis: [0, 1, 2, 3], keepDims: false },
  { shape: [3, 1, 5, 6], axis: 1, keepDims: false },
];

const label = (c: ReductionCase) => `[${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`;

describe('wasm Sum and Mean', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(cases.map((c) => [label(c), c] as const))('sum %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => tf.sum(seededTensor(c.shape, 1), c.axis, c.keepDims));
  });

  it.each(cases.map((c) => [label(c), c] as const))('mean %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => tf.mean(seededTensor(c.shape, 1), c.axis, c.keepDims));
  });

  it('sums int32 tensors exactly (the stock kernel keeps them)', async () => {
    await expectWasmMatchesCpu(() => tf.cast(tf.sum(tf.cast(tf.mul(seededTensor([5, 6, 7], 3), 100), 'int32'), [0, 1]), 'float32'), 0);
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const x = seededTensor([16, 12, 12, 8], 1);
    tf.tidy(() => void tf.sum(x, [0, 1, 2]));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void tf.mean(tf.sum(x, [0, 1, 2], true), [1, 2]));
    expect(liveCounts()).toEqual(before);
    x.dispose();
  });
});
