/**
 * End to end through tf.grad / tf.variableGrads on wasm: the gradients of a conv2d
 * and of a small CNN and ResNet-style block match the cpu backend, and training
 * steps leave no tensors or backend buffers behind.
 */
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeOn, expectClose, liveCounts, seededTensor, useBackend } from './backends';

/** All gradients of `loss` w.r.t. `params`, concatenated into one flat tensor. */
function flatGradients(loss: (params: tf.Tensor[]) => tf.Scalar, params: tf.Tensor[]): tf.Tensor {
  const grads = tf.grads((...p: tf.Tensor[]) => loss(p))(params);
  return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
}

const convCases = [
  { x: [4, 12, 12, 3], filter: [3, 3, 3, 8], strides: 1, pad: 'same' as const },
  { x: [4, 12, 12, 3], filter: [3, 3, 3, 8], strides: 2, pad: 'same' as const },
  { x: [4, 13, 11, 3], filter: [5, 5, 3, 4], strides: 2, pad: 'valid' as const },
  { x: [4, 12, 12, 3], filter: [1, 1, 3, 8], strides: 2, pad: 'same' as const },
];

/** conv 5x5 'same' - relu - maxpool 2 - conv 3x3 - relu - maxpool 2 - dense, softmax cross-entropy. */
function cnnLoss([x, w1, b1, w2, b2, w3, b3]: tf.Tensor[], labels: tf.Tensor): tf.Scalar {
  let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'), b1!)) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  h = tf.relu(tf.add(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'), b2!)) as tf.Tensor4D;
  h = tf.maxPool(h, 2, 2, 'valid');
  const logits = tf.add(tf.matMul(tf.reshape(h, [h.shape[0], -1]), w3!), b3!);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

function cnnParams(): tf.Tensor[] {
  return [
    seededTensor([6, 12, 12, 1], 1),
    tf.mul(seededTensor([5, 5, 1, 4], 2), 0.5),
    tf.mul(seededTensor([4], 3), 0.1),
    tf.mul(seededTensor([3, 3, 4, 8], 4), 0.3),
    tf.mul(seededTensor([8], 5), 0.1),
    tf.mul(seededTensor([72, 10], 6), 0.2),
    tf.mul(seededTensor([10], 7), 0.1),
  ];
}

const cnnLabels = () => tf.oneHot(tf.tensor1d([0, 3, 9, 1, 4, 7], 'int32'), 10);

/** stride-2 conv - batch norm from basic ops - relu - 1x1 stride-2 shortcut - global average pool. */
function resnetBlockLoss([x, wA, wShort, gamma, beta, wOut]: tf.Tensor[]): tf.Scalar {
  const conv = tf.conv2d(x as tf.Tensor4D, wA as tf.Tensor4D, 2, 'same');
  const { mean, variance } = tf.moments(conv, [0, 1, 2]);
  const normed = tf.add(tf.mul(tf.mul(tf.sub(conv, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma!), beta!);
  const y = tf.relu(tf.add(normed, tf.conv2d(x as tf.Tensor4D, wShort as tf.Tensor4D, 2, 'same')));
  const pooled = tf.mean(y, [1, 2]);
  return tf.sum(tf.square(tf.matMul(pooled, wOut!)));
}

function resnetParams(): tf.Tensor[] {
  return [
    seededTensor([4, 10, 10, 3], 11),
    tf.mul(seededTensor([3, 3, 3, 6], 12), 0.4),
    tf.mul(seededTensor([1, 1, 3, 6], 13), 0.4),
    tf.add(tf.mul(seededTensor([6], 14), 0.1), 1),
    tf.mul(seededTensor([6], 15), 0.1),
    tf.mul(seededTensor([6, 5], 16), 0.5),
  ];
}

describe('gradients on wasm with the fast kernels', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(convCases.map((c) => [JSON.stringify(c), c] as const))('tf.grad of conv2d %s matches cpu', async (_, c) => {
    const compute = () => {
      const x = seededTensor(c.x, 1);
      const filter = seededTensor(c.filter, 2);
      const weights = seededTensor(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad).shape, 3);
      return flatGradients(([xx, ff]) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.strides, c.pad), weights)), [x, filter]);
    };
    expectClose(await computeOn('wasm', compute), await computeOn('cpu', compute));
  });

  it('a small CNN: every parameter gradient matches cpu', async () => {
    const compute = () => flatGradients((p) => cnnLoss(p, cnnLabels()), cnnParams());
    expectClose(await computeOn('wasm', compute), await computeOn('cpu', compute));
  });

  it('a ResNet-style block with batch norm: every parameter gradient matches cpu', async () => {
    const compute = () => flatGradients(resnetBlockLoss, resnetParams());
    expectClose(await computeOn('wasm', compute), await computeOn('cpu', compute));
  });

  it('CNN training steps leave no tensors or backend buffers behind', async () => {
    await useBackend('wasm');
    const [x, ...init] = cnnParams();
    const labels = cnnLabels();
    const vars = init.map((p, i) => tf.variable(p, true, `kernel-test-cnn-${i}`));
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => cnnLoss([x!, ...vars], labels), vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.1)));
      });
    step();
    const before = liveCounts();
    for (let i = 0; i < 3; i++) step();
    expect(liveCounts()).toEqual(before);
    tf.dispose([x!, labels, ...init, ...vars]);
  });
});
