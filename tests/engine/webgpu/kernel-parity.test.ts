/**
 * Every op the engine trains with gives the same numbers on WebGPU as on the cpu
 * backend (stock tfjs kernels, the reference), within 1e-4 of the output's scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, it } from 'vitest';
import { perSampleCrossEntropy } from '../../../main/engine/training/loss';
import { seededTensor } from '../kernels/backends';
import { convCases, label, type ConvCase } from '../kernels/conv-cases';
import { computeOn, describeWebgpu, relativeError, webgpuAvailability } from './webgpu-suite';

const TOLERANCE = 1e-4;
const availability = await webgpuAvailability();
const worst = new Map<string, number>();

async function expectParity(op: string, compute: () => tf.Tensor[]): Promise<void> {
  const reference = await computeOn('cpu', compute);
  const actual = await computeOn('webgpu', compute);
  reference.forEach((expected, i) => {
    const error = relativeError(actual[i]!, expected);
    const name = `${op}${reference.length > 1 ? ` #${i}` : ''}`;
    worst.set(op, Math.max(worst.get(op) ?? 0, error));
    expect(error, name).toBeLessThan(TOLERANCE);
  });
}

/** gradients of sum(f(inputs) · r) for a fixed random r: exercises the op's backward kernels */
function gradientsOf(f: (...inputs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number): tf.Tensor[] {
  const out = f(...inputs);
  const r = seededTensor(out.shape, seed);
  return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
}

// the CNN's and ResNet's geometries, and every padding kind at strides 1 and 2 (lavapipe is slow: not all of conv-cases)
const convs: ConvCase[] = convCases.filter((c, i) => i < 5 || (c.x.join() === '2,9,8,3' && (c.strides === 1 || c.strides === 2)));

describeWebgpu('kernel parity, WebGPU vs cpu', availability, () => {
  afterAll(() => {
    console.log(`max relative error per op (WebGPU vs cpu): ${[...worst].map(([op, e]) => `${op} ${e.toExponential(1)}`).join(', ')}`);
  });

  it('matmul in all four transposes, and its gradients', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const aShape = ta ? [47, 33] : [33, 47];
      const bShape = tb ? [29, 47] : [47, 29];
      await expectParity('matMul', () => [tf.matMul(seededTensor(aShape, 1) as tf.Tensor2D, seededTensor(bShape, 2) as tf.Tensor2D, ta, tb)]);
    }
    await expectParity('matMul gradients', () =>
      gradientsOf((a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), [seededTensor([64, 100], 3), seededTensor([100, 10], 4)], 5),
    );
  }, 300_000);

  it(`conv2d forward, input gradient and filter gradient over ${convs.length} geometries`, async () => {
    for (const c of convs) {
      const conv = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
      await expectParity('conv2d', () => [conv(seededTensor(c.x, 6), seededTensor(c.filter, 7))]);
      await expectParity('conv2d gradients (input, filter)', () => gradientsOf(conv, [seededTensor(c.x, 6), seededTensor(c.filter, 7)], 8));
    }
    expect(worst.has('conv2d'), label(convs[0]!)).toBe(true);
  }, 600_000);

  it('max-pool and its gradient, global mean pooling and its gradient', async () => {
    const x = (): tf.Tensor => seededTensor([3, 12, 12, 8], 9);
    await expectParity('maxPool', () => [tf.maxPool(x() as tf.Tensor4D, 2, 2, 'valid')]);
    await expectParity('maxPool gradient', () => gradientsOf((t) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), [x()], 10));
    await expectParity('mean pool + gradient', () => [tf.mean(x(), [1, 2]), ...gradientsOf((t) => tf.mean(t, [1, 2]), [x()], 11)]);
  }, 300_000);

  it('batch norm (training mode, as resnet.ts computes it) and its gradients', async () => {
    const batchNorm = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
    };
    const inputs = (): tf.Tensor[] => [seededTensor([4, 8, 8, 6], 12), tf.add(seededTensor([6], 13), 1.5), seededTensor([6], 14)];
    await expectParity('batchNorm', () => [batchNorm(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor]))]);
    await expectParity('batchNorm gradients', () => gradientsOf(batchNorm, inputs(), 15));
  }, 300_000);

  it('softmax cross-entropy per sample and its gradient', async () => {
    const labels = Array.from({ length: 64 }, (_, i) => (i * 7) % 10);
    const ce = (logits: tf.Tensor): tf.Tensor => perSampleCrossEntropy(logits as tf.Tensor2D, tf.oneHot(labels, 10).toFloat() as tf.Tensor2D);
    const logits = (): tf.Tensor => tf.mul(seededTensor([64, 10], 16), 4);
    await expectParity('softmax cross-entropy', () => [ce(logits())]);
    await expectParity('softmax cross-entropy gradient', () => gradientsOf(ce, [logits()], 17));
  }, 300_000);
});
