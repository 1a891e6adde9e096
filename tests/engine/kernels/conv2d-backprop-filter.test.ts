import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';
import { convCases, label, type ConvCase } from './conv-cases';

function filterGradient(c: ConvCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): tf.Tensor {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const toFormat = (shape: number[]) => (dataFormat === 'NHWC' ? shape : [shape[0]!, shape[3]!, shape[1]!, shape[2]!]);
  const x = seededTensor(toFormat(c.x), 1);
  const dy = seededTensor(toFormat(info.outShape), 2);
  const pad = dataFormat === 'NCHW' && Array.isArray(c.pad) ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad;
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad,
    dataFormat,
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(() => useBackend('wasm'));

  it('exists on wasm once the fast kernels are registered', async () => {
    await useBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it.each(convCases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => filterGradient(c));
  });

  const nchwCases = [convCases[3]!, convCases.find((c) => Array.isArray(c.pad) && c.strides === 2)!];

  it.each(nchwCases.map((c) => [label(c), c] as const))('NCHW: %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => filterGradient(c, 'NCHW'));
  });

  it('names the mismatch when dy does not fit the convolution', async () => {
    await useBackend('wasm');
    const x = tf.zeros([1, 8, 8, 2]);
    const dy = tf.zeros([1, 7, 7, 3]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/dy has shape \[1,7,7,3\] but the convolution implies \[1,8,8,3\]/);
    tf.dispose([x, dy]);
  });

  // one case per path: im2col (first layer), the swapped convolution (strided), 1x1
  const pathCases = [convCases[0]!, convCases[3]!, convCases[4]!];

  it.each(pathCases.map((c) => [label(c), c] as const))('%s leaves no tensors or backend buffers behind', async (_, c) => {
    await useBackend('wasm');
    tf.tidy(() => void filterGradient(c));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void filterGradient(c));
    expect(liveCounts()).toEqual(before);
  });
});
