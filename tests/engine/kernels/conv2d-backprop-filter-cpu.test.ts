/** The composed Conv2DBackpropFilter is also registered for cpu, whose own is a slow JS loop. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { registerFastKernels, unregisterFastKernels } from '../../../main/engine/kernels/register';
import { expectClose, liveCounts, seededTensor } from './backends';
import { convCases, label, type ConvCase } from './conv-cases';

function filterGradient(c: ConvCase): { values: Float32Array; shape: number[] } {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const dW = tf.tidy(() =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: seededTensor(c.x, 1), dy: seededTensor(info.outShape, 2) }, {
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.dimRoundingMode,
      filterShape: c.filter,
    } as unknown as tf.NamedAttrMap) as tf.Tensor,
  );
  const result = { values: dW.dataSync() as Float32Array, shape: dW.shape };
  dW.dispose();
  return result;
}

// the cpu kernel being replaced takes seconds on the larger CNN shapes
const smallCases = convCases.filter((c) => c.x.reduce((a, b) => a * b, 1) * c.filter[3] < 100_000);

describe('cpu Conv2DBackpropFilter composed from Transpose and Conv2D', () => {
  it.each(smallCases.map((c) => [label(c), c] as const))('%s matches the stock cpu kernel', async (_, c) => {
    await tf.setBackend('cpu');
    unregisterFastKernels('cpu');
    const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu');
    const expected = filterGradient(c);
    registerFastKernels('cpu');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')).not.toBe(stock);
    expectClose(filterGradient(c), expected);
  });

  it('leaves no tensors or backend buffers behind', async () => {
    await tf.setBackend('cpu');
    registerFastKernels('cpu');
    filterGradient(smallCases[0]!);
    const before = liveCounts();
    for (let i = 0; i < 3; i++) filterGradient(smallCases[0]!);
    expect(liveCounts()).toEqual(before);
  });
});
