/**
 * The fused dense op (main/engine/models/dense.ts): its value and its gradients
 * match the same layer written with separate ops (matMul, add, relu) on the cpu
 * backend's stock kernels, on cpu and on wasm with the fast kernels.
 */
// tfjs-core's Node bundle carries no gradient functions; the umbrella package registers them
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense, type FusedActivation } from '../../../main/engine/models/dense';
import { computeOn, expectClose, seededTensor, useBackend, type BackendName } from '../kernels/backends';

const shapes = { batch: 6, fanIn: 7, fanOut: 5 };

function inputs(): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D] {
  const { batch, fanIn, fanOut } = shapes;
  return [
    seededTensor([batch, fanIn], 1) as tf.Tensor2D,
    tf.mul(seededTensor([fanIn, fanOut], 2), 0.7) as tf.Tensor2D,
    // a bias that pushes some units below zero and some above
    tf.mul(seededTensor([fanOut], 3), 0.5) as tf.Tensor1D,
    seededTensor([batch, fanOut], 4) as tf.Tensor2D,
  ];
}

function reference(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: FusedActivation): tf.Tensor2D {
  const z = tf.add(tf.matMul(x, w), b);
  return (activation === 'relu' ? tf.relu(z) : z) as tf.Tensor2D;
}

/** value, dx, dW and db of sum(layer(x) * weights), flattened into one tensor */
function valueAndGradients(layer: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D): tf.Tensor {
  const [x, w, b, weights] = inputs();
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(layer(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), weights));
  const grads = tf.grads(f)([x, w, b]);
  return tf.concat([tf.reshape(layer(x, w, b), [-1]), ...grads.map((g) => tf.reshape(g, [-1]))]);
}

describe('dense', () => {
  for (const activation of ['relu', 'linear'] as const) {
    for (const backend of ['cpu', 'wasm'] as BackendName[]) {
      it(`${activation} on ${backend}: value and gradients match matMul + add${activation === 'relu' ? ' + relu' : ''} on cpu`, async () => {
        const expected = await computeOn('cpu', () => valueAndGradients((x, w, b) => reference(x, w, b, activation)));
        const actual = await computeOn(backend, () => valueAndGradients((x, w, b) => dense(x, w, b, { activation, inputGradient: true })));
        expectClose(actual, expected);
      });
    }
  }

  it('without the input gradient: the same weight and bias gradients, and asking for dx fails', async () => {
    await useBackend('wasm');
    const [x, w, b, weights] = inputs();
    const expected = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(reference(x, ww as tf.Tensor2D, bb as tf.Tensor1D, 'relu'), weights)))([w, b]);
    const actual = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense(x, ww, bb, { activation: 'relu', inputGradient: false }), weights)))([w, b]);
    actual.forEach((g, i) => expectClose({ values: g.dataSync() as Float32Array, shape: g.shape }, { values: expected[i]!.dataSync() as Float32Array, shape: expected[i]!.shape }));
    expect(() => tf.grad((xx: tf.Tensor) => tf.sum(dense(xx as tf.Tensor2D, w, b, { activation: 'relu', inputGradient: false })))(x)).toThrow();
  });

  it('leaves no tensors behind over training steps', async () => {
    await useBackend('wasm');
    const [x, w0, b0, weights] = inputs();
    const w = tf.variable(w0);
    const b = tf.variable(b0);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(dense(x, w, b, { activation: 'relu', inputGradient: false }), weights)), [w, b]);
      tf.tidy(() => [w, b].forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.01)))));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
