import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectWasmMatchesCpu, liveCounts, seededTensor, useBackend } from './backends';
import { convCases, label, type ConvCase } from './conv-cases';

function inputGradient(c: ConvCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): tf.Tensor {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const toFormat = (shape: number[]) => (dataFormat === 'NHWC' ? shape : [shape[0]!, shape[3]!, shape[1]!, shape[2]!]);
  const dy = seededTensor(toFormat(info.outShape), 2);
  const filter = seededTensor(c.filter, 3);
  const pad = dataFormat === 'NCHW' && Array.isArray(c.pad) ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad;
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
    strides: c.strides,
    pad,
    dataFormat,
    dimRoundingMode: c.dimRoundingMode,
    inputShape: toFormat(c.x),
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

describe('wasm Conv2DBackpropInput', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(convCases.map((c) => [label(c), c] as const))('%s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => inputGradient(c));
  });

  const nchwCases = [convCases[3]!, convCases.find((c) => Array.isArray(c.pad) && c.strides === 2)!];

  it.each(nchwCases.map((c) => [label(c), c] as const))('NCHW: %s matches cpu', async (_, c) => {
    await expectWasmMatchesCpu(() => inputGradient(c, 'NCHW'));
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const c = convCases[3]!;
    tf.tidy(() => void inputGradient(c));
    const before = liveCounts();
    for (let i = 0; i < 3; i++) tf.tidy(() => void inputGradient(c));
    expect(liveCounts()).toEqual(before);
  });
});
