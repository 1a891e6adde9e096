/**
 * Conv2D on wasm: the in-place GEMM route (stride 1, NHWC, ≥ 16 values per filter row)
 * and the stock XNNPACK kernel it falls back on, against the cpu backend's stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';
import { convCases, label, type ConvCase } from './conv-cases';
import { gemmProductCount } from '../../../main/engine/kernels/gemm/gemm-module';

function forward(c: ConvCase): tf.Tensor {
  return tf.conv2d(seededTensor(c.x, 1) as tf.Tensor4D, seededTensor(c.filter, 2) as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
}

// stride 1 only, and no numeric padding of a non-square filter: there the stock wasm kernel
// itself (the fallback, unchanged here) reads out of bounds or rounds differently
const stride1 = convCases.filter((c) => c.strides === 1 && !(typeof c.pad === 'number' && c.filter[0] !== c.filter[1]));
const inPlace = (c: ConvCase) => c.strides === 1 && c.filter[1] * c.filter[2] >= 16;

describe('wasm Conv2D', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(stride1.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => forward(c));
  });

  it.each(stride1.map((c) => [label(c), c] as const))('%s runs through the GEMM exactly when it is stride 1 with ≥ 16 values per filter row', async (_, c) => {
    await useBackend('wasm');
    const before = gemmProductCount();
    tf.tidy(() => void forward(c).dataSync());
    expect(gemmProductCount() - before).toBe(inPlace(c) ? c.x[0] * c.filter[0] : 0);
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const c = convCases[1]!;
    tf.tidy(() => void forward(c));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void forward(c));
    expect(liveCounts()).toEqual(before);
  });
});
